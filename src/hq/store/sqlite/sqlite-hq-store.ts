import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import type { Envelope, Presence, SyncRecord } from "../../../contract/protocol.ts";
import { StorageError, toStorageError } from "../../../lib/storage-error.ts";
import { branchViews } from "../branch-views.ts";
import type {
  ApplyResult,
  BranchView,
  ForwardItem,
  HqStore,
  HqStoreOptions,
  StoredRecord,
  StoreFailure,
} from "../hq-store-port.ts";

const ROWS_PER_INSERT = 50;

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

/**
 * The HQ store on one SQLite connection (the file: hq-schema.ts). Every write is one IMMEDIATE
 * transaction, so consumers sharing the file take turns and each reads the high-water mark under
 * the write lock. bun:sqlite is synchronous: each method does its work when called and returns a
 * settled promise. Closing the store closes `db`.
 */
export function sqliteHqStore(db: Database, options: HqStoreOptions): HqStore {
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

  const branches = (): BranchView[] =>
    branchViews(
      branchRows.all().map((b) => ({
        branch: b.branch,
        online: b.online === 1,
        epoch: b.epoch,
        version: b.version,
        backlog: b.backlog,
        stateAt: b.state_at,
      })),
      streamRows.all().map((r) => ({
        branch: r.branch,
        stream: r.stream,
        through: r.hwm,
        duplicates: r.duplicates,
        lastRecordTs: r.last_record_ts,
        lastAppliedAt: r.last_applied_at,
      })),
    );

  // The work is done synchronously inside the call; what it threw becomes a coded rejection.
  const settle = <A extends unknown[], R>(work: (...args: A) => R) => {
    return (...args: A): Promise<R> => {
      try {
        return Promise.resolve(work(...args));
      } catch (error) {
        return Promise.reject(storeFailure(db.filename, error));
      }
    };
  };

  return {
    apply: settle((envelopes: readonly Envelope[], now: () => number) => applyTx.immediate(envelopes, now)),
    hwm: settle(hwmOf),
    presence: settle((branch: string, p: Presence, now: number) => presenceTx.immediate(branch, p, now)),
    branches: settle(branches),
    records: settle((branch: string, stream: string, after: number, limit: number) =>
      recordsQuery.all(branch, stream, after, limit).map(toRecord),
    ),
    claimForward: settle((now: number, leaseMs: number, limit: number) =>
      claimTx.immediate(now, leaseMs, limit),
    ),
    forwarded: settle((queueId: number) => void done.run(queueId)),
    forwardFailed: settle(
      (queueId: number, nextAt: number, error: string) =>
        void failed.run(nextAt, error.slice(0, 500), queueId),
    ),
    forwardDepth: settle(() => depth.get()?.n ?? 0),
    close: settle(() => db.close()),
  };
}

/** SQLite's and the file system's errors as the port's coded failure. */
function storeFailure(path: string, error: unknown): StoreFailure {
  const coded = toStorageError(path, error);
  if (coded instanceof StorageError) return coded;
  const failure = new Error(`the HQ store at ${path} failed: ${String((error as Error)?.message ?? error)}`, {
    cause: error,
  });
  return Object.assign(failure, { code: "STORAGE.FAILED" as const });
}
