import type { SQL } from "bun";
import type { Envelope, Presence } from "../../../contract/protocol.ts";
import { planApply, streamId } from "../apply-plan.ts";
import { branchViews } from "../branch-views.ts";
import type { BranchView, ForwardItem, HqStore, HqStoreOptions, StoredRecord } from "../hq-store-port.ts";
import { pgStoreFailure } from "./pg-errors.ts";

/**
 * Records per INSERT … VALUES: 10 parameters a row stays far below PostgreSQL's 65,535 per
 * statement. (Measured: for records of ~1.4 KB a VALUES list beat the same rows as `unnest`
 * arrays, whose text-array quoting of the JSON costs on both sides.)
 */
const ROWS_PER_INSERT = 1000;

type RecordRow = {
  seq: string | number;
  id: string;
  ts: string | number;
  type: string;
  data: string;
  epoch: string | number;
  historical: boolean;
  applied_at: string | number;
};

// bigint columns come back as strings (Bun keeps 64 bits exact); every value HQ stores fits a double.
const toRecord = (r: RecordRow): StoredRecord => ({
  seq: Number(r.seq),
  id: r.id,
  ts: Number(r.ts),
  type: r.type,
  data: JSON.parse(r.data) as unknown,
  epoch: Number(r.epoch),
  historical: r.historical,
  appliedAt: Number(r.applied_at),
});

const orNull = (v: string | number | null): number | null => (v === null ? null : Number(v));

/** One column of `items` as a PostgreSQL array parameter (`$n::TYPE[]`), for `unnest`. */
const column = <T>(
  tx: SQL,
  items: readonly T[],
  type: "TEXT" | "INT8" | "BOOL",
  pick: (item: T) => unknown,
) => tx.array(items.map(pick), type);

/** Bigints come back as strings: every number column is read through Number. */
type Num = string | number;
type PresenceDbRow = {
  branch: string;
  online: boolean;
  epoch: Num;
  version: string | null;
  backlog: Num | null;
  state_at: Num;
};
type StreamDbRow = {
  branch: string;
  stream: string;
  hwm: Num;
  duplicates: Num;
  last_record_ts: Num | null;
  last_applied_at: Num | null;
};

/**
 * The HQ store on PostgreSQL through Bun's SQL client (a pool of `sql`'s connections; tables:
 * pg-schema.ts). Any number of consumers on any number of machines may share the database.
 *
 * How `apply` keeps the port's promise with several writers: in its one transaction it first
 * locks the row of every stream the call touches — one `INSERT … ON CONFLICT DO NOTHING` (so a
 * new stream has a row to lock) then one `SELECT hwm … FOR UPDATE`, both in (branch, stream)
 * order (COLLATE "C", the same on every server), so two consumers never wait on each other
 * crosswise (no deadlock) — then plans the envelopes in the order given against the marks read
 * under those locks (apply-plan.ts). A second consumer with the same stream waits at its FOR
 * UPDATE until the first commits, then reads the moved mark (READ COMMITTED re-reads a locked row
 * once it is free) and finds its envelope a duplicate. We lock the row rather than write
 * `INSERT … ON CONFLICT` into `records`: a skipped conflict would hide a record written twice,
 * where the port wants the clash to fail, and the mark would no longer say what is stored. The
 * PRIMARY KEY (branch, stream, seq) stays the last line of defence. A row made only to be locked,
 * for a stream whose envelopes were all gaps, is deleted before commit: a stream row exists only
 * once its stream has records.
 *
 * ALWAYS a few statements per call, never per envelope: the two above, the records of every
 * envelope ROWS_PER_INSERT at a time (and their forward rows as `unnest` arrays), one UPDATE of
 * every changed stream, and the DELETE only when needed. At live rates each envelope holds a record or
 * two and a call holds up to a hundred of them: per-envelope statements were most of HQ's time.
 *
 * Closing the store ends the pool.
 */
