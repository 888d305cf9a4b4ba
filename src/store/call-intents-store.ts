import type { Database } from "bun:sqlite";
import type { CallIntents, Intent } from "../domain/rules/intent-types.ts";

export type { CallIntents } from "../domain/rules/intent-types.ts";

/**
 * The intents sent per call, written in the transaction that put them in the outbox: the record
 * that a call was decided (so a replay or a re-attribution never sends them again) and what the
 * admin's call page explains.
 */
export interface CallIntentsStore {
  get(callId: string): CallIntents | null;
  /** R3.10's intents as the call starts. Call inside a transaction. */
  started(callId: string, intents: readonly Intent[], now: number): void;
  /** The after-call intents (added to `before`'s, the row `get` gave), or why none. Call inside a transaction. */
  decided(
    callId: string,
    before: CallIntents | null,
    intents: readonly Intent[],
    none: string | null,
    now: number,
  ): void;
}

interface Row {
  started: number;
  decided: number;
  intents: string;
  none: string | null;
}

export function callIntentsStore(db: Database): CallIntentsStore {
  const select = db.query<Row, [string]>(
    "SELECT started, decided, intents, none FROM call_intents WHERE call_id = ?",
  );
  const upsert = db.query(
    `INSERT INTO call_intents (call_id, started, decided, intents, none, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (call_id) DO UPDATE SET started = ?2, decided = ?3, intents = ?4, none = ?5, updated_at = ?6`,
  );
  const get = (callId: string): CallIntents | null => {
    const row = select.get(callId);
    return row === null
      ? null
      : {
          started: row.started === 1,
          decided: row.decided === 1,
          intents: JSON.parse(row.intents) as Intent[],
          none: row.none,
        };
  };
  return {
    get,
    started: (callId, intents, now) => upsert.run(callId, 1, 0, JSON.stringify(intents), null, now),
    decided: (callId, before, intents, none, now) => {
      const all = [...(before?.intents ?? []), ...intents];
      upsert.run(callId, before?.started ? 1 : 0, 1, JSON.stringify(all), none, now);
    },
  };
}
