import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type { Envelope, Presence, SyncRecord } from "../contract/protocol.ts";

const ROWS_PER_INSERT = 50;

/** What one envelope did to the store. `through` is the high-water mark after the transaction. */
export type ApplyResult =
  | {
      readonly kind: "applied";
      readonly through: number;
      readonly applied: number;
      readonly duplicates: number;
    }
  | { readonly kind: "duplicate"; readonly through: number; readonly duplicates: number }
  /** seqFrom > hwm + 1: nothing written; the envelope waits for the missing seqs. */
  | { readonly kind: "gap"; readonly through: number };

export interface StoredRecord {
  readonly seq: number;
  readonly id: string;
  readonly ts: number;
  readonly type: string;
  readonly data: unknown;
  readonly epoch: number;
  readonly historical: boolean;
  readonly appliedAt: number;
}

export interface StreamView {
  readonly through: number;
  readonly duplicates: number;
  readonly lastRecordTs: number | null;
  readonly lastAppliedAt: number | null;
}

export interface BranchView {
  readonly branch: string;
  /** null: HQ has records of this branch but never saw its presence. */
  readonly online: boolean | null;
  readonly epoch: number | null;
  readonly version: string | null;
  readonly backlog: number | null;
  readonly stateAt: number | null;
  readonly lastRecordTs: number | null;
  readonly streams: Record<string, StreamView>;
}

export interface ForwardItem {
  readonly queueId: number;
  readonly branch: string;
  readonly stream: string;
  readonly attempts: number;
  readonly record: StoredRecord;
}

/**
 * The HQ store (schema: hq-schema.ts). ALWAYS: `apply` reads the high-water mark inside its own
 * IMMEDIATE transaction, never from memory, because another consumer sharing the file may have
 * moved it; a record is written only if its seq is hwm + 1, hwm + 2, …; the forward queue row is
 * written in the same commit. A failed commit throws and leaves nothing behind.
 */
export interface HqStore {
  /** `now` is read inside the transaction, once it holds the write lock: applied_at is commit order. */
  apply(envelope: Envelope, now: () => number): ApplyResult;
  /**
   * Group commit: the envelopes in ONE IMMEDIATE transaction (one fsync), each applied as `apply`
   * would, in the order given, each reading the high-water mark the previous ones left. All or
   * nothing: a failed commit throws and none of them is applied.
   */
  applyAll(envelopes: readonly Envelope[], now: () => number): ApplyResult[];
  hwm(branch: string, stream: string): number;
  /** "stale": an older epoch than the one HQ already has (e.g. a late Last Will); not stored. */
  presence(branch: string, presence: Presence, now: number): "stored" | "stale";
  branches(): BranchView[];
  records(branch: string, stream: string, after: number, limit: number): StoredRecord[];
  /** Heads of the forward queue (the oldest row of each stream) that are due, leased for `leaseMs`. */
  claimForward(now: number, leaseMs: number, limit: number): ForwardItem[];
  forwarded(queueId: number): void;
  forwardFailed(queueId: number, nextAt: number, error: string): void;
  forwardDepth(): number;
}

type RecordRow = {
  seq: number;
  id: string;
  ts: number;
  type: string;
  data: string;
  epoch: number;
  historical: number;
  applied_at: number;
};

const toRecord = (r: RecordRow): StoredRecord => ({
  seq: r.seq,
  id: r.id,
  ts: r.ts,
  type: r.type,
  data: JSON.parse(r.data) as unknown,
  epoch: r.epoch,
  historical: r.historical === 1,
  appliedAt: r.applied_at,
});

