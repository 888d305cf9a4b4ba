import { Database } from "bun:sqlite";

/**
 * The floors the pipeline is compared with: bare bun:sqlite with the box's durability (WAL,
 * synchronous=FULL, as src/store/db.ts opens it), no parsing, no logic. The rows are the AMI
 * frames themselves, as the wire brought them, in a table shaped like the box's journal
 * (source, key, call id, event text, received at; unique (source, key); an index on received_at).
 */

export interface BareResult {
  readonly events: number;
  readonly transactions: number;
  readonly ms: number;
  readonly perSec: number;
}

const JOURNAL_LIKE = `CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, key TEXT NOT NULL, call_id TEXT NOT NULL,
  event TEXT NOT NULL, received_at INTEGER NOT NULL, UNIQUE (source, key)) STRICT;
CREATE INDEX events_received ON events (received_at);`;

function open(path: string): Database {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = FULL");
  db.run(JOURNAL_LIKE);
  return db;
}

function timed(
  db: Database,
  frames: readonly string[],
  perTransaction: number,
  one: (i: number, text: string) => void,
) {
  const commit = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) one(i, frames[i] as string);
  });
  const started = performance.now();
  let transactions = 0;
  for (let i = 0; i < frames.length; i += perTransaction) {
    commit(i, Math.min(frames.length, i + perTransaction));
    transactions++;
  }
  const ms = performance.now() - started;
  db.close();
  return { events: frames.length, transactions, ms, perSec: (frames.length / ms) * 1000 };
}

/** One row per AMI event, `perTransaction` events per commit. */
export function bareInserts(path: string, frames: readonly string[], perTransaction: number): BareResult {
  const db = open(path);
  const insert = db.query(
    "INSERT INTO events (source, key, call_id, event, received_at) VALUES (?, ?, ?, ?, ?)",
  );
  return timed(db, frames, perTransaction, (i, text) => insert.run("bench", String(i), "", text, Date.now()));
}

/**
 * The outbox loop of issue 3: each event and an outbox row naming it (what a sender to
 * headquarters would pick up) in one transaction, 100 events per transaction.
 */
export function bareOutboxLoop(path: string, frames: readonly string[], perTransaction = 100): BareResult {
  const db = open(path);
  db.run(
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, event_seq INTEGER NOT NULL, topic TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT",
  );
  const insert = db.query<{ seq: number }, [string, string, string, string, number]>(
    "INSERT INTO events (source, key, call_id, event, received_at) VALUES (?, ?, ?, ?, ?) RETURNING seq",
  );
  const outbox = db.query("INSERT INTO outbox (event_seq, topic, created_at) VALUES (?, ?, ?)");
  return timed(db, frames, perTransaction, (i, text) => {
    const now = Date.now();
    const row = insert.get("bench", String(i), "", text, now);
    outbox.run(row?.seq ?? 0, "call-event", now);
  });
}
