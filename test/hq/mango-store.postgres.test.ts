// The Mango event store's contract suite on a real PostgreSQL (Debian's packages,
// test/support/postgres.ts): a fresh database per store, one pool per handle (one per consumer).
import { postgresHqDatabases } from "./hq-engines.ts";
import { runMangoStoreSuite } from "./mango-store.suite.ts";

const fresh = postgresHqDatabases("mango");

runMangoStoreSuite("PostgreSQL", async () => {
  const db = await fresh();
  return { store: db.first.mango, another: async () => (await db.another()).mango, close: db.close };
});
