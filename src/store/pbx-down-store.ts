import type { Database } from "bun:sqlite";

/** A `pbx` down record as the inbox hands it on (src/sync/inbound/inbound-types.ts PbxDownRecord). */
export interface PbxDownInput {
  readonly seq: number;
  /** The record's type: `mango.event` or `mango.result`. */
  readonly type: string;
  readonly id: string;
  readonly event: unknown;
}

export interface PbxDownStoredRow {
  readonly n: number;
  readonly seq: number;
  readonly type: string;
  readonly id: string;
  readonly data: unknown;
  readonly receivedAt: number;
}

/**
 * Issue 17: the `pbx` down stream's records (Mango's events HQ relays), kept for the `[pbx.mango]`
 * source. `add` runs inside the inbox's transaction (its PbxEventsPort), so a record is kept with
 * its inbox row and the stream's mark or not at all; the source marks rows consumed once their
 * PbxEvents are journaled, and reads the recent ones again after a restart.
 */
export interface PbxDownStore {
  add(records: readonly PbxDownInput[], now: number): void;
  pending(): PbxDownStoredRow[];
  since(since: number): PbxDownStoredRow[];
  /** Rows after arrival number `n`, consumed or not, in arrival order. */
  after(n: number): PbxDownStoredRow[];
  consume(n: number, now: number): void;
  /** Consumed rows received before `before` go. */
  prune(before: number): number;
}

interface Row {
  n: number;
  seq: number;
  type: string;
  id: string;
  data: string;
  received_at: number;
}

const COLUMNS = "n, seq, type, id, data, received_at";

export function pbxDownStore(db: Database): PbxDownStore {
  const insert = db.query(
    "INSERT INTO pbx_down (seq, type, id, data, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
  );
  const pending = db.query<Row, []>(`SELECT ${COLUMNS} FROM pbx_down WHERE consumed_at IS NULL ORDER BY n`);
  const since = db.query<Row, [number]>(
    `SELECT ${COLUMNS} FROM pbx_down WHERE consumed_at IS NULL OR received_at >= ?1 ORDER BY n`,
  );
  const after = db.query<Row, [number]>(`SELECT ${COLUMNS} FROM pbx_down WHERE n > ?1 ORDER BY n`);
  const consume = db.query("UPDATE pbx_down SET consumed_at = ?2 WHERE n <= ?1 AND consumed_at IS NULL");
  const prune = db.query("DELETE FROM pbx_down WHERE consumed_at IS NOT NULL AND received_at < ?1");
  const row = (r: Row): PbxDownStoredRow => ({
    n: r.n,
    seq: r.seq,
    type: r.type,
    id: r.id,
    data: JSON.parse(r.data) as unknown,
    receivedAt: r.received_at,
  });
  return {
    add(records, now) {
      for (const r of records) insert.run(r.seq, r.type, r.id, JSON.stringify(r.event), now);
    },
    pending: () => pending.all().map(row),
    since: (t) => since.all(t).map(row),
    after: (n) => after.all(n).map(row),
    consume: (n, now) => void consume.run(n, now),
    prune: (before) => prune.run(before).changes,
  };
}
