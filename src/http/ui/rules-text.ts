import type { Instant } from "../../domain/roster/types.ts";
import {
  type AbsenceKind,
  formatMinute,
  parseDay,
  type WeeklySchedule,
  weekday,
} from "../../domain/rules/absence.ts";
import { type Absence, DEFAULT_NO_ANSWER_SECONDS, type Forwarding } from "../../domain/rules/rules-types.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatDate, formatTime } from "./branch-time.ts";

/** Names for a forward's target: a colleague's name, a department's by its extension. */
export interface TargetNames {
  readonly employee: (employeeId: string) => string;
  readonly department: (extension: string) => string;
}

/** R4.1–R4.3 in words: "через 60 с переадресация: Ольга Петрова, перед ней стандартное уведомление". */
export function forwardingText(
  t: Messages,
  setting: Pick<Forwarding, "action" | "notice" | "timeoutSeconds"> | null,
  names: TargetNames,
): string {
  if (setting === null) return t.fwdDefault(DEFAULT_NO_ANSWER_SECONDS);
  const { action, notice } = setting;
  let what: string;
  switch (action.kind) {
    case "drop":
      what = action.tone === "busy" ? t.fwdBusy : t.fwdMessage;
      break;
    case "voicemail":
      what = t.fwdVoicemail;
      break;
    case "forward": {
      const to =
        "employeeId" in action.to
          ? names.employee(action.to.employeeId)
          : names.department(action.to.extension);
      const heard =
        notice.kind === "default"
          ? t.fwdNoticeDefault
          : notice.kind === "none"
            ? t.fwdNoticeNone
            : t.fwdNoticeCustom(notice.recording);
      what = `${t.fwdTo(to)}${heard}`;
      break;
    }
  }
  return t.fwdAfter(setting.timeoutSeconds, what);
}

/** "пн–пт 09:00–18:00, сб 10:00–14:00"; null: no schedule. */
export function scheduleText(t: Messages, hours: WeeklySchedule | null): string | null {
  if (hours === null) return null;
  const groups = new Map<string, number[]>();
  for (const h of [...hours].sort((a, b) => a.day - b.day || a.from - b.from)) {
    const key = `${formatMinute(h.from)}–${formatMinute(h.to)}`;
    groups.set(key, [...(groups.get(key) ?? []), h.day]);
  }
  return [...groups]
    .map(([span, days]) => {
      const [from, to] = span.split("–");
      return t.scheduleHours(dayRuns(t, days), from ?? "", to ?? "");
    })
    .join(", ");
}

/** Consecutive weekdays as one run ("пн–пт"), the others one by one. */
function dayRuns(t: Messages, days: readonly number[]): string {
  const runs: number[][] = [];
  for (const day of days) {
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1) === day - 1) run.push(day);
    else runs.push([day]);
  }
  return runs
    .flatMap((run) =>
      run.length >= 3
        ? [`${t.weekdayShort(run[0] ?? 1)}–${t.weekdayShort(run.at(-1) ?? 1)}`]
        : run.map((d) => t.weekdayShort(d)),
    )
    .join(", ");
}

export const rangeKindText = (t: Messages, kind: AbsenceKind): string =>
  kind === "sick" ? t.kindSick : t.kindVacation;

/** "вт, 01.12.2026" for a day "2026-12-01"; the text itself when it is not a day. */
export function dayText(t: Messages, day: string): string {
  const d = parseDay(day);
  return d === null ? day : t.dayDate(t.weekdayShort(weekday(d)), t.shortDate(d.year, d.month, d.day));
}

/** "в отпуске до вт, 15.12.2026 09:00", "не по графику до 09:00", or "отсутствий нет". */
export function awayText(t: Messages, absence: Absence | null, now: Instant, timeZone: string): string {
  if (absence === null) return t.notAway;
  const reason = {
    vacation: t.awayVacation,
    sick: t.awaySick,
    schedule: t.awaySchedule,
    "off-shift": t.awaySchedule,
    elsewhere: t.awayElsewhere,
  }[absence.reason];
  if (absence.until === null) return reason;
  const time = formatTime(absence.until, timeZone);
  const day = formatDate(absence.until, timeZone);
  const when = day === formatDate(now, timeZone) ? time : `${dayText(t, day)} ${time}`;
  return `${reason}${t.awayUntil(when)}`;
}
