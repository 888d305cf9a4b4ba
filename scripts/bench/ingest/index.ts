#!/usr/bin/env bun
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { Children, killOnExit } from "../lib/children.ts";
import { fsType, machine } from "../lib/host.ts";
import { goal, int, type Latency, lat, pad, progress, secs } from "../lib/stats.ts";
import { runLatency } from "./latency.ts";
import { runThroughput } from "./throughput.ts";

/**
 * `npm run bench:ingest`: the calls benchmark of issue 3, each figure beside its baseline from the
 * same run. Not a test: it prints, it does not fail on a missed goal. About 45 s;
 * it stops by itself and kills the box processes it started (by PID), also on error or Ctrl-C.
 * Loopback only.
 *
 *   --only throughput|latency   run one half
 *   --frames N                  AMI frames in the throughput stream (default 200,000)
 *   --seed N                    the stream generator's seed (default 3)
 *   --profile DIR               run the box under Bun's CPU profiler (Markdown profile in DIR)
 */

const RATE = 1000;
const LATENCY_SECONDS = 20;
const WARM_SECONDS = 2;
const BASELINE_SAMPLES = 200;
const THROUGHPUT_TIMEOUT_MS = 60_000;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    only: { type: "string" },
    frames: { type: "string" },
    seed: { type: "string" },
    profile: { type: "string" },
  },
});
const only = values.only;
if (only !== undefined && only !== "throughput" && only !== "latency") {
  console.error(
    "usage: bun scripts/bench/ingest/index.ts [--only throughput|latency] [--frames N] [--seed N] [--profile DIR]",
  );
  process.exit(2);
}
const seed = Number(values.seed ?? 3);
const minFrames = Number(values.frames ?? 200_000);

const dir = mkdtempSync(join(tmpdir(), "branchbox-ingest-"));
const children = new Children();
killOnExit(children, dir);
const onBox = (child: Subprocess) => children.track(child);
const profile = values.profile === undefined ? {} : { profileDir: values.profile };

