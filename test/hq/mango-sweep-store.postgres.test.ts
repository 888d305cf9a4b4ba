// The Mango sweep store's contract suite on a real PostgreSQL (Debian's packages,
// test/support/postgres.ts): a fresh database per store, one pool per handle (one per consumer).
import { afterAll, beforeAll } from "bun:test";
import { openPostgresHq, type PostgresHq } from "../../src/hq/store/postgres/index.ts";
import { freshDatabase, type Postgres, startPostgres } from "../support/postgres.ts";
import { runMangoSweepStoreSuite } from "./mango-sweep-store.suite.ts";

let pg: Postgres;
let databases = 0;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

runMangoSweepStoreSuite("PostgreSQL", async () => {
  const db = await freshDatabase(pg, `mango_sweeps_${++databases}`);
  const first = await openPostgresHq(db.url, { forward: false });
  const handles: PostgresHq[] = [first];
  return {
    events: first.mango,
    store: first.mangoSweeps,
    async another() {
      const hq = await openPostgresHq(db.url, { forward: false });
      handles.push(hq);
      return { events: hq.mango, store: hq.mangoSweeps };
    },
    async close() {
      for (const hq of handles) await hq.store.close();
      await db.drop();
    },
  };
});
