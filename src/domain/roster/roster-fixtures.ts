import type { Desk, FactSource, Instant, RosterFact, RosterFactKind, StaffMember } from "./types.ts";

/**
 * Test fixtures for the roster: a fake clock (instants built from fixed ISO strings, one fixed day)
 * and a recorder of facts that numbers them like the store would. Pure, like the rest of the domain.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const MAX_SHIFT_MS = 14 * HOUR;

/** `at("09:00")` is 09:00 UTC on the fixed test day; `at("09:00", -1)` the day before. */
export function at(hhmm: string, dayOffset = 0): Instant {
  const t = Date.parse(`2025-03-14T${hhmm}:00.000Z`);
  if (Number.isNaN(t)) throw new Error(`bad test time "${hhmm}"`);
  return t + dayOffset * DAY;
}

export const desk = (id: string, extension: string, name = id): Desk => ({ id, name, extension });

export const reception = (id: string, name: string, extension: string | null = null): StaffMember => ({
  id,
  name,
  role: "reception",
  extension,
});

export const manager = (id: string, name: string, extension: string | null): StaffMember => ({
  id,
  name,
  role: "manager",
  extension,
});

export interface FactExtra {
  readonly source?: FactSource;
  readonly actorId?: string | null;
  readonly recordedAt?: Instant;
}

/** Records facts in order, each frozen so that any edit by the timeline throws. */
export class FactLog {
  readonly all: RosterFact[] = [];
  private seq = 0;

  record(kind: RosterFactKind, employeeId: string, t: Instant, deskId: string | null, extra: FactExtra = {}) {
    const fact: RosterFact = Object.freeze({
      seq: ++this.seq,
      kind,
      employeeId,
      deskId,
      at: t,
      recordedAt: extra.recordedAt ?? t,
      source: extra.source ?? "kiosk",
      actorId: extra.actorId ?? null,
    });
    this.all.push(fact);
    return fact;
  }

  checkIn = (employeeId: string, deskId: string, t: Instant, extra?: FactExtra) =>
    this.record("check-in", employeeId, t, deskId, extra);
  checkOut = (employeeId: string, t: Instant, extra?: FactExtra) =>
    this.record("check-out", employeeId, t, null, extra);
  handover = (employeeId: string, deskId: string, t: Instant, extra?: FactExtra) =>
    this.record("handover", employeeId, t, deskId, extra);
  breakStart = (employeeId: string, t: Instant) => this.record("break-start", employeeId, t, null);
  breakEnd = (employeeId: string, t: Instant) => this.record("break-end", employeeId, t, null);
  crmLogin = (employeeId: string, t: Instant) =>
    this.record("crm-login", employeeId, t, null, { source: "hq" });
  closedElsewhere = (employeeId: string, t: Instant) =>
    this.record("closed-elsewhere", employeeId, t, null, { source: "hq" });
}

/** A deterministic shuffle (mulberry32), so that a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const result = [...items];
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}
