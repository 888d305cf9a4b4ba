import { describe, expect, test } from "bun:test";
import { branchZone } from "../../service/branch-zone.ts";
import {
  type AbsencePlan,
  type AbsenceRange,
  absenceAt,
  parseDay,
  parseMinute,
  scheduleProblem,
  type WeeklySchedule,
} from "./absence.ts";
import type { AbsenceReason } from "./rules-types.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Mon–Fri 09:00–18:00. */
const OFFICE: WeeklySchedule = ([1, 2, 3, 4, 5] as const).map((day) => ({ day, from: 540, to: 1080 }));
const vacation = (first: string, last: string): AbsenceRange => ({ kind: "vacation", first, last });
const sick = (first: string, last: string): AbsenceRange => ({ kind: "sick", first, last });

interface Case {
  readonly name: string;
  readonly zone: string;
  readonly plan: AbsencePlan;
  readonly at: string;
  /** Null: not away. */
  readonly expect: { reason: AbsenceReason; until: string | null } | null;
}

const MSK = "Europe/Moscow";
const CASES: readonly Case[] = [
  {
    name: "R4.7: a Saturday is a day off by a Mon–Fri schedule; back on Monday at 09:00",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [] },
    at: "2026-11-21T12:00:00+03:00",
    expect: { reason: "schedule", until: "2026-11-23T06:00:00.000Z" },
  },
  {
    name: "R4.7: Friday 18:00 sharp is after hours (a stretch is [from, to))",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [] },
    at: "2026-11-27T18:00:00+03:00",
    expect: { reason: "schedule", until: "2026-11-30T06:00:00.000Z" },
  },
  {
    name: "R4.7: Friday 17:59 is still at work",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [] },
    at: "2026-11-27T17:59:59+03:00",
    expect: null,
  },
  {
    name: "R4.7: Monday 08:59 is before hours, back at 09:00 the same day",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [] },
    at: "2026-11-23T08:59:00+03:00",
    expect: { reason: "schedule", until: "2026-11-23T06:00:00.000Z" },
  },
  {
    name: "R4.7: Monday 09:00 sharp is at work",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [] },
    at: "2026-11-23T09:00:00+03:00",
    expect: null,
  },
  {
    name: "R4.7: vacation, its first day from midnight",
    zone: MSK,
    plan: { schedule: null, ranges: [vacation("2026-12-01", "2026-12-14")] },
    at: "2026-12-01T00:00:00+03:00",
    expect: { reason: "vacation", until: "2026-12-14T21:00:00.000Z" },
  },
  {
    name: "R4.7: the second before a vacation's first day is not away",
    zone: MSK,
    plan: { schedule: null, ranges: [vacation("2026-12-01", "2026-12-14")] },
    at: "2026-11-30T23:59:59+03:00",
    expect: null,
  },
  {
    name: "R4.7: the last day of a vacation until its last second; back the next morning at midnight",
    zone: MSK,
    plan: { schedule: null, ranges: [vacation("2026-12-01", "2026-12-14")] },
    at: "2026-12-14T23:59:59+03:00",
    expect: { reason: "vacation", until: "2026-12-14T21:00:00.000Z" },
  },
  {
    name: "R4.7: back the next morning: the day after the vacation is not away",
    zone: MSK,
    plan: { schedule: null, ranges: [vacation("2026-12-01", "2026-12-14")] },
    at: "2026-12-15T00:00:00+03:00",
    expect: null,
  },
  {
    name: "R4.7: with a schedule, back at the next working hour after the vacation (Tuesday 09:00)",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [vacation("2026-12-01", "2026-12-14")] },
    at: "2026-12-10T11:00:00+03:00",
    expect: { reason: "vacation", until: "2026-12-15T06:00:00.000Z" },
  },
  {
    name: "R4.7: a vacation ending on a Friday: back on Monday at 09:00, across the weekend",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [vacation("2026-12-14", "2026-12-18")] },
    at: "2026-12-18T10:00:00+03:00",
    expect: { reason: "vacation", until: "2026-12-21T06:00:00.000Z" },
  },
  {
    name: "R4.7: sick leave is named before an overlapping vacation; until the end of both",
    zone: MSK,
    plan: {
      schedule: null,
      ranges: [vacation("2026-12-01", "2026-12-05"), sick("2026-12-03", "2026-12-09")],
    },
    at: "2026-12-04T10:00:00+03:00",
    expect: { reason: "sick", until: "2026-12-09T21:00:00.000Z" },
  },
  {
    name: "R4.7: sick leave alone",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [sick("2026-11-23", "2026-11-24")] },
    at: "2026-11-23T10:00:00+03:00",
    expect: { reason: "sick", until: "2026-11-25T06:00:00.000Z" },
  },
  {
    name: "R4.7: off by schedule on Friday evening, then a vacation Mon–Wed: back on Thursday 09:00",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [vacation("2026-11-30", "2026-12-02")] },
    at: "2026-11-27T19:00:00+03:00",
    expect: { reason: "schedule", until: "2026-12-03T06:00:00.000Z" },
  },
  {
    name: "R4.7: a night shift is two stretches; 03:00 on Tuesday is at work",
    zone: MSK,
    plan: {
      schedule: [
        { day: 1, from: 1320, to: 1440 },
        { day: 2, from: 0, to: 360 },
      ],
      ranges: [],
    },
    at: "2026-11-24T03:00:00+03:00",
    expect: null,
  },
  {
    name: "R4.7: before a night shift: back at 22:00 the same evening",
    zone: MSK,
    plan: {
      schedule: [
        { day: 1, from: 1320, to: 1440 },
        { day: 2, from: 0, to: 360 },
      ],
      ranges: [],
    },
    at: "2026-11-23T21:00:00+03:00",
    expect: { reason: "schedule", until: "2026-11-23T19:00:00.000Z" },
  },
  {
    name: "R4.7: Moscow keeps +03:00 all year (no DST): 09:00 in July is 06:00 UTC",
    zone: MSK,
    plan: { schedule: OFFICE, ranges: [] },
    at: "2026-07-04T12:00:00+03:00",
    expect: { reason: "schedule", until: "2026-07-06T06:00:00.000Z" },
  },
  {
    name: "R4.7 DST: Berlin's weekend of the spring change; back Monday 09:00 CEST (07:00 UTC)",
    zone: "Europe/Berlin",
    plan: { schedule: OFFICE, ranges: [] },
    at: "2026-03-28T12:00:00+01:00",
    expect: { reason: "schedule", until: "2026-03-30T07:00:00.000Z" },
  },
  {
    name: "R4.7 DST: a sick leave ending on the 23-hour day: back at the next midnight CEST",
    zone: "Europe/Berlin",
    plan: { schedule: null, ranges: [sick("2026-03-27", "2026-03-29")] },
    at: "2026-03-29T01:30:00+01:00",
    expect: { reason: "sick", until: "2026-03-29T22:00:00.000Z" },
  },
  {
    name: "R4.7 DST: a vacation ending on the 25-hour day: away in its repeated hour, back at midnight CET",
    zone: "Europe/Berlin",
    plan: { schedule: null, ranges: [vacation("2026-10-20", "2026-10-25")] },
    at: "2026-10-25T02:30:00+01:00",
    expect: { reason: "vacation", until: "2026-10-25T23:00:00.000Z" },
  },
  {
    name: "R4.7 DST: New York's spring change on a Sunday; back Monday 09:00 EDT (13:00 UTC)",
    zone: "America/New_York",
    plan: { schedule: OFFICE, ranges: [] },
    at: "2026-03-08T12:00:00-04:00",
    expect: { reason: "schedule", until: "2026-03-09T13:00:00.000Z" },
  },
  {
    name: "R4.7 DST: a stretch starting in the skipped hour (02:30 on Berlin's change) starts after the jump",
    zone: "Europe/Berlin",
    plan: { schedule: [{ day: 7, from: 150, to: 600 }], ranges: [] },
    at: "2026-03-29T01:00:00+01:00",
    expect: { reason: "schedule", until: "2026-03-29T01:30:00.000Z" },
  },
  {
    name: "R4.7: nothing known: not away",
    zone: MSK,
    plan: { schedule: null, ranges: [] },
    at: "2026-11-21T03:00:00+03:00",
    expect: null,
  },
];

