import type { Subprocess } from "bun";
import { startBenchBox } from "../lib/children.ts";

/**
 * The box under test in its own process (scripts/bench/ingest/server.ts), as a PBX would meet it:
 * a config file with [pbx.ami] pointing at the bench's peer on loopback, the demo staff, and
 * desks for the fixtures' handsets. Stopped by its PID: SIGTERM, then SIGKILL after 5 s.
 */

export const AMI_CREDENTIALS = { username: "branchbox", secret: "bench-secret-42" };

/** Desks of the fixtures' handsets 101 and 103; 105 is the desk the baseline checks in and out. */
export const DESKS = [
  { id: "front", extension: "101" },
  { id: "hall", extension: "103" },
  { id: "back", extension: "105" },
] as const;

export interface BoxStatus {
  readonly pipeline: {
    received: number;
    duplicates: number;
    rejected: number;
    recorded: number;
    /** CRM intents written (issue 16); absent from a box older than that. */
    intents?: number;
  };
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

/** What both halves of the ingest bench (throughput, latency) take from index.ts. */
export interface BoxRunOptions {
  readonly dir: string;
  readonly seed: number;
  readonly profileDir?: string;
  readonly onBox: (child: Subprocess) => void;
  readonly progress: (text: string) => void;
}

export interface BoxProcessOptions {
  readonly dir: string;
  readonly amiPort: number;
  /** Runs the box under Bun's CPU profiler, writing a Markdown profile here. */
  readonly profileDir?: string;
  readonly onStart?: (child: Subprocess) => void;
}

export async function startBoxProcess(options: BoxProcessOptions): Promise<BoxProcess> {
  const box = await startBenchBox({
    dir: options.dir,
    server: "scripts/bench/ingest/server.ts",
    config: (storage, token) => configToml(storage, token, options.amiPort),
    profileDir: options.profileDir,
    onStart: options.onStart,
  });
  const { url } = box;
  return {
    process: box.process,
    url,
    token: box.token,
    async status(counts = false) {
      const res = await fetch(`${url}bench/ingest${counts ? "?counts=1" : ""}`);
      return (await res.json()) as BoxStatus;
    },
    commits: async () =>
      (await fetch(`${url}bench/commits`)).json() as Promise<{ at: number; calls: string[] }[]>,
    renderTimes: async (n) => (await fetch(`${url}bench/render?n=${n}`)).json() as Promise<number[]>,
    api: box.post,
    stop: box.stop,
    logTail: box.logTail,
  };
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
