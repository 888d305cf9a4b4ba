#!/usr/bin/env bun
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { epochMs, say } from "../lib/say.ts";
import { recordFactory, recordJson, streamCounts } from "./record-gen.ts";

/**
 * The baseline, one side per process: bare mqtt.js on the same broker, no SQLite, no envelope,
 * no HQ ack. Topics `bench/bare/{stream}` (HQ's shared subscription does not see them).
 *
 *   sub  subscribes at QoS 1, counts what arrives and checks every seq once per stream (read from
 *        the payload's head, not parsed); with --times, keeps each message's arrival instant
 *   pub  publishes the bench records one per message at QoS 1, at most --inflight unacknowledged
 *        (as fast as PUBACKs allow), or paced at --pace per second with each send instant kept
 *
 * Messages to the bench are JSON lines on stdout.
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    url: { type: "string" },
    count: { type: "string" },
    seed: { type: "string" },
    inflight: { type: "string" },
    pace: { type: "string" },
    times: { type: "boolean" },
  },
});
const mode = process.argv[2];
const url = values.url;
const count = Number(values.count ?? 0);
if ((mode !== "sub" && mode !== "pub") || url === undefined || !(count > 0)) {
  console.error(
    "usage: bare-peer.ts sub|pub --url MQTT_URL --count N [--seed S --inflight K --pace R --times]",
  );
  process.exit(2);
}

const client = await mqtt.connectAsync(url, {
  protocolVersion: 5,
  clientId: `bench-bare-${mode}-${process.pid}`,
  clean: true,
  reconnectPeriod: 0,
  keepalive: 30,
});

if (mode === "sub") {
  const expected = streamCounts(count);
  const seen = { calls: new Uint8Array(expected.calls + 1), roster: new Uint8Array(expected.roster + 1) };
  const SEQ = Buffer.from('"seq":');
  const arrivals: [string, number, number][] = [];
  let received = 0;
  let duplicates = 0;
  let outOfRange = 0;
  let firstAt = 0;
  let lastAt = 0;
  const report = (event: string) => {
    const missing = (s: "calls" | "roster") => seen[s].subarray(1).filter((x) => x === 0).length;
    say(event, {
      received,
      duplicates,
      outOfRange,
      missing: missing("calls") + missing("roster"),
      firstAt,
      lastAt,
      ...(values.times ? { arrivals } : {}),
    });
  };
  client.on("message", (topic, payload) => {
    const at = epochMs();
    if (received === 0) firstAt = at;
    lastAt = at;
    received++;
    const stream = topic.endsWith("/roster") ? "roster" : "calls";
    let i = payload.indexOf(SEQ) + SEQ.length;
    let seq = 0;
    for (let c = payload[i]; c !== undefined && c >= 48 && c <= 57; c = payload[++i]) seq = seq * 10 + c - 48;
    const marks = seen[stream];
    if (seq < 1 || seq >= marks.length) outOfRange++;
    else if (marks[seq] === 1) duplicates++;
    else marks[seq] = 1;
    if (values.times) arrivals.push([stream, seq, at]);
    if (received === count) report("done");
  });
  void (async () => {
    for await (const line of console) if (line === "status") report("status");
  })();
  await client.subscribeAsync("bench/bare/#", { qos: 1 });
  say("ready");
} else {
  const make = recordFactory(Number(values.seed ?? 1));
  const limit = Number(values.inflight ?? 100);
  const pace = values.pace === undefined ? 0 : Number(values.pace);
  const sends: [string, number, number][] = [];
  let next = 0;
  let inflight = 0;
  let acked = 0;
  const firstAt = epochMs();
  const publishOne = () => {
    const ts = Date.now();
    const r = make(next++, ts);
    if (pace > 0) sends.push([r.stream, r.seq, epochMs()]);
    inflight++;
    client.publish(`bench/bare/${r.stream}`, recordJson(r, ts), { qos: 1 }, (error) => {
      if (error) say("error", { message: error.message });
      inflight--;
      acked++;
      if (acked === count) say("done", { firstAt, lastAckAt: epochMs(), ...(pace > 0 ? { sends } : {}) });
      else if (pace === 0) fill();
    });
  };
  const fill = () => {
    while (inflight < limit && next < count) publishOne();
  };
  if (pace === 0) fill();
  else {
    const stepMs = 1000 / pace;
    const start = performance.now() + 100;
    while (next < count) {
      await Bun.sleep(Math.max(0, start + next * stepMs - performance.now()));
      publishOne();
    }
  }
}
process.once("SIGTERM", () => {
  client.end(true);
  process.exit(0);
});
