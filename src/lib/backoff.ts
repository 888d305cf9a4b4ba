/**
 * Reconnect delays: exponential backoff with FULL jitter (AWS architecture blog, "Exponential
 * Backoff And Jitter"): delay = random() × min(cap, base × 2^attempt). Full jitter rather than
 * "equal" jitter because every branch box of a company may lose the same PBX or VPN at once; a
 * uniform spread from zero keeps them from reconnecting in waves.
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/** The ceiling for retry number `attempt` (0 for the first retry): base × 2^attempt, capped. */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  // 2^attempt overflows to Infinity after ~1000 attempts; min() still gives the cap.
  return Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
}

export interface Backoff {
  /** The delay before the next attempt; each call counts one more failure. */
  next(): number;
  /** A connection proved healthy: the next failure starts again from `baseMs`. */
  reset(): void;
  readonly attempt: number;
}

export function createBackoff(options: BackoffOptions, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const r = Math.min(1, Math.max(0, random()));
      const delay = Math.round(r * backoffCeiling(attempt, options));
      attempt++;
      return delay;
    },
    reset() {
      attempt = 0;
    },
    get attempt() {
      return attempt;
    },
  };
}

/** One delay for retry number `attempt`, without keeping count (for loops that count themselves). */
export function jitteredDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  return Math.floor(Math.min(1, Math.max(0, random())) * backoffCeiling(attempt, options));
}
