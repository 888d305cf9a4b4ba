import type { Database } from "bun:sqlite";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const BOOKKEEPING =
  "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

const currentVersion = (db: Database): number =>
  db.query<{ v: number | null }, []>("SELECT max(version) AS v FROM schema_migrations").get()?.v ?? 0;

/** The highest migration applied to `db` (0 for a new file); creates the bookkeeping table if missing. */
export function schemaVersion(db: Database): number {
  db.run(BOOKKEEPING);
  return currentVersion(db);
}

/**
 * The one migration runner of the box's database and of HQ's. Applied migrations are rows of
 * `schema_migrations (version, name, applied_at)`; a file that has that table (either program's,
 * of any age) is picked up where it stands, and nothing recorded there runs again.
 *
 * Each pending migration runs in its own IMMEDIATE transaction together with its row, so a
 * failure leaves the schema at the previous version. The version is read again inside that
 * transaction: two processes starting on one file at once (HQ consumers sharing hq.db) take
 * turns, and the second finds the migration done. Returns the versions this call applied.
 */
export function migrate(db: Database, migrations: readonly Migration[]): number[] {
  const pending = schemaVersion(db);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= pending) continue;
    const ran = db
      .transaction(() => {
        if (migration.version <= currentVersion(db)) return false;
        db.run(migration.sql);
        db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        return true;
      })
      .immediate();
    if (ran) applied.push(migration.version);
  }
  return applied;
}
