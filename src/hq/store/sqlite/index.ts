import type { HqStore, HqStoreOptions } from "../hq-store-port.ts";
import { openHqDatabase } from "./hq-schema.ts";
import { sqliteHqStore } from "./sqlite-hq-store.ts";

export { HQ_DB_FILE, openHqDatabase } from "./hq-schema.ts";
export { sqliteHqStore } from "./sqlite-hq-store.ts";
export { sqliteMangoCommandStore } from "./sqlite-mango-command-store.ts";
export { sqliteMangoStore } from "./sqlite-mango-store.ts";
export { sqliteMangoSweepStore } from "./sqlite-mango-sweep-store.ts";

/** The SQLite adapter of the HQ store: `{dir}/hq.db`, created and migrated if needed. */
export function openSqliteHqStore(dir: string, options: HqStoreOptions): HqStore {
  return sqliteHqStore(openHqDatabase(dir), options);
}
export { sqliteCrmStepStore, sqliteCrmTokenStore } from "./sqlite-crm-store.ts";
export { sqlitePresenceStore } from "./sqlite-presence-store.ts";
