import type { Database } from "bun:sqlite";
import type { FactSource, RosterFact, RosterFactKind } from "../domain/roster/types.ts";

export type NewFact = Omit<RosterFact, "seq">;

export interface AuditRow {
  readonly id: number;
  readonly at: number;
  readonly actorId: string | null;
  readonly action: string;
  readonly detail: string;
}

export interface PinAttempts {
  readonly failures: number;
  readonly lockedUntil: number;
}

/**
 * The outcome of claiming one PIN attempt before its hash is checked. `claimed`: the attempt is
 * counted as a failure already (attempt n of the budget) and, when it is the last one the budget
 * allows, the lock is already set; only a right PIN undoes that.
 */
export type PinClaim =
  | { readonly kind: "locked"; readonly lockedUntil: number }
  | { readonly kind: "claimed"; readonly attempt: number; readonly lockedUntil: number };

export interface PinLockRow {
  readonly employeeId: string;
  readonly failures: number;
  readonly lockedUntil: number;
}

/** Roster facts, PIN attempts and the audit log. Facts are appended only. */
export interface RosterStore {
  facts(): RosterFact[];
  /** Appends a fact and its audit entry, if any; call it inside a transaction. Returns it with its seq. */
  append(fact: NewFact, audit: Omit<AuditRow, "id"> | null): RosterFact;
  /** The newest `limit` entries, newest first; with `between`, only those entered in `[from, to)`. */
  audit(limit: number, between?: { readonly from: number; readonly to: number }): AuditRow[];
  pinAttempts(employeeId: string): PinAttempts;
  /**
   * Claims one attempt for `employeeId` in one immediate transaction: refused while a lock holds;
   * otherwise counted (an expired lock starts a fresh budget of `max`) and, at the `max`-th
   * attempt, locked until `now + lockMs`. Parallel guesses can never share an attempt, and nothing
   * but a right PIN (`clearPinAttempts`) ever shortens a lock. Throws a storage error when the
   * count cannot be written: the caller must then judge no PIN at all.
   */
  claimPinAttempt(employeeId: string, now: number, max: number, lockMs: number): PinClaim;
  /** A right PIN: the count and any lock are gone. */
  clearPinAttempts(employeeId: string): void;
  /**
   * A manager or branch IT lifts `employeeId`'s lock (and count), with `audit` written in the same
   * transaction. Returns whether a lock was in force at `now`.
   */
  unlockPin(employeeId: string, now: number, audit: Omit<AuditRow, "id">): boolean;
  /** Counts one wrong PIN on `day` (the branch's date, YYYY-MM-DD) for the admin page. */
  countWrongPin(employeeId: string, day: string): void;
  /** Employees with failures counted or a lock set, locked or not now. */
  pinLocks(): PinLockRow[];
  /** Wrong PINs per employee on `day`. */
  wrongPinsOn(day: string): Map<string, number>;
}

interface FactRow {
  seq: number;
  kind: RosterFactKind;
  employee_id: string;
  desk_id: string | null;
  at: number;
  recorded_at: number;
  source: FactSource;
  actor_id: string | null;
}

