import type { Database } from "bun:sqlite";
import type { SyncRecord, UpStream } from "../contract/protocol.ts";

/** One waiting record: its seq and the size of its JSON as `recordsJson` writes it, bytes. */
export interface RecordSize {
  readonly seq: number;
  readonly bytes: number;
}

export interface OutboxItem {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
}

/**
 * Records waiting for headquarters, per up stream, in seq order. `add` runs inside the
 * transaction of the fact it reports (the roster's group commit, the call pipeline's), so a fact
 * and its record are durable together or not at all.
 */
export interface OutboxStore {
  /** Appends, numbering each item with the stream's next seq. Call inside a transaction. */
  add(stream: UpStream, items: readonly OutboxItem[], ts: number): SyncRecord[];
  /** Up to `limit` records with seq > `after`, in order. */
  pending(stream: UpStream, after: number, limit: number): SyncRecord[];
  /** Seq and JSON size of up to `limit` records with seq > `after`, in order (nothing else is read out). */
  recordSizes(stream: UpStream, after: number, limit: number): RecordSize[];
  /**
   * The `count` records with seq > `after` as JSON, `{"id":…,"seq":…,"ts":…,"type":…,"data":…}`
   * with `data` the stored text as it is, comma-separated, between `head` and `tail`: UTF-8
   * bytes, put together by SQLite in one buffer (an envelope is this and nothing more).
   */
  recordsJson(stream: UpStream, after: number, count: number, head: string, tail: string): Uint8Array;
  /** HQ committed everything through `through`: forget it. Returns how many rows went. */
  ack(stream: UpStream, through: number): number;
  /** Records waiting, per stream (streams with none are left out). */
  backlog(): Record<string, number>;
  /** The highest seq HQ has acknowledged, per stream. */
  ackedThrough(stream: UpStream): number;
  /** The next sync epoch (grows on every connect), durable. */
  nextEpoch(): number;
}

export function outboxStore(db: Database): OutboxStore {
  const bump = db.query<{ last_seq: number }, [string, number]>(
    `INSERT INTO outbox_seq (stream, last_seq) VALUES (?1, ?2)
     ON CONFLICT (stream) DO UPDATE SET last_seq = last_seq + ?2 RETURNING last_seq`,
  );
  const insert = db.query("INSERT INTO outbox (stream, seq, id, ts, type, data) VALUES (?, ?, ?, ?, ?, ?)");
  const select = db.query<Omit<SyncRecord, "data"> & { data: string }, [string, number, number]>(
    "SELECT seq, id, ts, type, data FROM outbox WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?",
  );
  // A record's JSON, built where the rows are: no row objects, no per-record buffers in JS (a
  // backlog drain read 1.2 GB through them), and the data text copied in as stored. The size
  // query adds up the same pieces without building them: 36 bytes of keys and punctuation.
  const sizes = db.query<RecordSize, [string, number, number]>(
    `SELECT seq, octet_length(json_quote(id)) + length(seq) + length(ts) + octet_length(json_quote(type))
       + octet_length(data) + 36 AS bytes
     FROM outbox WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  // group_concat takes the rows in the subquery's order: a subquery with ORDER BY and LIMIT is
  // not flattened into an aggregate, so SQLite runs it as a co-routine and feeds its rows in that
  // order. (group_concat's own ORDER BY sorts them again and doubled the cost.) CAST to BLOB
  // hands over the bytes as they are, with no UTF-8 -> JS string decoding.
  const json = db.query<{ body: Uint8Array }, [string, number, number, string, string]>(
    `SELECT CAST(?4 || group_concat(
         printf('{"id":%s,"seq":%d,"ts":%d,"type":%s,"data":%s}', json_quote(id), seq, ts, json_quote(type), data),
         ',') || ?5 AS BLOB) AS body
     FROM (SELECT seq, id, ts, type, data FROM outbox WHERE stream = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3)`,
  );
  const remove = db.query("DELETE FROM outbox WHERE stream = ? AND seq <= ?");
  const markAcked = db.query(
    "UPDATE outbox_seq SET acked_through = max(acked_through, ?2) WHERE stream = ?1",
  );
  const acked = db.query<{ acked_through: number }, [string]>(
    "SELECT acked_through FROM outbox_seq WHERE stream = ?",
  );
  // Rows leave only through `ack`, so what waits is the last seq handed out minus the last acked:
  // one row per stream to read, where counting the outbox itself took 0.4 s with a million queued.
  const counts = db.query<{ stream: string; n: number }, []>(
    "SELECT stream, last_seq - acked_through AS n FROM outbox_seq WHERE last_seq > acked_through",
  );
  const epoch = db.query<{ value: number }, []>(
    "INSERT INTO sync_state (key, value) VALUES ('epoch', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value",
  );
  return {
    add(stream, items, ts) {
      if (items.length === 0) return [];
      const last = bump.get(stream, items.length)?.last_seq ?? items.length;
      return items.map((item, i) => {
        const record = {
          id: item.id,
          seq: last - items.length + 1 + i,
          ts,
          type: item.type,
          data: item.data,
        };
        insert.run(stream, record.seq, record.id, ts, record.type, JSON.stringify(record.data ?? null));
        return record;
      });
    },
    pending: (stream, after, limit) =>
      select.all(stream, after, limit).map((r) => ({ ...r, data: JSON.parse(r.data) as unknown })),
    recordSizes: (stream, after, limit) => sizes.all(stream, after, limit),
    recordsJson: (stream, after, count, head, tail) =>
      json.get(stream, after, count, head, tail)?.body ?? new Uint8Array(0),
    ack: (stream, through) =>
      db.transaction(() => {
        markAcked.run(stream, through);
        return remove.run(stream, through).changes;
      })(),
    backlog: () => Object.fromEntries(counts.all().map((r) => [r.stream, r.n])),
    ackedThrough: (stream) => acked.get(stream)?.acked_through ?? 0,
    nextEpoch: () => epoch.get()?.value ?? 1,
  };
}
