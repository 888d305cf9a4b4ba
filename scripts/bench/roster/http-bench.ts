import { Database } from "bun:sqlite";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { childEnv, logTail, ROOT, spawnListening } from "../lib/children.ts";
import { fsType } from "../lib/host.ts";
import { type Latency as Percentiles, percentiles } from "../lib/stats.ts";

/**
 * Kiosk check-in round trips over loopback HTTP against the box running as its own process
 * (scripts/bench/roster/server.ts: the real composition root plus one constant route), with
 * `clients` keep-alive clients each looping check-in, check-out for its own receptionist.
 */

const DESKS = 8;

export interface Latency extends Percentiles {
  readonly errors: number;
  readonly perSec: number;
}

export interface HttpBenchResult {
  readonly fs: string;
  readonly staff: number;
  readonly seedMs: number;
  readonly commitFloor: Latency;
  /** The same with 32 rows per transaction: what one commit for a batch of check-ins would cost. */
  readonly batchCommitFloor: Latency;
  readonly constant: Latency;
  readonly checkIn: Latency;
  readonly checkOut: Latency;
  readonly checkInSolo: Latency;
  /** Inside the server, from `fetch` called to the response ready, same runs. */
  readonly server: { readonly constant: Latency; readonly checkIn: Latency; readonly checkInSolo: Latency };
  readonly factsOnDisk: number;
  readonly factsAnswered: number;
}

export interface HttpBenchOptions {
  readonly dir: string;
  readonly clients: number;
  /** Measured seconds of the 32-client check-in run; the other runs are scaled from it. */
  readonly seconds: number;
  /** Runs the server under Bun's CPU profiler, writing a Markdown profile here. */
  readonly profileDir?: string;
  readonly onServer?: (server: Subprocess) => void;
}

/** Seeds the staff, measures the commit floor, starts the server, runs the clients, stops it. */
export async function runHttpBench(options: HttpBenchOptions): Promise<HttpBenchResult> {
  const { dir, clients, seconds } = options;
  const storage = join(dir, "box");
  mkdirSync(storage, { recursive: true });
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
  const configPath = join(dir, "branchbox.toml");
  writeFileSync(configPath, configToml(storage, token));
  const staffPath = join(dir, "staff.json");
  const staff = Array.from({ length: clients }, (_, i) => ({
    id: `bench-r${String(i).padStart(2, "0")}`,
    name: `Receptionist ${i + 1}`,
    role: "reception",
    pin: String(1000 + i),
    deskId: `front${(i % DESKS) + 1}`,
  }));
  writeFileSync(staffPath, JSON.stringify(staff.map(({ deskId: _, ...entry }) => entry)));

  // Argon2id is slow on purpose: hash the PINs once, through the real CLI, before anything is timed.
  const started = performance.now();
  await runCli(["src/main.ts", "staff", "import", staffPath, "--config", configPath]);
  const seedMs = performance.now() - started;

  const commitFloor = durableCommitFloor(join(dir, "floor.db"), Math.max(1, seconds / 4), 1);
  const batchCommitFloor = durableCommitFloor(join(dir, "floor-batch.db"), Math.max(1, seconds / 8), clients);

  const server = await spawnListening({
    name: "the bench server",
    argv: ["scripts/bench/roster/server.ts", "--config", configPath],
    logPath: join(dir, "server.log"),
    profileDir: options.profileDir,
    onStart: options.onServer,
  });
  try {
    const base = server.url;
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    // The server's own timings, cleared when the warm-up ends and read when the run ends.
    const serverTimes = async () =>
      (await (await fetch(`${base}bench/server-times`)).json()) as Record<string, number[]>;
    const timed = async (warm: number, run: () => Promise<Run>) => {
      const clear = setTimeout(() => void serverTimes(), warm * 1000);
      const result = await run();
      clearTimeout(clear);
      return { ...result, server: await serverTimes() };
    };
    const inServer = (times: Record<string, number[]>, path: string, window: number) =>
      stats(
        (times[path] ?? []).map((ms) => ({ started: 0, ms, ok: true, kind: 0 })),
        window,
      );
    const constantRun = await timed(1, () =>
      drive(clients, 1, seconds / 2, () => async () => {
        const started = performance.now();
        const res = await fetch(`${base}bench/constant`);
        await res.arrayBuffer();
        return [{ started, ms: performance.now() - started, ok: res.status === 200, kind: 0 }];
      }),
    );
    const post = async (path: string, body: string, kind: number): Promise<Sample> => {
      const started = performance.now();
      const res = await fetch(`${base}api/v1/roster/${path}`, { method: "POST", headers: auth, body });
      await res.arrayBuffer();
      return { started, ms: performance.now() - started, ok: res.status === 200, kind };
    };
    const shifts = (count: number) => (i: number) => {
      const me = staff[i % count] as (typeof staff)[number];
      const checkIn = JSON.stringify({ employeeId: me.id, deskId: me.deskId });
      const checkOut = JSON.stringify({ employeeId: me.id });
      // A pair, so that every receptionist is off shift again when a run stops.
      return async () => [await post("check-in", checkIn, 0), await post("check-out", checkOut, 1)];
    };
    const run32 = await timed(1, () => drive(clients, 1, seconds, shifts(clients)));
    // One client, one request in flight: the server's own time per check-in, with no queue.
    const soloSeconds = Math.max(1, seconds / 3);
    const solo = await timed(0.5, () => drive(1, 0.5, soloSeconds, shifts(1)));
    await server.stop();
    const factsOnDisk = countFacts(storage);
    const answered = (r: readonly Sample[]) => r.filter((s) => s.ok).length;
    return {
      fs: fsType(storage),
      staff: staff.length,
      seedMs,
      commitFloor,
      batchCommitFloor,
      constant: stats(constantRun.samples, constantRun.window),
      checkIn: stats(
        run32.samples.filter((s) => s.kind === 0),
        run32.window,
      ),
      checkOut: stats(
        run32.samples.filter((s) => s.kind === 1),
        run32.window,
      ),
      checkInSolo: stats(
        solo.samples.filter((s) => s.kind === 0),
        solo.window,
      ),
      server: {
        constant: inServer(constantRun.server, "/bench/constant", seconds / 2),
        checkIn: inServer(run32.server, "/api/v1/roster/check-in", seconds),
        checkInSolo: inServer(solo.server, "/api/v1/roster/check-in", soloSeconds),
      },
      factsOnDisk,
      factsAnswered: answered(run32.all) + answered(solo.all),
    };
  } finally {
    await server.stop();
  }
}