export function hqStore(db: Database, options: { forward: boolean }): HqStore {
  const hwmQuery = db.query<{ hwm: number }, [string, string]>(
    "SELECT hwm FROM streams WHERE branch = ? AND stream = ?",
  );
  // A plain INSERT: the UNIQUE key is the last line of defence, and a clash is a bug to surface.
  // Up to ROWS_PER_INSERT records per statement, the envelope's fields bound once: one call
  // into SQLite per row cost ~1 us of HQ's time per record in a backlog drain.
  const inserts = new Map<number, Statement>();
  const insertOf = (rows: number) => {
    let statement = inserts.get(rows);
    if (statement === undefined) {
      const values = Array.from({ length: rows }, (_, i) => {
        const at = 6 + i * 5;
        return `(?1, ?2, ?${at}, ?${at + 1}, ?${at + 2}, ?${at + 3}, ?${at + 4}, ?3, ?4, ?5)`;
      });
      statement = db.query(
        `INSERT INTO records (branch, stream, seq, id, ts, type, data, epoch, historical, applied_at)
         VALUES ${values.join(", ")}`,
      );
      inserts.set(rows, statement);
    }
    return statement;
  };
  const insertRecords = (e: Envelope, records: readonly SyncRecord[], now: number) => {
    for (let from = 0; from < records.length; from += ROWS_PER_INSERT) {
      const chunk = records.slice(from, from + ROWS_PER_INSERT);
      const args: SQLQueryBindings[] = [e.branch, e.stream, e.epoch, e.historical ? 1 : 0, now];
      for (const r of chunk) args.push(r.seq, r.id, r.ts, r.type, JSON.stringify(r.data ?? null));
      insertOf(chunk.length).run(...args);
    }
  };
  const advance = db.query(
    `INSERT INTO streams (branch, stream, hwm, duplicates, last_record_ts, last_applied_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (branch, stream) DO UPDATE SET hwm = ?3, duplicates = duplicates + ?4,
       last_record_ts = ?5, last_applied_at = ?6`,
  );
  const countDuplicates = db.query(
    "UPDATE streams SET duplicates = duplicates + ? WHERE branch = ? AND stream = ?",
  );
  const enqueue = db.query(
    `INSERT INTO forward_queue (branch, stream, seq, next_at)
     SELECT branch, stream, seq, ?5 FROM records WHERE branch = ?1 AND stream = ?2 AND seq BETWEEN ?3 AND ?4`,
  );
  const hwmOf = (branch: string, stream: string) => hwmQuery.get(branch, stream)?.hwm ?? 0;

  const applyOne = (e: Envelope, now: number): ApplyResult => {
    const hwm = hwmOf(e.branch, e.stream);
    if (e.seqTo <= hwm) {
      countDuplicates.run(e.records.length, e.branch, e.stream);
      return { kind: "duplicate", through: hwm, duplicates: e.records.length };
    }
    if (e.seqFrom > hwm + 1) return { kind: "gap", through: hwm };
    const fresh = e.records.filter((r) => r.seq > hwm);
    insertRecords(e, fresh, now);
    if (options.forward) enqueue.run(e.branch, e.stream, hwm + 1, e.seqTo, now);
    const duplicates = e.records.length - fresh.length;
    const last = fresh.at(-1)?.ts ?? null;
    advance.run(e.branch, e.stream, e.seqTo, duplicates, last, now);
    return { kind: "applied", through: e.seqTo, applied: fresh.length, duplicates };
  };
  const applyTx = db.transaction((envelopes: readonly Envelope[], clock: () => number) => {
    const now = clock();
    return envelopes.map((e) => applyOne(e, now));
  });

  const presenceGet = db.query<{ epoch: number }, [string]>("SELECT epoch FROM branches WHERE branch = ?");
  const presenceSet = db.query(
    `INSERT INTO branches (branch, online, epoch, version, backlog, state_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (branch) DO UPDATE SET online = ?2, epoch = ?3,
       version = coalesce(?4, version), backlog = coalesce(?5, backlog), state_at = ?6`,
  );
  const presenceTx = db.transaction((branch: string, p: Presence, now: number) => {
    const known = presenceGet.get(branch)?.epoch ?? 0;
    if (p.epoch < known) return "stale" as const;
    presenceSet.run(branch, p.online ? 1 : 0, p.epoch, p.version ?? null, p.backlog ?? null, now);
    return "stored" as const;
  });

  const recordsQuery = db.query<RecordRow, [string, string, number, number]>(
    `SELECT seq, id, ts, type, data, epoch, historical, applied_at FROM records
     WHERE branch = ? AND stream = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const branchRows = db.query<
    {
      branch: string;
      online: number;
      epoch: number;
      version: string | null;
      backlog: number | null;
      state_at: number;
    },
    []
  >("SELECT branch, online, epoch, version, backlog, state_at FROM branches");
  const streamRows = db.query<
    {
      branch: string;
      stream: string;
      hwm: number;
      duplicates: number;
      last_record_ts: number | null;
      last_applied_at: number | null;
    },
    []
  >("SELECT branch, stream, hwm, duplicates, last_record_ts, last_applied_at FROM streams");

  const heads = db.query<
    { qid: number; branch: string; stream: string; attempts: number } & RecordRow,
    [number, number]
  >(
    `SELECT f.id AS qid, f.branch, f.stream, f.attempts, r.seq, r.id, r.ts, r.type, r.data, r.epoch,
            r.historical, r.applied_at
     FROM forward_queue f JOIN records r USING (branch, stream, seq)
     WHERE f.next_at <= ?1
       AND f.id = (SELECT min(g.id) FROM forward_queue g WHERE g.branch = f.branch AND g.stream = f.stream)
     ORDER BY f.id LIMIT ?2`,
  );
  const lease = db.query("UPDATE forward_queue SET next_at = ? WHERE id = ? AND next_at <= ?");
  const claimTx = db.transaction((now: number, leaseMs: number, limit: number): ForwardItem[] =>
    heads
      .all(now, limit)
      .filter((row) => lease.run(now + leaseMs, row.qid, now).changes === 1)
      .map((row) => ({
        queueId: row.qid,
        branch: row.branch,
        stream: row.stream,
        attempts: row.attempts,
        record: toRecord(row),
      })),
  );
  const done = db.query("DELETE FROM forward_queue WHERE id = ?");
  const failed = db.query(
    "UPDATE forward_queue SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?",
  );
  const depth = db.query<{ n: number }, []>("SELECT count(*) AS n FROM forward_queue");

  return {
    apply: (envelope, now) => applyTx.immediate([envelope], now)[0] as ApplyResult,
    applyAll: (envelopes, now) => applyTx.immediate(envelopes, now),
    hwm: hwmOf,
    presence: (branch, p, now) => presenceTx.immediate(branch, p, now),
    branches() {
      const views = new Map<string, BranchView>();
      const view = (branch: string) => {
        let v = views.get(branch);
        if (v === undefined) {
          v = {
            branch,
            online: null,
            epoch: null,
            version: null,
            backlog: null,
            stateAt: null,
            lastRecordTs: null,
            streams: {},
          };
          views.set(branch, v);
        }
        return v;
      };
      for (const b of branchRows.all()) {
        Object.assign(view(b.branch), {
          online: b.online === 1,
          epoch: b.epoch,
          version: b.version,
          backlog: b.backlog,
          stateAt: b.state_at,
        });
      }
      for (const s of streamRows.all()) {
        const v = view(s.branch);
        v.streams[s.stream] = {
          through: s.hwm,
          duplicates: s.duplicates,
          lastRecordTs: s.last_record_ts,
          lastAppliedAt: s.last_applied_at,
        };
        if (s.last_record_ts !== null && (v.lastRecordTs ?? 0) < s.last_record_ts)
          Object.assign(v, { lastRecordTs: s.last_record_ts });
      }
      return [...views.values()].sort((a, b) => a.branch.localeCompare(b.branch));
    },
    records: (branch, stream, after, limit) => recordsQuery.all(branch, stream, after, limit).map(toRecord),
    claimForward: (now, leaseMs, limit) => claimTx.immediate(now, leaseMs, limit),
    forwarded: (queueId) => void done.run(queueId),
    forwardFailed: (queueId, nextAt, error) => void failed.run(nextAt, error.slice(0, 500), queueId),
    forwardDepth: () => depth.get()?.n ?? 0,
  };
}
