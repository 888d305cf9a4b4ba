#!/usr/bin/env bun
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SQL } from "bun";
import { type Mosquitto, startMosquitto } from "../../../test/support/mosquitto.ts";
import { type Postgres, startPostgres } from "../../../test/support/postgres.ts";
import { Children, killOnExit } from "../lib/children.ts";
import { machine } from "../lib/host.ts";
import { int, lat, pad, percentiles, progress, secs } from "../lib/stats.ts";
import { runBareLatency } from "../sync/bare.ts";
import { type Counters, type HqProcess, startHqProcess } from "../sync/hq-process.ts";
import { runBareInsert } from "./bare-insert.ts";
import { FLEET_PREFIX, type Fleet, startFleet } from "./fleet.ts";
import { appliedSince, behind, lag, verify } from "./pg-checks.ts";

/**
 * `npm run bench:hq-scale`: headquarters at scale (issue 18), in one run, each figure beside its
 * baseline from the same run. Real PostgreSQL (Debian's, test/support/postgres.ts), real Mosquitto
 * (queue limits off, as in the tests), 1–3 real `branchbox hq` consumers (`bun src/main.ts hq`,
 * `[hq] database_url`, Mosquitto's shared subscription), and a fleet of the box's own relays in a
 * few processes over in-memory outboxes (fleet-process.ts says what is light about them).
 *
 *   live     the fleet commits --records at --rate/s, round robin over the branches; lag p99 =
 *            record ts → HQ's applied_at, read in PostgreSQL | bare mqtt.js publish → receive at
 *            the same rate on the same broker
 *   outage   every consumer killed (-9); the fleet commits --backlog more while none runs; then
 *            --consumers start and drain it; records/s committed (PostgreSQL's marks, polled) |
 *            a bare insert loop of the same rows in the same transactions on the same server
 *   check    every branch's streams in PostgreSQL: seq 1..n once, the mark at n, n = what the
 *            branch committed. Any loss or double: exit 1.
 *
 *   --branches N   simulated branches (default 500)
 *   --records N    records of the live phase (default 30,000)
 *   --rate R       records/s of the live phase, the whole fleet (default 1,000)
 *   --consumers N  branchbox hq consumers (default 3)
 *   --backlog N    records committed during the outage (default 1,000,000)
 *   --seed N       the record generator's seed (default 7)
 *
 * About 9 minutes with the defaults on the 2-core test machine (the drain is most of it). It stops
 * by itself and kills what it started (PostgreSQL, broker, consumers, fleet, by PID),
 * also on error or Ctrl-C, and removes its temp dir. Not a test: no CI time.
 */

const FLEET_PROCESSES = 2;
const POLL_MS = 100;
const BARE_LATENCY_COUNT = 5000;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    branches: { type: "string" },
    records: { type: "string" },
    rate: { type: "string" },
    consumers: { type: "string" },
    backlog: { type: "string" },
    seed: { type: "string" },
  },
});
const branches = Number(values.branches ?? 500);
const records = Number(values.records ?? 30_000);
const rate = Number(values.rate ?? 1000);
const consumers = Number(values.consumers ?? 3);
const backlog = Number(values.backlog ?? 1_000_000);
const seed = Number(values.seed ?? 7);
if (
  ![branches, records, rate, consumers, backlog].every((n) => Number.isInteger(n) && n > 0) ||
  branches > 999
) {
  console.error(
    "usage: bun scripts/bench/hq-scale/index.ts [--branches N<=999] [--records N] [--rate R] [--consumers N] [--backlog N] [--seed N]",
  );
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "branchbox-hq-scale-"));
const children = new Children();
killOnExit(children, dir);