function configToml(storage: string, token: string): string {
  const desks = Array.from(
    { length: DESKS },
    (_, k) => `[[desks]]\nid = "front${k + 1}"\nname = "Front ${k + 1}"\nextension = "${101 + k}"\n`,
  );
  return [
    `[branch]\nid = "bench"\nname = "Bench branch"\ntimezone = "UTC"\n`,
    `[http]\nlisten = "127.0.0.1:0"\nadmin_token = "${token}"\n`,
    `[storage]\ndir = ${JSON.stringify(storage)}\n`,
    ...desks,
  ].join("\n");
}

async function runCli(args: string[]): Promise<void> {
  const child = Bun.spawn([process.execPath, ...args], {
    cwd: ROOT,
    env: childEnv(),
    stdout: "pipe",
    stderr: "pipe",
  });
  const code = await child.exited;
  if (code !== 0) {
    const err = await new Response(child.stderr).text();
    throw new Error(`bun ${args.join(" ")} exited ${code}: ${err.trim()}`);
  }
}

interface Sample {
  readonly started: number;
  readonly ms: number;
  readonly ok: boolean;
  /** 0 the request measured, 1 its partner (the check-out after a check-in). */
  readonly kind: number;
}

interface Run {
  /** Samples started inside the measured window, after the warm-up. */
  readonly samples: Sample[];
  readonly all: Sample[];
  readonly window: number;
}

/** `clients` closed loops (one request in flight each) for warm + measured seconds. */
async function drive(
  clients: number,
  warm: number,
  seconds: number,
  make: (client: number) => () => Promise<Sample[]>,
): Promise<Run> {
  const from = performance.now() + warm * 1000;
  const until = from + seconds * 1000;
  const all: Sample[] = [];
  const one = async (request: () => Promise<Sample[]>) => {
    while (performance.now() < until) all.push(...(await request()));
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => one(make(i))));
  const samples = all.filter((s) => s.started >= from && s.started < until);
  return { samples, all, window: seconds };
}

function stats(samples: readonly Sample[], window: number): Latency {
  return {
    ...percentiles(samples.map((s) => s.ms)),
    errors: samples.filter((s) => !s.ok).length,
    perSec: samples.length / window,
  };
}

/** Commits of `rows` rows on bare bun:sqlite with the box's durability (WAL, synchronous=FULL): the fsync floor. */
function durableCommitFloor(path: string, seconds: number, rows: number): Latency {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = FULL");
  db.run(
    "CREATE TABLE facts (seq INTEGER PRIMARY KEY AUTOINCREMENT, employee_id TEXT NOT NULL, at INTEGER NOT NULL)",
  );
  const insert = db.query("INSERT INTO facts (employee_id, at) VALUES (?, ?)");
  const commit = db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run("bench-r00", Date.now());
  });
  const samples: Sample[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const started = performance.now();
    commit();
    samples.push({ started, ms: performance.now() - started, ok: true, kind: 0 });
  }
  db.close();
  return stats(samples, seconds);
}

function countFacts(storage: string): number {
  const db = new Database(join(storage, "branchbox.db"), { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT count(*) AS n FROM roster_facts").get()?.n ?? 0;
  } finally {
    db.close();
  }
}

export function serverLogTail(dir: string, lines = 5): string {
  return logTail(join(dir, "server.log"), lines);
}
