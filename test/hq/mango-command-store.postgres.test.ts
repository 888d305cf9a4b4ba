// The Mango command store's contract suite on a real PostgreSQL (Debian's packages,
// test/support/postgres.ts): a fresh database per store, one pool per handle (one per consumer).
import { postgresHqDatabases } from "./hq-engines.ts";
import { runMangoCommandStoreSuite } from "./mango-command-store.suite.ts";

const fresh = postgresHqDatabases("mango_commands");

runMangoCommandStoreSuite("PostgreSQL", async () => {
  const db = await fresh();
  return {
    records: db.first.store,
    events: db.first.mango,
    store: db.first.mangoCommands,
    another: async () => (await db.another()).mangoCommands,
    close: db.close,
  };
});
