// The CRM step store's contract suite on a real PostgreSQL (Debian's packages,
// test/support/postgres.ts): a fresh database per store, one pool per handle (one per consumer).
import type { PostgresHq } from "../../src/hq/store/postgres/index.ts";
import { runCrmStepStoreSuite } from "./crm-step-store.suite.ts";
import { postgresHqDatabases } from "./hq-engines.ts";

const fresh = postgresHqDatabases("crm_steps", { forward: true });
const parts = (hq: PostgresHq) => ({ hq: hq.store, steps: hq.crmSteps, tokens: hq.crmTokens });

runCrmStepStoreSuite("PostgreSQL", async () => {
  const db = await fresh();
  return { ...parts(db.first), another: async () => parts(await db.another()), close: db.close };
});
