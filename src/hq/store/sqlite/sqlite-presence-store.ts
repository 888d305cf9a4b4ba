import type { Database } from "bun:sqlite";
import type { StaffElsewhere } from "../../../contract/down-records.ts";
import type { PresenceDownRow, PresenceStore, Sighting } from "../presence-store-port.ts";
import { settler } from "./sqlite-mango-store.ts";

/** R0.3d's tables (`presence_*`, hq-schema.ts) on HQ's connection; does not close `db`. */
export function sqlitePresenceStore(db: Database): PresenceStore {
  const cursorGet = db.query<{ through: number }, [string]>(
    "SELECT through FROM presence_cursor WHERE branch = ?",
  );
  const cursorSet = db.query(
    `INSERT INTO presence_cursor (branch, through) VALUES (?, ?)
     ON CONFLICT (branch) DO UPDATE SET through = excluded.through`,
  );
  const seenElsewhere = db.query<{ branch: string; last_at: number }, [string, string]>(
    "SELECT branch, last_at FROM presence_sightings WHERE employee_id = ? AND branch <> ? ORDER BY branch",
  );
  const see = db.query(
    `INSERT INTO presence_sightings (employee_id, branch, last_at) VALUES (?, ?, ?)
     ON CONFLICT (employee_id, branch) DO UPDATE SET last_at = max(last_at, excluded.last_at)`,
  );
  const nextSeq = db.query<{ next: number }, [string]>(
    "SELECT coalesce(max(seq), 0) + 1 AS next FROM presence_down WHERE branch = ?",
  );
  const queued = db.query<{ one: number }, [string, string]>(
    "SELECT 1 AS one FROM presence_down WHERE branch = ? AND id = ?",
  );
  const queue = db.query(
    "INSERT INTO presence_down (branch, seq, id, data, created_at) VALUES (?, ?, ?, ?, ?)",
  );
  const unpublished = db.query<
    { branch: string; seq: number; id: string; data: string; created_at: number },
    [number]
  >("SELECT * FROM presence_down WHERE published_at IS NULL ORDER BY branch, seq LIMIT ?");
  const markPublished = db.query("UPDATE presence_down SET published_at = ? WHERE branch = ? AND seq = ?");

  const send = (to: string, data: StaffElsewhere, now: number) => {
    const id = `elsewhere:${data.branch}:${data.employeeId}:${data.at}`;
    if (queued.get(to, id) !== null) return;
    queue.run(to, nextSeq.get(to)?.next ?? 1, id, JSON.stringify(data), now);
  };
  const ingestTx = db.transaction(
    (branch: string, from: number, through: number, sightings: readonly Sighting[], now: number) => {
      if ((cursorGet.get(branch)?.through ?? 0) !== from) return "moved" as const;
      for (const { employeeId, at } of sightings) {
        const others = seenElsewhere.all(employeeId, branch);
        for (const other of others) send(other.branch, { employeeId, branch, branchName: null, at }, now);
        const newest = others.reduce<{ branch: string; last_at: number } | null>(
          (a, b) => (a === null || b.last_at > a.last_at ? b : a),
          null,
        );
        if (newest !== null && newest.last_at > at)
          send(branch, { employeeId, branch: newest.branch, branchName: null, at: newest.last_at }, now);
        see.run(employeeId, branch, at);
      }
      cursorSet.run(branch, through);
      return "done" as const;
    },
  );
  const publishTx = db.transaction((rows: readonly { branch: string; seq: number }[], now: number) => {
    for (const row of rows) markPublished.run(now, row.branch, row.seq);
  });
  const settle = settler(db);
  return {
    cursor: settle((branch: string) => cursorGet.get(branch)?.through ?? 0),
    ingest: settle((branch, from, through, sightings, now) =>
      ingestTx.immediate(branch, from, through, sightings, now),
    ),
    unpublished: settle((limit: number) =>
      unpublished.all(limit).map(
        (r): PresenceDownRow => ({
          branch: r.branch,
          seq: r.seq,
          id: r.id,
          data: JSON.parse(r.data) as StaffElsewhere,
          createdAt: r.created_at,
        }),
      ),
    ),
    published: settle((rows: readonly { branch: string; seq: number }[], now: number) =>
      publishTx.immediate(rows, now),
    ),
  };
}
