/** "a", "a or b", "a, b or c": a choice written out, with the language's word for "or". */
export function alternatives(items: readonly string[], or: string): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${or} ${items.at(-1)}`;
}

/** "12 min", "2 h 05 min": how late, in the language's units. */
export function lateText(ms: number, min: string, h: string): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} ${min}`;
  return `${Math.floor(minutes / 60)} ${h} ${String(minutes % 60).padStart(2, "0")} ${min}`;
}
