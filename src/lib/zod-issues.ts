/** What a zod issue needs for a message: where, and what was wrong (zod's own issue type fits). */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * One sentence for a refused input: `where: what` for each issue, `root` naming the whole input
 * when the path is empty ("body", "envelope", "query"), at most `max` issues.
 */
export function describeIssues(
  issues: readonly IssueLike[],
  root: string,
  max = Number.POSITIVE_INFINITY,
): string {
  return issues
    .slice(0, max)
    .map((i) => `${i.path.map(String).join(".") || root}: ${i.message}`)
    .join("; ");
}
