import { SQL } from "bun";
import type { HqStore, HqStoreOptions } from "../hq-store-port.ts";
import { pgStoreFailure, pgWhere } from "./pg-errors.ts";
import { postgresHqStore } from "./pg-hq-store.ts";
import { migratePostgres } from "./pg-schema.ts";

export { pgStoreFailure, pgWhere } from "./pg-errors.ts";
export { postgresHqStore } from "./pg-hq-store.ts";
export { MIGRATION_LOCK, migratePostgres, PG_MIGRATIONS } from "./pg-schema.ts";

/** Connections each consumer keeps: apply, presence and the HTTP API's reads side by side. */
const POOL = 4;

/**
 * The PostgreSQL adapter of the HQ store (`[hq] database_url`): the database migrated (once, under
 * the advisory lock, whoever starts first), then the store on a pool. Rejects with a coded
 * StoreFailure when the server cannot be reached or the schema is newer than this build.
 */
export async function openPostgresHqStore(url: string, options: HqStoreOptions): Promise<HqStore> {
  const where = pgWhere(url);
  const sql = new SQL(url, { max: POOL });
  try {
    await migratePostgres(sql);
  } catch (error) {
    await sql.close().catch(() => {});
    throw pgStoreFailure(where, error);
  }
  return postgresHqStore(sql, where, options);
}
