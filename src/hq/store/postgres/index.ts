import { SQL } from "bun";
import type { CrmTokenStore } from "../../crm/crm-port.ts";
import type { CrmStepStore } from "../../crm/crm-step-store-port.ts";
import type { HqStore, HqStoreOptions } from "../hq-store-port.ts";
import type { MangoCommandStore } from "../mango-command-store-port.ts";
import type { MangoStore } from "../mango-store-port.ts";
import type { MangoSweepStore } from "../mango-sweep-store-port.ts";
import type { PresenceStore } from "../presence-store-port.ts";
import { postgresCrmStepStore, postgresCrmTokenStore } from "./pg-crm-store.ts";
import { pgStoreFailure, pgWhere } from "./pg-errors.ts";
import { postgresHqStore } from "./pg-hq-store.ts";
import { postgresMangoCommandStore } from "./pg-mango-command-store.ts";
import { postgresMangoStore } from "./pg-mango-store.ts";
import { postgresMangoSweepStore } from "./pg-mango-sweep-store.ts";
import { postgresPresenceStore } from "./pg-presence-store.ts";
import { migratePostgres } from "./pg-schema.ts";

export { postgresCrmStepStore, postgresCrmTokenStore } from "./pg-crm-store.ts";
export { pgSettler, pgStoreFailure, pgWhere } from "./pg-errors.ts";
export { postgresHqStore } from "./pg-hq-store.ts";
export { postgresMangoCommandStore } from "./pg-mango-command-store.ts";
export { postgresMangoStore } from "./pg-mango-store.ts";
export { postgresMangoSweepStore } from "./pg-mango-sweep-store.ts";
export { postgresPresenceStore } from "./pg-presence-store.ts";
export { MIGRATION_LOCK, migratePostgres, PG_MIGRATIONS } from "./pg-schema.ts";

/** Connections each consumer keeps: apply, presence and the HTTP API's reads side by side. */
const POOL = 4;

/** HQ's stores on one PostgreSQL pool: closing `store` ends the pool, and the others with it. */
export interface PostgresHq {
  readonly store: HqStore;
  readonly presence: PresenceStore;
  readonly mango: MangoStore;
  readonly mangoCommands: MangoCommandStore;
  readonly mangoSweeps: MangoSweepStore;
  readonly crmSteps: CrmStepStore;
  readonly crmTokens: CrmTokenStore;
}

/**
 * The PostgreSQL adapter of HQ's stores (`[hq] database_url`): the database migrated (once, under
 * the advisory lock, whoever starts first), then every store on one pool. Rejects with a coded
 * StoreFailure when the server cannot be reached or the schema is newer than this build.
 */
export async function openPostgresHq(url: string, options: HqStoreOptions): Promise<PostgresHq> {
  const where = pgWhere(url);
  const sql = new SQL(url, { max: POOL });
  try {
    await migratePostgres(sql);
  } catch (error) {
    await sql.close().catch(() => {});
    throw pgStoreFailure(where, error);
  }
  return {
    store: postgresHqStore(sql, where, options),
    presence: postgresPresenceStore(sql, where),
    mango: postgresMangoStore(sql, where),
    mangoCommands: postgresMangoCommandStore(sql, where),
    mangoSweeps: postgresMangoSweepStore(sql, where),
    crmSteps: postgresCrmStepStore(sql, where),
    crmTokens: postgresCrmTokenStore(sql, where),
  };
}

/** The HQ store alone on PostgreSQL (openPostgresHq's `store`). */
export async function openPostgresHqStore(url: string, options: HqStoreOptions): Promise<HqStore> {
  return (await openPostgresHq(url, options)).store;
}
