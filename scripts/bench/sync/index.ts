#!/usr/bin/env bun
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Mosquitto, startMosquitto } from "../../../test/support/mosquitto.ts";
import { Children, killOnExit, profileArgs } from "../lib/children.ts";
import { machine } from "../lib/host.ts";
import { goal, int, lat, mb, ms, pad, percentiles, progress, secs } from "../lib/stats.ts";
import { type BareThroughput, runBareLatency, runBareThroughput } from "./bare.ts";
import { type DrainResult, runDrain, type UseSplit } from "./drain.ts";
import { type HqProcess, startHqProcess } from "./hq-process.ts";
import { runDurableLatency } from "./latency.ts";
import { recordFactory, recordJson } from "./record-gen.ts";

/**
 * `npm run bench:sync`: the sync benchmark of issue 4, in one run on one Mosquitto (real, on a
 * free loopback port, queue limits off as in the tests), each figure beside its baseline from the
 * same run. Not a test: it prints, it does not fail on a missed goal. About 3 minutes (2 cores); it stops
 * by itself and kills what it started (broker, HQ, relay and bare peers, by PID), also on error
 * or Ctrl-C, and removes its temp dir.
 *
 *   --records N     the backlog to drain and the bare loop's message count (default 1,000,000)
 *   --only drain|latency
 *   --seed N        the record generator's seed (default 7)
 *   --profile DIR   run the relay and HQ processes under Bun's CPU profiler (Markdown in DIR)
 */

const RATE = 200;
const LATENCY_SECONDS = 8;
const WARM_SECONDS = 2;
const INFLIGHT = 100;
const DRAIN_TIMEOUT_MS = 120_000;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    records: { type: "string" },
    only: { type: "string" },
    seed: { type: "string" },
    profile: { type: "string" },
  },
});
const only = values.only;
if (only !== undefined && only !== "drain" && only !== "latency") {
  console.error(
    "usage: bun scripts/bench/sync/index.ts [--records N] [--only drain|latency] [--seed N] [--profile DIR]",
  );
  process.exit(2);
}
const records = Number(values.records ?? 1_000_000);
const seed = Number(values.seed ?? 7);
const bunArgs = profileArgs(values.profile);

const dir = mkdtempSync(join(tmpdir(), "branchbox-sync-bench-"));
const children = new Children();
killOnExit(children, dir);

let broker: Mosquitto | undefined;
let hq: HqProcess | undefined;
try {
  const lines: string[] = [
    `branchbox sync benchmark: ${machine()}; one Mosquitto on loopback (max_queued_messages 0, max_inflight_messages 100), synchronous=FULL on both sides (branch WAL, HQ rollback journal)`,
  ];
  progress("starting Mosquitto and the HQ consumer (bun src/main.ts hq)...");
  broker = await startMosquitto({ dir: join(dir, "mosquitto") });
  children.adopt(broker.pid);
  hq = await startHqProcess(children, { dir, brokerUrl: broker.url, bunArgs });
  const common = { dir, brokerUrl: broker.url, children, seed };

  if (only !== "latency") {
    const brokerPid = broker.pid;
    const d = await runDrain({
      ...common,
      hq,
      brokerPid,
      records,
      timeoutMs: DRAIN_TIMEOUT_MS,
      bunArgs,
      progress,
    });
    progress(`bare loop: ${int(records)} records, one per message, QoS 1, ${INFLIGHT} in flight...`);
    const b = await runBareThroughput({
      ...common,
      count: records,
      inflight: INFLIGHT,
      timeoutMs: 150_000,
      brokerPid,
    });
    lines.push("", ...drainLines(d, b));
  }

  if (only !== "drain") {
    const count = RATE * (LATENCY_SECONDS + WARM_SECONDS);
    const warm = RATE * WARM_SECONDS;
    progress(`latency: ${int(count)} records committed one by one at ${RATE}/s on a fresh branch...`);
    const l = await runDurableLatency({ ...common, hq, rate: RATE, count, warm, bunArgs });
    progress(`latency: bare mqtt.js, ${int(count)} messages at ${RATE}/s...`);
    const bare = percentiles(
      (await runBareLatency({ ...common, count, rate: RATE, timeoutMs: 60_000 })).slice(warm),
    );
    const ratio = l.latency.p99 / bare.p99;
    lines.push(
      "",
      `branch commit -> HQ commit: ${int(count)} records (1 in 10 a roster fact) at ${RATE}/s (kept ${int(l.achievedRate)}/s), each its own branch transaction + relay.wake(), fresh branch, same broker and HQ; ${WARM_SECONDS} s warm-up left out`,
      `  ${pad("durable path", 18)} ${lat(l.latency)}${l.missing > 0 ? `  ${int(l.missing)} MISSING at HQ` : ""} (goal p99 < 100 ms: ${goal(l.latency.p99 < 100)})`,
      `  ${pad("bare mqtt.js", 18)} ${lat(bare)}  publish -> subscriber receive, same records, QoS 1 | durable p99 ${ratio.toFixed(1)}x`,
      `  ${pad("", 18)} durable: record ts (Date.now() before the branch commit) -> HQ applied_at (Date.now() inside HQ's transaction, before its inserts and fsync), whole ms; bare: performance clock of two processes`,
    );
  }
  console.log(lines.join("\n"));
} catch (error) {
  console.error("bench failed:", error);
  if (hq !== undefined) console.error(`hq log (last lines):\n${hq.child.logTail()}`);
  process.exitCode = 1;
} finally {
  await hq?.child.stop();
  hq?.close();
  await broker?.stop();
  children.killAll();
  rmSync(dir, { recursive: true, force: true });
}

