// The PostgreSQL adapter of the HQ store (`[hq] database_url`, issue 18): the contract suite on a
// real PostgreSQL (Debian's packages, test/support/postgres.ts), a fresh database per store, then
// what only this adapter has: migrations under the advisory lock, and the server's failures coded.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { openPostgresHqStore, PG_MIGRATIONS } from "../../src/hq/store/postgres/index.ts";
import { type Postgres, startPostgres } from "../support/postgres.ts";
import { envelope } from "./hq-fixtures.ts";
import { type MakeStore, runHqStoreSuite, type StorePart } from "./hq-store.suite.ts";

/** The tables a part's writes go to. */
const TABLES: Record<StorePart, string> = {
  records: "records",
  marks: "streams",
  forward: "forward_queue",
  presence: "branches",
};

let pg: Postgres;
let admin: SQL;
let databases = 0;

beforeAll(async () => {
  pg = await startPostgres();
  admin = new SQL(pg.url(), { max: 1 });
});

afterAll(async () => {
  await admin?.close();
  await pg?.stop();
});

/** A new, empty database; dropped (whoever is still connected) by the returned function. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hq_${++databases}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  return {
    url: pg.url(name),
    drop: async () => void (await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`)),
  };
}

const makeStore: MakeStore = async (options) => {
  const db = await freshDatabase();
  const handles = [await openPostgresHqStore(db.url, options)];
  // Faults are planted by a connection of their own, as triggers every connection obeys.
  const control = new SQL(db.url, { max: 1 });
  await control.unsafe(
    `CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'write failed (test)'; END $$`,
  );
  const planted: string[] = [];
  return {
    store: handles[0] as (typeof handles)[0],
    async another() {
      const store = await openPostgresHqStore(db.url, options);
      handles.push(store);
      return store;
    },
    async breakWrites(part, stream) {
      const table = TABLES[part];
      const name = `broken_${table}`;
      const when = stream === undefined ? "" : `WHEN (NEW.stream = '${stream}')`;
      await control.unsafe(
        `CREATE TRIGGER ${name} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW ${when} EXECUTE FUNCTION broken()`,
      );
      planted.push(`${name} ON ${table}`);
    },
    async heal() {
      for (const trigger of planted.splice(0)) await control.unsafe(`DROP TRIGGER ${trigger}`);
    },
    async close() {
      for (const store of handles) await store.close();
      await control.close();
      await db.drop();
    },
  };
};

runHqStoreSuite("PostgreSQL", makeStore);

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error as { code?: string; message: string },
  );

describe("HQ store, PostgreSQL: the database", () => {
  test("several consumers opening one empty database at once: one set of tables, each migration recorded once (the advisory lock)", async () => {
    const db = await freshDatabase();
    const stores = await Promise.all(
      Array.from({ length: 6 }, () => openPostgresHqStore(db.url, { forward: false })),
    );
    const check = new SQL(db.url, { max: 1 });
    try {
      expect(await check`SELECT version, name FROM schema_migrations ORDER BY version`).toEqual(
        PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
      );
      const tables =
        await check`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
      expect(tables.map((t: { tablename: string }) => t.tablename)).toEqual([
        "branches",
        "crm_steps",
        "crm_tokens",
        "forward_queue",
        "hq_heartbeat",
        "mango_command_cursor",
        "mango_commands",
        "mango_events",
        "mango_sweeps",
        "presence_cursor",
        "presence_down",
        "presence_sightings",
        "records",
        "schema_migrations",
        "streams",
      ]);
      // Every one of them works on the same tables.
      const results = await Promise.all(stores.map((s) => s.apply([envelope("b1", "calls", 1, 5)], () => 1)));
      expect(results.flat().filter((r) => r.kind === "applied")).toHaveLength(1);
    } finally {
      await check.close();
      for (const store of stores) await store.close();
      await db.drop();
    }
  });

  test("a database a newer build migrated is left untouched: STORAGE.SCHEMA_TOO_NEW", async () => {
    const db = await freshDatabase();
    await (await openPostgresHqStore(db.url, { forward: false })).close();
    const check = new SQL(db.url, { max: 1 });
    try {
      await check`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 1)`;
      const failure = await rejection(openPostgresHqStore(db.url, { forward: false }));
      expect(failure.code).toBe("STORAGE.SCHEMA_TOO_NEW");
      expect((await check`SELECT count(*)::int AS n FROM schema_migrations`)[0].n).toBe(
        PG_MIGRATIONS.length + 1,
      );
    } finally {
      await check.close();
      await db.drop();
    }
  });

  test("a server nobody answers at is STORAGE.CANNOT_OPEN, and the message never holds the password", async () => {
    const { freePort } = await import("../support/process.ts");
    const port = await freePort();
    const failure = await rejection(
      openPostgresHqStore(`postgres://hq:secret-pw-1234@127.0.0.1:${port}/hq`, { forward: false }),
    );
    expect(failure.code).toBe("STORAGE.CANNOT_OPEN");
    expect(failure.message).toContain(`127.0.0.1:${port}/hq`);
    expect(failure.message).not.toContain("secret-pw-1234");
  });
});

describe("HQ store, PostgreSQL: a batch in a few statements", () => {
  test("three handles applying the same batches of 300 streams in different orders at once: none fails (no deadlock), every record once, each mark at its end", async () => {
    const db = await freshDatabase();
    const stores = await Promise.all(
      Array.from({ length: 3 }, () => openPostgresHqStore(db.url, { forward: true })),
    );
    const names = Array.from({ length: 300 }, (_, i) => `b${String(i).padStart(3, "0")}`);
    try {
      for (let round = 0; round < 5; round++) {
        const from = round * 10 + 1;
        const batch = names.map((b) => envelope(b, "calls", from, from + 9));
        const orders = [batch, [...batch].reverse(), [...batch.slice(150), ...batch.slice(0, 150)]];
        const results = await Promise.all(
          stores.map((store, i) => store.apply(orders[i] ?? [], () => round)),
        );
        // Whoever locked a stream first wrote it; the others found its envelope a duplicate.
        for (const b of names) {
          const kinds = results.map((r, i) => r[(orders[i] ?? []).findIndex((e) => e.branch === b)]?.kind);
          expect(kinds.filter((k) => k === "applied")).toHaveLength(1);
          expect(kinds.filter((k) => k === "duplicate")).toHaveLength(2);
        }
      }
      const store = stores[0] as (typeof stores)[0];
      for (const b of names) {
        expect(await store.hwm(b, "calls")).toBe(50);
        expect((await store.records(b, "calls", 0, 100)).map((r) => r.seq)).toEqual(
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
      }
      expect(await store.forwardDepth()).toBe(300 * 50);
      const views = await store.branches();
      expect(views.map((v) => v.streams.calls?.duplicates)).toEqual(names.map(() => 5 * 10 * 2));
    } finally {
      for (const store of stores) await store.close();
      await db.drop();
    }
  });
});

describe("HQ store, PostgreSQL: a full disk", () => {
  test("the database's tablespace on a full tmpfs: STORAGE.DISK_FULL, nothing of the call written, writes again once there is room", async () => {
    const { chmodSync, chownSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { makeTestDir } = await import("../support/process.ts");
    const { fillUp, mountTmpfs, unmountWhenFree } = await import("../support/tmpfs.ts");
    const dir = makeTestDir("hq-pg-full");
    const mount = join(dir, "space");
    mountTmpfs(mount, "24m");
    // The server runs as nobody (test/support/postgres.ts): the tablespace folder must be its.
    chmodSync(dir, 0o755);
    chownSync(mount, 65534, 65534);
    await admin.unsafe(`CREATE TABLESPACE small LOCATION '${mount}'`);
    await admin.unsafe("CREATE DATABASE hq_full TABLESPACE small");
    const store = await openPostgresHqStore(pg.url("hq_full"), { forward: false });
    const filler = join(mount, "filler.bin");
    try {
      await store.apply([envelope("b1", "calls", 1, 10)], () => 1);
      fillUp(filler);
      const big = (from: number) => envelope("b1", "calls", from, from + 4999);
      let failure: { code?: string; message: string } | undefined;
      // Free pages of the tables' last extent may take a few records first; then the server must extend a file.
      for (let from = 11; failure === undefined && from < 200_000; from += 5000)
        failure = await store
          .apply([big(from)], () => 2)
          .then(
            () => undefined,
            (error: unknown) => error as { code?: string; message: string },
          );
      expect(failure?.code).toBe("STORAGE.DISK_FULL");
      const hwm = await store.hwm("b1", "calls");
      expect((await store.records("b1", "calls", 0, 1_000_000)).length).toBe(hwm);
      rmSync(filler);
      expect(await store.apply([big(hwm + 1)], () => 3)).toMatchObject([
        { kind: "applied", through: hwm + 5000 },
      ]);
    } finally {
      await store.close();
      await admin.unsafe("DROP DATABASE hq_full WITH (FORCE)");
      await admin.unsafe("DROP TABLESPACE small");
      await unmountWhenFree(mount);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("HQ store, PostgreSQL: connections lost", () => {
  test("the server ends the store's connections (a restart, a failover): each call on a dead connection is STORAGE.CANNOT_OPEN with nothing written, then the store goes on", async () => {
    const db = await freshDatabase();
    const store = await openPostgresHqStore(db.url, { forward: true });
    try {
      await store.apply([envelope("b1", "calls", 1, 10)], () => 1);
      await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${db.url.split("/").at(-1)} AND pid <> pg_backend_pid()`;
      // Each pooled connection the server ended fails the one call that finds it dead (coded),
      // never more than the pool holds; the pool then connects afresh.
      const failures: unknown[] = [];
      let results: unknown;
      while (results === undefined && failures.length <= 4)
        results = await store
          .apply([envelope("b1", "calls", 11, 30)], () => 2)
          .catch((error: unknown) => {
            failures.push((error as { code?: unknown }).code);
          });
      expect(failures.every((code) => code === "STORAGE.CANNOT_OPEN")).toBe(true);
      expect(results).toMatchObject([{ kind: "applied", through: 30 }]);
      expect((await store.records("b1", "calls", 0, 100)).map((r) => r.seq)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      expect(await store.forwardDepth()).toBe(30);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
