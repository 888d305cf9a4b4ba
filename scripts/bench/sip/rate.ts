import type { Child } from "../lib/children.ts";
import { epochMs } from "../lib/say.ts";
import type { SipBox } from "./box-process.ts";

/**
 * NOTIFY processing rate: the publisher drives `extensions` extensions with no phone through
 * `callsPerExt` calls each (four PUBLISHes a call: early, confirmed, terminated, removed), at most
 * `window` in flight; Kamailio NOTIFYs both watchers of each. The bare watcher's arrival rate is
 * the baseline (what Kamailio delivers); the box's rate is the NOTIFYs it received over the time
 * from its first commit until it had received all of them and committed every call's record.
 * Both count the run's own NOTIFYs, four a call: presence's cleaner sends a few more seconds later
 * (expired publications), which would stretch the bare watcher's window and flatter the box.
 */

export interface RateResult {
  readonly extensions: number;
  readonly calls: number;
  readonly publishes: number;
  readonly publishMs: number;
  /** `notifies`: the run's own (four a call); `total`: every NOTIFY counted, late ones included. */
  readonly bare: { readonly notifies: number; readonly total: number; readonly ms: number };
  readonly box: {
    readonly notifies: number;
    readonly total: number;
    readonly ms: number;
    readonly records: number;
    readonly rejected: number;
    readonly badFrames: number;
    readonly memoryMb: number;
  };
  /** Box done minus the bare watcher's arrival of the run's last NOTIFY. */
  readonly lagMs: number;
  /**
   * The most NOTIFYs the bare watcher had received and the box had not, sampled every ~200 ms.
   * Kamailio does not feed its two WebSocket watchers evenly (either can be seconds ahead), so
   * this and `lagMs` carry that skew, both ways; a box that falls behind shows a backlog that
   * grows with the run.
   */
  readonly maxBacklog: number;
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
  let bareCount = { n: 0, firstAt: Number.NaN, doneAt: Number.NaN };
  let status = before;
  const deadline = Date.now() + options.timeoutMs;
  let published: { publishes: number; firstAt: number; lastAt: number } | undefined;
  // Every ~200 ms: how many NOTIFYs the bare watcher has had that the box has not taken yet.
  let maxBacklog = 0;
  let sampledAt = 0;
  for (;;) {
    if (Date.now() - sampledAt >= 200) {
      sampledAt = Date.now();
      bare.send("count");
      const m = await bare.next((x) => x.event === "count", 15_000);
      const boxNow = (await box.status()).notifies - before.notifies;
      maxBacklog = Math.max(maxBacklog, (m.n as number) - boxNow);
    }
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
    bare.send(`count ${expected}`);
    const m = await bare.next((x) => x.event === "count", 15_000);
    bareCount = { n: m.n as number, firstAt: m.firstAt as number, doneAt: (m.kthAt as number) ?? Number.NaN };
    if (bareCount.n >= expected || Date.now() > deadline) break;
    await Bun.sleep(100);
  }
  const boxDone = Math.max(lastCommit, notifiesAt);
  return {
    extensions: options.extensions,
    calls,
    publishes: published?.publishes ?? 0,
    publishMs: published ? published.lastAt - published.firstAt : Number.NaN,
    bare: {
      notifies: Math.min(bareCount.n, expected),
      total: bareCount.n,
      ms: bareCount.doneAt - bareCount.firstAt,
    },
    box: {
      notifies: Math.min(status.notifies - before.notifies, expected),
      total: status.notifies - before.notifies,
      ms: boxDone - firstCommit,
      records: status.records - before.records,
      rejected: status.pipeline.rejected - before.pipeline.rejected,
      badFrames: status.badFrames - before.badFrames,
      memoryMb: status.memoryMb,
    },
    lagMs: boxDone - bareCount.doneAt,
    maxBacklog,
    complete: published !== undefined && status.records - before.records >= calls && bareCount.n >= expected,
  };
}
