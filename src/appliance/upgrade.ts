import { Database } from "bun:sqlite";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../log/logger.ts";
import { backups, DB_FILE, fsyncPath } from "../store/db.ts";
import { download, expectedSha256, release, sha256File, verifySignature } from "./release-check.ts";
import { healthUrl, runService, startAndWaitHealthy } from "./service-control.ts";
import { UpgradeError } from "./upgrade-error.ts";

export interface UpgradeOptions {
  /** The new release: a file path or an http(s) URL. */
  readonly source: string;
  /** Expected SHA-256 in hex; without it, SHA256SUMS beside the source must list the file. */
  readonly sha256?: string | undefined;
  /** The installed binary the service runs (e.g. /usr/local/bin/branchbox). */
  readonly binary: string;
  readonly config: Config;
  readonly log: Logger;
  /**
   * Go back to `<binary>.prev`, kept by the last upgrade: no checksum or signature to check (it
   * was checked when it came), the same swap, restart, health wait and rollback.
   */
  readonly toPrevious?: boolean;
}

export interface UpgradeResult {
  readonly from: string;
  readonly to: string;
}

/**
 * `branchbox upgrade`: check the release (SHA-256, and the Ed25519 signature when a key is
 * configured), ask it its version, keep the running binary as `<binary>.prev`, swap the new one
 * in with a rename in the same folder, restart the service and wait for /healthz to report the
 * new version. If it does not within `[upgrade] health_timeout_seconds`, the old binary is put
 * back (and the database copy taken before the new one migrated it), restarted and waited for;
 * then it throws UPGRADE.ROLLED_BACK. Until the swap nothing on the box changes.
 */
export async function upgrade(options: UpgradeOptions): Promise<UpgradeResult> {
  const { binary, config, log } = options;
  const dir = dirname(binary);
  const staged = join(dir, `${basename(binary)}.new`);
  const prev = join(dir, `${basename(binary)}.prev`);
  const lock = takeLock(join(dir, `${basename(binary)}.upgrade-lock`));
  try {
    const { from, to } = await stage(options, staged, prev);
    const schemaBefore = schemaOf(config.storage.dir);

    // The swap: the running binary stays as .prev (a hard link, same inode), the new one takes its name.
    rmSync(prev, { force: true });
    linkSync(binary, prev);
    renameSync(staged, binary);
    fsyncPath(dir);
    log.info("swapped", { from, to, binary, previous: prev });

    const url = healthUrl(config.http.listen);
    const timeoutMs = config.upgrade.health_timeout_seconds * 1000;
    const problem = await startAndWaitHealthy(
      config.upgrade.service_command,
      "restart",
      { url, version: to, timeoutMs },
      log,
    );
    if (problem === null) {
      log.info("upgraded", { from, to, previousKeptAs: prev });
      return { from, to };
    }
    log.error("new version not healthy; rolling back", { to, problem, timeoutSeconds: timeoutMs / 1000 });
    await rollBack({ binary, prev, from, schemaBefore, config, log, url, timeoutMs });
    throw new UpgradeError(
      "UPGRADE.ROLLED_BACK",
      `${to} did not report healthy on ${url} within ${timeoutMs / 1000} s (${problem}); ${from} is back and serving`,
    );
  } finally {
    rmSync(staged, { force: true });
    rmSync(lock, { force: true });
  }
}

/**
 * One upgrade at a time (two would share branchbox.new and .prev): a lock file beside the binary
 * holding the pid. A lock whose process is gone (a killed upgrade) is taken over.
 */
function takeLock(path: string): string {
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      return path;
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (code !== "EEXIST") {
        const hint = /^(EACCES|EPERM|EROFS)$/.test(code) ? " (run it as root: sudo branchbox upgrade …)" : "";
        throw new UpgradeError("UPGRADE.IO", `cannot create ${path}: ${(error as Error).message}${hint}`);
      }
    }
    const holder = Number(readFileSync(path, "utf8").trim());
    if (attempt === 0 && !isRunning(holder)) {
      rmSync(path, { force: true });
      continue;
    }
    throw new UpgradeError(
      "UPGRADE.BUSY",
      `another upgrade is running (pid ${holder}, ${path}); wait for it, or remove the file if it is not`,
    );
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Everything before the swap, which changes nothing the box runs: the release is fetched or
 * copied to `staged` beside the binary, checked, and asked its version.
 */
