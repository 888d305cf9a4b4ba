import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageError } from "../../src/lib/storage-error.ts";
import { backups, DB_FILE, KEEP_BACKUPS, migrateSafely, openDatabase } from "../../src/store/db.ts";
import { MIGRATIONS, schemaVersion } from "../../src/store/migrations.ts";

const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "branchbox-migrate-"));
  dirs.push(dir);
  return dir;
}

/** A database as an older branchbox left it: schema v`version`, with a staff row. */
function olderDatabase(dir: string, version: number): void {
  const db = openDatabase(dir, { migrate: false });
  migrateSafely(
    db,
    dir,
    MIGRATIONS.filter((m) => m.version <= version),
  );
  db.run(
    "INSERT INTO staff (id, name, role, pin_hash, updated_at) VALUES ('anna', 'Анна', 'reception', 'x', 1)",
  );
  db.close();
}

describe("migrations are safe to roll back", () => {
  test("a new database is created at the latest schema with no backup", () => {
    const dir = tempDir();
    openDatabase(dir).close();
    expect(backups(dir)).toEqual([]);
  });

  test("before migrating an existing database, a consistent copy at the old schema is kept beside it", () => {
    const dir = tempDir();
    olderDatabase(dir, 2);
    const latest = MIGRATIONS.at(-1)?.version as number;
    const db = openDatabase(dir);
    expect(schemaVersion(db)).toBe(latest);
    db.close();
    const name = `${DB_FILE}.v2.pre-v${latest}`;
    expect(backups(dir).map((b) => b.name)).toEqual([name]);
    expect(existsSync(join(dir, `${name}.partial`))).toBe(false);
    const copy = new Database(join(dir, name), { readonly: true });
    expect(schemaVersion(copy)).toBe(2);
    expect(copy.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    expect(copy.query("SELECT name FROM staff").all()).toEqual([{ name: "Анна" }]);
    copy.close();
  });

  test(`only the newest ${KEEP_BACKUPS} copies are kept`, () => {
    const dir = tempDir();
    olderDatabase(dir, 1);
    const latest = MIGRATIONS.at(-1)?.version as number;
    const later = [
      ...MIGRATIONS,
      ...[latest + 1, latest + 2].map((v) => ({
        version: v,
        name: `v${v}`,
        sql: `CREATE TABLE t${v} (x INTEGER) STRICT`,
      })),
    ];
    for (let to = 2; to <= latest + 2; to++) {
      const db = openDatabase(dir, { migrate: false });
      migrateSafely(
        db,
        dir,
        later.filter((m) => m.version <= to),
      );
      db.close();
    }
    const kept = readdirSync(dir).filter((n) => n.includes(".pre-v"));
    expect(kept.sort()).toEqual(
      [latest - 1, latest, latest + 1].map((from) => `${DB_FILE}.v${from}.pre-v${from + 1}`).sort(),
    );
  });

  test("a database from a newer branchbox is refused untouched, naming the copy to roll back to (STORAGE.SCHEMA_TOO_NEW)", () => {
    const dir = tempDir();
    olderDatabase(dir, 3);
    // A newer branchbox migrated it to v99, keeping its copy of v3 as this code would.
    const db = openDatabase(dir, { migrate: false });
    migrateSafely(
      db,
      dir,
      [
        ...MIGRATIONS,
        { version: 99, name: "from the future", sql: "CREATE TABLE future (x INTEGER) STRICT" },
      ].filter((m) => m.version <= 3 || m.version === 99),
    );
    db.close();
    const before = Bun.file(join(dir, DB_FILE)).size;
    let error: unknown;
    try {
      openDatabase(dir);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("STORAGE.SCHEMA_TOO_NEW");
    expect((error as StorageError).message).toContain("schema v99");
    expect((error as StorageError).message).toContain(join(dir, `${DB_FILE}.v3.pre-v99`));
    const after = new Database(join(dir, DB_FILE), { readonly: true });
    expect(schemaVersion(after)).toBe(99);
    after.close();
    expect(Bun.file(join(dir, DB_FILE)).size).toBe(before);

    // The CLI says it in a sentence with the code, exit 1.
    const run = Bun.spawnSync([process.execPath, MAIN, "migrate", "--demo"], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, BRANCHBOX_STORAGE_DIR: dir },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr.toString()).toContain("written by a newer branchbox");
    expect(run.stderr.toString()).toContain("(STORAGE.SCHEMA_TOO_NEW)");
  });
});
