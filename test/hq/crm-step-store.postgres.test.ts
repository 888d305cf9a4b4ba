// The CRM step store's contract suite on a real PostgreSQL (Debian's packages,
// test/support/postgres.ts): a fresh database per store, one pool per handle (one per consumer).
import { afterAll, beforeAll } from "bun:test";
import { openPostgresHq, type PostgresHq } from "../../src/hq/store/postgres/index.ts";
import { freshDatabase, type Postgres, startPostgres } from "../support/postgres.ts";
import { runCrmStepStoreSuite } from "./crm-step-store.suite.ts";

let pg: Postgres;
let databases = 0;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

runCrmStepStoreSuite("PostgreSQL", async () => {
  const db = await freshDatabase(pg, `crm_steps_${++databases}`);
  const handles: PostgresHq[] = [];
  const handle = async () => {
    const hq = await openPostgresHq(db.url, { forward: true });
    handles.push(hq);
    return { hq: hq.store, steps: hq.crmSteps, tokens: hq.crmTokens };
  };
  return {
    ...(await handle()),
    another: handle,
    async close() {
      for (const hq of handles) await hq.store.close();
      await db.drop();
    },
  };
});
