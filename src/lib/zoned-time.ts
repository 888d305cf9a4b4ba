/**
 * Wall clocks in IANA time zones (Intl, no package): the branch's day on the kiosk and the admin
 * pages, and a PBX's local timestamps in its call records.
 */
type Instant = number;

/** Wall-clock fields of an instant in a time zone. */
export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

export function wallClock(at: Instant, timeZone: string): WallClock {
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

/** Zones change their offset at a quarter hour at the finest: one answer per zone and quarter. */
const QUARTER_MS = 15 * 60 * 1000;
const offsets = new Map<string, number>();

/** Offset of the zone from UTC at `at`, in milliseconds (Moscow: +3 h). */
export function offsetAt(at: Instant, timeZone: string): number {
  const quarter = Math.floor(at / QUARTER_MS) * QUARTER_MS;
  const key = `${timeZone} ${quarter}`;
  const known = offsets.get(key);
  if (known !== undefined) return known;
  const w = wallClock(quarter, timeZone);
  const offset = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - quarter;
  // Bounded: a month of a PBX's records in one zone is about 3,000 quarters.
  if (offsets.size >= 10_000) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

/**
 * The instant of a wall-clock time in the zone; twice round so a DST edge lands on its side.
 * `second` may carry a fraction (a PBX's `14:08:56.910686`): milliseconds are kept.
 */
export function zonedInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  tz: string,
  second = 0,
): Instant {
  const guess = Date.UTC(year, month - 1, day, hour, minute) + Math.round(second * 1000);
  const first = guess - offsetAt(guess, tz);
  return guess - offsetAt(first, tz);
}
