import type { Instant, RosterChange } from "../../domain/roster/types.ts";
import type { Messages } from "../../i18n/index.ts";
import { readAuditDetail } from "../../service/audit-detail.ts";
import type { AuditEntry } from "../../service/roster-port.ts";
import { formatDate, formatTime } from "../ui/branch-time.ts";
import { dayText, forwardingText, rangeKindText, scheduleText } from "../ui/rules-text.ts";

/** An entry made this long after the fact it records says how late it was. */
const LATE_AFTER_MS = 60_000;

export interface AuditTextContext {
  readonly t: Messages;
  readonly timezone: string;
  /** An employee's name; the id itself when the staff list does not know it. */
  readonly nameOf: (employeeId: string) => string;
  /** A desk's name; the id itself when the config does not know it. */
  readonly deskNameOf: (deskId: string) => string;
  /** A department's name by its extension (`[[departments]]`); the extension when none. */
  readonly departmentOf?: (extension: string) => string;
}

/** A roster change's kind in words ("начало смены"); a kind this build does not know, as it is. */
export function kindText(kind: RosterChange["kind"] | (string & {}), t: Messages): string {
  switch (kind) {
    case "check-in":
      return t.kindCheckIn;
    case "check-out":
      return t.kindCheckOut;
    case "handover":
      return t.kindHandover;
    case "break-start":
      return t.kindBreakStart;
    case "break-end":
      return t.kindBreakEnd;
    case "closed-elsewhere":
      return t.kindClosedElsewhere;
    case "crm-login":
      return t.kindCrmLogin;
    case "auto-close":
      return t.kindAutoClose;
    case "phone-passed":
      return t.kindPhonePassed;
    default:
      return kind;
  }
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * One audit entry as a sentence in the page's language (issue 14, item 7): names instead of ids,
 * the branch's wall clock instead of UTC, who did it and how. An entry this build cannot read
 * (another action, or a detail in another form) is still shown: its action and detail as written.
 */
export function auditSentence(entry: AuditEntry, ctx: AuditTextContext): string {
  const { t, nameOf } = ctx;
  const facts = readAuditDetail(entry.action, entry.detail);
  const actorName = entry.actorId === null ? null : nameOf(entry.actorId);
  // A time on the entry's own day needs no date; a correction of yesterday does.
  const when = (at: Instant) =>
    formatDate(at, ctx.timezone) === formatDate(entry.at, ctx.timezone)
      ? formatTime(at, ctx.timezone)
      : `${formatDate(at, ctx.timezone)} ${formatTime(at, ctx.timezone)}`;
  if (facts === null) return t.auditUnknown(entry.action, entry.detail, actorName);
  switch (facts.action) {
    case "roster":
      return (
        t.auditRoster(
          capitalised(kindText(facts.kind, t)),
          nameOf(facts.employeeId),
          facts.deskId === null ? null : ctx.deskNameOf(facts.deskId),
          when(facts.at),
          t.auditBy(actorName, facts.via),
          entry.at - facts.at > LATE_AFTER_MS ? entry.at - facts.at : null,
        ) + (facts.reason === null ? "" : ` ${reasonText(facts.reason, t)}`)
      );
    case "pin.unlock":
      return t.auditPinUnlock(
        nameOf(facts.employeeId),
        facts.lockedUntil === null ? null : when(facts.lockedUntil),
        t.auditBy(actorName, facts.via),
      );
    case "forwarding":
      return t.auditForwarding(
        nameOf(facts.employeeId),
        forwardingText(t, facts.setting, {
          employee: nameOf,
          department: ctx.departmentOf ?? ((extension) => extension),
        }),
        t.auditBy(actorName, facts.via),
      );
    case "absence":
      return t.auditAbsence(
        facts.change === "added",
        rangeKindText(t, facts.kind),
        nameOf(facts.employeeId),
        dayText(t, facts.first),
        dayText(t, facts.last),
        t.auditBy(actorName, facts.via),
      );
    case "schedule":
      return t.auditSchedule(
        nameOf(facts.employeeId),
        scheduleText(t, facts.hours),
        t.auditBy(actorName, facts.via),
      );
  }
}

/** A manager's reason (issue 14): "forgot: note" → "Причина: забыл(а) закончить смену — «note»." */
function reasonText(reason: string, t: Messages): string {
  const [code = "", ...rest] = reason.split(": ");
  const labels: Record<string, string> = {
    forgot: t.reasonForgot,
    "left-early": t.reasonLeftEarly,
    "auto-closed": t.reasonAutoClosed,
    other: t.reasonOther,
  };
  const note = rest.join(": ");
  return labels[code] === undefined
    ? t.auditReason(reason, null)
    : t.auditReason(labels[code], note === "" ? null : note);
}
