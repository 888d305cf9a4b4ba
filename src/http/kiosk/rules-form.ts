import { addDays, dateKey, parseDay, type Weekday, type WeeklySchedule } from "../../domain/rules/absence.ts";
import { DEFAULT_NO_ANSWER_SECONDS, type Forwarding } from "../../domain/rules/rules-types.ts";
import {
  type ForwardingSetting,
  MAX_TIMEOUT_SECONDS,
  MIN_TIMEOUT_SECONDS,
} from "../../service/rules-facts.ts";

/**
 * The kiosk's forms for R4.1–R4.4 and R4.7 as plain values: what a screen shows, what a stepper tap
 * makes of it, and what saving it means. A kiosk has no keyboard: every number and day is stepped
 * (a tap posts the form with `step`, the box answers the screen with the new value), so the
 * values travel in the form and an error shows them again as they were.
 */

/** Read one field of the posted form; "" when absent. */
export type Field = (name: string) => string;

export const ACTIONS = ["busy", "message", "forward", "voicemail"] as const;
export type ActionChoice = (typeof ACTIONS)[number];
export const NOTICES = ["default", "custom", "none"] as const;
export type NoticeChoice = (typeof NOTICES)[number];

export interface ForwardingForm {
  readonly timeout: number;
  readonly action: ActionChoice;
  /** `employee:<id>` or `extension:<ext>`; "" before one is picked. */
  readonly target: string;
  readonly notice: NoticeChoice;
  readonly recording: string;
}

export const TIMEOUT_STEP = 30;

/** The form for a setting in force (null: the default, busy after 120 s). */
export function forwardingForm(setting: Forwarding | null): ForwardingForm {
  const base: ForwardingForm = {
    timeout: setting?.timeoutSeconds ?? DEFAULT_NO_ANSWER_SECONDS,
    action: "busy",
    target: "",
    notice: "default",
    recording: "",
  };
  if (setting === null) return base;
  const { action, notice } = setting;
  const withNotice = {
    ...base,
    notice: notice.kind,
    recording: notice.kind === "custom" ? notice.recording : "",
  };
  switch (action.kind) {
    case "drop":
      return { ...withNotice, action: action.tone === "busy" ? "busy" : "message" };
    case "voicemail":
      return { ...withNotice, action: "voicemail" };
    case "forward":
      return {
        ...withNotice,
        action: "forward",
        target:
          "employeeId" in action.to ? `employee:${action.to.employeeId}` : `extension:${action.to.extension}`,
      };
  }
}

const pick = <T extends string>(choices: readonly T[], value: string, fallback: T): T =>
  (choices as readonly string[]).includes(value) ? (value as T) : fallback;

/** The form as posted, stepped by `step` seconds; a field the post lacks keeps `shown`'s value. */
export function postedForwardingForm(field: Field, shown: ForwardingForm): ForwardingForm {
  if (field("timeout") === "") return shown;
  const timeout = Number(field("timeout"));
  const step = Number(field("step") || "0");
  return {
    timeout: clamp((Number.isFinite(timeout) ? timeout : shown.timeout) + (Number.isFinite(step) ? step : 0)),
    action: pick(ACTIONS, field("action"), shown.action),
    target: field("target"),
    notice: pick(NOTICES, field("notice"), shown.notice),
    recording: field("recording").slice(0, 120),
  };
}

const clamp = (seconds: number) =>
  Math.min(
    MAX_TIMEOUT_SECONDS,
    Math.max(MIN_TIMEOUT_SECONDS, Math.round(seconds / TIMEOUT_STEP) * TIMEOUT_STEP),
  );

