import { join } from "node:path";
import { openDatabase } from "../../../src/store/db.ts";
import { type OutboxItem, outboxStore } from "../../../src/store/outbox-store.ts";
import { type Child, type Children, memoryOf, type ProcessUse, usageOf } from "../lib/children.ts";
import type { Counters, HqProcess } from "./hq-process.ts";
import { type BenchStream, recordFactory, streamCounts } from "./record-gen.ts";

/**
 * The backlog drain and the relay's memory, one sequence on one branch ("bench"):
 *
 *   relay process up, connected, HQ online, outbox empty ── RSS "before"
 *   "down": the link goes down
 *   the bench commits N records into the branch's SQLite file, 10,000 per transaction, through
 *   outboxStore.add (what the box's commits do, minus the facts) ── RSS "queued"
 *   "up": the link is back ── t0; the relay's new connection finds N records of backlog
 *   poll HQ's API until every stream's committed high-water mark is N ── t1; RSS sampled all along
 *
 * then the checks: HQ's store holds seqs 1..n of each stream once, the consumer counted no
 * duplicate, and the branch's outbox is empty (every row deleted on HQ's ack).
 */

export const BRANCH = "bench";
const FILL_PER_TRANSACTION = 10_000;
const POLL_MS = 25;

export interface DrainResult {
  readonly records: number;
  readonly bytes: number;
  readonly fillMs: number;
  /** outboxStore.backlog() (count(*) GROUP BY stream) over the full outbox, ms. */
  readonly backlogCountMs: number;
  /** Link back ("up" sent) → HQ's API first shows every record committed. */
  readonly ms: number;
  /** Link back → the last envelope's applied_at (HQ's clock: commit start of the last one). */
  readonly lastAppliedMs: number;
  readonly complete: boolean;
  readonly expected: Record<BenchStream, number>;
  readonly stored: Record<BenchStream, { n: number; lo: number | null; hi: number | null; through: number }>;
  readonly counters: Counters;
  readonly outboxLeft: number;
  /** CPU and writes of the relay, HQ and the broker from "up" to the end of the drain. */
  readonly use: UseSplit;
  readonly memory: {
    before: number;
    queued: number;
    maxSampled: number;
    peak: number;
    samples: number;
    /** The relay's own view when its RSS was highest (bun:jsc heapStats), MB. */
    split: { rss: number; heap: number; extra: number; arrayBuffers: number } | null;
  };
}

/** Per process (by name): CPU seconds and MB written, see `usageOf`. */
export type UseSplit = Record<string, ProcessUse>;

/** What each of `pids` used so far. */
export const useNow = (pids: Record<string, number>): UseSplit =>
  Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, usageOf(pid)]));

/** What each of `pids` used since `before`. */
export function useSince(pids: Record<string, number>, before: UseSplit): UseSplit {
  const now = useNow(pids);
  return Object.fromEntries(
    Object.entries(now).map(([name, n]) => {
      const was = before[name] ?? { user: 0, system: 0, written: 0 };
      return [
        name,
        { user: n.user - was.user, system: n.system - was.system, written: n.written - was.written },
      ];
    }),
  );
}

export interface DrainOptions {
  readonly dir: string;
  readonly brokerUrl: string;
  readonly hq: HqProcess;
  readonly brokerPid: number;
  readonly children: Children;
  readonly records: number;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly bunArgs?: readonly string[];
  readonly progress: (text: string) => void;
}

