// A real MariaDB from Debian's packages (mariadb-server-core, installed by scripts/setup-test.sh)
// for the CEL reader tests: a fresh data directory, a free loopback port, no socket in a shared
// place, stopped by PID. root has no password and is reached over TCP from loopback only.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { acceptsTcp, freePort, makeTestDir } from "./process.ts";

export const MARIADBD = process.env.MARIADBD_BIN ?? "/usr/sbin/mariadbd";
const INSTALL_DB = process.env.MARIADB_INSTALL_DB_BIN ?? "/usr/bin/mariadb-install-db";

export interface MariaDb {
  readonly port: number;
  readonly pid: number;
  /** `mysql://root@127.0.0.1:PORT/` + database. */
  url(database?: string, user?: string): string;
  log(): string;
  stop(): Promise<void>;
}

export async function startMariaDb(readyTimeoutMs = 60_000): Promise<MariaDb> {
  const dir = makeTestDir("mariadb");
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0 ? ["--user=root"] : [];
  const install = spawnSync(
    INSTALL_DB,
    [
      "--no-defaults",
      `--datadir=${data}`,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
      ...asRoot,
    ],
    { encoding: "utf8" },
  );
  if (install.status !== 0)
    throw new Error(`mariadb-install-db failed:\n${install.stdout}\n${install.stderr}`);
  const port = await freePort();
  const logPath = join(dir, "mariadb.err");
  const child: ChildProcess = spawn(
    MARIADBD,
    [
      "--no-defaults",
      `--datadir=${data}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--socket=${join(dir, "mariadb.sock")}`,
      `--pid-file=${join(dir, "mariadb.pid")}`,
      `--log-error=${logPath}`,
      "--skip-name-resolve",
      "--innodb-buffer-pool-size=16M",
      ...asRoot,
    ],
    { stdio: "ignore" },
  );
  const log = () => {
    try {
      return readFileSync(logPath, "utf8").slice(-3000);
    } catch {
      return "";
    }
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await acceptsTcp(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`mariadbd did not start (exit ${child.exitCode})\n${log()}`);
    }
    await Bun.sleep(50);
  }
  return {
    port,
    pid: child.pid ?? -1,
    url: (database = "", user = "root") => `mysql://${user}@127.0.0.1:${port}/${database}`,
    log,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
