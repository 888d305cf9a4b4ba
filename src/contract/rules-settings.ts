import { z } from "zod";
import {
  type AbsenceRange,
  parseDay,
  parseMinute,
  scheduleProblem,
  type Weekday,
  type WeeklySchedule,
} from "../domain/rules/absence.ts";
import type { ForwardNotice, NoAnswerAction } from "../domain/rules/rules-types.ts";

/**
 * The wire shapes of an employee's absences (R4.7) and no-answer forwarding (R4.1–R4.3): optional
 * fields of HQ's `staff.upsert` and the bodies of `/api/v1/employees/<id>/absences` and
 * `/forwarding`. Days and hours are the branch's wall clock (`branch.timezone`).
 */

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type WeekdayName = (typeof WEEKDAYS)[number];

const hhmm = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, "a time of day HH:MM, 00:00–24:00 (24:00: the day's end)");

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a day YYYY-MM-DD")
  .refine((day) => parseDay(day) !== null, "a real calendar day");

export const workingHoursSchema = z.strictObject({
  day: z.enum(WEEKDAYS),
  from: hhmm.describe("Start, the branch's time."),
  to: hhmm.describe("End (not included), the branch's time; 24:00 for midnight."),
});

/**
 * R4.7: the weekly working hours; a weekday with no stretch is a day off. `null` (where allowed):
 * no personal schedule, only the roster says when the employee works.
 */
export const weeklyScheduleSchema = z
  .array(workingHoursSchema)
  .min(1)
  .max(28)
  .superRefine((hours, ctx) => {
    const problem = scheduleProblem(toSchedule(hours));
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe(
    "Weekly working hours in the branch's time zone, e.g. [{day: 'mon', from: '09:00', to: '18:00'}, …]; a weekday with no entry is a day off; entries of one day may not overlap; a night shift is two entries (22:00–24:00, then 00:00–06:00 the next day).",
  );

/** R4.7: a vacation or sick leave, whole days of the branch's calendar, both included. */
export const absenceRangeSchema = z
  .strictObject({
    kind: z.enum(["vacation", "sick"]),
    firstDay: isoDay.describe("The first day away, YYYY-MM-DD."),
    lastDay: isoDay.describe("The last day away (included): back the morning after."),
  })
  .refine((r) => r.firstDay <= r.lastDay, { message: "firstDay is after lastDay", path: ["lastDay"] });

export const absenceRangesSchema = z
  .array(absenceRangeSchema)
  .max(100)
  .describe(
    "Vacations and sick leave. From headquarters: the whole list of HQ's ranges for the employee (an empty list removes them); ranges a manager entered on the box stay.",
  );

const extensionText = z.string().regex(/^[0-9*#+]{1,16}$/, "an extension: digits, * # +");
const employeeIdText = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "an employee id");

const noAnswerActionSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("drop"), tone: z.enum(["busy", "message"]) }),
  z.strictObject({
    kind: z.literal("forward"),
    to: z.union([
      z.strictObject({ employeeId: employeeIdText }),
      z.strictObject({ extension: extensionText }),
    ]),
  }),
  z.strictObject({ kind: z.literal("voicemail") }),
]);

const forwardNoticeSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("default") }),
  z.strictObject({ kind: z.literal("none") }),
  z.strictObject({ kind: z.literal("custom"), recording: z.string().trim().min(1).max(120) }),
]);

/** R4.1: the ring time before the action, 30–300 s (the kiosk's steppers cover the same). */
export const MIN_TIMEOUT_SECONDS = 30;
export const MAX_TIMEOUT_SECONDS = 300;

/** R4.1–R4.3: what happens to a direct call the employee does not answer. */
export const forwardingSettingSchema = z
  .strictObject({
    action: noAnswerActionSchema.describe(
      "R4.2: drop (tone busy, or message: 'cannot answer'), forward (to {employeeId}: rung where they are today, or {extension}: a department), or voicemail.",
    ),
    notice: forwardNoticeSchema.describe(
      "R4.3: what the caller hears before a forward: default, none, or custom (a recording the PBX knows by that name).",
    ),
    timeoutSeconds: z
      .number()
      .int()
      .min(MIN_TIMEOUT_SECONDS)
      .max(MAX_TIMEOUT_SECONDS)
      .describe("R4.1: ring time."),
  })
  .describe("R4.1–R4.3: the employee's no-answer forwarding. null: back to the default (busy after 120 s).");

export type WorkingHoursWire = z.infer<typeof workingHoursSchema>;
export type AbsenceRangeWire = z.infer<typeof absenceRangeSchema>;
export type ForwardingSetting = {
  readonly action: NoAnswerAction;
  readonly notice: ForwardNotice;
  readonly timeoutSeconds: number;
};

export const weekdayNumber = (name: WeekdayName): Weekday => (WEEKDAYS.indexOf(name) + 1) as Weekday;

/** The wire's hours as the domain's (minutes of the day); the schema has checked each time. */
export function toSchedule(hours: readonly WorkingHoursWire[]): WeeklySchedule {
  return hours.map((h) => ({
    day: weekdayNumber(h.day),
    from: parseMinute(h.from) ?? 0,
    to: parseMinute(h.to) ?? 0,
  }));
}

export const toRange = (r: AbsenceRangeWire): AbsenceRange => ({
  kind: r.kind,
  first: r.firstDay,
  last: r.lastDay,
});
