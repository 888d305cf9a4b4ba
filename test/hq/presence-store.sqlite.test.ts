// The presence store's contract suite on SQLite: hq.db in a temp dir, one connection per handle.
import { rmSync } from "node:fs";
import { openHqDatabase, sqlitePresenceStore } from "../../src/hq/store/sqlite/index.ts";
import { tempDir } from "./hq-fixtures.ts";
import { runPresenceStoreSuite } from "./presence-store.suite.ts";

runPresenceStoreSuite("SQLite", async () => {
  const dir = tempDir("hq-presence-store");
  const dbs = [openHqDatabase(dir)];
  return {
    store: sqlitePresenceStore(dbs[0] as (typeof dbs)[0]),
    async another() {
      const db = openHqDatabase(dir);
      dbs.push(db);
      return sqlitePresenceStore(db);
    },
    async close() {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
