// A "newer branchbox" for the upgrade tests: on start it migrates the database to a schema this
// build does not know (with the product's own migrateSafely, so its pre-migration copy is the
// real one), then dies before answering /healthz, the worst case for a rollback.
import { parseArgs } from "node:util";
import { loadConfig } from "../../../src/config/load.ts";
import { migrateSafely, openDatabase } from "../../../src/store/db.ts";
import { MIGRATIONS } from "../../../src/store/migrations.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { config: { type: "string" } },
  allowPositionals: true,
});
const config = loadConfig({ file: values.config, env: process.env });
const next = (MIGRATIONS.at(-1)?.version ?? 0) + 1;
const db = openDatabase(config.storage.dir, { migrate: false });
migrateSafely(db, config.storage.dir, [
  ...MIGRATIONS,
  { version: next, name: "from a newer release", sql: "CREATE TABLE newer (x INTEGER) STRICT" },
]);
db.close();
console.error(`migrated to v${next}, now failing before /healthz`);
process.exit(1);
