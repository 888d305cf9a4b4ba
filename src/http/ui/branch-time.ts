import type { Instant } from "../../domain/roster/types.ts";

/** Wall-clock fields of an instant in a time zone. */
interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(at: Instant, timeZone: string): WallClock {
  let format = partsFormatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsFormatters.set(timeZone, format);
  }
  // One formatToParts for all six fields: this runs for every time on every redraw.
  const parts = format.formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  };
}

/** Offset of the zone from UTC at `at`, in milliseconds (Moscow: +3 h). */
function offsetAt(at: Instant, timeZone: string): number {
  const w = wallClock(at, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (at - (at % 1000));
}

/** The instant of a wall-clock time in the zone; twice round so a DST edge lands on its side. */
function zonedInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  tz: string,
): Instant {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - offsetAt(guess, tz);
  return guess - offsetAt(first, tz);
}

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