export async function runDrain(options: DrainOptions): Promise<DrainResult> {
  const { hq, records } = options;
  const dir = join(options.dir, "branch");
  const relay = options.children.spawn(
    "relay",
    ["scripts/bench/sync/relay-process.ts", "--dir", dir, "--url", options.brokerUrl, "--branch", BRANCH],
    join(options.dir, "relay.log"),
    options.bunArgs,
  );
  try {
    await relay.next((m) => m.event === "ready", 15_000);
    await Bun.sleep(1000);
    const before = memoryOf(relay.pid).rss;

    relay.send("down");
    await relay.next((m) => m.event === "stopped", 10_000);
    options.progress(
      `drain: link down; committing ${records.toLocaleString("en-US")} records to the outbox...`,
    );
    const fill = fillOutbox(dir, records, options.seed);
    const queued = memoryOf(relay.pid).rss;

    options.progress("drain: link back; draining until HQ has committed everything...");
    const pids = { relay: relay.pid, hq: hq.child.pid, broker: options.brokerPid };
    const usedBefore = useNow(pids);
    relay.send("up");
    const t0 = Number((await relay.next((m) => m.event === "started", 5000)).at);
    const watched = await watch(relay, hq, streamCounts(records), t0 + options.timeoutMs);
    const use = useSince(pids, usedBefore);
    const split = relay
      .take("mem")
      .map((m) => ({
        rss: Number(m.rss),
        heap: Number(m.heap),
        extra: Number(m.extra),
        arrayBuffers: Number(m.arrayBuffers),
      }))
      .reduce<DrainResult["memory"]["split"]>((a, b) => (a === null || b.rss > a.rss ? b : a), null);
    const memory = { before, queued, ...watched.memory, peak: memoryOf(relay.pid).peak, split };
    await Bun.sleep(500); // the last ack on its way to the relay
    await relay.stop();

    const db = openDatabase(dir);
    const outboxLeft = db.query<{ n: number }, []>("SELECT count(*) AS n FROM outbox").get()?.n ?? -1;
    db.close();
    const view = await hq.view(BRANCH);
    const stored = Object.fromEntries(
      (["calls", "roster"] as const).map((s) => [
        s,
        { ...hq.span(BRANCH, s), through: view.streams[s]?.through ?? 0 },
      ]),
    ) as DrainResult["stored"];
    const lastApplied = Math.max(...Object.values(view.streams).map((s) => s.lastAppliedAt ?? 0));
    return {
      records,
      bytes: fill.bytes,
      fillMs: fill.ms,
      backlogCountMs: fill.backlogCountMs,
      ms: watched.doneAt - t0,
      lastAppliedMs: lastApplied - t0,
      complete: watched.complete,
      expected: streamCounts(records),
      stored,
      counters: view.consumer,
      outboxLeft,
      use,
      memory,
    };
  } finally {
    await relay.stop();
  }
}

/** Polls HQ's API and the relay's RSS until every stream is committed through its count. */
async function watch(relay: Child, hq: HqProcess, expected: Record<BenchStream, number>, deadline: number) {
  let maxSampled = 0;
  let samples = 0;
  for (;;) {
    maxSampled = Math.max(maxSampled, memoryOf(relay.pid).rss);
    if (samples++ % 4 === 0) relay.send("mem");
    const { streams } = await hq.view(BRANCH);
    const at = performance.timeOrigin + performance.now();
    const complete = (["calls", "roster"] as const).every((s) => (streams[s]?.through ?? 0) >= expected[s]);
    if (complete || at > deadline) return { complete, doneAt: at, memory: { maxSampled, samples } };
    await Bun.sleep(POLL_MS);
  }
}

function fillOutbox(dir: string, records: number, seed: number) {
  const make = recordFactory(seed);
  const db = openDatabase(dir);
  const outbox = outboxStore(db);
  const commit = db.transaction((calls: OutboxItem[], roster: OutboxItem[], ts: number) => {
    outbox.add("calls", calls, ts);
    outbox.add("roster", roster, ts);
  });
  let bytes = 0;
  const started = performance.now();
  for (let from = 0; from < records; from += FILL_PER_TRANSACTION) {
    const ts = Date.now();
    const batch: Record<BenchStream, OutboxItem[]> = { calls: [], roster: [] };
    for (let i = from; i < Math.min(records, from + FILL_PER_TRANSACTION); i++) {
      const r = make(i, ts);
      bytes += r.dataJson.length;
      batch[r.stream].push({ id: r.id, type: r.type, data: JSON.parse(r.dataJson) as unknown });
    }
    commit(batch.calls, batch.roster, ts);
  }
  const ms = performance.now() - started;
  const countStarted = performance.now();
  outbox.backlog();
  const backlogCountMs = performance.now() - countStarted;
  db.close();
  return { bytes, ms, backlogCountMs };
}
