import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import mqtt from "mqtt";
import type { Relay } from "../../src/sync/relay/index.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { makeBranch, type TestBranch } from "../support/relay-fixture.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";
import { eventually, startTestHq, type TestHq } from "../support/test-hq.ts";

let broker: Mosquitto;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.stop();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Each test uses its own branch id, so retained state and acks of one never reach another.
let branchNo = 0;
function branch(): TestBranch {
  const b = makeBranch(`relay${++branchNo}`);
  cleanups.push(() => b.close());
  return b;
}
function started(relay: Relay): Relay {
  relay.start();
  cleanups.push(() => relay.stop());
  return relay;
}
async function hq(options: Parameters<typeof startTestHq>[1] = {}): Promise<TestHq> {
  const h = await startTestHq(broker.url, options);
  cleanups.push(() => h.close());
  return h;
}
const seqs = (records: { seq: number }[]) => records.map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test("records reach HQ in seq order as valid envelopes, and rows go only after HQ's ack", async () => {
  const b = branch();
  b.write("roster", 1200);
  b.write("calls", 30);
  const h = await hq();
  const relay = started(b.relay({ url: broker.url }));
  await h.waitApplied(b.id, "roster", 1200);
  await h.waitApplied(b.id, "calls", 30);
  expect(seqs(h.applied(b.id, "roster"))).toEqual(range(1, 1200));
  expect(seqs(h.applied(b.id, "calls"))).toEqual(range(1, 30));
  expect(h.invalid).toEqual([]);
  expect(Math.max(...h.envelopes.map((e) => e.records.length))).toBeLessThanOrEqual(500);
  await eventually("rows deleted after the ack", () => Object.keys(b.outbox.backlog()).length === 0);
  expect(b.outbox.ackedThrough("roster")).toBe(1200);
  expect(relay.status().streams.roster).toMatchObject({ backlog: 0, ackedThrough: 1200 });

  // Live: a commit after the connect leaves at once on wake().
  b.write("roster", 1);
  relay.wake();
  await h.waitApplied(b.id, "roster", 1201, 500);
});

test("a PUBACK is not an ack: with an HQ that never acks, rows stay and a restarted relay sends them again", async () => {
  const b = branch();
  b.write("roster", 100);
  const h = await hq({ ack: "never" });
  const first = b.relay({ url: broker.url });
  first.start();
  await h.waitApplied(b.id, "roster", 100);
  await Bun.sleep(300);
  expect(b.outbox.backlog()).toEqual({ roster: 100 });
  expect(first.status().streams.roster).toMatchObject({ sentThrough: 100, ackedThrough: 0, inflight: 0 });
  await first.stop();

  const second = started(b.relay({ url: broker.url }));
  await eventually("the 100 records re-sent", () => h.duplicates(b.id, "roster") === 100);
  expect(h.envelopes.filter((e) => e.seqFrom === 1)).toHaveLength(2);
  expect(b.outbox.backlog()).toEqual({ roster: 100 });
  expect(second.status().epoch).toBeGreaterThan(first.status().epoch);
});

test("nothing is sent while HQ's retained state is offline; the backlog drains once it is online", async () => {
  const b = branch();
  b.write("intents", 40);
  const h = await hq({ online: false });
  const relay = started(b.relay({ url: broker.url }));
  await eventually("connected", () => relay.status().state === "connected");
  await Bun.sleep(500);
  expect(h.envelopes.filter((e) => e.branch === b.id)).toEqual([]);
  expect(relay.status().hqOnline).toBe(false);
  await h.setOnline(true);
  await h.waitApplied(b.id, "intents", 40, 3000);
  expect(h.envelopes.every((e) => e.historical)).toBe(true);
  await h.setOnline(false);
  await eventually("HQ seen offline", () => !relay.status().hqOnline);
  b.write("intents", 5);
  relay.wake();
  await Bun.sleep(400);
  expect(h.applied(b.id, "intents")).toHaveLength(40);
});

test("live records go first; the backlog drains as 1 envelope in 4, marked historical", async () => {
  const b = branch();
  b.write("calls", 1000);
  const h = await hq({ online: false });
  const relay = started(b.relay({ url: broker.url }, { maxRecords: 100 }));
  await eventually("connected", () => relay.status().state === "connected");
  b.write("calls", 600); // committed after the connect: live
  await h.setOnline(true);
  await h.waitApplied(b.id, "calls", 1600);
  const mine = h.envelopes.filter((e) => e.branch === b.id);
  expect(mine.slice(0, 8).map((e) => e.historical)).toEqual([
    false,
    false,
    false,
    true,
    false,
    false,
    false,
    true,
  ]);
  expect(mine[0]?.seqFrom).toBe(1001);
  expect(mine.filter((e) => e.historical).every((e) => e.seqTo <= 1000)).toBe(true);
  expect(mine.filter((e) => !e.historical).every((e) => e.seqFrom > 1000)).toBe(true);
  expect(seqs(h.applied(b.id, "calls"))).toEqual(range(1, 1600));
  expect(h.duplicates(b.id, "calls")).toBe(0);
});