let pg: Postgres | undefined;
let broker: Mosquitto | undefined;
let fleet: Fleet | undefined;
let hqs: HqProcess[] = [];
let db: SQL | undefined;
const runStarted = performance.now();
try {
  progress("starting PostgreSQL and Mosquitto...");
  pg = await startPostgres();
  children.adopt(pg.pid);
  const admin = new SQL(pg.url(), { max: 1 });
  await admin.unsafe("CREATE DATABASE hq");
  const settings = await admin`SELECT name, setting FROM pg_settings
    WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'server_version')
    ORDER BY name`;
  await admin.close();
  const durability = (settings as { name: string; setting: string }[])
    .map((s) => `${s.name}=${s.setting}`)
    .join(", ");
  const url = pg.url("hq");
  db = new SQL(url, { max: 2 });
  broker = await startMosquitto({ dir: join(dir, "mosquitto") });
  children.adopt(broker.pid);
  const brokerUrl = broker.url;

  const startConsumers = (round: string) =>
    Promise.all(
      Array.from({ length: consumers }, (_, i) =>
        startHqProcess(children, { dir: join(dir, `hq-${round}-${i + 1}`), brokerUrl, databaseUrl: url }),
      ),
    );
  progress(`starting ${consumers} branchbox hq consumer(s) on PostgreSQL...`);
  hqs = await startConsumers("a");
  progress(`starting ${branches} relays in ${FLEET_PROCESSES} processes...`);
  fleet = await startFleet({ children, dir, brokerUrl, branches, processes: FLEET_PROCESSES, seed });
  const lines = [
    `branchbox HQ at scale: ${machine()}`,
    `  PostgreSQL from test/support/postgres.ts (${durability}); the bare baselines use this same server and broker`,
    `  Mosquitto on loopback (max_queued_messages 0, max_inflight_messages 100); ${consumers} consumer(s), shared subscription $share/hq/…`,
    `  ${int(branches)} branches: the box's relay each (own client id, epochs, seqs), in-memory outboxes, ${FLEET_PROCESSES} processes`,
  ];

  // Live: paced records, lag from each record's ts to HQ's applied_at.
  progress(`live: ${int(records)} records at ${int(rate)}/s over ${branches} branches...`);
  const liveFrom = Date.now();
  await fleet.live(rate, records);
  const liveTo = Date.now() + 1;
  let made = await fleet.counts();
  const liveDone = await until(() => behind(db as SQL, made).then((n) => n === 0), 60_000);
  const liveLag = await lag(db, liveFrom, liveTo);
  progress(`live: bare mqtt.js, ${int(Math.min(records, BARE_LATENCY_COUNT))} messages at ${int(rate)}/s...`);
  const bareLag = percentiles(
    await runBareLatency({
      dir,
      brokerUrl,
      children,
      seed,
      count: Math.min(records, BARE_LATENCY_COUNT),
      rate,
      timeoutMs: 120_000,
    }),
  );
  lines.push(
    "",
    `live: ${int(records)} records at ${int(rate)}/s (${((rate / branches) * 60).toFixed(0)} a minute per branch), each its own branch transaction + relay.wake()`,
    `  ${pad("HQ committed", 16)} ${lat(liveLag)}${liveDone ? "" : "  INCOMPLETE after 60 s"}  record ts -> applied_at (Date.now(), one machine)`,
    `  ${pad("bare mqtt.js", 16)} ${lat(bareLag)}  publish -> receive, QoS 1, same broker | HQ p99 ${(liveLag.p99 / bareLag.p99).toFixed(1)}x`,
  );

  // Outage: every consumer gone, the fleet keeps committing; then the consumers come back.
  progress("outage: killing every consumer (-9)...");
  for (const hq of hqs) {
    hq.child.process.kill("SIGKILL");
    await hq.child.process.exited;
  }
  hqs = [];
  const fillStarted = performance.now();
  progress(`outage: the fleet commits ${int(backlog)} records while no consumer runs...`);
  await fleet.fill(backlog);
  const fillMs = performance.now() - fillStarted;
  made = await fleet.counts();
  const drainFrom = Date.now();
  const t0 = performance.now();
  progress(`drain: ${consumers} consumer(s) back...`);
  hqs = await startConsumers("b");
  const healthyMs = performance.now() - t0;
  let maxBehind = 0;
  const drained = await until(
    async () => {
      const n = await behind(db as SQL, made);
      maxBehind = Math.max(maxBehind, n);
      return n === 0;
    },
    30 * 60_000,
    (n) => n % 100 === 0 && progress(`drain: ${secs(performance.now() - t0, 0)}...`),
  );
  const drainMs = performance.now() - t0;
  const applied = await appliedSince(db, drainFrom);
  const hqRate = (applied.rows / drainMs) * 1000;
  const hqWindow = Math.max(1, applied.last - applied.first);
  const counters = await consumerCounters(hqs);

  progress("check: every branch's streams in PostgreSQL...");
  const verdict = await verify(db, made, FLEET_PREFIX);
  progress(
    `bare: ${int(applied.rows)} rows in ${int(applied.transactions)} transactions, ${consumers} connection(s)...`,
  );
  const bare = await runBareInsert({ url, since: drainFrom, connections: consumers });
  const bareRate = (bare.rows / bare.ms) * 1000;
  lines.push(
    "",
    `outage: every consumer killed (-9); ${int(backlog)} records committed over the fleet in ${secs(fillMs)} while none ran; then ${consumers} consumer(s) started (healthy in ${secs(healthyMs)})`,
    `  ${pad("HQ drain", 16)} ${int(hqRate)} records/s: ${int(applied.rows)} rows in ${secs(drainMs)} from the consumers' start to the last mark${drained ? "" : "  INCOMPLETE (timed out)"}; ${int(applied.transactions)} transactions, ${(applied.rows / Math.max(1, applied.transactions)).toFixed(0)} rows each; first -> last applied_at ${secs(hqWindow)} (${int((applied.rows / hqWindow) * 1000)}/s)`,
    `  ${pad("", 16)} consumers: ${int(counters.applied)} applied, ${int(counters.duplicates)} duplicates, ${int(counters.replays)} replays asked, ${int(counters.badEnvelopes)} bad envelopes`,
    `  ${pad("bare insert", 16)} ${int(bareRate)} records/s: the same ${int(bare.rows)} rows in the same ${int(bare.transactions)} transactions, INSERTs of <= 1000 rows, ${consumers} connection(s), ${secs(bare.ms)}; ${int(bare.stored)} stored | HQ ${((hqRate / bareRate) * 100).toFixed(0)}% of bare`,
    "",
    `check: ${int(verdict.expected)} records committed by ${int(made.size)} branches; PostgreSQL holds ${int(verdict.stored)}: ${int(verdict.lost)} lost, ${int(verdict.doubled)} doubled; ${verdict.wrong.length} stream(s) not exactly seq 1..n once with the mark at n`,
    ...verdict.wrong.slice(0, 10).map((w) => `  ${w}`),
    "",
    `run: ${secs(performance.now() - runStarted, 0)} in all`,
  );
  console.log(lines.join("\n"));
  if (verdict.lost > 0 || verdict.doubled > 0 || verdict.wrong.length > 0 || bare.stored !== bare.rows)
    process.exitCode = 1;
} catch (error) {
  console.error("bench failed:", error);
  for (const hq of hqs) console.error(`hq log (last lines):\n${hq.child.logTail()}`);
  process.exitCode = 1;
} finally {
  await fleet?.stop();
  for (const hq of hqs) await hq.child.stop();
  await db?.close();
  await broker?.stop();
  await pg?.stop();
  children.killAll();
  rmSync(dir, { recursive: true, force: true });
}

/** Polls `done` every POLL_MS until true (→ true) or `timeoutMs` passed (→ false). */
async function until(
  done: () => Promise<boolean>,
  timeoutMs: number,
  each?: (n: number) => unknown,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let n = 1; ; n++) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    each?.(n);
    await Bun.sleep(POLL_MS);
  }
}

/** The consumers' counters added up (each consumer's own API). */
async function consumerCounters(list: readonly HqProcess[]): Promise<Counters> {
  const sum: Counters = { applied: 0, duplicates: 0, badEnvelopes: 0, replays: 0 };
  for (const hq of list) {
    const { consumer } = await hq.view("");
    for (const k of Object.keys(sum) as (keyof Counters)[]) sum[k] += consumer[k];
  }
  return sum;
}
