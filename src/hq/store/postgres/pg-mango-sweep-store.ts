import type { SQL } from "bun";
import type { MangoStatsEvent, MangoSweep, MangoSweepStore } from "../mango-sweep-store-port.ts";
import { pgSettler } from "./pg-errors.ts";
import { addMangoEvent, lockMangoEvents } from "./pg-mango-store.ts";

type Num = string | number;
type Row = {
  id: Num;
  reason: string;
  date_from: Num;
  date_to: Num;
  state: string;
  stats_key: string | null;
  next_at: Num;
  attempts: number;
  rows: number | null;
  new_entries: number | null;
  bad_lines: number | null;
  last_code: string | null;
  last_error: string | null;
  created_at: Num;
  finished_at: Num | null;
};

const toSweep = (r: Row): MangoSweep => ({
  id: Number(r.id),
  reason: r.reason as MangoSweep["reason"],
  from: Number(r.date_from),
  to: Number(r.date_to),
  state: r.state as MangoSweep["state"],
  key: r.stats_key,
  nextAt: Number(r.next_at),
  attempts: r.attempts,
  rows: r.rows,
  newEntries: r.new_entries,
  badLines: r.bad_lines,
  lastCode: r.last_code,
  lastError: r.last_error,
  createdAt: Number(r.created_at),
  finishedAt: r.finished_at === null ? null : Number(r.finished_at),
});

/**
 * The heartbeat and the sweeps (`hq_heartbeat`, `mango_sweeps`, pg-schema.ts version 5) on HQ's
 * pool. `complete` holds lockMangoEvents for its whole transaction: "does any event of this entry
 * exist" is answered under the lock every webhook and command result takes too, so a webhook
 * arriving from another consumer mid-sweep is either seen or waits, and an entry is stored once.
 */
export function postgresMangoSweepStore(sql: SQL, where: string): MangoSweepStore {
  const settle = pgSettler(where);
  return {
    lastBeat: settle(async () => {
      const [row] = await sql`SELECT beat_at FROM hq_heartbeat WHERE id = 1`;
      return row === undefined ? null : Number(row.beat_at);
    }),
    beat: settle(async (now: number) => {
      await sql`INSERT INTO hq_heartbeat (id, beat_at) VALUES (1, ${now})
                ON CONFLICT (id) DO UPDATE SET beat_at = greatest(hq_heartbeat.beat_at, excluded.beat_at)`;
    }),
    lastPeriodicTo: settle(async () => {
      const [row] = await sql`SELECT max(date_to) AS "to" FROM mango_sweeps WHERE reason = 'periodic'`;
      return row?.to === null || row?.to === undefined ? null : Number(row.to);
    }),
    plan: settle(async (sweeps, now: number) => {
      if (sweeps.length === 0) return;
      await sql.begin(async (tx) => {
        for (const s of sweeps)
          await tx`INSERT INTO mango_sweeps (reason, date_from, date_to, state, next_at, created_at)
                   VALUES (${s.reason}, ${s.from}, ${s.to}, 'pending', ${s.nextAt}, ${now})`;
      });
    }),
    due: settle(async (now: number) => {
      const [row] = (await sql`
        SELECT * FROM mango_sweeps WHERE state IN ('pending', 'requested') AND next_at <= ${now}
        ORDER BY next_at, id LIMIT 1`) as Row[];
      return row === undefined ? null : toSweep(row);
    }),
    update: settle(async (id: number, c) => {
      await sql`UPDATE mango_sweeps SET state = ${c.state}, stats_key = ${c.key}, next_at = ${c.nextAt},
                  attempts = ${c.attempts}, last_code = ${c.code}, last_error = ${c.error},
                  finished_at = CASE WHEN ${c.state} = 'failed' THEN ${c.now}::bigint ELSE finished_at END
                WHERE id = ${id}`;
    }),
    complete: settle(
      (id: number, r: { rows: number; badLines: number; events: readonly MangoStatsEvent[]; now: number }) =>
        sql.begin(async (tx) => {
          await lockMangoEvents(tx);
          let newEntries = 0;
          for (const e of r.events) {
            const known = await tx`SELECT 1 AS one FROM mango_events WHERE entry_id = ${e.entryId} LIMIT 1`;
            if (known.length > 0) continue;
            const added = await addMangoEvent(
              tx,
              { id: e.id, kind: "stats", json: e.json, receivedAt: r.now, entryId: e.entryId },
              e.branch,
            );
            if (added.kind === "stored") newEntries++;
          }
          await tx`UPDATE mango_sweeps SET state = 'done', stats_key = NULL, rows = ${r.rows},
                     new_entries = ${newEntries}, bad_lines = ${r.badLines}, finished_at = ${r.now}
                   WHERE id = ${id}`;
          return { newEntries };
        }),
    ),
    recent: settle(async (limit: number) =>
      ((await sql`SELECT * FROM mango_sweeps ORDER BY id DESC LIMIT ${limit}`) as Row[]).map(toSweep),
    ),
    prune: settle(async (before: number) => {
      const gone = await sql`
        DELETE FROM mango_sweeps WHERE state IN ('done', 'failed') AND finished_at < ${before}
          AND id IS DISTINCT FROM (SELECT max(id) FROM mango_sweeps WHERE reason = 'periodic')
        RETURNING 1`;
      return gone.length;
    }),
  };
}
