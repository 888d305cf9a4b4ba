// The Mango command store's contract suite on SQLite: hq.db in a temp dir, one connection per handle.
import { rmSync } from "node:fs";
import {
  openHqDatabase,
  sqliteHqStore,
  sqliteMangoCommandStore,
  sqliteMangoStore,
} from "../../src/hq/store/sqlite/index.ts";
import { tempDir } from "./hq-fixtures.ts";
import { runMangoCommandStoreSuite } from "./mango-command-store.suite.ts";

runMangoCommandStoreSuite("SQLite", async () => {
  const dir = tempDir("hq-mango-commands");
  const first = openHqDatabase(dir);
  const dbs = [first];
  return {
    records: sqliteHqStore(first, { forward: false }),
    events: sqliteMangoStore(first),
    store: sqliteMangoCommandStore(first),
    async another() {
      const db = openHqDatabase(dir);
      dbs.push(db);
      return sqliteMangoCommandStore(db);
    },
    async close() {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
