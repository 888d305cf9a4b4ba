import type { SQL } from "bun";
import type { StaffElsewhere } from "../../../contract/down-records.ts";
import type { PresenceDownRow, PresenceStore, Sighting } from "../presence-store-port.ts";
import { pgSettler } from "./pg-errors.ts";

type Num = string | number;

/**
 * R0.3d's tables (`presence_*`, pg-schema.ts version 2) on HQ's pool; any number of consumers may
 * share them. ALWAYS one `ingest` at a time across all of them: its transaction first takes
 * `LOCK TABLE presence_cursor IN EXCLUSIVE MODE` (plain reads go on), and only then reads the
 * cursor, the sightings and each branch's last seq. A lock per branch would not do: check-ins of
 * one employee at two branches ingested side by side would each miss the other's sighting, and
 * two ingests queueing for one branch would read the same max(seq). Check-ins are few; one writer
 * at a time costs nothing. The seq is max + 1 read under that lock, so a branch's `presence`
 * stream has no holes (a rolled-back ingest takes its seqs with it) and never reuses one.
 */
export function postgresPresenceStore(sql: SQL, where: string): PresenceStore {
  const settle = pgSettler(where);

  const send = async (tx: SQL, to: string, data: StaffElsewhere, now: number) => {
    const id = `elsewhere:${data.branch}:${data.employeeId}:${data.at}`;
    const [queued] = await tx`SELECT 1 AS one FROM presence_down WHERE branch = ${to} AND id = ${id}`;
    if (queued !== undefined) return;
    await tx`INSERT INTO presence_down (branch, seq, id, data, created_at)
             SELECT ${to}, coalesce(max(seq), 0) + 1, ${id}, ${JSON.stringify(data)}, ${now}
             FROM presence_down WHERE branch = ${to}`;
  };

  const ingest = (
    branch: string,
    from: number,
    through: number,
    sightings: readonly Sighting[],
    now: number,
  ) =>
    sql.begin(async (tx) => {
      await tx`LOCK TABLE presence_cursor IN EXCLUSIVE MODE`;
      const [cursor] = await tx`SELECT through FROM presence_cursor WHERE branch = ${branch}`;
      if (Number(cursor?.through ?? 0) !== from) return "moved" as const;
      for (const { employeeId, at } of sightings) {
        const others = (
          (await tx`SELECT branch, last_at FROM presence_sightings
                    WHERE employee_id = ${employeeId} AND branch <> ${branch} ORDER BY branch`) as {
            branch: string;
            last_at: Num;
          }[]
        ).map((o) => ({ branch: o.branch, lastAt: Number(o.last_at) }));
        for (const other of others)
          await send(tx, other.branch, { employeeId, branch, branchName: null, at }, now);
        const newest = others.reduce<{ branch: string; lastAt: number } | null>(
          (a, b) => (a === null || b.lastAt > a.lastAt ? b : a),
          null,
        );
        if (newest !== null && newest.lastAt > at)
          await send(
            tx,
            branch,
            { employeeId, branch: newest.branch, branchName: null, at: newest.lastAt },
            now,
          );
        await tx`INSERT INTO presence_sightings (employee_id, branch, last_at) VALUES (${employeeId}, ${branch}, ${at})
                 ON CONFLICT (employee_id, branch)
                 DO UPDATE SET last_at = greatest(presence_sightings.last_at, excluded.last_at)`;
      }
      await tx`INSERT INTO presence_cursor (branch, through) VALUES (${branch}, ${through})
               ON CONFLICT (branch) DO UPDATE SET through = excluded.through`;
      return "done" as const;
    });

  return {
    cursor: settle(async (branch: string) => {
      const [row] = await sql`SELECT through FROM presence_cursor WHERE branch = ${branch}`;
      return Number(row?.through ?? 0);
    }),
    ingest: settle(ingest),
    unpublished: settle(async (limit: number) => {
      const rows = (await sql`
        SELECT branch, seq, id, data, created_at FROM presence_down
        WHERE published_at IS NULL ORDER BY branch, seq LIMIT ${limit}`) as {
        branch: string;
        seq: Num;
        id: string;
        data: string;
        created_at: Num;
      }[];
      return rows.map(
        (r): PresenceDownRow => ({
          branch: r.branch,
          seq: Number(r.seq),
          id: r.id,
          data: JSON.parse(r.data) as StaffElsewhere,
          createdAt: Number(r.created_at),
        }),
      );
    }),
    published: settle(async (rows: readonly { branch: string; seq: number }[], now: number) => {
      if (rows.length === 0) return;
      await sql.begin(async (tx) => {
        for (const row of rows)
          await tx`UPDATE presence_down SET published_at = ${now} WHERE branch = ${row.branch} AND seq = ${row.seq}`;
      });
    }),
  };
}
