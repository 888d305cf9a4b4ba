// The Mango sweep store's contract suite on SQLite: hq.db in a temp dir, one connection per handle.
import { rmSync } from "node:fs";
import { openHqDatabase, sqliteMangoStore, sqliteMangoSweepStore } from "../../src/hq/store/sqlite/index.ts";
import { tempDir } from "./hq-fixtures.ts";
import { runMangoSweepStoreSuite } from "./mango-sweep-store.suite.ts";

runMangoSweepStoreSuite("SQLite", async () => {
  const dir = tempDir("hq-mango-sweeps");
  const first = openHqDatabase(dir);
  const dbs = [first];
  return {
    events: sqliteMangoStore(first),
    store: sqliteMangoSweepStore(first),
    async another() {
      const db = openHqDatabase(dir);
      dbs.push(db);
      return { events: sqliteMangoStore(db), store: sqliteMangoSweepStore(db) };
    },
    async close() {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
