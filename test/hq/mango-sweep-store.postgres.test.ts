// The Mango sweep store's contract suite on a real PostgreSQL (Debian's packages,
// test/support/postgres.ts): a fresh database per store, one pool per handle (one per consumer).
import { postgresHqDatabases } from "./hq-engines.ts";
import { runMangoSweepStoreSuite } from "./mango-sweep-store.suite.ts";

const fresh = postgresHqDatabases("mango_sweeps");

runMangoSweepStoreSuite("PostgreSQL", async () => {
  const db = await fresh();
  return {
    events: db.first.mango,
    store: db.first.mangoSweeps,
    async another() {
      const hq = await db.another();
      return { events: hq.mango, store: hq.mangoSweeps };
    },
    close: db.close,
  };
});
