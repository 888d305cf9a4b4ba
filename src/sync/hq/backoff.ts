/**
 * Exponential backoff with full jitter: the n-th retry waits a random time in
 * [0, min(cap, base · 2^n)), so many clients that lost the same broker do not return in step.
 */
export function fullJitter(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
) {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)));
}
