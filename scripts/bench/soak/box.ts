import type { Subprocess } from "bun";
import { type BenchBox, memoryOf, startBenchBox } from "../lib/children.ts";

/**
 * A box under soak in its own process (scripts/bench/soak/server.ts): [pbx.ami] on the bench's
 * peer, the demo staff, the corpus's phones as the branch's handsets (desks for those with digits,
 * `[pbx.ami] handsets` for all), and what the soak reads from it: /metrics (the product's tables
 * gauges), /bench/soak (counters, heap, rows), /proc (RSS).
 */

export const AMI_CREDENTIALS = { username: "branchbox", secret: "soak-secret-42" };

/** Receptionists on shift every day, and their desks. */
export const SHIFTS = [
  { employeeId: "anna", deskId: "front" },
  { employeeId: "olga", deskId: "hall" },
  { employeeId: "irina", deskId: "back" },
] as const;

/** The corpus's phones with digit names as desks (VoIPGRID's three phones, its outbound phone, Asterisk 11's three). */
const DESKS = [
  ["front", "150010001"],
  ["hall", "150010002"],
  ["back", "150010003"],
  ["office", "126680010"],
  ["east-1", "123450001"],
  ["east-2", "123450002"],
  ["east-3", "123450003"],
] as const;

export interface SoakStatus {
  readonly amiFrames: number;
  readonly amiState: string;
  readonly badFrames: number;
  readonly orphans: number;
  readonly pipeline: { received: number; duplicates: number; rejected: number; recorded: number };
  readonly tables: Readonly<Record<string, number>>;
  readonly heapMb: number;
  /** What the JS engine holds for its heap (used or not) and outside it (strings' buffers…). */
  readonly heapCapacityMb: number;
  readonly extraMb: number;
  readonly rows: Readonly<Record<string, number>>;
}

export interface SoakBox {
  readonly pid: number;
  status(gc?: boolean): Promise<SoakStatus>;
  /** `branchbox_memory_table_entries` from /metrics: `table` (`source:` prefixed for a PBX source) → entries. */
  tables(): Promise<Record<string, number>>;
  rssMb(): number;
  clock(at: number): Promise<void>;
  hour(): Promise<{ pruned: number; acked: number }>;
  api(path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export async function startSoakBox(options: {
  readonly dir: string;
  readonly amiPort: number;
  readonly handsets: readonly string[];
  readonly onStart: (child: Subprocess) => void;
}): Promise<SoakBox> {
  const box: BenchBox = await startBenchBox({
    dir: options.dir,
    server: "scripts/bench/soak/server.ts",
    config: (storage, token) => configToml(storage, token, options.amiPort, options.handsets),
    onStart: options.onStart,
  });
  const headers = { authorization: `Bearer ${box.token}`, "content-type": "application/json" };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${box.url}${path.slice(1)}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    pid: box.process.pid,
    status: async (gc = false) => (await call("GET", `/bench/soak${gc ? "?gc=1" : ""}`)).json(),
    async tables() {
      const text = await (await call("GET", "/metrics")).text();
      const out: Record<string, number> = {};
      for (const m of text.matchAll(
        /^branchbox_memory_table_entries\{part="([^"]+)",table="([^"]+)"\} (\d+)$/gm,
      ))
        out[m[1] === "calls" ? `${m[2]}` : `source:${m[2]}`] = Number(m[3]);
      return out;
    },
    rssMb: () => memoryOf(box.process.pid).rss,
    clock: async (at) => void (await call("POST", `/bench/clock?at=${at}`)),
    hour: async () => (await call("POST", "/bench/hour")).json(),
    api: (path, body) => call(body === undefined ? "GET" : "POST", path, body),
    stop: box.stop,
    logTail: box.logTail,
  };
}

function configToml(storage: string, token: string, amiPort: number, handsets: readonly string[]): string {
  const desks = DESKS.map(
    ([id, extension]) => `[[desks]]\nid = "${id}"\nname = "Desk ${extension}"\nextension = "${extension}"\n`,
  );
  return [
    `[branch]\nid = "soak"\nname = "Soak branch"\ntimezone = "UTC"\n`,
    `[http]\nlisten = "127.0.0.1:0"\nadmin_token = "${token}"\n`,
    `[storage]\ndir = ${JSON.stringify(storage)}\n`,
    `[calls]\nsenior_manager = "sergey"\n`,
    `[pbx.ami]\nhost = "127.0.0.1"\nport = ${amiPort}\nusername = "${AMI_CREDENTIALS.username}"\nsecret = "${AMI_CREDENTIALS.secret}"\nhandsets = ${JSON.stringify(handsets)}\n`,
    ...desks,
  ].join("\n");
}
