#!/usr/bin/env bun
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createBox, listen } from "./app.ts";
import { installLastResort } from "./appliance/last-resort.ts";
import { notifySystemd } from "./appliance/systemd.ts";
import { UpgradeError } from "./appliance/upgrade-error.ts";
import { ConfigError, loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { DEMO_CONFIG, DEMO_STAFF } from "./demo.ts";
import type { DemoPbx } from "./demo-pbx.ts";
import { StorageError, withStorageErrors } from "./lib/storage-error.ts";
import { createLogger, type Logger } from "./log/logger.ts";
import { configuredPbx } from "./pbx/registry.ts";
import { importStaff, parseStaff, StaffImportError } from "./service/staff-import.ts";
import { migrateSafely, openDatabase, probeDatabase } from "./store/db.ts";
import { staffStore } from "./store/staff-store.ts";
import { COMMIT, VERSION } from "./version.ts";

const DEFAULT_CONFIG = "/etc/branchbox/branchbox.toml";

const USAGE = `branchbox ${VERSION}: the branch-office telephony box

usage:
  branchbox serve [--config FILE] [--demo]   run the box (kiosk, admin, API)
  branchbox migrate [--config FILE]          apply database migrations
  branchbox staff import FILE [--config FILE] import or update staff from a JSON list
  branchbox doctor [--config FILE]           check config, database, disk, clock, ports
  branchbox upgrade FILE|URL [--sha256 HEX] [--binary PATH] [--config FILE]
  branchbox upgrade --rollback [--binary PATH] [--config FILE]
                                             check, swap in and restart a new release; roll back
                                             if it does not come up healthy
  branchbox hq --config FILE                 run a headquarters consumer ([mqtt] and [hq] sections)
  branchbox hq replay-mango FILE --config FILE [--url URL]
                                             post captured Mango Office webhooks (JSON lines of
                                             {kind, json}) into a running HQ, signed as Mango does
                                             with [hq.mango]'s key and salt; --url: HQ's address,
                                             else [hq] listen
  branchbox replay FILE [--config FILE] [--staff FILE] [--roster FILE] [--json]
                                             replay an AMI capture (a file, or the box's
                                             [pbx.ami] capture_dir folder) or an Asterisk console
                                             log (manager debug) and print the calls the box makes of
                                             it; staff from --staff, else the box's database
                                             (read-only); --roster: JSON roster facts, else nobody
                                             is on shift; writes no database
  branchbox backfill --from DAY|TIME --to DAY|TIME [--config FILE]
                                             ask the running box to read a period back from the
                                             PBX's call records ([pbx.ami] cel_url or cel_csv):
                                             days are the branch's (2026-12-01), --to inclusive
  branchbox version                          print version and commit

The config file defaults to ${DEFAULT_CONFIG}; BRANCHBOX_<SECTION>_<KEY> variables override it.
--demo runs a demo branch with data under ./data and prints its PINs; with no [pbx.*] section it
plays calls from a built-in loopback phone system.`;

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      demo: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      sha256: { type: "string" },
      binary: { type: "string" },
      rollback: { type: "boolean" },
      staff: { type: "string" },
      roster: { type: "string" },
      json: { type: "boolean" },
      from: { type: "string" },
      to: { type: "string" },
      url: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === "help") {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const config = () => readConfig(values.config, values.demo === true);
  switch (command) {
    case "version":
      console.log(`branchbox ${VERSION} (${COMMIT})`);
      return 0;
    case "serve":
      return serve(config(), values.demo === true);
    case "migrate": {
      const db = openDatabase(config().storage.dir, { migrate: false });
      const applied = withStorageErrors(config().storage.dir, () => migrateSafely(db, config().storage.dir));
      db.close();
      console.log(
        applied.length === 0 ? "database is up to date" : `applied migrations ${applied.join(", ")}`,
      );
      return 0;
    }
    case "staff": {
      const [sub, file] = rest;
      if (sub !== "import" || file === undefined) throw new UsageError("usage: branchbox staff import FILE");
      return staffImport(config(), file);
    }
    case "hq":
      if (rest[0] === "replay-mango") return runMangoReplay(rest[1], values.config, values.url);
      return runHqCommand(values.config);
    case "replay": {
      const [file] = rest;
      if (file === undefined)
        throw new UsageError(
          "usage: branchbox replay FILE [--config FILE] [--staff FILE] [--roster FILE] [--json]",
        );
      return runReplay(file, values);
    }
    case "upgrade": {
      const [source] = rest;
      if ((source === undefined) === (values.rollback !== true))
        throw new UsageError(
          "usage: branchbox upgrade FILE|URL [--sha256 HEX], or branchbox upgrade --rollback",
        );
      return runUpgrade(config(), source, values.sha256, values.binary);
    }
    case "backfill": {
      if (values.from === undefined || values.to === undefined)
        throw new UsageError("usage: branchbox backfill --from DAY|TIME --to DAY|TIME [--config FILE]");
      return (await import("./backfill.ts")).runBackfill(config(), values.from, values.to);
    }
    case "doctor":
      // The commands below load what `serve` does not need (mqtt.js for the broker checks) on demand.
      return (await import("./doctor.ts")).runDoctor(
        values.config ?? (values.demo ? undefined : DEFAULT_CONFIG),
        values.demo === true,
      );
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

export function readConfig(file: string | undefined, demo: boolean): Config {
  const path = file ?? (demo ? undefined : DEFAULT_CONFIG);
  if (path !== undefined && file === undefined && !existsSync(path)) {
    throw new ConfigError([`${path}: no config file; pass --config FILE, or --demo to try the box`]);
  }
  const base = demo ? { ...DEMO_CONFIG, http: { admin_token: demoToken() } } : undefined;
  return loadConfig({ file: path, env: process.env, base });
}

/** The demo's admin token: kept under the demo data folder so a restart keeps it. */
function demoToken(): string {
  const dir = process.env.BRANCHBOX_STORAGE_DIR ?? DEMO_CONFIG.storage.dir;
  const path = `${dir}/demo-admin-token`;
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("hex");
  require("node:fs").mkdirSync(dir, { recursive: true });
  require("node:fs").writeFileSync(path, token, { mode: 0o600 });
  return token;
}

async function serve(configured: Config, demo: boolean): Promise<number> {
  const log = createLogger({ level: configured.log.level, base: { branch: configured.branch.id } });
  installLastResort({ log });
  const demoPbx = demo ? await startDemoPbx(configured, log) : null;
  const config = demoPbx === null ? configured : { ...configured, pbx: { ami: demoPbx.section } };
  const box = await createBox(config, { log, ...(demo ? { seedStaff: DEMO_STAFF } : {}) });
  const server = listen(box);
  // A wildcard address is not one to type into a browser; the box itself is localhost.
  const url = server.url.href.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, "//localhost");
  log.info("serving", {
    url: server.url.href,
    version: VERSION,
    commit: COMMIT,
    storage: config.storage.dir,
  });
  if (demo) {
    console.error(
      [
        "",
        `  branchbox demo: ${url}  (admin: ${url}admin)`,
        `  admin token (demo only): ${config.http.admin_token}`,
        "  demo PINs: " +
          DEMO_STAFF.map((s) => `${s.name} ${s.pin}${s.role === "reception" ? "" : ` (${s.role})`}`).join(
            ", ",
          ),
        ...(demoPbx === null
          ? []
          : [
              `  demo phone system: a loopback Asterisk (AMI 127.0.0.1:${demoPbx.port}) plays ${demoPbx.pace === "human" ? "a call every ~30 s" : "calls at a test's pace"}`,
            ]),
        "",
      ].join("\n"),
    );
  }
  // The database is open and migrated, the port listens: now systemd may call the box started.
  const systemd = notifySystemd({
    log,
    status: `serving on ${server.url.href}`,
    check: (budgetMs) => probeDatabase(box.db, budgetMs),
  });
  blockOnSignalForTests(log);
  await new Promise<void>((resolve) => {
    const stop = async (signal: string) => {
      log.info("stopping", { signal });
      systemd.stopping();
      server.stop();
      await box.close();
      await demoPbx?.close();
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

/**
 * The demo's phone system (src/demo-pbx.ts), unless the user gave the demo a PBX of their own.
 * `BB_DEMO_PACE=fast` (not BRANCHBOX_*: that prefix is config) plays it at a test's pace.
 */
async function startDemoPbx(config: Config, log: Logger): Promise<DemoPbx | null> {
  if (configuredPbx(config.pbx).length > 0) return null;
  const pace = process.env.BB_DEMO_PACE === "fast" ? "fast" : "human";
  const pbx = await (await import("./demo-pbx.ts")).startDemoPbx({
    pace,
    log: log.child({ part: "demo-pbx" }),
  });
  log.info("demo PBX playing calls", { port: pbx.port, pace });
  return pbx;
}

/**
 * Test hook, off unless `BB_TEST_BLOCK_SECONDS` is set (not BRANCHBOX_*: that prefix is config):
 * SIGUSR2 then blocks the event loop that long, as a wedged handler would, so a test can see the
 * watchdog go quiet.
 */
function blockOnSignalForTests(log: ReturnType<typeof createLogger>): void {
  const seconds = Number(process.env.BB_TEST_BLOCK_SECONDS ?? "");
  if (!(seconds > 0)) return;
  process.on("SIGUSR2", () => {
    log.warn("test hook: blocking the event loop", { seconds });
    Bun.sleepSync(seconds * 1000);
  });
}

async function runUpgrade(
  config: Config,
  /** undefined: --rollback, back to the binary the last upgrade kept. */
  source: string | undefined,
  sha256: string | undefined,
  binary: string | undefined,
): Promise<number> {
  // A compiled branchbox upgrades itself; run from source it must be told which binary.
  const installed = binary ?? (Bun.main.startsWith("/$bunfs/") ? process.execPath : undefined);
  if (installed === undefined)
    throw new UsageError("branchbox upgrade: pass --binary PATH (the installed binary)");
  const log = createLogger({ level: config.log.level, base: { part: "upgrade" } });
  const { upgrade } = await import("./appliance/upgrade.ts");
  const { from, to } = await upgrade({
    source: source ?? `${installed}.prev`,
    sha256,
    binary: installed,
    config,
    log,
    toPrevious: source === undefined,
  });
  console.error(`branchbox: upgraded ${from} -> ${to}; the previous binary is kept as ${installed}.prev`);
  return 0;
}

async function staffImport(config: Config, file: string): Promise<number> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new StaffImportError(`${file}: cannot read it as JSON (${(error as Error).message})`);
  }
  const entries = parseStaff(json);
  const db = openDatabase(config.storage.dir);
  try {
    const { added, updated } = await importStaff(staffStore(db), entries, Date.now());
    console.log(`staff imported: ${added} added, ${updated} updated`);
  } finally {
    db.close();
  }
  return 0;
}

/** `branchbox replay`: loaded on demand, like doctor; prints the calls, or their JSON and the counts on stderr. */
async function runReplay(
  file: string,
  values: { config?: string; staff?: string; roster?: string; json?: boolean },
): Promise<number> {
  const { replay, ReplayInputError } = await import("./replay.ts");
  const { replaySummary, replayTable } = await import("./replay-report.ts");
  let result: Awaited<ReturnType<typeof replay>>;
  try {
    result = await replay({
      file,
      configFile: values.config,
      staffFile: values.staff,
      rosterFile: values.roster,
      env: process.env,
    });
  } catch (error) {
    if (error instanceof ReplayInputError) throw new UsageError(error.message);
    throw error;
  }
  if (values.json === true) {
    const { callJson } = await import("./http/api/calls.ts");
    console.log(JSON.stringify(result.records.map(callJson), null, 2));
    console.error(replaySummary(result));
  } else {
    console.log(replayTable(result));
  }
  return 0;
}

// ── branchbox hq: the headquarters consumer (src/hq); it shares only [mqtt] with the box ──
async function runMangoReplay(
  file: string | undefined,
  configFile: string | undefined,
  url: string | undefined,
): Promise<number> {
  if (file === undefined || configFile === undefined)
    throw new UsageError("usage: branchbox hq replay-mango FILE --config FILE [--url URL]");
  const { loadHqConfig } = await import("./hq/index.ts");
  const config = loadHqConfig({ file: configFile, env: process.env });
  const mango = config.hq.mango;
  if (mango === undefined) throw new UsageError(`${configFile}: no [hq.mango] section to sign with`);
  const { replayMango } = await import("./hq/mango/mango-replay.ts");
  return replayMango(file, {
    base: url ?? `http://${config.hq.listen}`,
    apiKey: mango.vpbx_api_key,
    salt: mango.vpbx_api_salt,
  });
}

async function runHqCommand(file: string | undefined): Promise<number> {
  if (file === undefined) throw new UsageError("usage: branchbox hq --config FILE");
  const { loadHqConfig, startHq } = await import("./hq/index.ts");
  const config = loadHqConfig({ file, env: process.env });
  const log = createLogger({ base: { component: "hq" } });
  const hq = await startHq(config, log);
  const { pgWhere } = await import("./hq/store/postgres/index.ts");
  const storage =
    config.hq.database_url === "" ? config.hq.storage_dir : `postgres ${pgWhere(config.hq.database_url)}`;
  log.info("hq serving", { url: hq.url.href, storage, version: VERSION });
  await new Promise<void>((resolve) => {
    const stop = async (signal: string) => {
      log.info("hq stopping", { signal });
      await hq.close();
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError || error instanceof ConfigError || error instanceof StaffImportError) {
        console.error(`branchbox: ${error.message}`);
        process.exit(2);
      }
      if (error instanceof TypeError && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
        console.error(`branchbox: ${error.message}\n\n${USAGE}`);
        process.exit(2);
      }
      if (error instanceof UpgradeError) {
        console.error(`branchbox: upgrade stopped: ${error.message} (${error.code})`);
        process.exit(1);
      }
      if (error instanceof StorageError) {
        console.error(`branchbox: ${error.message} (${error.code})`);
        process.exit(1);
      }
      console.error("branchbox: failed:", error);
      process.exit(1);
    },
  );
}
