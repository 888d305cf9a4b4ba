import type { Instant } from "../../domain/roster/types.ts";
import { wallClock, zonedInstant } from "../../lib/zoned-time.ts";

/** "09:05" in the branch's zone. */
export function formatTime(at: Instant, timeZone: string): string {
  const w = wallClock(at, timeZone);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

/** "2031-03-14 09:05" in the branch's zone, for the admin page where a day may differ. */
export function formatDateTime(at: Instant, timeZone: string): string {
  const w = wallClock(at, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** The start of the branch's day containing `at`. */
export function startOfDay(at: Instant, timeZone: string): Instant {
  const w = wallClock(at, timeZone);
  return zonedInstant(w.year, w.month, w.day, 0, 0, timeZone);
}

/** The start of the branch's day before the one containing `at` (23 or 25 hours long or not). */
export function startOfYesterday(at: Instant, timeZone: string): Instant {
  // Half a day before today's midnight is inside yesterday, whatever clock change it had.
  return startOfDay(startOfDay(at, timeZone) - 12 * 3_600_000, timeZone);
}

/** "18:30" today in the branch's zone → an instant; null when the text is not a time of day. */
export function timeToday(hhmm: string, now: Instant, timeZone: string): Instant | null {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(hhmm.trim());
  if (match === null) return null;
  const w = wallClock(now, timeZone);
  return zonedInstant(w.year, w.month, w.day, Number(match[1]), Number(match[2]), timeZone);
}

/** "2031-03-14": the branch's calendar day containing `at`. */
export function formatDate(at: Instant, timeZone: string): string {
  const w = wallClock(at, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

/** A calendar day "YYYY-MM-DD" in the zone as [start, start of the next day); null when not a date. */
export function dayRange(date: string, timeZone: string): { from: Instant; to: Instant } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return null;
  // Date.UTC rolls day 32 over into the next month, so "the next day" needs no calendar of its own.
  return {
    from: zonedInstant(year, month, day, 0, 0, timeZone),
    to: zonedInstant(year, month, day + 1, 0, 0, timeZone),
  };
}

const pad = (n: number) => String(n).padStart(2, "0");
