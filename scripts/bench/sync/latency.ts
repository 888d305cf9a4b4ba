import { join } from "node:path";
import type { Children } from "../lib/children.ts";
import { type Latency, percentiles } from "../lib/stats.ts";
import type { HqProcess } from "./hq-process.ts";
import { type BenchStream, streamCounts } from "./record-gen.ts";

/**
 * Branch commit → HQ commit at a paced rate, on a fresh branch ("bench-live", empty outbox, so
 * no backlog competes): the relay process commits each record in its own transaction and wakes
 * the relay, as the call pipeline does. A record's `ts` is taken just before its branch commit;
 * HQ's `applied_at` is read inside its transaction once it holds the write lock (before the
 * inserts and the fsync). Both are Date.now() of one machine, whole milliseconds.
 */

export const LIVE_BRANCH = "bench-live";

export interface DurableLatency {
  readonly latency: Latency;
  readonly achievedRate: number;
  readonly missing: number;
}

export async function runDurableLatency(options: {
  dir: string;
  brokerUrl: string;
  hq: HqProcess;
  children: Children;
  rate: number;
  count: number;
  warm: number;
  seed: number;
  bunArgs?: readonly string[];
}): Promise<DurableLatency> {
  const relay = options.children.spawn(
    "relay (paced)",
    [
      "scripts/bench/sync/relay-process.ts",
      ...["--dir", join(options.dir, "branch-live"), "--url", options.brokerUrl, "--branch", LIVE_BRANCH],
      ...["--pace", String(options.rate), "--count", String(options.count), "--seed", String(options.seed)],
    ],
    join(options.dir, "relay-live.log"),
    options.bunArgs,
  );
  try {
    await relay.next((m) => m.event === "ready", 15_000);
    const paced = await relay.next(
      (m) => m.event === "paced",
      (options.count / options.rate) * 1000 + 15_000,
    );
    const expected = streamCounts(options.count);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { streams } = await options.hq.view(LIVE_BRANCH);
      if ((["calls", "roster"] as const).every((s) => (streams[s]?.through ?? 0) >= expected[s])) break;
      if (Date.now() > deadline) break;
      await Bun.sleep(50);
    }
    const samples: { ts: number; ms: number }[] = [];
    let missing = 0;
    for (const stream of ["calls", "roster"] as BenchStream[]) {
      const rows = options.hq.records(LIVE_BRANCH, stream);
      missing += expected[stream] - rows.length;
      for (const r of rows) samples.push({ ts: r.ts, ms: r.applied_at - r.ts });
    }
    samples.sort((a, b) => a.ts - b.ts);
    return {
      latency: percentiles(samples.slice(options.warm).map((s) => s.ms)),
      achievedRate: ((options.count - 1) / Number(paced.ms)) * 1000,
      missing,
    };
  } finally {
    await relay.stop();
  }
}