test("a successful HQ ack resets the reconnect backoff: a link that dies young after real progress retries soon", async () => {
  const b = branch();
  const h = await hq({ online: false });
  const proxy = await startTcpProxy(broker.port);
  cleanups.push(() => proxy.close());
  // Full jitter at its ceiling (random = 1), and no connection lives long enough to count as healthy.
  const tuning = { backoffBaseMs: 100, backoffCapMs: 10_000, healthyAfterMs: 600_000 };
  const relay = started(b.relay({ url: `mqtt://127.0.0.1:${proxy.port}` }, tuning, () => 1));
  const delays = () => b.logs.filter((l) => l.code === "SYNC.LINK_DOWN").map((l) => l.retryInMs);
  // While HQ is offline nothing is acknowledged: each cut link waits twice as long.
  for (let cuts = 1; cuts <= 3; cuts++) {
    await eventually("connected", () => relay.status().state === "connected");
    proxy.cutAll();
    await eventually("link down", () => delays().length === cuts);
  }
  expect(delays()).toEqual([100, 200, 400]);
  await eventually("connected", () => relay.status().state === "connected");
  await h.setOnline(true);
  b.write("calls", 5);
  relay.wake();
  await eventually("acknowledged", () => relay.status().streams.calls.ackedThrough === 5);
  proxy.cutAll();
  await eventually("link down", () => delays().length === 4);
  expect(delays()[3]).toBe(100); // 800 without the reset
});

test("presence: retained birth with a growing epoch, the Last Will when the link dies, offline on stop", async () => {
  const b = branch();
  b.write("roster", 3);
  await hq();
  const proxy = await startTcpProxy(broker.port);
  cleanups.push(() => proxy.close());
  const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  cleanups.push(() => watcher.endAsync(true));
  const states: { online: boolean; epoch: number; version?: string; backlog?: number }[] = [];
  watcher.on("message", (_t, payload) => states.push(JSON.parse(payload.toString())));
  await watcher.subscribeAsync(`branchbox/v1/${b.id}/state`, { qos: 1 });

  const relay = b.relay({ url: `mqtt://127.0.0.1:${proxy.port}` }, { backoffBaseMs: 50 });
  relay.start();
  await eventually("birth", () => states.some((s) => s.online));
  const birth = states.find((s) => s.online);
  expect(birth).toMatchObject({ online: true, version: "0.1.0-test", backlog: 3 });
  const epoch1 = birth?.epoch ?? 0;

  proxy.cutAll();
  await eventually("Last Will", () => states.some((s) => !s.online && s.epoch === epoch1));
  await eventually("second birth", () => states.some((s) => s.online && s.epoch > epoch1));
  const epoch2 = states.findLast((s) => s.online)?.epoch ?? 0;
  expect(relay.status().reconnects).toBeGreaterThanOrEqual(1);

  await relay.stop();
  await eventually("offline on stop", () => states.some((s) => !s.online && s.epoch === epoch2));

  // Retained: someone who looks later sees the last word.
  const late = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  cleanups.push(() => late.endAsync(true));
  const seen = new Promise<string>((r) => late.on("message", (_t, p) => r(p.toString())));
  await late.subscribeAsync(`branchbox/v1/${b.id}/state`, { qos: 1 });
  expect(JSON.parse(await seen)).toEqual({ online: false, epoch: epoch2 });
});

test("HQ's replay ack deletes through `through` and rewinds the relay to through + 1", async () => {
  const b = branch();
  b.write("roster", 50);
  const h = await hq({ ack: "never" });
  started(b.relay({ url: broker.url }));
  await h.waitApplied(b.id, "roster", 50);
  const before = h.envelopes.length;
  await h.sendAck(b.id, { v: 1, stream: "roster", through: 20, replay: true });
  await eventually("records 21.. re-sent", () => h.duplicates(b.id, "roster") === 30);
  expect(h.envelopes.slice(before).map((e) => e.seqFrom)).toEqual([21]);
  // Acks reach the outbox within ackFlushMs (AckCoalescer), not at once.
  await eventually("rows through 20 deleted", () => b.outbox.backlog().roster === 30);
  expect(b.outbox.backlog()).toEqual({ roster: 30 });
  expect(b.outbox.ackedThrough("roster")).toBe(20);
});

test("SYNC.BAD_ACK: malformed JSON, a wrong schema and an ack past the last record are counted and ignored", async () => {
  const b = branch();
  b.write("roster", 10);
  const h = await hq({ ack: "never" });
  const relay = started(b.relay({ url: broker.url }));
  await h.waitApplied(b.id, "roster", 10);
  await h.sendRaw(b.id, "{not json");
  await h.sendAck(b.id, { v: 1, stream: "nope", through: 5 });
  await h.sendAck(b.id, { v: 1, stream: "roster", through: 5, extra: true });
  await h.sendAck(b.id, { v: 1, stream: "roster", through: 99 });
  await eventually("4 bad acks", () => relay.status().badAcks === 4);
  expect(b.logs.filter((l) => l.code === "SYNC.BAD_ACK")).toHaveLength(4);
  expect(b.outbox.backlog()).toEqual({ roster: 10 });
  await h.sendAck(b.id, { v: 1, stream: "roster", through: 10 });
  await eventually("a good ack still works", () => Object.keys(b.outbox.backlog()).length === 0);
});