async function stage(
  options: UpgradeOptions,
  staged: string,
  prev: string,
): Promise<{ from: string; to: string }> {
  const { binary, config, log } = options;
  if (!existsSync(binary))
    throw new UpgradeError("UPGRADE.NO_BINARY", `${binary}: no installed binary there`);
  const rel = release(options.toPrevious === true ? prev : options.source);
  if (options.toPrevious === true && !existsSync(prev))
    throw new UpgradeError("UPGRADE.NO_BINARY", `${prev}: no previous binary kept, nothing to go back to`);
  try {
    rmSync(staged, { force: true });
    const expected =
      options.toPrevious === true ? await sha256File(prev) : await expectedSha256(rel, options.sha256);
    if (rel.isUrl) {
      log.info("downloading", { url: rel.source });
      await download(rel, staged);
    } else {
      copyFileSync(rel.source, staged);
    }
    const actual = await sha256File(staged);
    if (actual !== expected) {
      throw new UpgradeError(
        "UPGRADE.CHECKSUM_MISMATCH",
        `${rel.name}: SHA-256 is ${actual}, expected ${expected}; the file is damaged or not the release`,
      );
    }
    log.info("checksum ok", { file: rel.name, sha256: actual });
    if (config.upgrade.public_key !== "" && options.toPrevious !== true) {
      await verifySignature(rel, staged, config.upgrade.public_key);
      log.info("signature ok", { file: rel.name });
    }
    chmodSync(staged, 0o755);
    fsyncPath(staged);
    const to = await versionOf(staged);
    if (to === null) {
      throw new UpgradeError(
        "UPGRADE.NEW_BINARY_BROKEN",
        `${rel.name} does not run here (\`${rel.name} version\` failed): wrong architecture or not a branchbox binary`,
      );
    }
    return { from: (await versionOf(binary)) ?? "unknown", to };
  } catch (error) {
    if (error instanceof UpgradeError) throw error;
    // A full disk, a read-only folder, a source that is not a file: said in a sentence, nothing changed.
    const code = (error as { code?: string }).code ?? "";
    const hint = /^(EACCES|EPERM|EROFS)$/.test(code) ? " (run it as root: sudo branchbox upgrade …)" : "";
    throw new UpgradeError(
      "UPGRADE.IO",
      `cannot stage ${rel.source} as ${staged}: ${(error as Error).message}${hint}; nothing was changed`,
    );
  }
}

async function rollBack(state: {
  binary: string;
  prev: string;
  from: string;
  schemaBefore: number | null;
  config: Config;
  log: Logger;
  url: string;
  timeoutMs: number;
}): Promise<void> {
  const { binary, prev, config, log } = state;
  renameSync(prev, binary);
  fsyncPath(dirname(binary));
  const command = config.upgrade.service_command;
  const schemaAfter = schemaOf(config.storage.dir);
  const health = {
    url: state.url,
    version: state.from === "unknown" ? null : state.from,
    timeoutMs: state.timeoutMs,
  };
  let problem: string | null;
  if (state.schemaBefore !== null && schemaAfter !== null && schemaAfter > state.schemaBefore) {
    // The new binary migrated the database: the old one would refuse it (STORAGE.SCHEMA_TOO_NEW).
    await runService(command, "stop", log);
    restoreDatabase(config.storage.dir, state.schemaBefore, schemaAfter, log);
    problem = await startAndWaitHealthy(command, "start", health, log);
  } else {
    problem = await startAndWaitHealthy(command, "restart", health, log);
  }
  if (problem !== null) {
    throw new UpgradeError(
      "UPGRADE.ROLLBACK_FAILED",
      `rolled back to ${state.from} but it is not healthy on ${state.url} either (${problem}); run \`branchbox doctor\` and \`journalctl -u branchbox\``,
    );
  }
  log.info("rolled back", { version: state.from });
}

/** Puts back the copy taken before the migration from `from` to `to`; the migrated one is kept aside. */
function restoreDatabase(dir: string, from: number, to: number, log: Logger): void {
  const copy = backups(dir).find((b) => b.from === from && b.to === to);
  if (copy === undefined) {
    throw new UpgradeError(
      "UPGRADE.ROLLBACK_FAILED",
      `the database was migrated from v${from} to v${to} but ${dir} holds no ${DB_FILE}.v${from}.pre-v${to}`,
    );
  }
  const live = join(dir, DB_FILE);
  const owner = statSync(live);
  const aside = join(dir, `${DB_FILE}.failed-v${to}`);
  // With its -wal and -shm, so the set can still be opened as it was.
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(live + suffix)) renameSync(live + suffix, aside + suffix);
  }
  copyFileSync(join(dir, copy.name), live);
  if (process.getuid?.() === 0) chownSync(live, owner.uid, owner.gid);
  fsyncPath(live);
  fsyncPath(dir);
  log.info("database restored", { from: copy.name, migratedKeptAs: aside });
}

/** `<binary> version` → its version, or null when it does not run or says something else. */
async function versionOf(binary: string): Promise<string | null> {
  try {
    const proc = Bun.spawn([binary, "version"], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    clearTimeout(timer);
    return code === 0 ? (/^branchbox (\S+) /.exec(out)?.[1] ?? null) : null;
  } catch {
    return null;
  }
}

/** The schema version of the box's database, or null when there is none (or it cannot be read). */
function schemaOf(dir: string): number | null {
  const path = join(dir, DB_FILE);
  if (!existsSync(path)) return null;
  try {
    const db = new Database(path, { readonly: true });
    try {
      return (
        db.query<{ v: number | null }, []>("SELECT max(version) AS v FROM schema_migrations").get()?.v ?? null
      );
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}
