// The SQLite adapter of the HQ store: the contract suite on a real file in a temp dir, then what
// only this adapter has (the file's settings, and files older builds left).
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { HQ_DB_FILE, openHqDatabase, sqliteHqStore } from "../../src/hq/store/sqlite/index.ts";
import { envelope, tempDir } from "./hq-fixtures.ts";
import { type MakeStore, runHqStoreSuite, type StorePart } from "./hq-store.suite.ts";

/** The tables a part's writes go to. */
const TABLES: Record<StorePart, string> = {
  records: "records",
  marks: "streams",
  forward: "forward_queue",
  presence: "branches",
};

const makeStore: MakeStore = async (options) => {
  const dir = tempDir("hq-store");
  const handles = [sqliteHqStore(openHqDatabase(dir), options)];
  // Faults are planted by a connection of their own, as triggers every connection obeys.
  const control = new Database(join(dir, HQ_DB_FILE), { strict: true });
  control.run("PRAGMA busy_timeout = 5000");
  const planted: string[] = [];
  return {
    store: handles[0] as (typeof handles)[0],
    async another() {
      const store = sqliteHqStore(openHqDatabase(dir), options);
      handles.push(store);
      return store;
    },
    async breakWrites(part, stream) {
      const table = TABLES[part];
      const when = stream === undefined ? "" : `WHEN NEW.stream = '${stream}'`;
      for (const op of ["INSERT", "UPDATE"]) {
        const name = `broken_${table}_${op.toLowerCase()}`;
        control.run(
          `CREATE TRIGGER ${name} BEFORE ${op} ON ${table} ${when} BEGIN SELECT RAISE(ABORT, 'write failed (test)'); END`,
        );
        planted.push(name);
      }
    },
    async heal() {
      for (const name of planted.splice(0)) control.run(`DROP TRIGGER ${name}`);
    },
    async close() {
      for (const store of handles) await store.close();
      control.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

runHqStoreSuite("SQLite", makeStore);

const pragma = (db: Database, name: string) =>
  Object.values(db.query(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];

describe("HQ store, SQLite: the file", () => {
  test("a new hq.db has 8 KiB pages and a rollback journal (appends written once), synchronous=FULL", async () => {
    const db = openHqDatabase(tempDir("hq-file"));
    expect(pragma(db, "page_size")).toBe(8192);
    expect(pragma(db, "journal_mode")).toBe("truncate");
    expect(pragma(db, "synchronous")).toBe(2);
    const store = sqliteHqStore(db, { forward: false });
    await store.apply([envelope("b1", "calls", 1, 50)], () => 1);
    expect((await store.records("b1", "calls", 0, 100)).length).toBe(50);
    await store.close();
  });

  test("a file an older build left in WAL is switched; while another connection holds it in WAL it stays WAL and works", async () => {
    const dir = tempDir("hq-wal");
    const old = new Database(join(dir, HQ_DB_FILE), { create: true, strict: true });
    old.run("PRAGMA journal_mode = WAL");
    old.run("CREATE TABLE t (x INTEGER)");
    // Held open (a consumer of the older build still running): no switch, both go on in WAL.
    const heldDb = openHqDatabase(dir);
    expect(pragma(heldDb, "journal_mode")).toBe("wal");
    const held = sqliteHqStore(heldDb, { forward: false });
    await held.apply([envelope("b1", "calls", 1, 10)], () => 1);
    expect(await held.hwm("b1", "calls")).toBe(10);
    old.close();
    await held.close();
    // The last one gone: the next start switches the file.
    const nextDb = openHqDatabase(dir);
    expect(pragma(nextDb, "journal_mode")).toBe("truncate");
    const next = sqliteHqStore(nextDb, { forward: false });
    await next.apply([envelope("b1", "calls", 11, 20)], () => 2);
    expect((await next.records("b1", "calls", 0, 100)).map((r) => r.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    await next.close();
  });

  test("an hq.db the previous build made (its own migration code) is adopted as it is: nothing runs again, nothing is lost", async () => {
    const dir = tempDir("hq-adopt");
    // What the previous build (hq-schema.ts with its own migrateHq, before the shared runner) wrote.
    const old = new Database(join(dir, HQ_DB_FILE), { create: true, strict: true });
    old.run("PRAGMA page_size = 8192");
    old.run("PRAGMA journal_mode = TRUNCATE");
    old.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    old
      .transaction(() => {
        old.run(PREVIOUS_BUILD_V1);
        old.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
          1,
          "records, streams, branches, forward queue",
          1_111,
        ]);
      })
      .immediate();
    old.run(
      `INSERT INTO records (branch, stream, seq, id, ts, type, data, epoch, historical, applied_at)
       VALUES ('b1', 'calls', 1, 'c-1', 10, 'call.record', '{"n":1}', 1, 0, 20),
              ('b1', 'calls', 2, 'c-2', 11, 'call.record', '{"n":2}', 1, 0, 20)`,
    );
    old.run(
      "INSERT INTO streams (branch, stream, hwm, duplicates, last_record_ts, last_applied_at) VALUES ('b1', 'calls', 2, 4, 11, 20)",
    );
    old.run("INSERT INTO branches VALUES ('b1', 1, 3, '0.1.0', 0, 15)");
    old.run("INSERT INTO forward_queue (branch, stream, seq, next_at) VALUES ('b1', 'calls', 2, 20)");
    old.close();

    const db = openHqDatabase(dir);
    // Version 1 is not run again; later migrations (2: issue 17's mango_events, 3: its heartbeat
    // and gap sweeps, 4: its commands; 5: issue 18's presence; 6: issue 19's CRM steps) run once, on top.
    expect(
      db.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").all(),
    ).toEqual([
      { version: 1, name: "records, streams, branches, forward queue", applied_at: 1_111 },
      { version: 2, name: "mango events (issue 17)", applied_at: expect.any(Number) },
      { version: 3, name: "hq heartbeat, mango sweeps (issue 17 gaps)", applied_at: expect.any(Number) },
      { version: 4, name: "mango commands (issue 17)", applied_at: expect.any(Number) },
      { version: 5, name: "presence across branches (issue 18, R0.3d)", applied_at: expect.any(Number) },
      { version: 6, name: "crm steps and tokens (issue 19)", applied_at: expect.any(Number) },
    ]);
    const store = sqliteHqStore(db, { forward: true });
    expect(await store.hwm("b1", "calls")).toBe(2);
    expect(await store.forwardDepth()).toBe(1);
    expect((await store.branches())[0]).toMatchObject({ online: true, epoch: 3, version: "0.1.0" });
    expect(await store.apply([envelope("b1", "calls", 1, 4)], () => 30)).toEqual([
      { kind: "applied", through: 4, applied: 2, duplicates: 2 },
    ]);
    expect((await store.records("b1", "calls", 0, 10)).map((r) => [r.seq, r.id])).toEqual([
      [1, "c-1"],
      [2, "c-2"],
      [3, "calls-3"],
      [4, "calls-4"],
    ]);
    expect((await store.branches())[0]?.streams.calls).toMatchObject({ through: 4, duplicates: 6 });
    expect(await store.forwardDepth()).toBe(3);
    await store.close();
  });

  test("a failed write is a coded rejection with the file's path: a read-only connection says STORAGE.READ_ONLY", async () => {
    const dir = tempDir("hq-ro");
    await sqliteHqStore(openHqDatabase(dir), { forward: false }).close();
    const readOnly = sqliteHqStore(new Database(join(dir, HQ_DB_FILE), { readonly: true }), {
      forward: false,
    });
    const failure = await readOnly
      .apply([envelope("b1", "calls", 1, 5)], () => 1)
      .then(
        () => undefined,
        (error: unknown) => error as { code: string; message: string },
      );
    expect(failure?.code).toBe("STORAGE.READ_ONLY");
    expect(failure?.message).toContain(join(dir, HQ_DB_FILE));
    expect(await readOnly.hwm("b1", "calls")).toBe(0);
    await readOnly.close();
  });
});

/** Migration 1 of hq.db as the previous build created it; frozen here, whatever the code says now. */
const PREVIOUS_BUILD_V1 = `
  CREATE TABLE records (
    branch TEXT NOT NULL,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    historical INTEGER NOT NULL,
    applied_at INTEGER NOT NULL,
    UNIQUE (branch, stream, seq)
  ) STRICT;

  CREATE TABLE streams (
    branch TEXT NOT NULL,
    stream TEXT NOT NULL,
    hwm INTEGER NOT NULL,
    duplicates INTEGER NOT NULL DEFAULT 0,
    last_record_ts INTEGER,
    last_applied_at INTEGER,
    PRIMARY KEY (branch, stream)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE branches (
    branch TEXT PRIMARY KEY,
    online INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    version TEXT,
    backlog INTEGER,
    state_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE forward_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    branch TEXT NOT NULL,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    UNIQUE (branch, stream, seq)
  ) STRICT;
`;
