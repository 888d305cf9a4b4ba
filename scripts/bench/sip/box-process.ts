import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { logTail, spawnListening } from "../lib/children.ts";

/**
 * The box under test in its own process (scripts/bench/sip/server.ts), as a branch would run it:
 * a config file whose [pbx.sip] points at the lab's Kamailio, the front desk on 101. Stopped by
 * its PID: SIGTERM, then SIGKILL after 5 s.
 */

export interface Commit {
  /** Epoch ms (sub-ms), comparable with this process's `epochMs()`. */
  readonly at: number;
  readonly calls: { id: string; finished: boolean; legs: [string, string][] }[];
  readonly recorded: string[];
}

export interface SipStatus {
  readonly state: string;
  readonly notifies: number;
  readonly badFrames: number;
  readonly active: number;
  readonly pipeline: { received: number; duplicates: number; rejected: number; recorded: number };
  readonly live: number;
  readonly records: number;
  readonly memoryMb: number;
}

export interface SipBox {
  readonly pid: number;
  commits(): Promise<Commit[]>;
  status(): Promise<SipStatus>;
  api(path: string, body: unknown): Promise<Response>;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export async function startSipBox(options: {
  dir: string;
  wsUrl: string;
  domain: string;
  extensions: readonly string[];
  onStart: (child: Subprocess) => void;
}): Promise<SipBox> {
  const storage = join(options.dir, "box");
  mkdirSync(storage, { recursive: true });
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
  const configPath = join(options.dir, "branchbox.toml");
  writeFileSync(
    configPath,
    [
      `[branch]\nid = "bench"\nname = "Bench branch"\ntimezone = "Europe/Moscow"\n`,
      `[http]\nlisten = "127.0.0.1:0"\nadmin_token = "${token}"\n`,
      `[storage]\ndir = ${JSON.stringify(storage)}\n`,
      `[calls]\nsenior_manager = "sergey"\n`,
      `[pbx.sip]\nws_url = "${options.wsUrl}"\ndomain = "${options.domain}"\nextensions = ${JSON.stringify(options.extensions)}\n`,
      `[[desks]]\nid = "front"\nname = "Front desk"\nextension = "101"\n`,
    ].join("\n"),
  );
  const logPath = join(options.dir, "server.log");
  const {
    process: child,
    url,
    stop,
  } = await spawnListening({
    name: "the bench box",
    argv: ["scripts/bench/sip/server.ts", "--config", configPath],
    logPath,
    onStart: options.onStart,
  });
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return {
    pid: child.pid,
    commits: async () => (await fetch(`${url}bench/commits`)).json() as Promise<Commit[]>,
    status: async () => (await fetch(`${url}bench/sip`)).json() as Promise<SipStatus>,
    api: (path, body) =>
      fetch(`${url}${path.slice(1)}`, { method: "POST", headers: auth, body: JSON.stringify(body) }),
    stop,
    logTail: (lines = 5) => logTail(logPath, lines),
  };
}
