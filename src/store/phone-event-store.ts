import type { Database } from "bun:sqlite";
import type { PhoneEventKind } from "../domain/phones/action-urls.ts";

/** One accepted action-URL event of a `[[phones]]` entry, as kept. */
export interface StoredPhoneEvent {
  readonly phoneId: string;
  readonly at: number;
  readonly kind: PhoneEventKind;
  readonly remote: string | null;
  readonly remoteName: string | null;
}

/** The desk phones' accepted events (issue 17): written once each, read back in order. */
export interface PhoneEventStore {
  add(event: StoredPhoneEvent): void;
  /** Every event since `at` (inclusive), oldest first. */
  since(at: number): StoredPhoneEvent[];
  /** The `answered` events of these phones between `from` and `to` (inclusive). */
  answers(phoneIds: readonly string[], from: number, to: number): StoredPhoneEvent[];
  /** Drops events before `at`. */
  prune(at: number): void;
}

interface Row {
  phone_id: string;
  at: number;
  kind: string;
  remote: string | null;
  remote_name: string | null;
}

const fromRow = (r: Row): StoredPhoneEvent => ({
  phoneId: r.phone_id,
  at: r.at,
  kind: r.kind as PhoneEventKind,
  remote: r.remote,
  remoteName: r.remote_name,
});

export function phoneEventStore(db: Database): PhoneEventStore {
  const insert = db.query(
    "INSERT INTO phone_events (phone_id, at, kind, remote, remote_name) VALUES (?1, ?2, ?3, ?4, ?5)",
  );
  const since = db.query<Row, [number]>(
    "SELECT phone_id, at, kind, remote, remote_name FROM phone_events WHERE at >= ? ORDER BY at, rowid",
  );
  const answers = db.query<Row, [string, number, number]>(
    `SELECT phone_id, at, kind, remote, remote_name FROM phone_events
     WHERE phone_id IN (SELECT value FROM json_each(?1)) AND kind = 'answered' AND at BETWEEN ?2 AND ?3
     ORDER BY at, rowid`,
  );
  const prune = db.query("DELETE FROM phone_events WHERE at < ?");
  return {
    add: (e) => void insert.run(e.phoneId, e.at, e.kind, e.remote, e.remoteName),
    since: (at) => since.all(at).map(fromRow),
    answers: (ids, from, to) => answers.all(JSON.stringify(ids), from, to).map(fromRow),
    prune: (at) => void prune.run(at),
  };
}
