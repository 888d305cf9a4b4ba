import type { RosterCommand, RosterTimeline } from "./roster-timeline.ts";
import type { Instant } from "./types.ts";

/**
 * R0.3d: headquarters' word that an employee checked in at another branch (`staff.elsewhere` on
 * the `presence` down stream). `at` is the instant of that check-in, by the other branch's roster.
 */
export interface Elsewhere {
  readonly employeeId: string;
  readonly branchId: string;
  /** The other branch's name when headquarters knows it. */
  readonly branchName: string | null;
  readonly at: Instant;
}

/**
 * R0.3d: the close a check-in at another branch makes here: `closed-elsewhere` AT THE INSTANT of
 * that check-in, when the employee's shift here was open then. null when none was: no shift, one
 * already closed by then (the same relay again, or a check-out before it), or one that began after
 * it. The same answer whenever the word arrives, so a box that was offline closes the shift at the
 * right instant on its return.
 */
export function closeForElsewhere(timeline: RosterTimeline, elsewhere: Elsewhere): RosterCommand | null {
  const command: RosterCommand = {
    kind: "closed-elsewhere",
    employeeId: elsewhere.employeeId,
    deskId: null,
    at: elsewhere.at,
  };
  return timeline.check(command) === null ? command : null;
}

/**
 * R0.3d: where the employee is now when not here: the latest check-in elsewhere of the branch's day
 * (`dayStart <= at <= now`) that no shift here has begun after (they are back). null: not known to
 * be elsewhere today. `relays` are the employee's, in any order.
 */
export function elsewhereNow(
  timeline: RosterTimeline,
  relays: readonly Elsewhere[],
  dayStart: Instant,
  now: Instant,
): Elsewhere | null {
  let latest: Elsewhere | null = null;
  for (const relay of relays)
    if (relay.at >= dayStart && relay.at <= now && (latest === null || relay.at > latest.at)) latest = relay;
  if (latest === null) return null;
  const since = latest.at;
  const back = timeline
    .shiftsBetween(since, now + 1)
    .some((s) => s.employeeId === latest.employeeId && s.from > since && s.from <= now);
  return back ? null : latest;
}
