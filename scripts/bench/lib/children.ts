import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

/**
 * Every process a benchmark starts, by PID, so that they all die with it: on a normal end, on an
 * error and on Ctrl-C. A child spawned by `Children.spawn` speaks to the bench in JSON lines on
 * stdout (`{"event": …}`); its stderr (and the product's log lines) go to a file in the run's temp
 * dir, shown when it fails. A bench server (`spawnListening`) prints `listening <url>` on stderr.
 */

export const ROOT = resolve(import.meta.dir, "../../..");

export type Message = { readonly event: string } & Record<string, unknown>;

export interface Child {
  readonly pid: number;
  readonly process: Subprocess;
  /** The next message satisfying `match` (messages already received count), or an error after `timeoutMs`. */
  next(match: (m: Message) => boolean, timeoutMs: number): Promise<Message>;
  /** Takes every message of `event` received so far. */
  take(event: string): Message[];
  /** One command line on the child's stdin. */
  send(command: string): void;
  /** SIGTERM, then SIGKILL after `graceMs`; waits for the exit. */
  stop(graceMs?: number): Promise<void>;
  logTail(lines?: number): string;
}

export class Children {
  private readonly running = new Set<Subprocess>();
  private readonly pids = new Set<number>();

  /** A process started elsewhere (a bench server) to kill with the rest. */
  track(child: Subprocess): void {
    this.running.add(child);
  }

  /** A PID started by someone else (the broker, from the test harness) to kill with the rest. */
  adopt(pid: number): void {
    if (pid > 0) this.pids.add(pid);
  }

