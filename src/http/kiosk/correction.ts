import type { Instant } from "../../domain/roster/types.ts";
import type { Messages } from "../../i18n/index.ts";
import type { ShiftView } from "../../service/roster-port.ts";
import { formatTime, startOfDay, startOfYesterday, timeToday } from "../ui/branch-time.ts";
import { whenText } from "./when.ts";

/** The reasons a manager picks from (no keyboard at a kiosk); the audit keeps the code and the note. */
export const REASONS = ["forgot", "left-early", "auto-closed", "other"] as const;
export type Reason = (typeof REASONS)[number];

/** What the correction form carries, kept as typed so an error shows it again. */
export interface CorrectionValues {
  readonly day: "today" | "yesterday";
  /** "HH:MM" in the branch's time. */
  readonly endedAt: string;
  readonly reason: string;
  readonly note: string;
}

const FIVE_MINUTES = 300_000;

/** The form's first values: now for an open shift, just before its recorded end for a closed one. */
export function defaultValues(shift: ShiftView, now: Instant, timeZone: string): CorrectionValues {
  // An open shift ends now; a closed one a little before its recorded end, on a five-minute mark.
  const before = Math.max(shift.from + FIVE_MINUTES, (shift.to ?? now) - 60_000);
  const at = shift.to === null ? now : before - (before % FIVE_MINUTES);
  const today = startOfDay(now, timeZone);
  return {
    day: at < today ? "yesterday" : "today",
    endedAt: formatTime(at, timeZone),
    reason: shift.endedBy === "auto-close" ? "auto-closed" : "",
    note: "",
  };
}

/**
 * The instant a correction ends the shift at, or the sentence saying what is wrong with it. A
 * correction can only end a shift earlier than it ended (facts cannot undo a later close) and never
 * in the future or before the shift began.
 */
export function correctionAt(
  t: Messages,
  shift: ShiftView,
  values: CorrectionValues,
  now: Instant,
  timeZone: string,
): { ok: true; at: Instant } | { ok: false; why: string } {
  if (!(REASONS as readonly string[]).includes(values.reason)) return { ok: false, why: t.pickReason };
  const day = values.day === "yesterday" ? startOfYesterday(now, timeZone) : now;
  const typed = timeToday(values.endedAt, day, timeZone);
  if (typed === null) return { ok: false, why: t.badEndedAt };
  // This very minute is "now", to the second: a shift begun a moment ago can end now.
  const at = now - typed < 60_000 && now >= typed ? now : typed;
  if (at <= shift.from) return { ok: false, why: t.endedBeforeStart };
  if (at > now) return { ok: false, why: t.endedInFuture };
  if (shift.to !== null && at >= shift.to)
    return { ok: false, why: t.endedAfterEnd(whenText(t, shift.to, now, timeZone)) };
  return { ok: true, at };
}

/** The audit's words for the reason: the code, then the manager's note if any. */
export function reasonOf(values: CorrectionValues): string {
  const note = values.note.replace(/\s+/g, " ").trim();
  return note === "" ? values.reason : `${values.reason}: ${note}`;
}
