import { Database } from "bun:sqlite";
import { accessSync, constants, existsSync, statfsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { DEMO_CONFIG } from "./demo.ts";
import { checkCapture } from "./doctor-capture.ts";
import { checkPbxCounters, checkUnplaced, endpointLines, knownExtensions } from "./doctor-pbx.ts";
import { alternatives } from "./i18n/list.ts";
import { localUrl, parseListen } from "./lib/listen-address.ts";
import { probeCelCsv, probeCelSql } from "./pbx/ami/cel-probe.ts";
import type { PbxProbeResult } from "./pbx/pbx-module.ts";
import { configuredPbx, PBX_REGISTRY, type PbxRegistry } from "./pbx/registry.ts";
import { backups, DB_FILE } from "./store/db.ts";
import { MIGRATIONS } from "./store/migrations.ts";
import { probeBroker } from "./sync/broker-probe.ts";
import { reportRunningBoxLink } from "./sync/running-box-link.ts";

type Status = "OK" | "WARN" | "FAIL";
interface Check {
  readonly name: string;
  readonly status: Status;
  readonly detail: string;
  /** What to do, for WARN and FAIL. */
  readonly fix?: string;
}

const MB = 1024 * 1024;
/** systemd-timesyncd creates it once the clock is synchronized (systemd-timesyncd.service(8)). */
const TIMESYNCD_FLAG = "/run/systemd/timesync/synchronized";

/**
 * `branchbox doctor`: every check on its own line with OK/WARN/FAIL and, where something is
 * wrong, what to do. Exit code 1 when any check fails.
 */
export async function runDoctor(configPath: string | undefined, demo: boolean): Promise<number> {
  const checks: Check[] = [];
  let config: Config | null = null;
  try {
    config = loadConfig({
      file: configPath,
      env: process.env,
      base: demo ? { ...DEMO_CONFIG, http: { admin_token: "doctor-demo-placeholder" } } : undefined,
    });
    checks.push({
      name: "config",
      status: "OK",
      detail: `${configPath ?? "demo defaults"}: branch ${config.branch.id}, ${config.desks.length} desk(s)`,
    });
  } catch (error) {
    checks.push({
      name: "config",
      status: "FAIL",
      detail: (error as Error).message,
      fix: "correct the file; see firmware-config/branchbox.toml.example",
    });
  }
  if (config !== null) {
    const box = await runningBox(config.http.listen);
    checks.push(
      checkDatabase(config.storage.dir),
      checkDisk(config.storage.dir),
      await checkClock(),
      await checkPort(config.http.listen, box),
    );
    const known = knownExtensions(config);
    checks.push(...(await checkPbx(config, PBX_REGISTRY, known)));
    if (config.pbx.ami !== undefined)
      checks.push(
        checkUnplaced(config, known),
        await checkPbxCounters(box?.baseUrl ?? null, config.http.admin_token),
      );
    checks.push(...(await checkCel(config)));
    checks.push(await checkBroker(config, box));
    const capture = await checkCapture(
      config.pbx.ami,
      box === null ? null : { baseUrl: box.baseUrl, adminToken: config.http.admin_token },
    );
    if (capture !== null) checks.push(capture);
  }
  for (const c of checks) {
    console.log(`${c.status.padEnd(5)} ${c.name.padEnd(9)} ${c.detail}${c.fix ? `\n      -> ${c.fix}` : ""}`);
  }
  const failed = checks.filter((c) => c.status === "FAIL").length;
  console.log(failed === 0 ? "doctor: all checks passed" : `doctor: ${failed} check(s) failed`);
  return failed === 0 ? 0 : 1;
}

/** Issue 13: the PBX's CEL the box reads its gaps back from, when `[pbx.ami]` names one. */
async function checkCel(config: Config): Promise<Check[]> {
  const ami = config.pbx.ami;
  if (ami === undefined || (ami.cel_url === "" && ami.cel_csv === "")) return [];
  const zone = ami.timezone || config.branch.timezone;
  const results =
    ami.cel_url !== "" ? await probeCelSql(ami.cel_url, zone) : await probeCelCsv(ami.cel_csv, zone);
  return results.map((result) => ({ name: "cel", ...result }));
}

function checkDatabase(dir: string): Check {
  const path = join(dir, DB_FILE);
  if (!existsSync(path)) {
    return {
      name: "database",
      status: "WARN",
      detail: `${path} does not exist yet`,
      fix: "it is created on the first `branchbox serve` or `branchbox migrate`",
    };
  }
  try {
    const db = new Database(path, { readonly: true });
    const result = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check;
    const version =
      db.query<{ v: number }, []>("SELECT max(version) AS v FROM schema_migrations").get()?.v ?? 0;
    db.close();
    if (result !== "ok") {
      return {
        name: "database",
        status: "FAIL",
        detail: `${path}: integrity check says ${result}`,
        fix: "stop the service and restore the database from a backup",
      };
    }
    const latest = Math.max(...MIGRATIONS.map((m) => m.version));
    if (version > latest) {
      const copy = backups(dir).find((b) => b.from <= latest);
      return {
        name: "database",
        status: "FAIL",
        detail: `${path}: schema v${version} is from a newer branchbox (this one knows up to v${latest})`,
        fix:
          copy === undefined
            ? "run the newer branchbox again (`branchbox upgrade` it back)"
            : `run the newer branchbox again, or stop branchbox and put back ${join(dir, copy.name)}`,
      };
    }
    const pending = version < latest ? `; migrates to v${latest} at the next start, keeping a copy` : "";
    return { name: "database", status: "OK", detail: `${path}: integrity ok, schema v${version}${pending}` };
  } catch (error) {
    return {
      name: "database",
      status: "FAIL",
      detail: `${path}: ${(error as Error).message}`,
      fix: "check the file's owner and permissions, or restore it from a backup",
    };
  }
}

function checkDisk(dir: string): Check {
  let existing = resolve(dir);
  while (!existsSync(existing) && existing !== dirname(existing)) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    return {
      name: "disk",
      status: "FAIL",
      detail: `${existing} is not writable`,
      fix: `give the branchbox user write access to ${dir}`,
    };
  }
  const fs = statfsSync(existing);
  const free = fs.bavail * fs.bsize;
  const detail = `${Math.round(free / MB)} MB free at ${existing}`;
  if (free < 100 * MB)
    return {
      name: "disk",
      status: "FAIL",
      detail,
      fix: "free disk space: the box stops recording below 100 MB",
    };
  if (free < 1024 * MB)
    return { name: "disk", status: "WARN", detail, fix: "less than 1 GB left; free some space" };
  return { name: "disk", status: "OK", detail };
}

