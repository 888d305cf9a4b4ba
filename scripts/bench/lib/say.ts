/** The child side of `Children.spawn`: one JSON line on stdout per message to the bench. */
export const say = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

/** Now, epoch ms with sub-ms precision (comparable across processes of one machine). */
export const epochMs = () => performance.timeOrigin + performance.now();
