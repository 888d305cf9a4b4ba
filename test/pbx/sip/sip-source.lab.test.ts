// The SIP source (src/pbx/sip/) over the lab's real Kamailio, with real baresip phones calling.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CallAssembler } from "../../../src/domain/call/call-assembler.ts";
import type { AssembledCall } from "../../../src/domain/call/call-types.ts";
import type { PbxEvent, PbxEventSource } from "../../../src/domain/call/pbx-event.ts";
import { createLogger, silentLogger } from "../../../src/log/logger.ts";
import { createSipSource } from "../../../src/pbx/sip/index.ts";
import { probeSipWebSocket } from "../../../src/pbx/sip/sip-probe.ts";
import { makeTestBox, TEST_TOKEN } from "../../support/box.ts";
import { type SipLab, startSipLab } from "../../support/sip-lab.ts";

const CLIENT = "74951234567";

let lab: SipLab;
let source: PbxEventSource;
const events: PbxEvent[] = [];
const keys = new Set<string>();
const assembler = new CallAssembler();
const finished: AssembledCall[] = [];
const rejected: string[] = [];

/** What the pipeline would do: drop repeated keys (the journal), fold the rest into calls. */
async function deliver(batch: readonly PbxEvent[]): Promise<void> {
  for (const event of batch) {
    events.push(event);
    if (keys.has(event.key)) continue;
    keys.add(event.key);
    const update = assembler.apply(event);
    if (update.rejected !== null) rejected.push(`${event.key}: ${update.rejected.code}`);
    finished.push(...update.finished);
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms; events: ${events.map((e) => e.key).join(", ")}`);
    }
    await Bun.sleep(20);
  }
}

const watching = () =>
  until("every subscription active", () =>
    source.status().subscriptions?.every((s) => s.state === "active") ? true : undefined,
  );

const finishedCall = (from: number) => until("a finished call", () => finished.slice(from)[0], 8000);

beforeAll(async () => {
  lab = await startSipLab();
  source = createSipSource({
    wsUrl: lab.wsUrl,
    domain: lab.domain,
    extensions: ["101", "102"],
    log: silentLogger,
    backoff: { baseMs: 200, capMs: 1000 },
  });
  source.start(deliver);
  await watching();
}, 20_000);

afterAll(async () => {
  await source?.stop();
  await lab?.stop();
});

describe("SIP source over a real Kamailio", () => {
  test("an inbound call answered on 101: ringing, answered, leg ended, call ended; one call", async () => {
    const client = lab.phone(CLIENT);
    const desk = lab.phone("101");
    const mark = finished.length;
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    const ringing = await until("ringing on 101", () =>
      events.find((e) => e.kind === "ringing" && e.extension === "101" && !keys.has(`${e.callId}:end`)),
    );
    await desk.answer();
    await until("answered", () => events.find((e) => e.kind === "answered" && e.callId === ringing.callId));
    await client.hangup();
    const call = await finishedCall(mark);
    expect(call.id).toBe(ringing.callId);
    expect(call.direction).toBe("inbound");
    expect(call.from.number).toBe(CLIENT);
    expect(call.outcome).toBe("answered");
    expect(call.legs.map((l) => [l.extension, l.ending])).toEqual([["101", "completed"]]);
    expect(rejected).toEqual([]);
  }, 20_000);

  test("a call from outside nobody answers is missed", async () => {
    const client = lab.phone(CLIENT);
    const desk = lab.phone("101");
    const mark = finished.length;
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    await until("ringing", () =>
      events.find((e) => e.kind === "ringing" && !finished.some((c) => c.id === e.callId)),
    );
    await client.hangup();
    const call = await finishedCall(mark);
    expect(call.outcome).toBe("missed");
    expect(call.legs.map((l) => [l.extension, l.ending])).toEqual([["101", "missed"]]);
  }, 20_000);

  test("R1.3 blind transfer 101 → 102: one call, 101's leg transferred, 102's completed", async () => {
    const client = lab.phone(CLIENT);
    const desk = lab.phone("101");
    const colleague = lab.phone("102");
    const mark = finished.length;
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    await desk.answer();
    await client.waitFor("CALL_ESTABLISHED");
    await desk.transfer("102");
    await colleague.waitFor("CALL_INCOMING");
    await colleague.answer();
    await colleague.waitFor("CALL_ESTABLISHED");
    await client.hangup();
    const call = await finishedCall(mark);
    expect(call.legs.map((l) => [l.extension, l.ending])).toEqual([
      ["101", "transferred"],
      ["102", "completed"],
    ]);
    expect(call.legs[1]?.transferredFrom).toBe(call.legs[0]?.id ?? "");
    expect(finished.length).toBe(mark + 1);
    expect(rejected).toEqual([]);
  }, 20_000);

  test("an internal call 101 → 102, both watched: one call, placed by 101, answered by 102", async () => {
    const a = lab.phone("101");
    const b = lab.phone("102");
    const mark = finished.length;
    await a.dial("102");
    await b.waitFor("CALL_INCOMING");
    await b.answer();
    await a.waitFor("CALL_ESTABLISHED");
    await a.hangup();
    await b.waitFor("CALL_CLOSED");
    const call = await finishedCall(mark);
    expect(call.direction).toBe("internal");
    expect(call.outcome).toBe("answered");
    expect(call.legs.map((l) => [l.extension, l.placedCall, l.ending])).toEqual([
      ["101", true, "completed"],
      ["102", false, "completed"],
    ]);
    expect(rejected).toEqual([]);
  }, 20_000);

  test("two calls at once: the client to 101 (answered) and 103 to 102 (missed), each its own", async () => {
    const mark = finished.length;
    await lab.phone(CLIENT).dial("101");
    await lab.phone("103").dial("102");
    await lab.phone("101").waitFor("CALL_INCOMING");
    await lab.phone("102").waitFor("CALL_INCOMING");
    await lab.phone("101").answer();
    await lab.phone(CLIENT).waitFor("CALL_ESTABLISHED");
    await lab.phone("103").hangup();
    const missed = await finishedCall(mark);
    await lab.phone(CLIENT).hangup();
    const answered = await until("the second call", () => finished.slice(mark + 1)[0], 8000);
    expect([missed.from.number, missed.outcome, missed.legs.map((l) => l.extension)]).toEqual([
      "103",
      "missed",
      ["102"],
    ]);
    expect([answered.from.number, answered.outcome, answered.legs.map((l) => l.extension)]).toEqual([
      CLIENT,
      "answered",
      ["101"],
    ]);
    expect(rejected).toEqual([]);
  }, 20_000);

  test("Kamailio restarted mid-call: the call in flight ends by resync, the watcher is back within 10 s", async () => {
    const client = lab.phone(CLIENT);
    const desk = lab.phone("101");
    const mark = finished.length;
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    await desk.answer();
    const answered = await until("answered", () =>
      events.find((e) => e.kind === "answered" && !finished.some((c) => c.id === e.callId)),
    );
    const restartedAt = Date.now();
    await lab.restartKamailio();
    // The restarted server has no dialog for the call any more: the first full state ends it.
    const ended = await finishedCall(mark);
    expect(ended.id).toBe(answered.callId);
    await watching();
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    await client.hangup().catch(() => {});
    await desk.hangup().catch(() => {});
    // The next call is seen and recorded once.
    const next = finished.length;
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    await desk.answer();
    await client.waitFor("CALL_ESTABLISHED");
    await client.hangup();
    const call = await finishedCall(next);
    expect(call.outcome).toBe("answered");
    expect(finished.filter((c) => c.id === call.id)).toHaveLength(1);
    expect(source.status().state).toBe("connected");
  }, 30_000);

  test("status: the link and each extension's subscription", () => {
    const status = source.status();
    expect(status.state).toBe("connected");
    expect(status.badFrames).toBe(0);
    expect(status.subscriptions?.map((s) => [s.target, s.state])).toEqual([
      ["101", "active"],
      ["102", "active"],
    ]);
  });
});

test("[pbx.sip] in a box: the call is recorded; admin page and /metrics show each subscription", async () => {
  const box = await makeTestBox({
    config: { pbx: { sip: { ws_url: lab.wsUrl, extensions: ["101", "102"], domain: lab.domain } } },
  });
  try {
    const name = box.sources[0]?.name ?? "";
    expect(name).toBe(`sip:${new URL(lab.wsUrl).host}`);
    await until("the box's subscriptions active", () =>
      box.sources[0]?.status().subscriptions?.every((s) => s.state === "active") ? true : undefined,
    );
    const client = lab.phone(CLIENT);
    const desk = lab.phone("101");
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    await desk.answer();
    await client.waitFor("CALL_ESTABLISHED");
    await client.hangup();
    // A condition, not a speed: a busy machine (CI beside other work) once took longer than 8 s.
    await until("a call recorded", () => (box.calls.status().recorded >= 1 ? true : undefined), 30_000);
    const html = await (await box.api("/admin?lang=en")).text();
    expect(html).toContain(`data-testid="pbx-subscription-${name}-101"`);
    expect(html).toContain("101: watched");
    expect(html).toContain("102: watched");
    const metrics = await (
      await box.app.request("/metrics", { headers: { authorization: `Bearer ${TEST_TOKEN}` } })
    ).text();
    expect(metrics).toContain(`branchbox_pbx_subscription_active{source="${name}",target="101"} 1`);
  } finally {
    await box.close();
  }
}, 60_000);

test("doctor's probe: Kamailio's WebSocket answers OPTIONS in SIP", async () => {
  const result = await probeSipWebSocket(lab.wsUrl);
  expect(result.detail).toStartWith(`${lab.wsUrl}: SIP over WebSocket answers OPTIONS (`);
  expect(result.ok).toBe(true);
});

test("REGISTER first, short subscriptions that sip.js refreshes, OPTIONS pings: still watching after two refreshes", async () => {
  const seen: PbxEvent[] = [];
  const logged: string[] = [];
  const short = createSipSource({
    wsUrl: lab.wsUrl,
    domain: lab.domain,
    extensions: ["101"],
    username: "watcher",
    register: true,
    expiresSec: 3,
    // Pinged often: Kamailio answers each OPTIONS (Max-Forwards 0) itself, the link stays up.
    pingIntervalMs: 300,
    log: createLogger({ level: "info", write: (line) => void logged.push(line) }),
  });
  short.start(async (batch) => void seen.push(...batch));
  try {
    await until("subscribed", () =>
      short.status().subscriptions?.[0]?.state === "active" ? true : undefined,
    );
    expect(lab.logs()).toContain("REQ REGISTER sip:127.0.0.1 from sip:watcher@127.0.0.1 (ws:");
    // The first SUBSCRIBE and two refreshes (at 90% of the 3 s granted) reach Kamailio.
    const subscribes = () => lab.logs().match(/REQ SUBSCRIBE \S+ from sip:watcher@/g)?.length ?? 0;
    await until("two refreshes", () => (subscribes() >= 3 ? true : undefined), 15_000);
    const client = lab.phone(CLIENT);
    const desk = lab.phone("101");
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    await until("ringing seen after the refreshes", () => seen.find((e) => e.kind === "ringing"));
    await client.hangup();
    await until("the call's end", () => seen.find((e) => e.kind === "call-end"));
    expect(short.status().subscriptions?.[0]?.state).toBe("active");
    expect(short.status().state).toBe("connected");
    expect(logged.filter((line) => line.includes("SIP link down"))).toEqual([]);
  } finally {
    await short.stop();
  }
}, 30_000);

test("the box restarts while a call is live and the call ends meanwhile: the new box ends it from the journal, once", async () => {
  const config = { pbx: { sip: { ws_url: lab.wsUrl, extensions: ["101"], domain: lab.domain } } };
  const dir = mkdtempSync(join(tmpdir(), "branchbox-sip-restart-"));
  const first = await makeTestBox({ config, dir });
  const active = (box: typeof first) =>
    until("subscribed", () =>
      box.sources[0]?.status().subscriptions?.[0]?.state === "active" ? true : undefined,
    );
  await active(first);
  const client = lab.phone(CLIENT);
  const desk = lab.phone("101");
  await client.dial("101");
  await desk.waitFor("CALL_INCOMING");
  await desk.answer();
  await client.waitFor("CALL_ESTABLISHED");
  await until("the call live in the box", () => (first.calls.live()[0]?.answeredAt ? true : undefined));
  const callId = first.calls.live()[0]?.id ?? "";
  await first.close();
  await client.hangup();
  await desk.waitFor("CALL_CLOSED");
  const second = await makeTestBox({ config, dir });
  try {
    expect(second.calls.live().map((c) => c.id)).toEqual([callId]);
    await active(second);
    await until("the call ended by the resync", () => (second.calls.live().length === 0 ? true : undefined));
    const records = (await (await second.api("/api/v1/calls?limit=10")).json()) as { id: string }[];
    expect(records.filter((r) => r.id === callId)).toHaveLength(1);
  } finally {
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 20_000);
