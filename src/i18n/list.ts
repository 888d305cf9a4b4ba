/** "a", "a or b", "a, b or c": a choice written out, with the language's word for "or". */
export function alternatives(items: readonly string[], or: string): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${or} ${items.at(-1)}`;
}
