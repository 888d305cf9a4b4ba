import { join } from "node:path";
import { type Latency, percentiles } from "../lib/stats.ts";
import { generateStream, loadScenarios } from "./ami-stream-gen.ts";
import { startBenchPeer } from "./bench-peer.ts";
import { AMI_CREDENTIALS, type BoxRunOptions, startBoxProcess } from "./box-process.ts";
import { cardMarkers } from "./expectations.ts";
import { cardsIn, connectSse } from "./sse-client.ts";

/**
 * Event → card: the stream paced at `rate` frames/s into a fresh box, a client on the kiosk's
 * `GET /calls/events`, and for every inbound call the time from the peer writing the frame that
 * changes its card (its call-start, its first answer, its end unanswered) to the first message
 * that shows the card in that state. Each call has its own caller number and call id, so a card
 * is matched by its call id; the peer and the client share one clock (this process).
 *
 * Baseline, same box, same stream, same render, right after: a roster change instead of a call
 * event. `/calls/events` redraws on every roster change too (whose card it is depends on who is on
 * shift), so a check-in over the API is the cheapest change that travels the very same path —
 * subscription, coalescing, render of the same cards, SSE write — without the AMI link, the
 * parser, the translator and the pipeline's group commit, which is what is being measured.
 */

export interface LatencyResult {
  readonly rate: number;
  readonly seconds: number;
  readonly frames: number;
  /** Cards expected to change after the warm-up, and those seen. */
  readonly expected: number;
  readonly card: Latency;
  /** The same samples cut in two at the commit that changed the call (the box's clock). */
  readonly toCommit: Latency;
  readonly commitToCard: Latency;
  /** In the box, connect → first message of the card stream (render + SSE write), at the end. */
  readonly render: Latency;
  readonly byState: Record<string, Latency>;
  readonly unseen: number;
  /** The frames/s the peer kept over the measured window. */
  readonly achievedRate: number;
  readonly messages: number;
  readonly baseline: Latency;
  readonly cardsAtBaseline: number;
}

export interface LatencyOptions extends BoxRunOptions {
  readonly rate: number;
  readonly seconds: number;
  readonly warmSeconds: number;
  readonly baselineSamples: number;
}

export async function runLatency(options: LatencyOptions): Promise<LatencyResult> {
  const peer = await startBenchPeer(AMI_CREDENTIALS);
  const box = await startBoxProcess({
    dir: join(options.dir, "latency"),
    amiPort: peer.port,
    onStart: options.onBox,
    ...(options.profileDir === undefined ? {} : { profileDir: options.profileDir }),
  });
  try {
    const link = await peer.ready;
    for (const [employeeId, deskId] of [
      ["anna", "front"],
      ["olga", "hall"],
    ]) {
      const res = await box.api("/api/v1/roster/check-in", { employeeId, deskId });
      if (res.status !== 200)
        throw new Error(`check-in ${employeeId}: HTTP ${res.status} ${await res.text()}`);
    }

    // PBX time = the instant the peer writes the frame: missed cards age as on a real branch.
    const stepMs = 1000 / options.rate;
    const startMs = Date.now() + 1000;
    const stream = generateStream(loadScenarios(), {
      seed: options.seed,
      minFrames: Math.round(options.rate * (options.warmSeconds + options.seconds)),
      concurrency: 6,
      startMs,
      stepMs,
    });
    const frames = stream.frames;
    const markers = cardMarkers(frames);
    const written = new Float64Array(frames.length).fill(Number.NaN);
    const seen = new Map<string, number>();
    const sse = await connectSse(`${box.url}calls/events`, (html, at) => {
      for (const card of cardsIn(html)) if (!seen.has(card)) seen.set(card, at);
    });

    options.progress(
      `latency: ${frames.length.toLocaleString("en-US")} frames at ${options.rate}/s into the box...`,
    );
    const startPerf = startMs - performance.timeOrigin;
    let next = 0;
    while (next < frames.length) {
      const due = Math.min(frames.length, Math.floor((performance.now() - startPerf) / stepMs) + 1);
      if (due > next) {
        const at = performance.now();
        written.fill(at, next, due);
        await link.write(frames.slice(next, due).join(""));
        next = due;
      }
      await Bun.sleep(Math.max(0, startPerf + next * stepMs - performance.now()));
    }
    const warmFrames = Math.round(options.rate * options.warmSeconds);
    const achievedRate =
      ((frames.length - 1 - warmFrames) / ((written[frames.length - 1] ?? 0) - (written[warmFrames] ?? 0))) *
      1000;
    await Bun.sleep(500);

    const commitsOf = new Map<string, number[]>();
    for (const commit of await box.commits())
      for (const call of commit.calls) commitsOf.set(call, [...(commitsOf.get(call) ?? []), commit.at]);
    const samples: number[] = [];
    const toCommit: number[] = [];
    const commitToCard: number[] = [];
    const byState = new Map<string, number[]>();
    let expected = 0;
    let unseen = 0;
    for (const [card, index] of markers) {
      if (index < warmFrames) continue;
      expected++;
      const at = seen.get(card);
      if (at === undefined) {
        unseen++;
        continue;
      }
      const sent = written[index] ?? Number.NaN;
      const ms = at - sent;
      samples.push(ms);
      // The first commit after the write that changed this call is the one that carried the frame.
      const epochSent = performance.timeOrigin + sent;
      const committed = commitsOf.get(card.slice(0, card.indexOf("|")))?.find((t) => t >= epochSent);
      if (committed !== undefined) {
        toCommit.push(committed - epochSent);
        commitToCard.push(performance.timeOrigin + at - committed);
      }
      const state = card.slice(card.indexOf("|") + 1);
      byState.set(state, [...(byState.get(state) ?? []), ms]);
    }
    const messages = sse.messages();

    options.progress(`latency: baseline, ${options.baselineSamples} check-ins/outs on the same stream...`);
    const cardsAtBaseline = await cardCount(`${box.url}calls/events`);
    const render = await box.renderTimes(50);
    const baseline: number[] = [];
    for (let i = 0; i < options.baselineSamples; i++) {
      // Quiet longer than the stream's coalescing window, so each change renders at once.
      await Bun.sleep(40);
      const path = i % 2 === 0 ? "/api/v1/roster/check-in" : "/api/v1/roster/check-out";
      const body = i % 2 === 0 ? { employeeId: "irina", deskId: "back" } : { employeeId: "irina" };
      const message = sse.nextMessage();
      const sent = performance.now();
      const res = await box.api(path, body);
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      baseline.push((await message) - sent);
    }
    sse.close();
    return {
      rate: options.rate,
      seconds: options.seconds,
      frames: frames.length,
      expected,
      card: percentiles(samples),
      toCommit: percentiles(toCommit),
      commitToCard: percentiles(commitToCard),
      render: percentiles(render),
      byState: Object.fromEntries([...byState].map(([state, ms]) => [state, percentiles(ms)])),
      unseen,
      achievedRate,
      messages,
      baseline: percentiles(baseline),
      cardsAtBaseline,
    };
  } finally {
    await box.stop();
    await peer.close();
  }
}

/** Cards on the kiosk right now: one connect, the first message. */
async function cardCount(url: string): Promise<number> {
  let count = 0;
  const sse = await connectSse(url, (html) => {
    count = cardsIn(html).length;
  });
  sse.close();
  return count;
}
