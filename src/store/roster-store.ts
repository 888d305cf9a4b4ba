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

/** Roster facts, PIN attempts and the audit log. Facts are appended only. */
export interface RosterStore {
  facts(): RosterFact[];
  /** Appends a fact and its audit entry, if any; call it inside a transaction. Returns it with its seq. */
  append(fact: NewFact, audit: Omit<AuditRow, "id"> | null): RosterFact;
  audit(limit: number): AuditRow[];
  pinAttempts(employeeId: string): PinAttempts;
  setPinAttempts(employeeId: string, attempts: PinAttempts): void;
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
  const selectAttempts = db.query<{ failures: number; locked_until: number }, [string]>(
    "SELECT failures, locked_until FROM pin_attempts WHERE employee_id = ?",
  );
  const upsertAttempts = db.query(
    `INSERT INTO pin_attempts (employee_id, failures, locked_until) VALUES (?, ?, ?)
     ON CONFLICT (employee_id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`,
  );
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
    audit: (limit) =>
      selectAudit
        .all(limit)
        .map((r) => ({ id: r.id, at: r.at, actorId: r.actor_id, action: r.action, detail: r.detail })),
    pinAttempts: (employeeId) => {
      const row = selectAttempts.get(employeeId);
      return row === null
        ? { failures: 0, lockedUntil: 0 }
        : { failures: row.failures, lockedUntil: row.locked_until };
    },
    setPinAttempts: (employeeId, attempts) => {
      upsertAttempts.run(employeeId, attempts.failures, attempts.lockedUntil);
    },
  };
}