describe("absenceAt (R4.7)", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const got = absenceAt(c.plan, at(c.at), branchZone(c.zone));
      expect(got === null ? null : { reason: got.reason, until: iso(got.until) }).toEqual(c.expect);
    });
  }

  test("R4.7: a leave of years ends when it ends; back-to-back ranges are followed to their end", () => {
    const zone = branchZone(MSK);
    const long = absenceAt(
      { schedule: null, ranges: [vacation("2026-01-01", "2029-12-31")] },
      at("2026-06-01T12:00:00+03:00"),
      zone,
    );
    expect(long === null ? null : iso(long.until)).toBe("2029-12-31T21:00:00.000Z");
    const days = (n: number) =>
      Array.from({ length: n }, (_, i) => {
        const day = new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
        return sick(day, day);
      });
    const chained = absenceAt({ schedule: null, ranges: days(30) }, at("2026-01-01T12:00:00+03:00"), zone);
    expect(chained === null ? null : iso(chained.until)).toBe("2026-01-30T21:00:00.000Z");
    // A loop of one-day ranges longer than anything real: away, until unknown, answered at once.
    const started = performance.now();
    const endless = absenceAt({ schedule: null, ranges: days(500) }, at("2026-01-01T12:00:00+03:00"), zone);
    expect(endless).toEqual({ reason: "sick", until: null });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("schedule and day parsing", () => {
  test("days are real calendar days; minutes are times of day, 24:00 allowed as an end", () => {
    expect(parseDay("2026-02-28")).toEqual({ year: 2026, month: 2, day: 28 });
    expect(parseDay("2026-02-30")).toBeNull();
    expect(parseDay("26-02-01")).toBeNull();
    expect(parseMinute("09:00")).toBe(540);
    expect(parseMinute("24:00")).toBe(1440);
    expect(parseMinute("24:30")).toBeNull();
    expect(parseMinute("9:00")).toBeNull();
  });

  test("a schedule's stretches lie within the day, from before to, not overlapping on a weekday", () => {
    expect(scheduleProblem(OFFICE)).toBeNull();
    expect(scheduleProblem([])).toContain("at least one");
    expect(scheduleProblem([{ day: 1, from: 600, to: 540 }])).toContain("10:00 is not before 09:00");
    expect(
      scheduleProblem([
        { day: 2, from: 540, to: 780 },
        { day: 2, from: 720, to: 1080 },
      ]),
    ).toContain("overlaps");
    expect(scheduleProblem([{ day: 3, from: 0, to: 1441 }])).toContain("within the day");
  });
});
