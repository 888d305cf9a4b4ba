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
