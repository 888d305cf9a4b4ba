// The whole sync system as separate processes on loopback, for the e2e fault tests: the compiled
// branch binary (`serve --demo` with [mqtt]), one or more compiled `branchbox hq` consumers on
// their own config file and a shared store, and a real Mosquitto (test/support/mosquitto.ts).
// Everything is started here and stopped by PID; every process keeps its log under the test dir,
// and `logTails()` gathers them for a failure message.
import { Database } from "bun:sqlite";
import { expect } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { HQ_TOKEN, type HqProcess, startHqProcess } from "./hq-process.ts";
import type { Mosquitto } from "./mosquitto.ts";
import { ensureBinary, freePort, makeTestDir, type Running, startBranchbox } from "./process.ts";

export const ADMIN_TOKEN = "sync-system-admin-token-0123456789";

export type StoredRecord = { seq: number; id: string; type: string; data: unknown; appliedAt: number };

/** One system under test: a dir, the processes started in it, their logs. */
export class SyncSystem {
  readonly dir = makeTestDir("sync-system");
  readonly hqStorage = join(this.dir, "hq-store");
  readonly branchDir = join(this.dir, "branch");
  private branchStarts = 0;
  private readonly branchRuns: Running[] = [];
  private readonly hqs: HqProcess[] = [];
  private readonly brokers: Mosquitto[] = [];
  private branchPort = 0;

  constructor(readonly branchId = "demo") {
    ensureBinary();
  }

  watch(broker: Mosquitto): Mosquitto {
    this.brokers.push(broker);
    return broker;
  }

  /** The branch binary on this system's storage (the same on every start). */
  async startBranch(mqtt: Record<string, string>): Promise<Running> {
    this.branchPort ||= await freePort();
    this.branchStarts++;
    const env: Record<string, string> = {
      BRANCHBOX_HTTP_ADMIN_TOKEN: ADMIN_TOKEN,
      BRANCHBOX_BRANCH_ID: this.branchId,
    };
    for (const [key, value] of Object.entries(mqtt)) env[`BRANCHBOX_MQTT_${key.toUpperCase()}`] = value;
    const branch = await startBranchbox({
      args: ["serve", "--demo"],
      dir: this.branchDir,
      port: this.branchPort,
      name: `branch-${this.branchStarts}`,
      env,
    });
    this.branchRuns.push(branch);
    return branch;
  }

  /** `branchbox hq --config FILE` (the compiled binary) on the shared HQ store. */
  async startHq(
    mqtt: Record<string, string>,
    name = `hq-${this.hqs.length + 1}`,
    /** TOML lines after `[hq]`'s own keys (`[hq.mango]` and its tables). */
    extra: readonly string[] = [],
  ): Promise<HqProcess> {
    const hq = await startHqProcess({ dir: this.dir, storage: this.hqStorage, mqtt, name, extra });
    this.hqs.push(hq);
    return hq;
  }

  /** GET on an HQ consumer's API with the bearer token. */
  async hqGet<T>(hq: HqProcess, path: string): Promise<T> {
    const response = await fetch(`${hq.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${HQ_TOKEN}` },
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`HQ GET ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** Every record HQ has of the branch's roster stream, page by page, as its API gives them. */
  async hqRecords(hq: HqProcess, stream = "roster"): Promise<StoredRecord[]> {
    const all: StoredRecord[] = [];
    let after: number | null = 0;
    while (after !== null) {
      const page: { records: StoredRecord[]; next: number | null } = await this.hqGet(
        hq,
        `/api/v1/records?branch=${this.branchId}&stream=${stream}&after=${after}&limit=1000`,
      );
      all.push(...page.records);
      after = page.next;
    }
    return all;
  }

  /** The branch's own count of roster facts and its outbox rows, read from its SQLite file. */
  branchCounts(): { facts: number; outbox: number; lastOutboxSeq: number } {
    const db = new Database(join(this.branchDir, "data", "branchbox.db"), { readonly: true });
    try {
      const one = (sql: string) => db.query<{ n: number }, []>(sql).get()?.n ?? 0;
      return {
        facts: one("SELECT count(*) AS n FROM roster_facts"),
        outbox: one("SELECT count(*) AS n FROM outbox"),
        lastOutboxSeq: one("SELECT coalesce(max(last_seq), 0) AS n FROM outbox_seq WHERE stream = 'roster'"),
      };
    } finally {
      db.close();
    }
  }

  /** One sample of the branch's /metrics (Prometheus text), e.g. `branchbox_sync_reconnects_total`. */
  async branchMetric(branch: Running, name: string): Promise<number> {
    const response = await fetch(`${branch.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    if (response.status !== 200 || line === undefined) throw new Error(`no ${name} in /metrics: ${text}`);
    return Number(line.slice(name.length + 1));
  }

  /** Every process's log tail (branch starts, HQ consumers, brokers), for a failure message. */
  logTails(): string {
    const parts: string[] = [];
    for (const [i, run] of this.branchRuns.entries())
      parts.push(`=== branch start ${i + 1} ===\n${run.output()}`);
    for (const hq of this.hqs) parts.push(`=== ${hq.name} ===\n${hq.output()}`);
    for (const [i, broker] of this.brokers.entries())
      parts.push(`=== mosquitto ${i + 1} ===\n${broker.log(3000)}`);
    return parts.join("\n");
  }

  /** Stops everything this system started, by PID. */
  async close(): Promise<void> {
    for (const run of this.branchRuns) await run.stop(3000);
    for (const hq of this.hqs) await hq.stop(3000);
    for (const broker of this.brokers) await broker.stop(3000);
  }
}

const EMPLOYEES = ["anna", "olga", "irina", "sergey"] as const;

/**
 * Roster facts through the branch's API as fast as four employees can take turns (or `paceMs`
 * apart per employee): each alternates check-in and check-out, so every accepted request is one
 * `roster.fact` record. Survives the branch going away (a kill -9): it retries until the branch
 * answers again, and a request cut by the kill may have committed, so a "already/not on shift"
 * answer just turns the employee's next command around.
 */
export class RosterBurst {
  /** Requests answered 200: facts the branch confirmed as committed. */
  accepted = 0;
  /** Requests that got no answer (the branch was down or went down under them). */
  unanswered = 0;
  private stopped = false;
  private readonly workers: Promise<void>[];