try {
  const lines: string[] = [
    `branchbox ingest benchmark: ${machine()}, databases on ${fsType(dir)}, WAL + synchronous=FULL everywhere`,
  ];

  if (only !== "latency") {
    const t = await runThroughput({
      dir,
      seed,
      minFrames,
      timeoutMs: THROUGHPUT_TIMEOUT_MS,
      onBox,
      progress,
      ...profile,
    });
    const b = t.box;
    const frames = t.stream.frames.length;
    const rate = (frames / t.ms) * 1000;
    const vsOutbox = rate / t.outbox.perSec;
    const check = (name: string, got: number | undefined, want: number) =>
      `${name} ${int(got ?? Number.NaN)}${got === want ? "" : ` (EXPECTED ${int(want)})`}`;
    lines.push(
      "",
      `throughput: ${int(frames)} AMI frames (${(t.stream.bytes / 2 ** 20).toFixed(1)} MB, ${int(t.stream.copies.length)} copies of the ${new Set(t.stream.copies).size} fixture scenarios, 6 at a time, seed ${seed}, generated in ${secs(t.generateMs)}) over loopback into the box (own process, real createBox, [pbx.ami])`,
      `  ${pad("pipeline", 20)} ${int(rate)} AMI events/s: first byte written -> last call committed in ${secs(t.ms)}${t.complete ? "" : "  INCOMPLETE (timed out)"}`,
      `  ${pad("", 20)} parse -> translate -> journal -> assemble -> attribute -> records; ${int((b.pipeline.received / t.ms) * 1000)} PbxEvents/s; ${int(b.commits)} commits (${(frames / Math.max(1, b.commits)).toFixed(0)} AMI frames, ${(b.pipeline.received / Math.max(1, b.commits)).toFixed(1)} PbxEvents per commit); the peer's last byte taken at ${secs(t.writeMs)}`,
      `  ${pad("", 20)} ${check("AMI frames read", b.amiFrames, frames)}; ${check("journal rows", b.journal, t.expected.events)}; ${check("calls recorded", b.recordedCalls, t.expected.calls)} (${int(b.records ?? 0)} record rows); CRM intents ${int(b.pipeline.intents ?? 0)}; live ${int(b.live)}; rejected ${int(b.pipeline.rejected)}; duplicates ${int(b.pipeline.duplicates)}; bad frames ${int(b.badFrames)}; box rss ${int(b.memoryMb)} MB`,
      `  ${pad("bare inserts", 20)} ${int(t.bare.perSec)} AMI events/s: one row per AMI frame (its wire text) in a journal-shaped table, ${int(frames / t.bare.transactions)} per transaction (the pipeline's mean batch), no parsing | pipeline ${(rate / t.bare.perSec).toFixed(2)}x`,
      `  ${pad("bare outbox loop", 20)} ${int(t.outbox.perSec)} AMI events/s: the event row + an outbox row naming it, 100 events per transaction | pipeline ${vsOutbox.toFixed(2)}x (goal >= 0.5x: ${goal(vsOutbox >= 0.5)}; >= 20,000/s: ${goal(rate >= 20_000)})`,
      `  ${pad("", 20)} the pipeline above commits journal + call records + their outbox rows (calls, CRM intents) in each transaction`,
    );
  }

  if (only !== "throughput") {
    const l = await runLatency({
      dir,
      seed,
      rate: RATE,
      seconds: LATENCY_SECONDS,
      warmSeconds: WARM_SECONDS,
      baselineSamples: BASELINE_SAMPLES,
      onBox,
      progress,
      ...profile,
    });
    const state = (s: string) => (l.byState[s] === undefined ? "none" : lat(l.byState[s] as Latency));
    lines.push(
      "",
      `event -> card: ${int(l.frames)} AMI frames paced at ${int(RATE)}/s (kept ${int(l.achievedRate)}/s) into a fresh box, one client on GET /calls/events; ${WARM_SECONDS} s warm-up left out`,
      `  ${pad("AMI frame -> card", 20)} ${lat(l.card)} | check-in -> same stream ${lat(l.baseline)} | p50 ${(l.card.p50 / l.baseline.p50).toFixed(1)}x, p99 ${(l.card.p99 / l.baseline.p99).toFixed(1)}x (goal p99 < 20 ms: ${goal(l.card.p99 < 20)})`,
      `  ${pad("  frame -> commit", 20)} ${lat(l.toCommit)}  (the box's commit that changed the call; its clock, not this one)`,
      `  ${pad("  commit -> card", 20)} ${lat(l.commitToCard)}  (notify, wait for the redraw slot, render, SSE write, read)`,
      `  ${pad("  render in the box", 20)} ${lat(l.render)}  (in-process connect -> first message with the ${l.cardsAtBaseline} cards, after the stream)`,
      `  ${pad("  card appears", 20)} ${state("waiting")}  (inbound call-start: a red card)`,
      `  ${pad("  card answered", 20)} ${state("answered")}  (first answer of an inbound call)`,
      `  ${pad("  card missed", 20)} ${state("missed")}  (end of an inbound call nobody answered)`,
      `  ${pad("", 20)} ${int(l.expected)} card changes expected, ${int(l.unseen)} never shown in their state; ${int(l.messages)} SSE messages; ${l.cardsAtBaseline} cards on the kiosk during the baseline`,
      `  ${pad("", 20)} from the peer's write of the frame to the SSE message read (one clock: the peer and the client share this process); the stream redraws at most every 15 ms (CARDS_MIN_INTERVAL_MS)`,
      `  ${pad("", 20)} baseline: the same box after the stream, POST check-in/out (one roster commit) -> next /calls/events message, ${BASELINE_SAMPLES} samples 40 ms apart: the same redraw, render and SSE path, without AMI link, parser, translator, group-commit window and the redraw slot a busy stream waits for`,
    );
  }
  console.log(lines.join("\n"));
} catch (error) {
  console.error("bench failed:", error);
  process.exitCode = 1;
} finally {
  children.killAll();
  rmSync(dir, { recursive: true, force: true });
}
