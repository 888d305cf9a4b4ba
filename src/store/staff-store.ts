import type { Database } from "bun:sqlite";
import type { Role, StaffMember } from "../domain/roster/types.ts";

export interface StaffRow extends StaffMember {
  readonly pinHash: string;
}

export interface StaffStore {
  list(): StaffRow[];
  get(id: string): StaffRow | null;
  upsert(rows: readonly StaffRow[], now: number): { added: number; updated: number };
  /** Removes an employee (and their PIN lockout); false when unknown. Roster facts stay: they are history. */
  remove(id: string): boolean;
}

interface Row {
  id: string;
  name: string;
  role: Role;
  extension: string | null;
  pin_hash: string;
}

const toStaff = (r: Row): StaffRow => ({
  id: r.id,
  name: r.name,
  role: r.role,
  extension: r.extension,
  pinHash: r.pin_hash,
});

export function staffStore(db: Database): StaffStore {
  const all = db.query<Row, []>("SELECT id, name, role, extension, pin_hash FROM staff ORDER BY name, id");
  const one = db.query<Row, [string]>("SELECT id, name, role, extension, pin_hash FROM staff WHERE id = ?");
  const upsertOne = db.query(
    `INSERT INTO staff (id, name, role, extension, pin_hash, updated_at) VALUES ($id, $name, $role, $extension, $pinHash, $now)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, extension = excluded.extension,
       pin_hash = excluded.pin_hash, updated_at = excluded.updated_at`,
  );
  const removeOne = db.query("DELETE FROM staff WHERE id = ?");
  const removeAttempts = db.query("DELETE FROM pin_attempts WHERE employee_id = ?");
  return {
    list: () => all.all().map(toStaff),
    get: (id) => {
      const row = one.get(id);
      return row === null ? null : toStaff(row);
    },
    upsert: (rows, now) =>
      db.transaction(() => {
        let added = 0;
        for (const row of rows) {
          if (one.get(row.id) === null) added++;
          upsertOne.run({ ...row, now });
        }
        return { added, updated: rows.length - added };
      })(),
    remove: (id) =>
      db.transaction(() => {
        removeAttempts.run(id);
        return removeOne.run(id).changes === 1;
      })(),
  };
}