export function postgresHqStore(sql: SQL, where: string, options: HqStoreOptions): HqStore {
  const applyIn = async (tx: SQL, envelopes: readonly Envelope[], clock: () => number) => {
    const touched = [...new Map(envelopes.map((e) => [streamId(e.branch, e.stream), e])).values()];
    const branchesOf = column(tx, touched, "TEXT", (e) => e.branch);
    const streamsOf = column(tx, touched, "TEXT", (e) => e.stream);
    await tx`INSERT INTO streams (branch, stream, hwm)
             SELECT b, s, 0 FROM unnest(${branchesOf}, ${streamsOf}) AS t(b, s)
             ORDER BY b COLLATE "C", s COLLATE "C"
             ON CONFLICT (branch, stream) DO NOTHING`;
    const locked = (await tx`SELECT branch, stream, hwm FROM streams
             WHERE (branch, stream) IN (SELECT * FROM unnest(${branchesOf}, ${streamsOf}))
             ORDER BY branch COLLATE "C", stream COLLATE "C" FOR UPDATE`) as StreamDbRow[];
    const marks = new Map(locked.map((r) => [streamId(r.branch, r.stream), Number(r.hwm)]));
    const plan = planApply(envelopes, marks);
    const now = clock();
    for (let from = 0; from < plan.writes.length; from += ROWS_PER_INSERT) {
      const writes = plan.writes.slice(from, from + ROWS_PER_INSERT);
      await tx`INSERT INTO records ${tx(
        writes.map(({ envelope: e, record: r }) => ({
          branch: e.branch,
          stream: e.stream,
          seq: r.seq,
          id: r.id,
          ts: r.ts,
          type: r.type,
          data: JSON.stringify(r.data ?? null),
          epoch: e.epoch,
          historical: e.historical,
          applied_at: now,
        })),
      )}`;
      // Queue ids follow the order given: each stream's rows in ascending seq.
      if (options.forward)
        await tx`INSERT INTO forward_queue (branch, stream, seq, next_at)
                 SELECT b, s, q, ${now}::bigint
                 FROM unnest(${column(tx, writes, "TEXT", (w) => w.envelope.branch)},
                   ${column(tx, writes, "TEXT", (w) => w.envelope.stream)},
                   ${column(tx, writes, "INT8", (w) => w.record.seq)}) WITH ORDINALITY AS t(b, s, q, o)
                 ORDER BY o`;
    }
    const changed = plan.streams;
    if (changed.length > 0)
      await tx`UPDATE streams AS s SET hwm = v.hwm, duplicates = s.duplicates + v.duplicates,
                 last_record_ts = CASE WHEN v.wrote THEN v.last_record_ts ELSE s.last_record_ts END,
                 last_applied_at = CASE WHEN v.wrote THEN ${now}::bigint ELSE s.last_applied_at END
               FROM unnest(${column(tx, changed, "TEXT", (c) => c.branch)},
                 ${column(tx, changed, "TEXT", (c) => c.stream)},
                 ${column(tx, changed, "INT8", (c) => c.hwm)},
                 ${column(tx, changed, "INT8", (c) => c.duplicates)},
                 ${column(tx, changed, "BOOL", (c) => c.wrote)},
                 ${column(tx, changed, "INT8", (c) => c.lastRecordTs)})
                 AS v(branch, stream, hwm, duplicates, wrote, last_record_ts)
               WHERE s.branch = v.branch AND s.stream = v.stream`;
    if (plan.empty.length > 0)
      await tx`DELETE FROM streams WHERE hwm = 0 AND (branch, stream) IN (SELECT * FROM unnest(
                 ${column(tx, plan.empty, "TEXT", (e) => e.branch)},
                 ${column(tx, plan.empty, "TEXT", (e) => e.stream)}))`;
    return plan.results;
  };

  const hwmOf = async (branch: string, stream: string) => {
    const [row] = await sql`SELECT hwm FROM streams WHERE branch = ${branch} AND stream = ${stream}`;
    return Number(row?.hwm ?? 0);
  };

  // One statement: the upsert changes the row only for an epoch at least the stored one, so two
  // consumers storing presences of one branch at once cannot let the older epoch win.
  const presence = async (branch: string, p: Presence, now: number) => {
    const stored = await sql`
      INSERT INTO branches (branch, online, epoch, version, backlog, state_at)
      VALUES (${branch}, ${p.online}, ${p.epoch}, ${p.version ?? null}, ${p.backlog ?? null}, ${now})
      ON CONFLICT (branch) DO UPDATE SET online = excluded.online, epoch = excluded.epoch,
        version = coalesce(excluded.version, branches.version),
        backlog = coalesce(excluded.backlog, branches.backlog), state_at = excluded.state_at
      WHERE branches.epoch <= excluded.epoch
      RETURNING 1`;
    return stored.length === 1 ? ("stored" as const) : ("stale" as const);
  };

  const branches = async (): Promise<BranchView[]> => {
    // One snapshot for both reads: a commit between them would show a stream without its branch.
    const [branchRows, streamRows] = await sql.begin(
      "ISOLATION LEVEL REPEATABLE READ READ ONLY",
      async (tx) => [
        await tx`SELECT branch, online, epoch, version, backlog, state_at FROM branches`,
        await tx`SELECT branch, stream, hwm, duplicates, last_record_ts, last_applied_at FROM streams`,
      ],
    );
    return branchViews(
      (branchRows as PresenceDbRow[]).map((b) => ({
        branch: b.branch,
        online: b.online,
        epoch: Number(b.epoch),
        version: b.version,
        backlog: orNull(b.backlog),
        stateAt: Number(b.state_at),
      })),
      (streamRows as StreamDbRow[]).map((r) => ({
        branch: r.branch,
        stream: r.stream,
        through: Number(r.hwm),
        duplicates: Number(r.duplicates),
        lastRecordTs: orNull(r.last_record_ts),
        lastAppliedAt: orNull(r.last_applied_at),
      })),
    );
  };

  // Each stream's head, skipping heads another consumer is claiming this instant (SKIP LOCKED),
  // leased in the same statement; `next_at <= now` again because the head may have moved.
  const claimForward = async (now: number, leaseMs: number, limit: number): Promise<ForwardItem[]> => {
    const rows = await sql`
      WITH heads AS (
        SELECT f.id FROM forward_queue f
        WHERE f.next_at <= ${now}
          AND f.id = (SELECT min(g.id) FROM forward_queue g WHERE g.branch = f.branch AND g.stream = f.stream)
        ORDER BY f.id LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE forward_queue q SET next_at = ${now + leaseMs}
      FROM heads, records r
      WHERE q.id = heads.id AND q.next_at <= ${now}
        AND r.branch = q.branch AND r.stream = q.stream AND r.seq = q.seq
      RETURNING q.id AS qid, q.branch, q.stream, q.attempts, r.seq, r.id, r.ts, r.type, r.data, r.epoch,
        r.historical, r.applied_at`;
    return (rows as ({ qid: string; branch: string; stream: string; attempts: number } & RecordRow)[])
      .map((row) => ({
        queueId: Number(row.qid),
        branch: row.branch,
        stream: row.stream,
        attempts: Number(row.attempts),
        record: toRecord(row),
      }))
      .sort((a, b) => a.queueId - b.queueId);
  };

  // Whatever the work threw (the server, the pool, a lost connection) becomes a coded rejection.
  const settle = <A extends unknown[], R>(work: (...args: A) => Promise<R>) => {
    return async (...args: A): Promise<R> => {
      try {
        return await work(...args);
      } catch (error) {
        throw pgStoreFailure(where, error);
      }
    };
  };

  return {
    apply: settle((envelopes: readonly Envelope[], now: () => number) =>
      sql.begin((tx) => applyIn(tx, envelopes, now)),
    ),
    hwm: settle(hwmOf),
    presence: settle(presence),
    branches: settle(branches),
    records: settle(async (branch: string, stream: string, after: number, limit: number) => {
      const rows = await sql`
        SELECT seq, id, ts, type, data, epoch, historical, applied_at FROM records
        WHERE branch = ${branch} AND stream = ${stream} AND seq > ${after} ORDER BY seq LIMIT ${limit}`;
      return (rows as RecordRow[]).map(toRecord);
    }),
    claimForward: settle(claimForward),
    forwarded: settle(async (queueId: number) => {
      await sql`DELETE FROM forward_queue WHERE id = ${queueId}`;
    }),
    forwardFailed: settle(async (queueId: number, nextAt: number, error: string) => {
      await sql`UPDATE forward_queue SET attempts = attempts + 1, next_at = ${nextAt},
                  last_error = ${error.slice(0, 500)} WHERE id = ${queueId}`;
    }),
    forwardDepth: settle(async () => {
      const [row] = await sql`SELECT count(*) AS n FROM forward_queue`;
      return Number(row?.n ?? 0);
    }),
    close: settle(() => sql.close()),
  };
}