  constructor(
    private readonly branchUrl: () => string,
    private readonly target: number,
    private readonly paceMs = 0,
  ) {
    this.workers = EMPLOYEES.map((employeeId) => this.work(employeeId));
  }

  /** Resolves when `target` facts are accepted (or stop() was called). */
  get done(): Promise<void> {
    return Promise.all(this.workers).then(() => undefined);
  }

  async stop(): Promise<number> {
    this.stopped = true;
    await this.done;
    return this.accepted;
  }

  async untilAccepted(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.accepted} of ${count} facts accepted in time`);
      await Bun.sleep(5);
    }
  }

  private async work(employeeId: string): Promise<void> {
    let onShift = false;
    while (!this.stopped && this.accepted < this.target) {
      const kind = onShift ? "check-out" : "check-in";
      const body = onShift ? { employeeId } : { employeeId, deskId: "front" };
      let status: number;
      let code = "";
      try {
        const response = await fetch(`${this.branchUrl()}/api/v1/roster/${kind}`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        status = response.status;
        if (status !== 200) code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? text;
      } catch {
        this.unanswered++;
        await Bun.sleep(20);
        continue;
      }
      if (status === 200) {
        this.accepted++;
        onShift = !onShift;
      } else if (code === "ROSTER.ALREADY_ON_SHIFT" || code === "ROSTER.NOT_ON_SHIFT") {
        onShift = code === "ROSTER.ALREADY_ON_SHIFT";
      } else {
        throw new Error(`${kind} of ${employeeId}: ${status} ${code}`);
      }
      if (this.paceMs > 0) await Bun.sleep(this.paceMs);
    }
  }
}

/** Polls `check` until it is true; the error names what did not happen and the last value seen. */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${describe()} ${last ?? ""}`);
    await Bun.sleep(200);
  }
}

/**
 * Runs a test's body; if it throws, the processes' log tails go to stderr with the error, so a
 * CI failure says what the branch, HQ and the broker saw (the test dir is kept then, removed after
 * a pass). Stops every process either way.
 */
export async function withSystem(sys: SyncSystem, body: () => Promise<void>): Promise<void> {
  let passed = false;
  try {
    await body();
    passed = true;
  } catch (error) {
    console.error(`sync-system failure; logs kept under ${sys.dir}\n${sys.logTails()}`);
    throw error;
  } finally {
    await sys.close();
    if (passed) rmSync(sys.dir, { recursive: true, force: true });
  }
}

/**
 * The end state, seen through HQ's API and the branch's SQLite file: the branch committed
 * N roster facts (at least every one it answered 200 for); HQ has seq 1..N of the roster stream
 * exactly once, each the record of fact N, applied in seq order (commit times never go back);
 * and the branch's outbox is empty (every row went on HQ's ack).
 */
export async function expectComplete(
  sys: SyncSystem,
  hq: HqProcess,
  accepted: number,
  timeoutMs: number,
): Promise<number> {
  let seen = "";
  await eventually(
    "HQ to have every fact and the branch's outbox to be empty",
    async () => {
      const counts = sys.branchCounts();
      const { branches } = await sys.hqGet<{
        branches: { branch: string; streams: Record<string, { through: number }> }[];
      }>(hq, "/api/v1/branches");
      const through = branches.find((b) => b.branch === sys.branchId)?.streams.roster?.through ?? 0;
      seen = `(facts ${counts.facts}, outbox ${counts.outbox}, HQ through ${through})`;
      return counts.outbox === 0 && through === counts.facts;
    },
    timeoutMs,
    () => seen,
  );
  const counts = sys.branchCounts();
  const n = counts.facts;
  expect(n).toBeGreaterThanOrEqual(accepted);
  expect(counts.lastOutboxSeq).toBe(n);
  expect(counts.outbox).toBe(0);
  const records = await sys.hqRecords(hq);
  expect(records.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  const mismatched = records.filter(
    (r) => r.id !== `fact-${r.seq}` || r.type !== "roster.fact" || (r.data as { seq?: number }).seq !== r.seq,
  );
  expect(mismatched.slice(0, 3)).toEqual([]);
  const times = records.map((r) => r.appliedAt);
  const backwards = times.findIndex((t, i) => i > 0 && t < (times[i - 1] as number));
  expect(backwards).toBe(-1);
  return n;
}