/** The setting a saved form means, or what is missing: a target to forward to, a recording's name. */
export function settingOf(
  form: ForwardingForm,
): { ok: true; setting: ForwardingSetting } | { ok: false; missing: "target" | "recording" } {
  const notice =
    form.notice === "custom"
      ? ({ kind: "custom", recording: form.recording.trim() } as const)
      : ({ kind: form.notice } as const);
  const base = { notice, timeoutSeconds: form.timeout };
  switch (form.action) {
    case "busy":
    case "message":
      return {
        ok: true,
        setting: { ...base, notice: { kind: "default" }, action: { kind: "drop", tone: form.action } },
      };
    case "voicemail":
      return { ok: true, setting: { ...base, notice: { kind: "default" }, action: { kind: "voicemail" } } };
    case "forward": {
      const [kind, id = ""] = form.target.split(/:(.*)/s);
      if (id === "" || (kind !== "employee" && kind !== "extension")) return { ok: false, missing: "target" };
      if (notice.kind === "custom" && notice.recording === "") return { ok: false, missing: "recording" };
      const to = kind === "employee" ? { employeeId: id } : { extension: id };
      return { ok: true, setting: { ...base, action: { kind: "forward", to } } };
    }
  }
}

export interface AbsenceForm {
  readonly kind: "vacation" | "sick";
  /** "YYYY-MM-DD" */
  readonly first: string;
  readonly last: string;
  readonly days: readonly Weekday[];
  /** Minutes of the day. */
  readonly from: number;
  readonly to: number;
}

const WEEKDAY_NUMBERS: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 7];
export const HOURS_STEP = 30;

/** The first form: a range of today only, and the schedule's days and hours (Mon–Fri 09–18 if none). */
export function absenceForm(today: string, schedule: WeeklySchedule | null): AbsenceForm {
  const first = schedule?.[0];
  return {
    kind: "vacation",
    first: today,
    last: today,
    days: schedule === null ? [1, 2, 3, 4, 5] : [...new Set(schedule.map((h) => h.day))].sort(),
    from: first?.from ?? 540,
    to: first?.to ?? 1080,
  };
}

/**
 * The form as posted with its `step` applied: `first:±1`, `first:±7`, `last:…` move a day (the last
 * day never before the first), `from:±30`, `to:±30` move an hour of the schedule.
 */
export function postedAbsenceForm(
  field: Field,
  all: (name: string) => string[],
  shown: AbsenceForm,
): AbsenceForm {
  if (field("first") === "") return shown;
  const day = (name: string, fallback: string) => (parseDay(field(name)) === null ? fallback : field(name));
  const minute = (name: string, fallback: number) => {
    const n = Number(field(name));
    return Number.isInteger(n) && n >= 0 && n <= 1440 ? n : fallback;
  };
  let form: AbsenceForm = {
    kind: field("kind") === "sick" ? "sick" : "vacation",
    first: day("first", shown.first),
    last: day("last", shown.last),
    days: WEEKDAY_NUMBERS.filter((d) => all("day").includes(String(d))),
    from: minute("from", shown.from),
    to: minute("to", shown.to),
  };
  const [what = "", by = "0"] = field("step").split(":");
  const n = Number(by);
  if (!Number.isInteger(n)) return form;
  if (what === "first" || what === "last") {
    const moved = shift(form[what], n);
    form =
      what === "first"
        ? { ...form, first: moved, last: laterDay(form.last, moved) }
        : { ...form, last: laterDay(moved, form.first) };
  }
  if (what === "from" || what === "to")
    form = { ...form, [what]: Math.min(1440, Math.max(0, form[what] + n)) };
  return form;
}

/** The later of two "YYYY-MM-DD" days (they compare as text in calendar order). */
const laterDay = (a: string, b: string): string => [a, b].sort()[1] ?? a;

function shift(day: string, days: number): string {
  const d = parseDay(day);
  return d === null ? day : dateKey(addDays(d, days));
}

/** The schedule a saved form means, or why not: no day picked, or the day ending before it starts. */
export function scheduleOf(
  form: AbsenceForm,
): { ok: true; hours: WeeklySchedule } | { ok: false; missing: "days" | "order" } {
  if (form.days.length === 0) return { ok: false, missing: "days" };
  if (form.from >= form.to) return { ok: false, missing: "order" };
  return { ok: true, hours: form.days.map((day) => ({ day, from: form.from, to: form.to })) };
}