/**
 * Call times come from this clock: ask systemd (timedatectl), else systemd-timesyncd's flag
 * file; WARN when neither can tell (a container, another NTP daemon).
 */
async function checkClock(): Promise<Check> {
  try {
    const proc = Bun.spawn(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], {
      stdout: "pipe",
      stderr: "ignore",
    });
    const out = (await new Response(proc.stdout).text()).trim();
    if ((await proc.exited) === 0 && out === "yes")
      return { name: "clock", status: "OK", detail: "synchronized (NTP)" };
    if (out === "no") {
      return {
        name: "clock",
        status: "FAIL",
        detail: "not synchronized",
        fix: "enable time sync: `timedatectl set-ntp true`, and check the NTP server is reachable",
      };
    }
  } catch {
    // no timedatectl (a minimal system): try the flag file below.
  }
  if (existsSync(TIMESYNCD_FLAG))
    return { name: "clock", status: "OK", detail: `synchronized (${TIMESYNCD_FLAG})` };
  return {
    name: "clock",
    status: "WARN",
    detail: "cannot tell whether the clock is synchronized (timedatectl gave no answer)",
    fix: "make sure NTP runs on this machine (`timedatectl set-ntp true`); call times depend on it",
  };
}

/** A branchbox answering /healthz on `http.listen` (a wildcard address is asked on loopback). */
interface RunningBox {
  readonly baseUrl: string;
  readonly version: string;
}

async function runningBox(listen: string): Promise<RunningBox | null> {
  const baseUrl = localUrl(listen);
  try {
    const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1500) });
    const body = (await response.json()) as { status?: string; version?: string };
    if (body.status === "ok") return { baseUrl, version: String(body.version) };
  } catch {
    // nothing answering /healthz.
  }
  return null;
}

async function checkPort(listen: string, box: RunningBox | null): Promise<Check> {
  if (box !== null)
    return { name: "kiosk", status: "OK", detail: `branchbox ${box.version} is serving on ${listen}` };
  const { hostname, port } = parseListen(listen);
  try {
    const server = Bun.listen({ hostname, port, socket: { data() {} } });
    server.stop(true);
    return {
      name: "kiosk",
      status: "WARN",
      detail: `port ${port} is free but branchbox is not serving`,
      fix: "start it: `systemctl start branchbox`",
    };
  } catch {
    return {
      name: "kiosk",
      status: "FAIL",
      detail: `port ${port} is taken by another program`,
      fix: "stop that program or change http.listen",
    };
  }
}

/** One line per PBX source the config names, from its own probe (none: a warning). */
export async function checkPbx(
  config: Config,
  registry: PbxRegistry = PBX_REGISTRY,
  known: ReadonlySet<string> = new Set(),
): Promise<Check[]> {
  const configured = configuredPbx(config.pbx, registry);
  if (configured.length === 0) {
    const sections = Object.keys(registry).map((key) => `[pbx.${key}]`);
    return [
      {
        name: "pbx",
        status: "WARN",
        detail: "no PBX configured: the roster works, calls are not seen",
        fix: `add a ${alternatives(sections, "or")} section (see the example config)`,
      },
    ];
  }
  const checks: Check[] = [];
  for (const { entry, section } of configured) {
    const result = await (await entry.load()).probe(section, known);
    checks.push(fromProbe(entry.check, result));
    if (result.warning !== undefined)
      checks.push({ name: `${entry.check} routing`, status: "WARN", ...result.warning });
  }
  return checks;
}

function fromProbe(name: string, result: PbxProbeResult): Check {
  return result.ok
    ? {
        name,
        status: "OK",
        detail: `${result.detail}${result.endpoints === undefined ? "" : endpointLines(result.endpoints)}`,
      }
    : {
        name,
        status: "FAIL",
        detail: result.detail,
        ...(result.fix === undefined ? {} : { fix: result.fix }),
      };
}

/**
 * With the service running, the broker link as its relay reports it, and no connection of our
 * own: on a broker that binds the client id to the box's credentials (firmware-config/mosquitto)
 * ours would take the link from the relay. Without it, a probe that leaves the box's session and
 * what is queued in it as they were (src/sync/broker-probe.ts).
 */
async function checkBroker(config: Config, box: RunningBox | null): Promise<Check> {
  if (config.mqtt.url === "") {
    return {
      name: "hq",
      status: "WARN",
      detail: "no headquarters broker configured: everything is kept here until it is",
      fix: "set [mqtt] url (see the example config)",
    };
  }
  if (box !== null)
    return { name: "hq", ...(await reportRunningBoxLink(box.baseUrl, config.http.admin_token)) };
  return fromProbe("hq", await probeBroker(config.mqtt, config.branch.id));
}
