import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

/**
 * The box under test in its own process (scripts/bench/ingest/server.ts), as a PBX would meet it:
 * a config file with [pbx.ami] pointing at the bench's peer on loopback, the demo staff, and
 * desks for the fixtures' handsets. Stopped by its PID: SIGTERM, then SIGKILL after 5 s.
 */

const ROOT = resolve(import.meta.dir, "../../..");
export const AMI_CREDENTIALS = { username: "branchbox", secret: "bench-secret-42" };

/** Desks of the fixtures' handsets 101 and 103; 105 is the desk the baseline checks in and out. */
export const DESKS = [
  { id: "front", extension: "101" },
  { id: "hall", extension: "103" },
  { id: "back", extension: "105" },
] as const;

export interface BoxStatus {
  readonly pipeline: { received: number; duplicates: number; rejected: number; recorded: number };
  readonly live: number;
  readonly commits: number;
  readonly lastCommitAt: number;
  readonly amiFrames: number;
  readonly amiState: string;
  readonly badFrames: number;
  readonly memoryMb: number;
  readonly journal?: number;
  readonly records?: number;
  readonly recordedCalls?: number;
}

export interface BoxProcess {
  readonly process: Subprocess;
  readonly url: string;
  readonly token: string;
  status(counts?: boolean): Promise<BoxStatus>;
  /** Every commit since the last call: its instant (epoch ms) and the calls it changed. */
  commits(): Promise<{ at: number; calls: string[] }[]>;
  /** In-process connect → first message of the card stream, `n` times (ms). */
  renderTimes(n: number): Promise<number[]>;
  /** A roster API call with the admin token. */
  api(path: string, body: unknown): Promise<Response>;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export interface BoxProcessOptions {
  readonly dir: string;
  readonly amiPort: number;
  /** Runs the box under Bun's CPU profiler, writing a Markdown profile here. */
  readonly profileDir?: string;
  readonly onStart?: (child: Subprocess) => void;
}

export async function startBoxProcess(options: BoxProcessOptions): Promise<BoxProcess> {
  const storage = join(options.dir, "box");
  mkdirSync(storage, { recursive: true });
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
  const configPath = join(options.dir, "branchbox.toml");
  writeFileSync(configPath, configToml(storage, token, options.amiPort));
  const logPath = join(options.dir, "server.log");
  const logFd = openSync(logPath, "w");
  const profile =
    options.profileDir === undefined
      ? []
      : ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${options.profileDir}`];
  const child = Bun.spawn(
    [process.execPath, ...profile, "scripts/bench/ingest/server.ts", "--config", configPath],
    { cwd: ROOT, env: childEnv(), stdin: "ignore", stdout: logFd, stderr: "pipe" },
  );
  closeSync(logFd);
  options.onStart?.(child);
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await child.exited;
      clearTimeout(timer);
    })();
    return stopped;
  };
  const url = await awaitListening(child, stop);
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return {
    process: child,
    url,
    token,
    async status(counts = false) {
      const res = await fetch(`${url}bench/ingest${counts ? "?counts=1" : ""}`);
      return (await res.json()) as BoxStatus;
    },
    commits: async () =>
      (await fetch(`${url}bench/commits`)).json() as Promise<{ at: number; calls: string[] }[]>,
    renderTimes: async (n) => (await fetch(`${url}bench/render?n=${n}`)).json() as Promise<number[]>,
    api: (path, body) =>
      fetch(`${url}${path.slice(1)}`, { method: "POST", headers: auth, body: JSON.stringify(body) }),
    stop,
    logTail(lines = 5) {
      try {
        return readFileSync(logPath, "utf8").trim().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
  };
}

async function awaitListening(child: Subprocess<"ignore", number, "pipe">, stop: () => Promise<void>) {
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = setTimeout(() => void stop(), 15_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the bench box exited before listening: ${text.trim()}`);
      text += decoder.decode(value, { stream: true });
      const url = /listening (\S+)/.exec(text)?.[1];
      if (url !== undefined) {
        // Keep draining stderr so that the child never blocks on a full pipe.
        void (async () => {
          for (;;) if ((await reader.read()).done) return;
        })();
        return url;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(deadline);
  }
}

function configToml(storage: string, token: string, amiPort: number): string {
  const desks = DESKS.map(
    (d) => `[[desks]]\nid = "${d.id}"\nname = "Desk ${d.extension}"\nextension = "${d.extension}"\n`,
  );
  return [
    `[branch]\nid = "bench"\nname = "Bench branch"\ntimezone = "Europe/Moscow"\n`,
    `[http]\nlisten = "127.0.0.1:0"\nadmin_token = "${token}"\n`,
    `[storage]\ndir = ${JSON.stringify(storage)}\n`,
    // Sergey (manager, ext 102) sees missed calls (R3.3) and answers on unmapped handsets (R3.2).
    `[calls]\nsenior_manager = "sergey"\n`,
    `[pbx.ami]\nhost = "127.0.0.1"\nport = ${amiPort}\nusername = "${AMI_CREDENTIALS.username}"\nsecret = "${AMI_CREDENTIALS.secret}"\n`,
    ...desks,
  ].join("\n");
}

/** The child's environment without BRANCHBOX_* overrides, so the temp config is all it reads. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("BRANCHBOX_") && v !== undefined) env[k] = v;
  return env;
}
