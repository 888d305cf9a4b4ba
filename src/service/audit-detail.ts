import {
  type ForwardingSetting,
  forwardingSettingSchema,
  toSchedule,
  WEEKDAYS,
  weeklyScheduleSchema,
} from "../contract/rules-settings.ts";
import type { Instant } from "../domain/roster/types.ts";
import { type AbsenceKind, formatMinute, type WeeklySchedule } from "../domain/rules/absence.ts";

/**
 * The audit log's `detail` text, written and read in one place so the two cannot drift. The text
 * stays English and machine-like (it is what older boxes wrote, and what logs and the API show);
 * screens read it back as data and say it in their own words.
 *
 * - `roster.<kind>`: `check-out of olga[ at front] as of 2026-11-21T15:00:00.000Z, entered via kiosk[ by sergey][; reason: forgot: note]`
 * - `pin.unlock`: `PIN lock of olga lifted via admin (locked until 2026-11-21T06:05:00.000Z | not locked)`
 * - `forwarding.set` (R4.4): `forwarding of anna set via kiosk[ by sergey]: {"action":…,"notice":…,"timeoutSeconds":60} | default`
 * - `absence.add`, `absence.remove` (R4.7): `vacation of anna 2026-12-01..2026-12-14 added via kiosk[ by sergey]`
 * - `schedule.set` (R4.7): `schedule of anna set via kiosk[ by sergey]: mon 09:00-18:00, tue 09:00-18:00 | none`
 */
export type AuditFacts =
  | {
      readonly action: "roster";
      /** The roster fact's kind (`check-in`, `check-out`, …). */
      readonly kind: string;
      readonly employeeId: string;
      readonly deskId: string | null;
      /** When the fact happened; the entry's own `at` is when it was entered. */
      readonly at: Instant;
      /** The fact's source: kiosk, api, manager, hq. */
      readonly via: string;
      readonly actorId: string | null;
      /** A manager's correction: the reason code and note (issue 14), else null. */
      readonly reason: string | null;
    }
  | {
      readonly action: "pin.unlock";
      readonly employeeId: string;
      /** kiosk, admin or api. */
      readonly via: string;
      /** When the lifted lock would have ended; null when no lock was in force. */
      readonly lockedUntil: Instant | null;
    }
  | {
      readonly action: "forwarding";
      readonly employeeId: string;
      /** kiosk or api. */
      readonly via: string;
      readonly actorId: string | null;
      /** Null: back to the default (busy after 120 s). */
      readonly setting: ForwardingSetting | null;
    }
  | {
      readonly action: "absence";
      readonly change: "added" | "removed";
      readonly kind: AbsenceKind;
      readonly employeeId: string;
      readonly first: string;
      readonly last: string;
      readonly via: string;
      readonly actorId: string | null;
    }
  | {
      readonly action: "schedule";
      readonly employeeId: string;
      readonly via: string;
      readonly actorId: string | null;
      /** Null: no personal schedule. */
      readonly hours: WeeklySchedule | null;
    };

export function rosterAuditDetail(fact: {
  readonly kind: string;
  readonly employeeId: string;
  readonly deskId: string | null;
  readonly at: Instant;
  readonly via: string;
  readonly actorId: string | null;
  readonly reason?: string | undefined;
}): string {
  const desk = fact.deskId ? ` at ${fact.deskId}` : "";
  const by = fact.actorId ? ` by ${fact.actorId}` : "";
  const text = (fact.reason ?? "").replace(/\s+/g, " ").trim().slice(0, 200);
  const reason = text === "" ? "" : `; reason: ${text}`;
  return `${fact.kind} of ${fact.employeeId}${desk} as of ${new Date(fact.at).toISOString()}, entered via ${fact.via}${by}${reason}`;
}

export function pinUnlockDetail(employeeId: string, via: string, lockedUntil: Instant | null): string {
  const lock = lockedUntil === null ? "not locked" : `locked until ${new Date(lockedUntil).toISOString()}`;
  return `PIN lock of ${employeeId} lifted via ${via} (${lock})`;
}

/** Who changed a rule setting: the way in and the employee who did (null: branch IT's API token). */
export interface RulesActor {
  readonly via: "kiosk" | "api";
  readonly actorId: string | null;
}

const byText = (actor: RulesActor) =>
  `via ${actor.via}${actor.actorId === null ? "" : ` by ${actor.actorId}`}`;

export function forwardingDetail(
  employeeId: string,
  setting: ForwardingSetting | null,
  actor: RulesActor,
): string {
  const value =
    setting === null
      ? "default"
      : JSON.stringify({
          action: setting.action,
          notice: setting.notice,
          timeoutSeconds: setting.timeoutSeconds,
        });
  return `forwarding of ${employeeId} set ${byText(actor)}: ${value}`;
}

