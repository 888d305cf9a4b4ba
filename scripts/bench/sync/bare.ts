import { join } from "node:path";
import type { Children, Message } from "../lib/children.ts";
import { type UseSplit, useNow, useSince } from "./drain.ts";

/**
 * The bare mqtt.js baseline on the same broker: a subscriber process that counts and a publisher
 * process, both plain mqtt.js (scripts/bench/sync/bare-peer.ts). Timed from the publisher's first
 * publish to the subscriber's last arrival; the two read one machine clock.
 */

export interface BareThroughput {
  readonly count: number;
  readonly ms: number;
  readonly complete: boolean;
  readonly received: number;
  readonly duplicates: number;
  readonly missing: number;
  readonly outOfRange: number;
  /** CPU and writes of the publisher, the subscriber and the broker during the run. */
  readonly use: UseSplit;
}

export interface BareOptions {
  readonly dir: string;
  readonly brokerUrl: string;
  readonly children: Children;
  readonly seed: number;
}

const PEER = "scripts/bench/sync/bare-peer.ts";

/** The arguments both sides of the bare loop share. */
const peerArgs = (options: BareOptions & { count: number }) => [
  ...["--url", options.brokerUrl],
  ...["--count", String(options.count)],
  ...["--seed", String(options.seed)],
];

export async function runBareThroughput(
  options: BareOptions & { count: number; inflight: number; timeoutMs: number; brokerPid: number },
): Promise<BareThroughput> {
  const common = peerArgs(options);
  const sub = options.children.spawn("bare sub", [PEER, "sub", ...common], join(options.dir, "bare-sub.log"));
  try {
    await sub.next((m) => m.event === "ready", 10_000);
    const pub = options.children.spawn(
      "bare pub",
      [PEER, "pub", ...common, "--inflight", String(options.inflight)],
      join(options.dir, "bare-pub.log"),
    );
    const pids = { pub: pub.pid, sub: sub.pid, broker: options.brokerPid };
    const before = useNow(pids);
    try {
      const sent = await pub.next((m) => m.event === "done", options.timeoutMs);
      let got: Message;
      let complete = true;
      try {
        got = await sub.next((m) => m.event === "done", 5000);
      } catch {
        complete = false;
        sub.send("status");
        got = await sub.next((m) => m.event === "status", 5000);
      }
      const use = useSince(pids, before);
      return {
        count: options.count,
        ms: Number(got.lastAt) - Number(sent.firstAt),
        complete,
        received: Number(got.received),
        duplicates: Number(got.duplicates),
        missing: Number(got.missing),
        outOfRange: Number(got.outOfRange),
        use,
      };
    } finally {
      await pub.stop();
    }
  } finally {
    await sub.stop();
  }
}

/** Publish → arrival, ms, per message (in publish order), paced at `rate`/s. */
export async function runBareLatency(
  options: BareOptions & { count: number; rate: number; timeoutMs: number },
): Promise<number[]> {
  const common = peerArgs(options);
  const sub = options.children.spawn(
    "bare sub",
    [PEER, "sub", ...common, "--times"],
    join(options.dir, "bare-sub-latency.log"),
  );
  try {
    await sub.next((m) => m.event === "ready", 10_000);
    const pub = options.children.spawn(
      "bare pub",
      [PEER, "pub", ...common, "--pace", String(options.rate)],
      join(options.dir, "bare-pub-latency.log"),
    );
    try {
      const sent = await pub.next((m) => m.event === "done", options.timeoutMs);
      const got = await sub.next((m) => m.event === "done", 5000);
      const arrivals = new Map<string, number>();
      for (const [stream, seq, at] of got.arrivals as [string, number, number][])
        arrivals.set(`${stream}/${seq}`, at);
      return (sent.sends as [string, number, number][]).map(
        ([stream, seq, at]) => (arrivals.get(`${stream}/${seq}`) ?? Number.NaN) - at,
      );
    } finally {
      await pub.stop();
    }
  } finally {
    await sub.stop();
  }
}
