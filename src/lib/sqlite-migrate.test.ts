import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { type Migration, migrate, schemaVersion } from "./sqlite-migrate.ts";

const tables = (db: Database) =>
  db
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((t) => t.name);

const m = (version: number, sql: string): Migration => ({ version, name: `m${version}`, sql });

describe("the migration runner (box and HQ)", () => {
  test("applies the pending migrations in order, records each, and on the next run applies nothing", () => {
    const db = new Database(":memory:", { strict: true });
    expect(schemaVersion(db)).toBe(0);
    const all = [
      m(1, "CREATE TABLE a (x INTEGER)"),
      m(2, "CREATE TABLE b (x INTEGER); CREATE TABLE c (x INTEGER)"),
    ];
    expect(migrate(db, all)).toEqual([1, 2]);
    expect(tables(db)).toEqual(["a", "b", "c", "schema_migrations"]);
    expect(db.query("SELECT version, name FROM schema_migrations ORDER BY version").all()).toEqual([
      { version: 1, name: "m1" },
      { version: 2, name: "m2" },
    ]);
    expect(migrate(db, all)).toEqual([]);
    expect(migrate(db, [...all, m(3, "CREATE TABLE d (x INTEGER)")])).toEqual([3]);
    expect(schemaVersion(db)).toBe(3);
  });

  test("a migration that fails leaves the schema at the version before it, none of its statements kept", () => {
    const db = new Database(":memory:", { strict: true });
    const all = [
      m(1, "CREATE TABLE a (x INTEGER)"),
      m(2, "CREATE TABLE b (x INTEGER); CREATE TABLE a (y INTEGER)"),
      m(3, "CREATE TABLE c (x INTEGER)"),
    ];
    expect(() => migrate(db, all)).toThrow(/already exists/);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(["a", "schema_migrations"]);
  });

  test("a file whose bookkeeping another runner wrote is taken as it stands: recorded versions never run again", () => {
    const db = new Database(":memory:", { strict: true });
    db.run(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    db.run("CREATE TABLE a (x INTEGER)");
    db.run("INSERT INTO schema_migrations VALUES (1, 'old name', 42)");
    expect(migrate(db, [m(1, "CREATE TABLE a (x INTEGER)"), m(2, "CREATE TABLE b (x INTEGER)")])).toEqual([
      2,
    ]);
    expect(
      db.query("SELECT version, name, applied_at FROM schema_migrations WHERE version = 1").get(),
    ).toEqual({
      version: 1,
      name: "old name",
      applied_at: 42,
    });
  });
});
