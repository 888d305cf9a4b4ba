import type { Instant } from "../roster/types.ts";
import type { Absence } from "./rules-types.ts";

/**
 * R4.7: who is known to be away, from their personal schedule (weekly working hours) and their
 * vacations and sick leave. Off shift is the roster's and is not decided here; an absence never
 * changes who holds a desk, it only makes the routing skip the employee.
 *
 * All days and hours are the branch's wall clock (`branch.timezone`), through a `BranchZone` the
 * caller builds: the domain reads no clock and no zone database of its own.
 */

/** ISO weekday: 1 Monday … 7 Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * One stretch of working hours on a weekday, `[from, to)` in minutes of the branch's day
 * (09:00–18:00 is 540–1080; `to` may be 1440, midnight at the day's end). A night shift is two
 * stretches: 22:00–24:00 on one day and 00:00–06:00 on the next.
 */
export interface WorkingHours {
  readonly day: Weekday;
  readonly from: number;
  readonly to: number;
}

/**
 * The weekly hours an employee works; a weekday with no stretch is a day off. ALWAYS at least one
 * stretch: "no personal schedule" is null, never an empty list (which would mean never at work).
 */
export type WeeklySchedule = readonly WorkingHours[];

export type AbsenceKind = "vacation" | "sick";

/** A vacation or sick leave: whole days of the branch's calendar, both ends included. */
export interface AbsenceRange {
  readonly kind: AbsenceKind;
  /** "YYYY-MM-DD", the first day away. */
  readonly first: string;
  /** "YYYY-MM-DD", the last day away (back the morning after). */
  readonly last: string;
}

export interface AbsencePlan {
  /** Null: no personal schedule (only the roster says when they work). */
  readonly schedule: WeeklySchedule | null;
  readonly ranges: readonly AbsenceRange[];
}

export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** Minutes since the branch's midnight, 0–1439. */
  readonly minute: number;
}

/** The branch's wall clock. Both directions must agree for every instant the zone does not skip. */
export interface BranchZone {
  local(at: Instant): LocalTime;
  /** The instant of a wall-clock time; one that a DST jump skips lands just after the jump. */
  instant(year: number, month: number, day: number, minute: number): Instant;
}

/** More ranges and gaps in a row than this is a typo or a loop: `until` is then unknown. */
const MAX_STEPS = 400;
const DAY_MINUTES = 1440;

/**
 * Whether the employee is away at `at`, why, and until when they are next rung: a vacation's or
 * sick leave's end (the morning after its last day), then their next working hour if the schedule
 * has them off then, across any range that follows at once. Sick leave is named before a vacation,
 * a range before the schedule. Null: not known to be away (the roster still decides where they are).
 */
export function absenceAt(plan: AbsencePlan, at: Instant, zone: BranchZone): Absence | null {
  const now = zone.local(at);
  const range = rangeOn(plan.ranges, dateKey(now));
  const offBySchedule = plan.schedule !== null && !working(plan.schedule, now);
  if (range === undefined && !offBySchedule) return null;
  return { reason: range?.kind ?? "schedule", until: nextAvailable(plan, at, zone) };
}

/** The first instant from `at` when no range covers the day and the schedule has them at work. */
function nextAvailable(plan: AbsencePlan, at: Instant, zone: BranchZone): Instant | null {
  let t = at;
  for (let step = 0; step < MAX_STEPS; step++) {
    const local = zone.local(t);
    const last = lastDayAway(plan.ranges, dateKey(local));
    if (last !== null) {
      const next = addDays(last, 1);
      t = zone.instant(next.year, next.month, next.day, 0);
      continue;
    }
    if (plan.schedule === null || working(plan.schedule, local)) return t;
    const start = nextStart(plan.schedule, local, zone);
    if (start === null) return null;
    t = start;
  }
  return null;
}

/** The schedule's next stretch start after `local` (later today, or on a following day). */
function nextStart(schedule: WeeklySchedule, local: LocalTime, zone: BranchZone): Instant | null {
  for (let offset = 0; offset <= 7; offset++) {
    const date = addDays(local, offset);
    const starts = schedule
      .filter((h) => h.day === weekday(date) && (offset > 0 || h.from > local.minute))
      .map((h) => h.from);
    if (starts.length > 0) return zone.instant(date.year, date.month, date.day, Math.min(...starts));
  }
  return null;
}

function working(schedule: WeeklySchedule, local: LocalTime): boolean {
  const day = weekday(local);
  return schedule.some((h) => h.day === day && h.from <= local.minute && local.minute < h.to);
}

const RANK: Record<AbsenceKind, number> = { sick: 0, vacation: 1 };

/** The latest last day of the ranges covering `date`; null when none does. */
function lastDayAway(ranges: readonly AbsenceRange[], date: string): CalendarDay | null {
  const lasts = ranges.filter((r) => r.first <= date && date <= r.last).map((r) => r.last);
  return lasts.length === 0 ? null : parseDay(lasts.sort().at(-1) as string);
}

function rangeOn(ranges: readonly AbsenceRange[], date: string): AbsenceRange | undefined {
  return ranges
    .filter((r) => r.first <= date && date <= r.last)
    .sort((a, b) => RANK[a.kind] - RANK[b.kind])[0];
}

type CalendarDay = Pick<LocalTime, "year" | "month" | "day">;

const pad = (n: number) => String(n).padStart(2, "0");

/** "YYYY-MM-DD": compares as text in calendar order. */
export const dateKey = (d: CalendarDay): string => `${d.year}-${pad(d.month)}-${pad(d.day)}`;

/** The calendar day `days` after `d` (a proleptic Gregorian calendar: no zone involved). */
export function addDays(d: CalendarDay, days: number): CalendarDay {
  const ms = Date.UTC(d.year, d.month - 1, d.day + days);
  const date = new Date(ms);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

export function weekday(d: CalendarDay): Weekday {
  const sunday0 = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return (sunday0 === 0 ? 7 : sunday0) as Weekday;
}

/** "YYYY-MM-DD" as a calendar day; null when it is not a real date. */
export function parseDay(text: string): CalendarDay | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return null;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return dateKey(addDays(d, 0)) === text ? d : null;
}

/** "09:00" → 540; "24:00" → 1440 (a stretch's end only); null when not a time of day. */
export function parseMinute(text: string): number | null {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (m === null) return null;
  const minute = Number(m[1]) * 60 + Number(m[2]);
  return minute <= DAY_MINUTES ? minute : null;
}

export const formatMinute = (minute: number): string => `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;

/**
 * What is wrong with a schedule, or null: every stretch inside the day with `from < to`, and no two
 * stretches of a weekday overlapping.
 */
export function scheduleProblem(schedule: WeeklySchedule): string | null {
  if (schedule.length === 0) return "a schedule has at least one stretch of working hours";
  for (const h of schedule) {
    if (!Number.isInteger(h.from) || !Number.isInteger(h.to) || h.from < 0 || h.to > DAY_MINUTES)
      return `day ${h.day}: hours must be within the day (00:00–24:00)`;
    if (h.from >= h.to) return `day ${h.day}: ${formatMinute(h.from)} is not before ${formatMinute(h.to)}`;
  }
  for (const a of schedule)
    for (const b of schedule)
      if (a !== b && a.day === b.day && a.from < b.to && b.from < a.to)
        return `day ${a.day}: ${formatMinute(a.from)}–${formatMinute(a.to)} overlaps ${formatMinute(b.from)}–${formatMinute(b.to)}`;
  return null;
}