export function rosterStore(db: Database): RosterStore {
  const insertFact = db.query<
    { seq: number },
    [string, string, string | null, number, number, string, string | null]
  >(
    "INSERT INTO roster_facts (kind, employee_id, desk_id, at, recorded_at, source, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
  );
  const insertAudit = db.query("INSERT INTO audit (at, actor_id, action, detail) VALUES (?, ?, ?, ?)");
  const selectFacts = db.query<FactRow, []>("SELECT * FROM roster_facts ORDER BY seq");
  const selectAudit = db.query<
    { id: number; at: number; actor_id: string | null; action: string; detail: string },
    [number]
  >("SELECT * FROM audit ORDER BY id DESC LIMIT ?");
  const selectAuditBetween = db.query<
    { id: number; at: number; actor_id: string | null; action: string; detail: string },
    [number, number, number]
  >("SELECT * FROM audit WHERE at >= ? AND at < ? ORDER BY id DESC LIMIT ?");
  const selectAttempts = db.query<{ failures: number; locked_until: number }, [string]>(
    "SELECT failures, locked_until FROM pin_attempts WHERE employee_id = ?",
  );
  const upsertAttempts = db.query(
    `INSERT INTO pin_attempts (employee_id, failures, locked_until) VALUES (?, ?, ?)
     ON CONFLICT (employee_id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`,
  );
  const clearAttempts = db.query("DELETE FROM pin_attempts WHERE employee_id = ?");
  const selectLocks = db.query<{ employee_id: string; failures: number; locked_until: number }, []>(
    "SELECT employee_id, failures, locked_until FROM pin_attempts WHERE failures > 0 OR locked_until > 0 ORDER BY employee_id",
  );
  const bumpWrong = db.query(
    `INSERT INTO pin_wrong_days (employee_id, day, wrong) VALUES (?, ?, 1)
     ON CONFLICT (employee_id, day) DO UPDATE SET wrong = wrong + 1`,
  );
  const pruneWrong = db.query("DELETE FROM pin_wrong_days WHERE day < ?");
  const selectWrong = db.query<{ employee_id: string; wrong: number }, [string]>(
    "SELECT employee_id, wrong FROM pin_wrong_days WHERE day = ?",
  );
  const readAttempts = (employeeId: string): PinAttempts => {
    const row = selectAttempts.get(employeeId);
    return row === null
      ? { failures: 0, lockedUntil: 0 }
      : { failures: row.failures, lockedUntil: row.locked_until };
  };
  // BEGIN IMMEDIATE: the read and the count are one step even against another process's writer.
  const claim = db.transaction((employeeId: string, now: number, max: number, lockMs: number): PinClaim => {
    const before = readAttempts(employeeId);
    if (before.lockedUntil > now) return { kind: "locked", lockedUntil: before.lockedUntil };
    const failures = before.lockedUntil === 0 ? before.failures : 0;
    if (failures >= max) {
      // Only a lock that was never written (an older box's row) gets here: lock now.
      upsertAttempts.run(employeeId, failures, now + lockMs);
      return { kind: "locked", lockedUntil: now + lockMs };
    }
    const attempt = failures + 1;
    const lockedUntil = attempt >= max ? now + lockMs : 0;
    upsertAttempts.run(employeeId, attempt, lockedUntil);
    return { kind: "claimed", attempt, lockedUntil };
  });
  // Not a transaction of its own: the caller's transaction (a group commit) holds fact and audit
  // together; a nested one would cost a SAVEPOINT and a RELEASE per fact.
  const append = (fact: NewFact, audit: Omit<AuditRow, "id"> | null): RosterFact => {
    const row = insertFact.get(
      fact.kind,
      fact.employeeId,
      fact.deskId,
      fact.at,
      fact.recordedAt,
      fact.source,
      fact.actorId,
    );
    if (audit !== null) insertAudit.run(audit.at, audit.actorId, audit.action, audit.detail);
    return { ...fact, seq: (row as { seq: number }).seq };
  };
  return {
    facts: () =>
      selectFacts.all().map((r) => ({
        seq: r.seq,
        kind: r.kind,
        employeeId: r.employee_id,
        deskId: r.desk_id,
        at: r.at,
        recordedAt: r.recorded_at,
        source: r.source,
        actorId: r.actor_id,
      })),
    append,
    audit: (limit, between) =>
      (between === undefined
        ? selectAudit.all(limit)
        : selectAuditBetween.all(between.from, between.to, limit)
      ).map((r) => ({ id: r.id, at: r.at, actorId: r.actor_id, action: r.action, detail: r.detail })),
    pinAttempts: readAttempts,
    claimPinAttempt: (employeeId, now, max, lockMs) => claim.immediate(employeeId, now, max, lockMs),
    clearPinAttempts: (employeeId) => {
      clearAttempts.run(employeeId);
    },
    unlockPin: db.transaction((employeeId: string, now: number, audit: Omit<AuditRow, "id">) => {
      const locked = readAttempts(employeeId).lockedUntil > now;
      clearAttempts.run(employeeId);
      insertAudit.run(audit.at, audit.actorId, audit.action, audit.detail);
      return locked;
    }),
    countWrongPin: (employeeId, day) => {
      bumpWrong.run(employeeId, day);
      pruneWrong.run(monthBefore(day));
    },
    pinLocks: () =>
      selectLocks
        .all()
        .map((r) => ({ employeeId: r.employee_id, failures: r.failures, lockedUntil: r.locked_until })),
    wrongPinsOn: (day) => new Map(selectWrong.all(day).map((r) => [r.employee_id, r.wrong])),
  };
}

/** The date 31 days before a YYYY-MM-DD date, in the same form. */
function monthBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 31 * 86_400_000).toISOString().slice(0, 10);
}
