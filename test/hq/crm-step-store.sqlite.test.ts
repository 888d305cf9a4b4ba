// The CRM step store's contract suite on SQLite: hq.db in a temp dir, one connection per handle.
import { rmSync } from "node:fs";
import {
  openHqDatabase,
  sqliteCrmStepStore,
  sqliteCrmTokenStore,
  sqliteHqStore,
} from "../../src/hq/store/sqlite/index.ts";
import { runCrmStepStoreSuite } from "./crm-step-store.suite.ts";
import { tempDir } from "./hq-fixtures.ts";

runCrmStepStoreSuite("SQLite", async () => {
  const dir = tempDir("hq-crm-steps");
  const handle = () => {
    const db = openHqDatabase(dir);
    dbs.push(db);
    return {
      hq: sqliteHqStore(db, { forward: true }),
      steps: sqliteCrmStepStore(db),
      tokens: sqliteCrmTokenStore(db),
    };
  };
  const dbs: ReturnType<typeof openHqDatabase>[] = [];
  return {
    ...handle(),
    another: async () => handle(),
    async close() {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
