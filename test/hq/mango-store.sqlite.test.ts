// The Mango event store's contract suite on SQLite: hq.db in a temp dir, one connection per handle.
import { rmSync } from "node:fs";
import { openHqDatabase, sqliteMangoStore } from "../../src/hq/store/sqlite/index.ts";
import { tempDir } from "./hq-fixtures.ts";
import { runMangoStoreSuite } from "./mango-store.suite.ts";

runMangoStoreSuite("SQLite", async () => {
  const dir = tempDir("hq-mango-store");
  const dbs = [openHqDatabase(dir)];
  return {
    store: sqliteMangoStore(dbs[0] as (typeof dbs)[0]),
    async another() {
      const db = openHqDatabase(dir);
      dbs.push(db);
      return sqliteMangoStore(db);
    },
    async close() {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
