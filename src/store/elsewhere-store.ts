import type { Database } from "bun:sqlite";
import type { Elsewhere } from "../domain/roster/elsewhere.ts";

/**
 * R0.3d: the `staff.elsewhere` records headquarters sent (the `presence` down stream), one row per
 * record id. `add` runs inside the inbox's transaction; a record id seen before is not added again
 * (false). `recent()` lists those of the two days up to the newest one, oldest first (what a day's
 * board and routing can still need after a restart).
 */
export interface ElsewhereStore {
  add(id: string, elsewhere: Elsewhere, now: number): boolean;
  recent(): Elsewhere[];
}

const TWO_DAYS_MS = 2 * 24 * 60 * 60 * 1000;

export function elsewhereStore(db: Database): ElsewhereStore {
  const insert = db.query(
    `INSERT INTO roster_elsewhere (id, employee_id, branch, branch_name, at, received_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const select = db.query<
    { employee_id: string; branch: string; branch_name: string | null; at: number },
    [number]
  >(
    `SELECT employee_id, branch, branch_name, at FROM roster_elsewhere
     WHERE at >= (SELECT max(at) FROM roster_elsewhere) - ? ORDER BY at`,
  );
  return {
    add: (id, e, now) => insert.run(id, e.employeeId, e.branchId, e.branchName, e.at, now).changes > 0,
    recent: () =>
      select.all(TWO_DAYS_MS).map((r) => ({
        employeeId: r.employee_id,
        branchId: r.branch,
        branchName: r.branch_name,
        at: r.at,
      })),
  };
}
