/**
 * Keeps requests to a peer under `perSecond` (amoCRM: 7 a second): a token bucket holding ONE
 * token, so requests are spaced at least 1000 / perSecond ms apart and no burst ever goes over the
 * limit in any window. `take()` resolves when the caller may send; callers waiting together are
 * let through one at a time in the order they asked. The gap is measured from when the previous
 * caller was actually let through (a timer that fires late never makes the next one early). Time
 * and waiting are injected (tests pass a fake clock).
 */
export interface RateLimit {
  take(): Promise<void>;
}

export function rateLimit(
  perSecond: number,
  now: () => number,
  sleep: (ms: number) => Promise<void> = (ms) => Bun.sleep(ms),
): RateLimit {
  const gap = 1000 / perSecond;
  let nextFree = Number.NEGATIVE_INFINITY;
  let line: Promise<void> = Promise.resolve();
  const pass = async () => {
    for (let at = now(); at < nextFree; at = now()) await sleep(nextFree - at);
    nextFree = now() + gap;
  };
  return {
    take() {
      line = line.then(pass);
      return line;
    },
  };
}
