#!/usr/bin/env bun
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startBenchPeer } from "../ingest/bench-peer.ts";
import { Children, killOnExit } from "../lib/children.ts";
import { machine } from "../lib/host.ts";
import { progress } from "../lib/stats.ts";
import { AMI_CREDENTIALS, SHIFTS, type SoakBox, startSoakBox } from "./box.ts";
import { corpusHandsets, loadTemplates } from "./corpus.ts";
import { DAY, Month } from "./month.ts";
import { report, type Sample } from "./report.ts";
import { checkDay, writeSlice } from "./traffic.ts";

/**
 * `npm run bench:soak`: a month of a busy branch replayed in minutes through the real AMI link
 * into a real box process, to see that an appliance running for months stays flat. Every call is a
 * copy of a real capture (test/fixtures/ami/real/) with fresh names; each simulated hour is written
 * to the box's AMI socket (backpressure honoured) and the box is let finish it before the next
 * (flow control: nothing dropped, nothing waiting in memory at a sample), with the box's clock moved
 * to the hour and its hourly timer run. At every day's end, after a full GC in each box: RSS,
 * JS heap, every per-call table (/metrics) and the per-call SQLite rows; the day's calls are
 * checked through GET /api/v1/calls. The baseline is an idle box started beside it (same config,
 * same clock, same roster, an AMI link with no calls), sampled at the same moments.
 * Not a test: it prints, it does not fail. Loopback only; kills what it started, also on Ctrl-C.
 *
 *   --days N        simulated days (default 30)
 *   --calls MIN-MAX calls per day (default 300-600)
 *   --seed N        the month's seed (default 1)
 *   --warmup F      the part of the month left out of the growth (default 0.1)
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    days: { type: "string" },
    calls: { type: "string" },
    seed: { type: "string" },
    warmup: { type: "string" },
  },
});
const days = Number(values.days ?? 30);
const [minCalls, maxCalls] = (values.calls ?? "300-600").split("-").map(Number) as [number, number];
const seed = Number(values.seed ?? 1);
const warmup = Number(values.warmup ?? 0.1);
if (![days, minCalls, maxCalls, seed, warmup].every(Number.isFinite) || days < 2 || minCalls > maxCalls) {
  console.error(
    "usage: bun scripts/bench/soak/index.ts [--days N] [--calls MIN-MAX] [--seed N] [--warmup F]",
  );
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "branchbox-soak-"));
const children = new Children();
killOnExit(children, dir);
const HOUR = 3_600_000;

try {
  const handsets = corpusHandsets();
  const templates = loadTemplates(new Set([...handsets, "102"]));
  // The month starts at the next UTC midnight: the boxes' clocks only ever move forward.
  const startMs = (Math.floor(Date.now() / DAY) + 1) * DAY;
  const month = new Month(templates, { seed, days, minCalls, maxCalls, startMs });
  const [peer, idlePeer] = await Promise.all([
    startBenchPeer(AMI_CREDENTIALS),
    startBenchPeer(AMI_CREDENTIALS),
  ]);
  const onStart = (child: Parameters<typeof children.track>[0]) => children.track(child);
  const soak = await startSoakBox({ dir: join(dir, "soak"), amiPort: peer.port, handsets, onStart });
  const idle = await startSoakBox({ dir: join(dir, "idle"), amiPort: idlePeer.port, handsets, onStart });
  const link = await peer.ready;
  await idlePeer.ready;
  const both = (act: (box: SoakBox) => Promise<unknown>) => Promise.all([soak, idle].map(act));

  const started = performance.now();
  const samples: Sample[] = [await sample(soak, idle, -1, 0, 0)];
  const totals = { calls: 0, frames: 0, bytes: 0, events: 0, expectedEvents: 0, problems: [] as string[] };
  for (let d = 0; d < days; d++) {
    const day = month.day(d);
    const shiftStart = day.startMs + 8 * HOUR + 45 * 60_000;
    await both((box) => box.clock(shiftStart));
    for (const shift of SHIFTS)
      await both((box) =>
        box.api("/api/v1/roster/check-in", { ...shift, at: new Date(shiftStart).toISOString() }),
      );
    for (const slice of day.slices) {
      await both((box) => box.clock(slice.endMs));
      totals.frames += await writeSlice(link, soak, slice, totals.frames);
      totals.bytes += slice.bytes;
      await both((box) => box.hour());
    }
    const closing = day.slices.at(-1)?.endMs ?? day.startMs + 20 * HOUR;
    for (const { employeeId } of SHIFTS)
      await both((box) =>
        box.api("/api/v1/roster/check-out", { employeeId, at: new Date(closing).toISOString() }),
      );
    totals.calls += day.copies.length;
    totals.expectedEvents += day.copies.reduce((n, t) => n + t.events, 0);
    totals.problems.push(...(await checkDay(soak, day)));
    samples.push(await sample(soak, idle, d, totals.calls, totals.frames));
    const engine = await soak.status();
    progress(
      `day ${d + 1}/${days}: ${totals.calls.toLocaleString("en-US")} calls, rss ${samples.at(-1)?.rss.toFixed(1)} MB (idle ${samples.at(-1)?.idleRss.toFixed(1)} MB); JS heap ${engine.heapMb.toFixed(1)} of ${engine.heapCapacityMb.toFixed(1)} MB held, ${engine.extraMb.toFixed(1)} MB outside it`,
    );
  }
  const last = await soak.status();
  totals.events = last.pipeline.received;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    report({ machine: machine(), seed, days, minCalls, maxCalls, warmup, seconds, totals, last, samples }),
  );
  await Promise.all([soak.stop(), idle.stop(), peer.close(), idlePeer.close()]);
} catch (error) {
  console.error("bench failed:", error);
  process.exitCode = 1;
} finally {
  children.killAll();
  rmSync(dir, { recursive: true, force: true });
}

async function sample(
  soak: SoakBox,
  idle: SoakBox,
  day: number,
  calls: number,
  frames: number,
): Promise<Sample> {
  const [status, idleStatus] = await Promise.all([soak.status(true), idle.status(true)]);
  return {
    day,
    calls,
    frames,
    rss: soak.rssMb(),
    heap: status.heapMb,
    idleRss: idle.rssMb(),
    idleHeap: idleStatus.heapMb,
    tables: await soak.tables(),
    rows: status.rows,
  };
}
