import type { Database } from "bun:sqlite";
import type { MangoStatsEvent, MangoSweep, MangoSweepStore } from "../mango-sweep-store-port.ts";
import { mangoAdder, settler } from "./sqlite-mango-store.ts";

type Row = {
  id: number;
  reason: string;
  date_from: number;
  date_to: number;
  state: string;
  stats_key: string | null;
  next_at: number;
  attempts: number;
  rows: number | null;
  new_entries: number | null;
  bad_lines: number | null;
  last_code: string | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
};

const toSweep = (r: Row): MangoSweep => ({
  id: r.id,
  reason: r.reason as MangoSweep["reason"],
  from: r.date_from,
  to: r.date_to,
  state: r.state as MangoSweep["state"],
  key: r.stats_key,
  nextAt: r.next_at,
  attempts: r.attempts,
  rows: r.rows,
  newEntries: r.new_entries,
  badLines: r.bad_lines,
  lastCode: r.last_code,
  lastError: r.last_error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

/** The heartbeat and the sweeps (`hq_heartbeat`, `mango_sweeps`, hq-schema.ts) on HQ's connection. */
export function sqliteMangoSweepStore(db: Database): MangoSweepStore {
  const settle = settler(db);
  const add = mangoAdder(db);
  const lastBeat = db.query<{ beat_at: number }, []>("SELECT beat_at FROM hq_heartbeat WHERE id = 1");
  const beat = db.query(
    `INSERT INTO hq_heartbeat (id, beat_at) VALUES (1, ?)
     ON CONFLICT (id) DO UPDATE SET beat_at = max(beat_at, excluded.beat_at)`,
  );
  const lastPeriodic = db.query<{ to: number | null }, []>(
    "SELECT max(date_to) AS \"to\" FROM mango_sweeps WHERE reason = 'periodic'",
  );
  const insert = db.query(
    `INSERT INTO mango_sweeps (reason, date_from, date_to, state, next_at, created_at)
     VALUES (?, ?, ?, 'pending', ?, ?)`,
  );
  const due = db.query<Row, [number]>(
    `SELECT * FROM mango_sweeps WHERE state IN ('pending', 'requested') AND next_at <= ?
     ORDER BY next_at, id LIMIT 1`,
  );
  const update = db.query(
    `UPDATE mango_sweeps SET state = ?, stats_key = ?, next_at = ?, attempts = ?, last_code = ?,
       last_error = ?, finished_at = CASE WHEN ? = 'failed' THEN ? ELSE finished_at END WHERE id = ?`,
  );
  const known = db.query<{ one: number }, [string]>(
    "SELECT 1 AS one FROM mango_events WHERE entry_id = ? LIMIT 1",
  );
  const done = db.query(
    `UPDATE mango_sweeps SET state = 'done', stats_key = NULL, rows = ?, new_entries = ?, bad_lines = ?,
       finished_at = ? WHERE id = ?`,
  );
  const prune = db.query(
    `DELETE FROM mango_sweeps WHERE state IN ('done', 'failed') AND finished_at < ?
       AND id IS NOT (SELECT max(id) FROM mango_sweeps WHERE reason = 'periodic')`,
  );
  const recent = db.query<Row, [number]>("SELECT * FROM mango_sweeps ORDER BY id DESC LIMIT ?");

  const planTx = db.transaction(
    (sweeps: readonly { reason: string; from: number; to: number; nextAt: number }[], now: number) => {
      for (const s of sweeps) insert.run(s.reason, s.from, s.to, s.nextAt, now);
    },
  );
  const completeTx = db.transaction(
    (id: number, r: { rows: number; badLines: number; events: readonly MangoStatsEvent[]; now: number }) => {
      let newEntries = 0;
      for (const e of r.events) {
        if (known.get(e.entryId) !== null) continue;
        const added = add(
          { id: e.id, kind: "stats", json: e.json, receivedAt: r.now, entryId: e.entryId },
          e.branch,
        );
        if (added.kind === "stored") newEntries++;
      }
      done.run(r.rows, newEntries, r.badLines, r.now, id);
      return { newEntries };
    },
  );

  return {
    lastBeat: settle(() => lastBeat.get()?.beat_at ?? null),
    beat: settle((now: number) => void beat.run(now)),
    lastPeriodicTo: settle(() => lastPeriodic.get()?.to ?? null),
    plan: settle((sweeps, now) => planTx.immediate(sweeps, now)),
    due: settle((now: number) => {
      const row = due.get(now);
      return row === null ? null : toSweep(row);
    }),
    update: settle(
      (id, c) => void update.run(c.state, c.key, c.nextAt, c.attempts, c.code, c.error, c.state, c.now, id),
    ),
    complete: settle((id, result) => completeTx.immediate(id, result)),
    recent: settle((limit: number) => recent.all(limit).map(toSweep)),
    prune: settle((before: number) => prune.run(before).changes),
  };
}