  killAll(): void {
    for (const child of this.running)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const pid of this.pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  /** `bun [bunArgs…] script args…` in the repo root; stdout is the message channel. */
  spawn(name: string, argv: readonly string[], logPath: string, bunArgs: readonly string[] = []): Child {
    const logFd = openSync(logPath, "w");
    const child = Bun.spawn([process.execPath, ...bunArgs, ...argv], {
      cwd: ROOT,
      env: childEnv(),
      stdin: "pipe",
      stdout: "pipe",
      stderr: logFd,
    });
    closeSync(logFd);
    this.running.add(child);
    const inbox: Message[] = [];
    const otherLines: string[] = [];
    const waiters = new Set<() => void>();
    void child.exited.then(() => {
      for (const wake of waiters) wake();
    });
    void (async () => {
      const decoder = new TextDecoder();
      let text = "";
      for await (const chunk of child.stdout) {
        text += decoder.decode(chunk, { stream: true });
        for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n")) {
          const line = text.slice(0, nl).trim();
          text = text.slice(nl + 1);
          if (!line.startsWith('{"event"')) {
            otherLines.push(line); // a product log line
            if (otherLines.length > 20) otherLines.shift();
            continue;
          }
          inbox.push(JSON.parse(line) as Message);
          for (const wake of waiters) wake();
        }
      }
      for (const wake of waiters) wake();
    })();
    const logTail = (lines = 8) => {
      let text = "";
      try {
        text = readFileSync(logPath, "utf8").trim();
      } catch {
        // nothing written
      }
      return [...text.split("\n"), ...otherLines]
        .filter((l) => l !== "")
        .slice(-lines)
        .join("\n");
    };
    return {
      pid: child.pid,
      process: child,
      next(match, timeoutMs) {
        return new Promise((resolveNext, reject) => {
          const deadline = setTimeout(() => settle(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          const check = () => {
            const index = inbox.findIndex(match);
            if (index >= 0) return settle(null, inbox.splice(index, 1)[0]);
            if (child.exitCode !== null || child.signalCode !== null)
              settle(new Error(`exited (${child.exitCode ?? child.signalCode})`));
          };
          function settle(error: Error | null, message?: Message) {
            clearTimeout(deadline);
            waiters.delete(check);
            if (error === null) resolveNext(message as Message);
            else reject(new Error(`${name}: ${error.message}\n${logTail()}`));
          }
          waiters.add(check);
          check();
        });
      },
      take(event) {
        const taken = inbox.filter((m) => m.event === event);
        inbox.splice(0, inbox.length, ...inbox.filter((m) => m.event !== event));
        return taken;
      },
      send(command) {
        child.stdin.write(`${command}\n`);
        child.stdin.flush();
      },
      stop: (graceMs = 5000) => stopChild(child, graceMs),
      logTail,
    };
  }
}

/**
 * Kills every child (SIGKILL) when this process exits, and on SIGINT/SIGTERM also removes the
 * run's temp dir and exits with 130.
 */
export function killOnExit(children: Children, dir: string): void {
  process.on("exit", () => children.killAll());
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      children.killAll();
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; waits for the exit. */
export async function stopChild(child: Subprocess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Bun's CPU profiler flags, writing a Markdown profile into `dir`; none without a dir. */
export function profileArgs(dir: string | undefined): string[] {
  return dir === undefined ? [] : ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${dir}`];
}

export interface ListeningChild {
  readonly process: Subprocess;
  readonly url: string;
  /** SIGTERM, then SIGKILL after 5 s; once, however often it is called. */
  stop(): Promise<void>;
}

/**
 * `bun [profile…] script args…` in the repo root, stdout to `logPath`; resolves with the URL once
 * it prints `listening <url>` on stderr (stderr is drained after that, so the child never blocks
 * on a full pipe). Stopped, and rejected, if it exits first or is not listening within 15 s.
 */
export async function spawnListening(options: {
  /** Who, in the error: "the bench box". */
  readonly name: string;
  readonly argv: readonly string[];
  readonly logPath: string;
  readonly profileDir?: string | undefined;
  /** Called as soon as the process exists (to kill it with the rest). */
  readonly onStart?: ((child: Subprocess) => void) | undefined;
}): Promise<ListeningChild> {
  const logFd = openSync(options.logPath, "w");
  const child = Bun.spawn([process.execPath, ...profileArgs(options.profileDir), ...options.argv], {
    cwd: ROOT,
    env: childEnv(),
    stdin: "ignore",
    stdout: logFd,
    stderr: "pipe",
  });
  closeSync(logFd);
  options.onStart?.(child);
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= stopChild(child);
    return stopped;
  };
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = setTimeout(() => void stop(), 15_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${options.name} exited before listening: ${text.trim()}`);
      text += decoder.decode(value, { stream: true });
      const url = /listening (\S+)/.exec(text)?.[1];
      if (url !== undefined) {
        // Keep draining stderr so that the child never blocks on a full pipe.
        void (async () => {
          for (;;) if ((await reader.read()).done) return;
        })();
        return { process: child, url, stop };
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(deadline);
  }
}

/** The last `lines` lines of a log file; "" if there is none. */
export function logTail(path: string, lines = 5): string {
  try {
    return readFileSync(path, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** The child's environment without BRANCHBOX_* overrides, so the temp config is all it reads. */
export function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("BRANCHBOX_") && v !== undefined) env[k] = v;
  return env;
}

/** A child's resident set now and at its peak (VmRSS, VmHWM), MB; Linux /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/**
 * What a process has used so far: CPU seconds, user and system (utime, stime of /proc/{pid}/stat),
 * and MB it caused to be written to storage (write_bytes of /proc/{pid}/io: page cache it dirtied).
 */
export function usageOf(pid: number): ProcessUse {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command (which may hold spaces) start at field 3; utime and stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = (i: number) => Number(fields[i - 3]) / CLOCK_TICKS;
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  const written = Number(/^write_bytes: (\d+)/m.exec(io)?.[1] ?? Number.NaN) / 2 ** 20;
  return { user: ticks(14), system: ticks(15), written };
}

export type ProcessUse = { user: number; system: number; written: number };

/** USER_HZ: Linux reports process times in 1/100 s on every architecture Bun runs on. */
const CLOCK_TICKS = 100;

export interface BenchBox extends ListeningChild {
  /** The box's admin token, fresh per run. */
  readonly token: string;
  /** A POST to the box's API with the admin token, e.g. `post("/api/v1/roster/check-in", {...})`. */
  post(path: string, body: unknown): Promise<Response>;
  logTail(lines?: number): string;
}

/**
 * A box under benchmark in its own process: `server` (a script taking `--config`) with the config
 * `config(storage, token)` writes, storage in `<dir>/box`, its log in `<dir>/server.log`.
 */
export async function startBenchBox(options: {
  readonly dir: string;
  readonly server: string;
  readonly config: (storage: string, token: string) => string;
  readonly profileDir?: string | undefined;
  readonly onStart?: ((child: Subprocess) => void) | undefined;
}): Promise<BenchBox> {
  const storage = join(options.dir, "box");
  mkdirSync(storage, { recursive: true });
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
  const configPath = join(options.dir, "branchbox.toml");
  writeFileSync(configPath, options.config(storage, token));
  const logPath = join(options.dir, "server.log");
  const box = await spawnListening({
    name: "the bench box",
    argv: [options.server, "--config", configPath],
    logPath,
    profileDir: options.profileDir,
    onStart: options.onStart,
  });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return {
    ...box,
    token,
    post: (path, body) =>
      fetch(`${box.url}${path.slice(1)}`, { method: "POST", headers, body: JSON.stringify(body) }),
    logTail: (lines = 5) => logTail(logPath, lines),
  };
}
