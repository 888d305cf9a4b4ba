import type { Instant } from "../domain/roster/types.ts";

/** Stops a timer; once it fired, or a second time, it does nothing. */
export type CancelTimer = () => void;

/**
 * Time that passes, the port beside `now()`: a service that must act later (a 120 s no-answer
 * forward, a command's deadline) sets a timer here, so a test moves a fake clock
 * (test/support/fake-timer.ts) instead of waiting.
 *
 * ALWAYS:
 * - reads due times against its own `now()` (the box's `deps.now`);
 * - calls `fn` once, when `now()` has reached the due time; a due time already past fires soon,
 *   but never inside the `at()` or `after()` call that set it;
 * - fires timers due at the same instant in the order they were set.
 * NEVER:
 * - calls `fn` before its due time by `now()` (a wall clock stepped back makes a timer late,
 *   never early), or after its cancel;
 * - throws from a timer: `fn` catches what it may throw.
 */
export interface Timer {
  now(): Instant;
  at(due: Instant, fn: () => void): CancelTimer;
  after(ms: number, fn: () => void): CancelTimer;
}

/** setTimeout takes at most 2^31 - 1 ms (24.8 days); a longer wait is reached in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The real timer, on `now` (default `Date.now`). */
export function systemTimer(now: () => Instant = Date.now): Timer {
  const at = (due: Instant, fn: () => void): CancelTimer => {
    let handle: ReturnType<typeof setTimeout> | null = null;
    // setTimeout counts on the monotonic clock, `now` may be the wall clock: check it when woken.
    const arm = (woken: boolean) => {
      const wait = due - now();
      if (woken && wait <= 0) {
        handle = null;
        fn();
        return;
      }
      handle = setTimeout(() => arm(true), Math.min(Math.max(wait, 0), MAX_DELAY_MS));
    };
    arm(false);
    return () => {
      if (handle !== null) clearTimeout(handle);
      handle = null;
    };
  };
  return { now, at, after: (ms, fn) => at(now() + ms, fn) };
}
