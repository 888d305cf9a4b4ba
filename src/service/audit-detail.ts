import type { Instant } from "../domain/roster/types.ts";

/**
 * The audit log's `detail` text, written and read in one place so the two cannot drift. The text
 * stays English and machine-like (it is what older boxes wrote, and what logs and the API show);
 * screens read it back as data and say it in their own words.
 *
 * - `roster.<kind>`: `check-out of olga[ at front] as of 2026-11-21T15:00:00.000Z, entered via kiosk[ by sergey][; reason: forgot: note]`
 * - `pin.unlock`: `PIN lock of olga lifted via admin (locked until 2026-11-21T06:05:00.000Z | not locked)`
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

// Ids are the staff list's and the config's: no spaces (contract/down-records.ts, config/schema.ts).
const ROSTER =
  /^(\S+) of (\S+)(?: at (\S+))? as of (\S+), entered via (\S+)(?: by (\S+?))?(?:; reason: (.+))?$/;
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
  return null;
}