export function absenceDetail(
  employeeId: string,
  range: { readonly kind: AbsenceKind; readonly first: string; readonly last: string },
  change: "added" | "removed",
  actor: RulesActor,
): string {
  return `${range.kind} of ${employeeId} ${range.first}..${range.last} ${change} ${byText(actor)}`;
}

export function scheduleDetail(employeeId: string, hours: WeeklySchedule | null, actor: RulesActor): string {
  const text =
    hours === null
      ? "none"
      : hours.map((h) => `${WEEKDAYS[h.day - 1]} ${formatMinute(h.from)}-${formatMinute(h.to)}`).join(", ");
  return `schedule of ${employeeId} set ${byText(actor)}: ${text}`;
}

// Ids are the staff list's and the config's: no spaces (contract/down-records.ts, config/schema.ts).
const ROSTER =
  /^(\S+) of (\S+)(?: at (\S+))? as of (\S+), entered via (\S+)(?: by (\S+?))?(?:; reason: (.+))?$/;
const BY = "via (\\S+?)(?: by (\\S+))?";
const FORWARDING = new RegExp(`^forwarding of (\\S+) set ${BY}: (.+)$`);
const ABSENCE = new RegExp(
  `^(vacation|sick) of (\\S+) (\\d{4}-\\d{2}-\\d{2})\\.\\.(\\d{4}-\\d{2}-\\d{2}) (added|removed) ${BY}$`,
);
const SCHEDULE = new RegExp(`^schedule of (\\S+) set ${BY}: (.+)$`);
const HOURS = /^(mon|tue|wed|thu|fri|sat|sun) (\d{2}:\d{2})-(\d{2}:\d{2})$/;
const PIN_UNLOCK = /^PIN lock of (\S+) lifted via (\S+) \((?:locked until (\S+)|not locked)\)$/;

/** The entry's facts, or null when its action is unknown or its detail is not in a known form. */
export function readAuditDetail(action: string, detail: string): AuditFacts | null {
  if (action.startsWith("roster.")) {
    const m = ROSTER.exec(detail);
    if (m === null || m[1] !== action.slice("roster.".length)) return null;
    const at = Date.parse(m[4] ?? "");
    if (!Number.isFinite(at)) return null;
    return {
      action: "roster",
      kind: action.slice("roster.".length),
      employeeId: m[2] ?? "",
      deskId: m[3] ?? null,
      at,
      via: m[5] ?? "",
      actorId: m[6] ?? null,
      reason: m[7] ?? null,
    };
  }
  if (action === "pin.unlock") {
    const m = PIN_UNLOCK.exec(detail);
    if (m === null) return null;
    const lockedUntil = m[3] === undefined ? null : Date.parse(m[3]);
    if (lockedUntil !== null && !Number.isFinite(lockedUntil)) return null;
    return { action: "pin.unlock", employeeId: m[1] ?? "", via: m[2] ?? "", lockedUntil };
  }
  if (action === "forwarding.set") return readForwarding(detail);
  if (action === "absence.add" || action === "absence.remove") {
    const m = ABSENCE.exec(detail);
    if (m === null || (m[5] === "added") !== (action === "absence.add")) return null;
    return {
      action: "absence",
      change: m[5] === "added" ? "added" : "removed",
      kind: m[1] === "sick" ? "sick" : "vacation",
      employeeId: m[2] ?? "",
      first: m[3] ?? "",
      last: m[4] ?? "",
      via: m[6] ?? "",
      actorId: m[7] ?? null,
    };
  }
  if (action === "schedule.set") return readSchedule(detail);
  return null;
}

function readForwarding(detail: string): AuditFacts | null {
  const m = FORWARDING.exec(detail);
  if (m === null) return null;
  const facts = {
    action: "forwarding",
    employeeId: m[1] ?? "",
    via: m[2] ?? "",
    actorId: m[3] ?? null,
  } as const;
  if (m[4] === "default") return { ...facts, setting: null };
  let json: unknown;
  try {
    json = JSON.parse(m[4] ?? "");
  } catch {
    return null;
  }
  const parsed = forwardingSettingSchema.safeParse(json);
  return parsed.success ? { ...facts, setting: parsed.data } : null;
}

function readSchedule(detail: string): AuditFacts | null {
  const m = SCHEDULE.exec(detail);
  if (m === null) return null;
  const facts = {
    action: "schedule",
    employeeId: m[1] ?? "",
    via: m[2] ?? "",
    actorId: m[3] ?? null,
  } as const;
  if (m[4] === "none") return { ...facts, hours: null };
  const hours = (m[4] ?? "").split(", ").map((part) => {
    const h = HOURS.exec(part);
    return h === null ? null : { day: h[1], from: h[2], to: h[3] };
  });
  const parsed = weeklyScheduleSchema.safeParse(hours);
  return parsed.success ? { ...facts, hours: toSchedule(parsed.data) } : null;
}
