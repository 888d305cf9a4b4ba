// A real PostgreSQL from Debian's packages (postgresql-15, installed by scripts/setup-test.sh):
// `initdb` into a temp folder, a free loopback port, its socket in that folder, run as a non-root
// user (PostgreSQL refuses root: as root the test runs it as `nobody`), stopped by PID.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SQL } from "bun";
import { acceptsTcp, freePort, makeTestDir } from "./process.ts";

/** The newest PostgreSQL under /usr/lib/postgresql/<version>/bin, or POSTGRES_BIN_DIR. */
function binDir(): string {
  if (process.env.POSTGRES_BIN_DIR !== undefined) return process.env.POSTGRES_BIN_DIR;
  const versions = readdirSync("/usr/lib/postgresql")
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined)
    throw new Error("no PostgreSQL under /usr/lib/postgresql: run scripts/setup-test.sh");
  return join("/usr/lib/postgresql", versions[0], "bin");
}

export interface Postgres {
  readonly port: number;
  readonly pid: number;
  /** `postgres://postgres@127.0.0.1:PORT/` + database. */
  url(database?: string, user?: string): string;
  log(): string;
  stop(): Promise<void>;
}

export async function startPostgres(readyTimeoutMs = 60_000): Promise<Postgres> {
  const bin = binDir();
  const dir = makeTestDir("postgres");
  const data = join(dir, "data");
  const root = process.getuid?.() === 0;
  // As root: everything as nobody, who must be able to enter the folder (mkdtemp makes it 0700).
  const as = root ? { uid: 65534, gid: 65534 } : {};
  if (root) {
    chmodSync(dir, 0o755);
    chownSync(dir, 65534, 65534);
  }
  const init = spawnSync(
    join(bin, "initdb"),
    ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"],
    {
      encoding: "utf8",
      ...as,
    },
  );
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}\n${init.stderr}`);
  const port = await freePort();
  const logPath = join(dir, "postgres.log");
  const child: ChildProcess = spawn(
    join(bin, "postgres"),
    [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      dir,
      "-h",
      "127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      `log_directory=${dir}`,
      "-c",
      "logging_collector=on",
      "-c",
      "log_filename=postgres.log",
    ],
    { stdio: "ignore", ...as },
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
  // Ready when it answers a query: it takes connections (and refuses them) while it starts up.
  const answers = async () => {
    if (!(await acceptsTcp(port))) return false;
    const sql = new SQL(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 1, connectionTimeout: 2 });
    try {
      await sql`SELECT 1`;
      return true;
    } catch {
      return false;
    } finally {
      await sql.close().catch(() => {});
    }
  };
  while (!(await answers())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`postgres did not start (exit ${child.exitCode})\n${log()}`);
    }
    await Bun.sleep(50);
  }
  return {
    port,
    pid: child.pid ?? -1,
    url: (database = "postgres", user = "postgres") => `postgres://${user}@127.0.0.1:${port}/${database}`,
    log,
    async stop() {
      if (child.exitCode === null) {
        // SIGINT: PostgreSQL's fast shutdown.
        child.kill("SIGINT");
        const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new, empty database on `pg`; `drop()` removes it, ending whoever is still connected. */
export async function freshDatabase(
  pg: Postgres,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new SQL(pg.url(), { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  return {
    url: pg.url(name),
    async drop() {
      const again = new SQL(pg.url(), { max: 1 });
      try {
        await again.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
      } finally {
        await again.close();
      }
    },
  };
}
