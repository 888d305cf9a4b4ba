// Starts and stops real branchbox processes for end-to-end tests. Only node: APIs, so the same
// helpers serve `bun test` (crash test) and the Node-driven browser test.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The checkout: found upward from this file, which may also run bundled under test-artifacts/. */
export const REPO_ROOT = findRepoRoot(import.meta.dirname);
export const BINARY = join(REPO_ROOT, "dist/branchbox");

/** A loopback port nobody listens on right now (the OS picks it; we close and hand it over). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error("no port from the OS"))));
    });
  });
}

/** True once something accepts a TCP connection on the loopback port (a server starting up). */
export function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(500, () => done(false));
  });
}

/** A fresh directory for one test; processes log into it and keep their state under it. */
export function makeTestDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `branchbox-${prefix}-`));
}

export type StartOptions = {
  /** argv after the program, e.g. ["serve", "--demo"]. */
  args: string[];
  /** The test's temp dir: `run/` (empty cwd), `data/` (storage) and `logs/` go under it. */
  dir: string;
  /** The program: the compiled binary by default, or e.g. [bunPath, "src/main.ts"]. */
  command?: string[];
  /** BRANCHBOX_* and other variables; any BRANCHBOX_* of the parent is dropped first. */
  env?: Record<string, string>;
  port?: number;
  /** Name of this start in the log files (`<name>.stdout.log`), e.g. "start-3". */
  name?: string;
  readyTimeoutMs?: number;
};

export type Running = {
  readonly pid: number;
  readonly port: number;
  readonly baseUrl: string;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (kill -9) and wait for the exit: a power cut, as far as the process can tell. */
  kill9(): Promise<void>;
  /** What the process printed so far, for failure messages. */
  output(): string;
};

/**
 * Starts the program with BRANCHBOX_HTTP_LISTEN=127.0.0.1:<free port> and BRANCHBOX_STORAGE_DIR=
 * <dir>/data, cwd an empty <dir>/run, output into <dir>/logs; resolves when GET /healthz gives 200.
 */
export async function startBranchbox(options: StartOptions): Promise<Running> {
  const port = options.port ?? (await freePort());
  const name = options.name ?? "branchbox";
  const runDir = join(options.dir, "run");
  const logDir = join(options.dir, "logs");
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const stdoutPath = join(logDir, `${name}.stdout.log`);
  const stderrPath = join(logDir, `${name}.stderr.log`);
  const out = openSync(stdoutPath, "a");
  const err = openSync(stderrPath, "a");

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("BRANCHBOX_")) env[key] = value;
  }
  Object.assign(env, {
    BRANCHBOX_HTTP_LISTEN: `127.0.0.1:${port}`,
    BRANCHBOX_STORAGE_DIR: join(options.dir, "data"),
    ...options.env,
  });

  const [program, ...prefix] = options.command ?? [BINARY];
  if (program === undefined) throw new Error("startBranchbox: empty command");
  let child: ChildProcess;
  try {
    child = spawn(program, [...prefix, ...options.args], { cwd: runDir, env, stdio: ["ignore", out, err] });
  } finally {
    // The child holds its own copies of the descriptors; the files outlive a kill -9.
    closeSync(out);
    closeSync(err);
  }
  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once("exit", () => resolveExit());
  });
  child.once("error", () => {});

  const output = () => `--- stdout ---\n${tail(stdoutPath)}\n--- stderr ---\n${tail(stderrPath)}`;
  const running: Running = {
    pid: child.pid ?? -1,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    stdoutPath,
    stderrPath,
    output,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
  if (child.pid === undefined) {
    await exited;
    throw new Error(`could not start ${program}\n${output()}`);
  }

  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${program} ${options.args.join(" ")} exited (${child.exitCode ?? child.signalCode}) before /healthz answered\n${output()}`,
      );
    }
    try {
      const response = await fetch(`${running.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return running;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await running.stop(1000);
      throw new Error(`${program} did not answer /healthz on port ${port} in time\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "src/main.ts"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no branchbox checkout above ${from}`);
  }
}

function tail(path: string, bytes = 4000): string {
  try {
    const text = readFileSync(path, "utf8");
    return text.length > bytes ? `…${text.slice(-bytes)}` : text;
  } catch {
    return "";
  }
}

/** Newest modification time under the paths that go into the binary. */
export function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else {
      newest = Math.max(newest, st.mtimeMs);
    }
  };
  const build = [
    "scripts/build.ts",
    "scripts/build.sh",
    "scripts/build-runtimes.ts",
    "scripts/build-runtimes.json",
  ];
  // test/fixtures/ami: the demo's phone system embeds recordings from there (src/demo-calls.ts).
  const embedded = ["test/fixtures/ami"];
  for (const p of ["src", "web", "package.json", "package-lock.json", ...build, ...embedded])
    visit(join(REPO_ROOT, p));
  return newest;
}

/**
 * The compiled binary, built by `npm run build` unless dist/branchbox is newer than every source
 * file. Bun's path is taken from the running runtime when that is Bun, else node_modules/.bin.
 */
export function ensureBinary(): string {
  let built = 0;
  try {
    built = statSync(BINARY).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newestSource()) return BINARY;
  const bun =
    process.versions.bun !== undefined ? process.execPath : join(REPO_ROOT, "node_modules/.bin/bun");
  const build = spawnSync(bun, ["scripts/build.ts"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (build.status !== 0) {
    throw new Error(`build failed (exit ${build.status}):\n${build.stdout}${build.stderr}`);
  }
  return BINARY;
}
