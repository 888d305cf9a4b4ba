import type { Instant } from "../../src/domain/roster/types.ts";
import type { CancelTimer, Timer } from "../../src/service/timer.ts";

/** A Timer on a clock that moves only when the test says so. */
export interface FakeTimer extends Timer {
  /**
   * Moves the clock `ms` forward, firing on the way every timer that comes due (also those set by a
   * timer firing), in due order, each with `now()` at its due time.
   */
  advance(ms: number): void;
  /** Timers set and neither fired nor cancelled. */
  pending(): number;
}

interface Pending {
  readonly due: Instant;
  readonly fn: () => void;
}

export function fakeTimer(startIso = "2026-11-21T09:00:00+03:00"): FakeTimer {
  let t: Instant = Date.parse(startIso);
  let seq = 0;
  const timers = new Map<number, Pending>();
  const at = (due: Instant, fn: () => void): CancelTimer => {
    const id = ++seq;
    timers.set(id, { due, fn });
    return () => {
      timers.delete(id);
    };
  };
  const next = (until: Instant): [number, Pending] | null => {
    let found: [number, Pending] | null = null;
    // Map order is insertion order: the first of equal due times is the one set first.
    for (const entry of timers)
      if (entry[1].due <= until && (found === null || entry[1].due < found[1].due)) found = entry;
    return found;
  };
  return {
    now: () => t,
    at,
    after: (ms, fn) => at(t + ms, fn),
    advance(ms) {
      const until = t + ms;
      for (let due = next(until); due !== null; due = next(until)) {
        const [id, timer] = due;
        timers.delete(id);
        t = Math.max(t, timer.due);
        timer.fn();
      }
      t = until;
    },
    pending: () => timers.size,
  };
}
