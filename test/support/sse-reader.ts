/** Reads an SSE response as text, a chunk at a time. */
export function sseReader(response: Response) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const state = { received: "" };
  return {
    state,
    async until(pattern: RegExp) {
      const deadline = Date.now() + 3000;
      while (!pattern.test(state.received)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${state.received}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended; got ${state.received}`);
        state.received += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}
