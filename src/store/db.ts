import { Database } from "bun:sqlite";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { migrate, schemaVersion } from "../lib/sqlite-migrate.ts";
import { StorageError, withStorageErrors } from "../lib/storage-error.ts";
import { MIGRATIONS } from "./migrations.ts";

export const DB_FILE = "branchbox.db";
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) the box's database under `dir`, in WAL mode with synchronous=FULL:
 * every commit that records a fact is on disk before it returns. Runs pending migrations.
 */
export function openDatabase(dir: string, options: { migrate?: boolean } = {}): Database {
  const path = join(dir, DB_FILE);
  return withStorageErrors(path, () => {
    mkdirSync(dir, { recursive: true });
    const db = new Database(path, { create: true, strict: true });
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = FULL");
    db.run("PRAGMA foreign_keys = ON");
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (options.migrate !== false) migrateSafely(db, dir);
    return db;
  });
}

/** How many pre-migration copies of the database stay under the storage folder. */
export const KEEP_BACKUPS = 3;
const BACKUP_NAME = /^branchbox\.db\.v(\d+)\.pre-v(\d+)$/;

/**
 * Brings the schema up to date, safely for an upgrade that may be rolled back: a database from a
 * newer branchbox is refused untouched (this one cannot know what the newer schema means), and
 * before migrating an existing database a consistent copy is written beside it,
 * `branchbox.db.v<from>.pre-v<to>`, so the previous binary can be put back with its data.
 * Returns the versions applied.
 */
export function migrateSafely(db: Database, dir: string, migrations = MIGRATIONS): number[] {
  const current = schemaVersion(db);
  const latest = Math.max(0, ...migrations.map((m) => m.version));
  if (current > latest) throw schemaTooNew(dir, current, latest);
  if (current > 0 && current < latest) backUp(db, dir, current, latest);
  return migrate(db, migrations);
}

function backUp(db: Database, dir: string, from: number, to: number): void {
  const name = `${DB_FILE}.v${from}.pre-v${to}`;
  const partial = join(dir, `${name}.partial`);
  rmSync(partial, { force: true });
  // VACUUM INTO writes a consistent snapshot even while the WAL holds recent commits.
  db.run("VACUUM INTO ?", [partial]);
  fsyncPath(partial);
  renameSync(partial, join(dir, name));
  fsyncPath(dir);
  for (const old of backups(dir).slice(KEEP_BACKUPS)) rmSync(join(dir, old.name), { force: true });
}

/** The pre-migration copies under `dir`, newest first. */
export function backups(dir: string): { name: string; from: number; to: number; at: number }[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const match = BACKUP_NAME.exec(name);
      return match === null
        ? []
        : [{ name, from: Number(match[1]), to: Number(match[2]), at: statSync(join(dir, name)).mtimeMs }];
    })
    .sort((a, b) => b.at - a.at || b.to - a.to);
}

function schemaTooNew(dir: string, current: number, latest: number): StorageError {
  const path = join(dir, DB_FILE);
  const backup = backups(dir).find((b) => b.from <= latest);
  const rollBack =
    backup === undefined
      ? "no pre-upgrade copy is left under the storage folder"
      : `or roll back: stop branchbox and replace ${path} with ${join(dir, backup.name)} (taken before that upgrade; what was recorded since is lost)`;
  return new StorageError(
    "STORAGE.SCHEMA_TOO_NEW",
    `the database at ${path} has schema v${current}, written by a newer branchbox; this one knows up to v${latest} and leaves it untouched. Run the newer branchbox again, ${rollBack}.`,
  );
}

/** fsync(2) a file or a folder (after a rename, so the new name survives a power cut). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * For the watchdog: null when the database answers a read of the schema table and grants the
 * write lock within `budgetMs`, else what went wrong. It writes nothing (BEGIN IMMEDIATE, then
 * ROLLBACK), so it wears no flash; it does not fail on a full disk, which a restart would not cure.
 */
export function probeDatabase(db: Database, budgetMs: number): string | null {
  try {
    db.run(`PRAGMA busy_timeout = ${Math.max(1, Math.floor(budgetMs))}`);
    db.run("BEGIN IMMEDIATE");
    try {
      db.query("SELECT max(version) FROM schema_migrations").get();
    } finally {
      db.run("ROLLBACK");
    }
    return null;
  } catch (error) {
    return `database: ${(error as Error).message}`;
  } finally {
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}
