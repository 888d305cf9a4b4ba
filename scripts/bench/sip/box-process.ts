import type { Subprocess } from "bun";
import { startBenchBox } from "../lib/children.ts";

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
  const box = await startBenchBox({
    dir: options.dir,
    server: "scripts/bench/sip/server.ts",
    config: (storage, token) =>
      [
        `[branch]\nid = "bench"\nname = "Bench branch"\ntimezone = "Europe/Moscow"\n`,
        `[http]\nlisten = "127.0.0.1:0"\nadmin_token = "${token}"\n`,
        `[storage]\ndir = ${JSON.stringify(storage)}\n`,
        `[calls]\nsenior_manager = "sergey"\n`,
        `[pbx.sip]\nws_url = "${options.wsUrl}"\ndomain = "${options.domain}"\nextensions = ${JSON.stringify(options.extensions)}\n`,
        `[[desks]]\nid = "front"\nname = "Front desk"\nextension = "101"\n`,
      ].join("\n"),
    onStart: options.onStart,
  });
  const { url } = box;
  return {
    pid: box.process.pid,
    commits: async () => (await fetch(`${url}bench/commits`)).json() as Promise<Commit[]>,
    status: async () => (await fetch(`${url}bench/sip`)).json() as Promise<SipStatus>,
    api: box.post,
    stop: box.stop,
    logTail: box.logTail,
  };
}
