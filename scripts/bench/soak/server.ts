#!/usr/bin/env bun
import { heapStats } from "bun:jsc";
import { createBox, listen } from "../../../src/app.ts";
import type { UpStream } from "../../../src/contract/protocol.ts";
import { DEMO_STAFF } from "../../../src/demo.ts";
import { outboxStore } from "../../../src/store/outbox-store.ts";
import { announceAndStopOnSignal, serverConfig } from "../lib/server-entry.ts";

/**
 * The box as `branchbox serve --config FILE` runs it (same composition root, the AMI source of
 * [pbx.ami], the demo staff), on a clock the soak moves: a month goes by in minutes. Routes the
 * product does not have:
 * - `POST /bench/clock?at=MS`: the box's clock jumps forward to MS (never back) and runs on from there;
 * - `POST /bench/hour`: what the box's hourly timer does (journal pruning to its retention), and
 *   headquarters' ack of every record waiting (no broker in the soak: the outbox is drained as a
 *   connected HQ would drain it);
 * - `GET /bench/soak[?gc=1]`: AMI frames read and link state, the pipeline's counters, the JS heap
 *   and row counts of the per-call SQLite tables; `gc=1` runs a full collection first, so that
 *   samples compare what is kept, not what waits for the collector.
 * Prints `listening <url>` on stderr once it accepts connections.
 */

let offset = 0;
const now = () => Date.now() + offset;
const { config, log } = serverConfig("scripts/bench/soak/server.ts");
const box = await createBox(config, { log, now, seedStaff: DEMO_STAFF });
const outbox = outboxStore(box.db);
const count = (sql: string) => box.db.query<{ n: number }, []>(sql).get()?.n ?? 0;

box.app.post("/bench/clock", (c) => {
  offset = Math.max(offset, Number(c.req.query("at")) - Date.now());
  return c.json({ now: now() });
});

box.app.post("/bench/hour", (c) => {
  const pruned = box.calls.prune();
  let acked = 0;
  for (const [name, waiting] of Object.entries(outbox.backlog())) {
    const stream = name as UpStream;
    acked += outbox.ack(stream, outbox.ackedThrough(stream) + waiting);
  }
  return c.json({ pruned, acked });
});

box.app.get("/bench/soak", (c) => {
  if (c.req.query("gc") !== undefined) Bun.gc(true);
  const source = box.sources[0]?.status();
  const heap = heapStats();
  return c.json({
    amiFrames: source?.eventsReceived ?? 0,
    amiState: source?.state ?? "none",
    badFrames: source?.badFrames ?? 0,
    orphans: Object.values(source?.orphans ?? {}).reduce((a, b) => a + b, 0),
    pipeline: box.calls.status(),
    tables: { ...source?.tables, ...box.calls.tables() },
    heapMb: heap.heapSize / 2 ** 20,
    heapCapacityMb: heap.heapCapacity / 2 ** 20,
    extraMb: heap.extraMemorySize / 2 ** 20,
    rows: {
      journal: count("SELECT count(*) AS n FROM pbx_journal"),
      outbox: count("SELECT count(*) AS n FROM outbox"),
      calls: count("SELECT count(*) AS n FROM calls"),
      roster: count("SELECT count(*) AS n FROM roster_facts"),
    },
  });
});

announceAndStopOnSignal(listen(box), box);
