import type { Database } from "bun:sqlite";
import type { MangoEventKind } from "../../../contract/down-records.ts";
import { StorageError, toStorageError } from "../../../lib/storage-error.ts";
import type { StoreFailure } from "../hq-store-port.ts";
import type { MangoAddResult, MangoStore, MangoStoredEvent, MangoStoredKind } from "../mango-store-port.ts";

export type MangoRow = {
  id: string;
  kind: string;
  json: string;
  received_at: number;
  branch: string | null;
  seq: number | null;
  published_at: number | null;
};

export const toEvent = (r: MangoRow): MangoStoredEvent => ({
  id: r.id,
  kind: r.kind as MangoStoredKind,
  json: r.json,
  receivedAt: r.received_at,
  branch: r.branch,
  seq: r.seq,
  publishedAt: r.published_at,
});

/**
 * Writes one row of `mango_events`, giving a row with a branch the next seq of that branch's `pbx`
 * down stream (the events' and the commands' results alike). ONLY inside an IMMEDIATE transaction:
 * the seq is read under the write lock. Returns the seq (null: no branch).
 */
export function mangoRowAppender(
  db: Database,
): (row: {
  id: string;
  kind: MangoStoredKind;
  json: string;
  receivedAt: number;
  entryId: string | null;
  branch: string | null;
}) => number | null {
  const nextSeq = db.query<{ next: number }, [string]>(
    "SELECT coalesce(max(seq), 0) + 1 AS next FROM mango_events WHERE branch = ?",
  );
  const insert = db.query(
    `INSERT INTO mango_events (id, kind, json, received_at, entry_id, branch, seq)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  return (row) => {
    const seq = row.branch === null ? null : (nextSeq.get(row.branch)?.next ?? 1);
    insert.run(row.id, row.kind, row.json, row.receivedAt, row.entryId, row.branch, seq);
    return seq;
  };
}

type NewEvent = {
  id: string;
  kind: MangoEventKind;
  json: string;
  receivedAt: number;
  entryId: string | null;
};

/**
 * MangoStore's `add` as a transaction on `db` (run it `.immediate`, or inside another transaction
 * as a savepoint): the one place an event gets its branch (by its fields, else its entry's earlier
 * events) and its `pbx` seq (webhooks and the statistics' entries alike).
 */
export function mangoAdder(db: Database) {
  const existing = db.query<{ branch: string | null }, [string]>(
    "SELECT branch FROM mango_events WHERE id = ?",
  );
  const ofEntry = db.query<{ branch: string }, [string]>(
    "SELECT branch FROM mango_events WHERE entry_id = ? AND branch IS NOT NULL ORDER BY rowid DESC LIMIT 1",
  );
  const append = mangoRowAppender(db);
  return db.transaction((e: NewEvent, byFields: string | null): MangoAddResult => {
    const before = existing.get(e.id);
    if (before !== null) return { kind: "duplicate", branch: before.branch };
    const branch = byFields ?? (e.entryId === null ? null : (ofEntry.get(e.entryId)?.branch ?? null));
    return { kind: "stored", branch, seq: append({ ...e, branch }) };
  });
}

/** The Mango events' table (`mango_events`, hq-schema.ts) on HQ's connection; does not close `db`. */
export function sqliteMangoStore(db: Database): MangoStore {
  const unpublished = db.query<MangoRow, [number]>(
    `SELECT * FROM mango_events WHERE branch IS NOT NULL AND published_at IS NULL
     ORDER BY branch, seq LIMIT ?`,
  );
  const markPublished = db.query("UPDATE mango_events SET published_at = ? WHERE id = ?");
  const unrouted = db.query<MangoRow, [number]>(
    "SELECT * FROM mango_events WHERE branch IS NULL ORDER BY received_at DESC, rowid DESC LIMIT ?",
  );
  const counts = db.query<{ stored: number; unrouted: number; unpublished: number }, []>(
    `SELECT count(*) AS stored, count(*) FILTER (WHERE branch IS NULL) AS unrouted,
       count(*) FILTER (WHERE branch IS NOT NULL AND published_at IS NULL) AS unpublished
     FROM mango_events`,
  );

  const addTx = mangoAdder(db);
  const publishTx = db.transaction((ids: readonly string[], now: number) => {
    for (const id of ids) markPublished.run(now, id);
  });

  const settle = settler(db);

  return {
    add: settle((event, branch) => addTx.immediate(event, branch)),
    unpublished: settle((limit: number) => unpublished.all(limit).map(toEvent)),
    published: settle((ids: readonly string[], now: number) => publishTx.immediate(ids, now)),
    unrouted: settle((limit: number) => unrouted.all(limit).map(toEvent)),
    counts: settle(() => counts.get() ?? { stored: 0, unrouted: 0, unpublished: 0 }),
  };
}

/** Runs synchronous SQLite work as a promise that rejects with a StoreFailure (a coded one). */
export function settler(db: Database) {
  return <A extends unknown[], R>(work: (...args: A) => R) =>
    (...args: A): Promise<R> => {
      try {
        return Promise.resolve(work(...args));
      } catch (error) {
        return Promise.reject(storeFailure(db.filename, error));
      }
    };
}

function storeFailure(path: string, error: unknown): StoreFailure {
  const coded = toStorageError(path, error);
  if (coded instanceof StorageError) return coded;
  const failure = new Error(`the HQ store at ${path} failed: ${String((error as Error)?.message ?? error)}`, {
    cause: error,
  });
  return Object.assign(failure, { code: "STORAGE.FAILED" as const });
}
