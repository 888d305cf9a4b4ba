import type { Database } from "bun:sqlite";
import type { AssembledCall, CallOutcome, CallRecord } from "../domain/call/call-types.ts";

export interface CallQuery {
  /** Calls that started at or after this instant. */
  readonly since?: number;
  /** Calls that started before this instant. */
  readonly until?: number;
  readonly employeeId?: string;
  readonly outcome?: CallOutcome;
  readonly limit: number;
}

/**
 * Finished calls: the attributed records (one, or several when R1.3 splits a transfer) and the
 * assembled facts behind them, kept so a roster correction can attribute the call again.
 */
export interface CallStore {
  /**
   * Replaces the records of `call` by `records` (by record id; parts no longer produced are
   * removed). Returns the records that are new or changed. Call inside a transaction.
   */
  save(call: AssembledCall, records: readonly CallRecord[], now: number): CallRecord[];
  list(query: CallQuery): CallRecord[];
  /** Assembled calls that ended at or after `t`: a roster correction from `t` may change them. */
  endedSince(t: number): AssembledCall[];
  get(id: string): CallRecord | null;
}

export function callStore(db: Database): CallStore {
  const selectRecord = db.query<{ record: string }, [string]>("SELECT record FROM calls WHERE id = ?");
  const selectParts = db.query<{ id: string; record: string }, [string]>(
    "SELECT id, record FROM calls WHERE call_id = ?",
  );
  const deleteOne = db.query("DELETE FROM calls WHERE id = ?");
  const upsert = db.query(
    `INSERT INTO calls (id, call_id, started_at, ended_at, direction, outcome, owner_employee_id, record, assembled, updated_at)
     VALUES ($id, $callId, $startedAt, $endedAt, $direction, $outcome, $owner, $record, $assembled, $now)
     ON CONFLICT (id) DO UPDATE SET call_id = excluded.call_id, started_at = excluded.started_at,
       ended_at = excluded.ended_at, direction = excluded.direction, outcome = excluded.outcome,
       owner_employee_id = excluded.owner_employee_id, record = excluded.record,
       assembled = excluded.assembled, updated_at = excluded.updated_at`,
  );
  const selectEndedSince = db.query<{ assembled: string }, [number]>(
    // Every part of a call carries the same assembled facts: one row per call is enough.
    "SELECT assembled, min(started_at) AS started FROM calls WHERE ended_at >= ? GROUP BY call_id ORDER BY started",
  );
  return {
    save(call, records, now) {
      const before = new Map(selectParts.all(call.id).map((r) => [r.id, r.record]));
      const changed: CallRecord[] = [];
      const assembled = JSON.stringify(call);
      for (const record of records) {
        const json = JSON.stringify(record);
        if (before.get(record.id) !== json) {
          upsert.run({
            id: record.id,
            callId: call.id,
            startedAt: record.startedAt,
            endedAt: record.endedAt,
            direction: record.direction,
            outcome: record.outcome,
            owner: record.owner.employeeId,
            record: json,
            assembled,
            now,
          });
          changed.push(record);
        }
        before.delete(record.id);
      }
      for (const stale of before.keys()) deleteOne.run(stale);
      return changed;
    },
    list(query) {
      const where: string[] = [];
      const params: Record<string, string | number> = { limit: query.limit };
      if (query.since !== undefined) {
        where.push("started_at >= $since");
        params.since = query.since;
      }
      if (query.until !== undefined) {
        where.push("started_at < $until");
        params.until = query.until;
      }
      if (query.employeeId !== undefined) {
        // The owner, or the employee of any leg (a transfer's first leg is theirs too).
        where.push(
          "(owner_employee_id = $employee OR EXISTS (SELECT 1 FROM json_each(record, '$.legs') WHERE json_each.value ->> 'employeeId' = $employee))",
        );
        params.employee = query.employeeId;
      }
      if (query.outcome !== undefined) {
        where.push("outcome = $outcome");
        params.outcome = query.outcome;
      }
      const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
      return db
        .query<{ record: string }, Record<string, string | number>>(
          `SELECT record FROM calls ${filter} ORDER BY started_at DESC, id LIMIT $limit`,
        )
        .all(params)
        .map((r) => readRecord(r.record));
    },
    endedSince: (t) => selectEndedSince.all(t).map((r) => readAssembled(r.assembled)),
    get(id) {
      const row = selectRecord.get(id);
      return row === null ? null : readRecord(row.record);
    },
  };
}

// Rows written before a field existed lack it: fill in what a call seen live has.
function readRecord(json: string): CallRecord {
  const record = JSON.parse(json) as CallRecord;
  return record.recovered === undefined ? { ...record, recovered: null } : record;
}

function readAssembled(json: string): AssembledCall {
  const call = JSON.parse(json) as AssembledCall;
  return call.recovered === undefined ? { ...call, recovered: null } : call;
}
