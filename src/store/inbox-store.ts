import type { Database } from "bun:sqlite";

/**
 * What headquarters sent down, per stream: the applied high-water mark (the dedupe: a seq at or
 * below it was applied already) and one row per applied record. Call `add` and `advance` inside the
 * transaction that applies the records, so the mark never runs ahead of what was applied.
 */
export interface InboxStore {
  /** The highest seq applied on `stream`; 0 before the first. */
  through(stream: string): number;
  add(stream: string, record: { seq: number; id: string; type: string }, receivedAt: number): void;
  advance(stream: string, through: number, now: number): void;
  /** Forgets rows received before `before` (the marks stay): returns how many went. */
  prune(before: number): number;
}

export function inboxStore(db: Database): InboxStore {
  const mark = db.query<{ through: number }, [string]>("SELECT through FROM inbox_hwm WHERE stream = ?");
  const insert = db.query("INSERT INTO inbox (stream, seq, id, type, received_at) VALUES (?, ?, ?, ?, ?)");
  const setMark = db.query(
    `INSERT INTO inbox_hwm (stream, through, updated_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (stream) DO UPDATE SET through = max(through, ?2), updated_at = ?3`,
  );
  const remove = db.query("DELETE FROM inbox WHERE received_at < ?");
  return {
    through: (stream) => mark.get(stream)?.through ?? 0,
    add: (stream, record, receivedAt) => {
      insert.run(stream, record.seq, record.id, record.type, receivedAt);
    },
    advance: (stream, through, now) => {
      setMark.run(stream, through, now);
    },
    prune: (before) => remove.run(before).changes,
  };
}
