import type { Database } from "bun:sqlite";
import type { PbxEvent } from "../domain/call/pbx-event.ts";

export interface JournaledEvent {
  readonly seq: number;
  readonly event: PbxEvent;
}

/** The PBX event journal: append-only, deduplicated by (source, key). */
export interface JournalStore {
  /** Appends the events; returns only those it did not have yet, in order. Call inside a transaction. */
  append(events: readonly PbxEvent[], receivedAt: number): JournaledEvent[];
  /** Every retained event in journal order, for a replay. */
  all(): JournaledEvent[];
  /** Forgets the calls whose last event came before `before` (long finished and recorded). */
  prune(before: number): number;
  count(): number;
}

export function journalStore(db: Database): JournalStore {
  const insert = db.query<{ seq: number }, [string, string, string, string, number]>(
    "INSERT INTO pbx_journal (source, key, call_id, event, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, key) DO NOTHING RETURNING seq",
  );
  const selectAll = db.query<{ seq: number; event: string }, []>(
    "SELECT seq, event FROM pbx_journal ORDER BY seq",
  );
  // Whole calls only: a call whose first events were pruned would replay as a different call.
  const deleteBefore = db.query(
    "DELETE FROM pbx_journal WHERE call_id IN (SELECT call_id FROM pbx_journal GROUP BY call_id HAVING max(received_at) < ?)",
  );
  const countAll = db.query<{ n: number }, []>("SELECT count(*) AS n FROM pbx_journal");
  return {
    append(events, receivedAt) {
      const fresh: JournaledEvent[] = [];
      for (const event of events) {
        const row = insert.get(event.source, event.key, event.callId, JSON.stringify(event), receivedAt);
        if (row !== null) fresh.push({ seq: row.seq, event });
      }
      return fresh;
    },
    all: () => selectAll.all().map((r) => ({ seq: r.seq, event: JSON.parse(r.event) as PbxEvent })),
    prune: (before) => deleteBefore.run(before).changes,
    count: () => countAll.get()?.n ?? 0,
  };
}
