import type { Child } from "../lib/children.ts";
import { epochMs } from "../lib/say.ts";
import type { SipBox } from "./box-process.ts";

/**
 * NOTIFY processing rate: the publisher drives `extensions` extensions with no phone through
 * `callsPerExt` calls each (four PUBLISHes a call: early, confirmed, terminated, removed), at most
 * `window` in flight; Kamailio NOTIFYs both watchers of each. The bare watcher's arrival rate is
 * the baseline (what Kamailio delivers); the box's rate is the NOTIFYs it received over the time
 * from its first commit until it had received all of them and committed every call's record.
 */

export interface RateResult {
  readonly extensions: number;
  readonly calls: number;
  readonly publishes: number;
  readonly publishMs: number;
  readonly bare: { readonly notifies: number; readonly ms: number };
  readonly box: {
    readonly notifies: number;
    readonly ms: number;
    readonly records: number;
    readonly rejected: number;
    readonly badFrames: number;
    readonly memoryMb: number;
  };
  /** Box done minus bare's last arrival. */
  readonly lagMs: number;
  readonly complete: boolean;
}

export async function runRate(options: {
  box: SipBox;
  bare: Child;
  publisher: Child;
  extensions: number;
  callsPerExt: number;
  window: number;
  timeoutMs: number;
  progress: (text: string) => void;
}): Promise<RateResult> {
  const { box, bare, publisher } = options;
  const before = await box.status();
  await box.commits();
  bare.send("reset");

  publisher.send(`run ${options.callsPerExt} ${options.window}`);
  const calls = options.extensions * options.callsPerExt;
  const expected = calls * 4;
  let firstCommit = Number.NaN;
  let lastCommit = Number.NaN;
  let notifiesAt = Number.NaN;
  let bareCount = { n: 0, firstAt: Number.NaN, lastAt: Number.NaN };
  let status = before;
  const deadline = Date.now() + options.timeoutMs;
  let published: { publishes: number; firstAt: number; lastAt: number } | undefined;
  for (;;) {
    for (const c of await box.commits()) {
      if (Number.isNaN(firstCommit)) firstCommit = c.at;
      if (c.recorded.length > 0) lastCommit = c.at;
    }
    status = await box.status();
    if (Number.isNaN(notifiesAt) && status.notifies - before.notifies >= expected) notifiesAt = epochMs();
    const done = publisher.take("published")[0];
    if (done) published = done as unknown as typeof published;
    const recorded = status.records - before.records;
    if (published && recorded >= calls && !Number.isNaN(notifiesAt)) break;
    if (Date.now() > deadline) break;
    await Bun.sleep(20);
  }
  // The bare watcher's count: poll until it has them all (it may trail the box).
  for (;;) {
    bare.send("count");
    const m = await bare.next((x) => x.event === "count", 5000);
    bareCount = { n: m.n as number, firstAt: m.firstAt as number, lastAt: m.lastAt as number };
    if (bareCount.n >= expected || Date.now() > deadline) break;
    await Bun.sleep(100);
  }
  const boxDone = Math.max(lastCommit, notifiesAt);
  return {
    extensions: options.extensions,
    calls,
    publishes: published?.publishes ?? 0,
    publishMs: published ? published.lastAt - published.firstAt : Number.NaN,
    bare: { notifies: bareCount.n, ms: bareCount.lastAt - bareCount.firstAt },
    box: {
      notifies: status.notifies - before.notifies,
      ms: boxDone - firstCommit,
      records: status.records - before.records,
      rejected: status.pipeline.rejected - before.pipeline.rejected,
      badFrames: status.badFrames - before.badFrames,
      memoryMb: status.memoryMb,
    },
    lagMs: boxDone - bareCount.lastAt,
    complete: published !== undefined && status.records - before.records >= calls && bareCount.n >= expected,
  };
}