function drainLines(d: DrainResult, b: BareThroughput): string[] {
  const rate = (d.records / d.ms) * 1000;
  const bareRate = (b.count / b.ms) * 1000;
  const ratio = rate / bareRate;
  const growth = Math.max(d.memory.maxSampled, d.memory.peak) - d.memory.before;
  const checks = (["calls", "roster"] as const).map((s) => {
    const x = d.stored[s];
    const want = d.expected[s];
    const ok = x.n === want && x.lo === (want > 0 ? 1 : null) && x.hi === (want > 0 ? want : null);
    return `${s} ${int(x.n)} rows, seq ${x.lo ?? "-"}..${x.hi ?? "-"}, hwm ${int(x.through)} (${ok ? "every seq once" : `EXPECTED 1..${int(want)} once`})`;
  });
  const render = renderRate();
  return [
    `drain: ${int(d.records)} records in the branch outbox (${int(d.expected.calls)} call.record ~${int(d.bytes / d.records)} B of data on average with the ${int(d.expected.roster)} roster.fact; ${(d.bytes / 2 ** 20).toFixed(0)} MB of data), committed in ${secs(d.fillMs)} (10,000 per transaction, outboxStore.add) while the link was down`,
    `  ${pad("durable path", 18)} ${int(rate)} records/s: link back -> HQ (own process) committed all in ${secs(d.ms)}${d.complete ? "" : "  INCOMPLETE (timed out)"}; last applied_at at ${secs(d.lastAppliedMs)}; relay in its own process, production tuning`,
    `  ${pad("", 18)} HQ store: ${checks.join("; ")}; consumer: ${int(d.counters.applied)} applied, ${int(d.counters.duplicates)} duplicates, ${int(d.counters.badEnvelopes)} bad, ${int(d.counters.replays)} replays; branch outbox left: ${int(d.outboxLeft)} rows`,
    `  ${pad("bare mqtt.js", 18)} ${int(bareRate)} records/s: ${int(b.count)} messages at QoS 1, ${INFLIGHT} in flight, to a counting subscriber, in ${secs(b.ms)}${b.complete ? "" : "  INCOMPLETE"}; ${int(b.received)} received, ${int(b.duplicates)} duplicates, ${int(b.missing)} missing | durable ${ratio.toFixed(2)}x (goal >= 2x: ${goal(ratio >= 2)})`,
    `  ${pad("", 18)} durable: ${useLine(d.use, d.ms)}`,
    `  ${pad("", 18)} bare: ${useLine(b.use, b.ms)}`,
    `  ${pad("", 18)} the bare publisher renders each payload in its loop (${int(render)} records/s alone, ${((bareRate / render) * 100).toFixed(1)}% of its time)`,
    "",
    `relay memory (RSS of the relay process, /proc VmRSS, sampled every 25 ms, and VmHWM)`,
    `  ${pad("before queueing", 18)} ${mb(d.memory.before)} (connected, HQ online, outbox empty)`,
    `  ${pad("queued", 18)} ${mb(d.memory.queued)} (${int(d.records)} records in the outbox, link down)`,
    `  ${pad("draining", 18)} max ${mb(d.memory.maxSampled)} sampled (${int(d.memory.samples)} samples), peak ${mb(d.memory.peak)} | growth ${mb(growth)} (goal < 50 MB: ${goal(growth < 50)})`,
    ...(d.memory.split === null
      ? []
      : [
          `  ${pad("", 18)} the relay's own view at its highest: rss ${mb(d.memory.split.rss)}, of which JSC heap ${mb(d.memory.split.heap)}, owned outside it ${mb(d.memory.split.extra)} (strings, Buffers; ArrayBuffers ${mb(d.memory.split.arrayBuffers)}); the rest is code, SQLite and allocator slack`,
        ]),
    `  ${pad("", 18)} outboxStore.backlog() over the full outbox (what relay.status(), /admin and /metrics run): ${ms(d.backlogCountMs)}`,
  ];
}

/** `relay 3.1 + 1.2 s CPU (45%), 12 MB written; …`: user + system CPU and its share of one core over `wallMs`. */
function useLine(use: UseSplit, wallMs: number): string {
  return Object.entries(use)
    .map(
      ([name, u]) =>
        `${name} ${u.user.toFixed(1)} + ${u.system.toFixed(1)} s CPU (${int(((u.user + u.system) / wallMs) * 100_000)}%), ${int(u.written)} MB written`,
    )
    .join("; ");
}

/** Payload rendering alone, as the bare publisher does it: its share of the bare loop's time. */
function renderRate(): number {
  const make = recordFactory(seed);
  const n = 200_000;
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += recordJson(make(i, 1), 1).length;
  return bytes > 0 ? (n / (performance.now() - started)) * 1000 : 0;
}
