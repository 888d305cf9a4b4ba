// Call control on the demo's phone system (src/demo-pbx.ts, src/demo-control.ts), driven by the
// box's whole AMI adapter (client, translator, control): a demo's panel acts on a PBX that answers
// as Asterisk's manager.c does and plays what the action causes, so the translator must read it as
// the calls the recordings are (one outbound click-to-call owned by the employee, a transfer).
import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { DEMO_CALLS, type DemoCall } from "../src/demo-calls.ts";
import { type DemoPbx, startDemoPbx } from "../src/demo-pbx.ts";
import type { PbxControlResult } from "../src/domain/call/pbx-control.ts";
import type { PbxEvent } from "../src/domain/call/pbx-event.ts";
import { silentLogger } from "../src/log/logger.ts";
import { type AmiAdapter, createAmiAdapter } from "../src/pbx/ami/index.ts";
import { waitUntil } from "./support/ami-peer.ts";

interface Harness {
  readonly pbx: DemoPbx;
  readonly adapter: AmiAdapter;
  readonly events: PbxEvent[];
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.adapter.source.stop();
    await h.pbx.close();
  }
});

const callNamed = (name: string) => DEMO_CALLS.find((c) => c.name === name) as DemoCall;

async function harness(calls: readonly DemoCall[]): Promise<Harness> {
  const pbx = await startDemoPbx({ pace: "fast", log: silentLogger, calls });
  const adapter = createAmiAdapter({
    host: "127.0.0.1",
    port: pbx.port,
    username: pbx.section.username,
    secret: pbx.section.secret,
    handsets: ["101", "102"],
    log: silentLogger,
    client: { backoff: { baseMs: 10, capMs: 50 }, pingIntervalMs: 60_000 },
  });
  const events: PbxEvent[] = [];
  adapter.source.start(async (batch) => {
    events.push(...batch);
  });
  const h = { pbx, adapter, events };
  open.push(h);
  await waitUntil(() => adapter.client.status().state === "connected", 5_000, "connected");
  return h;
}

const soon = (ms = 10_000) => Date.now() + ms;
const kinds = (h: Harness, callId: string) => h.events.filter((e) => e.callId === callId).map((e) => e.kind);
const failure = (r: PbxControlResult) => (r.ok ? null : r.error);

/** The first answered leg on `extension` of a call still going, as the source reported it. */
async function liveLeg(h: Harness, extension: string): Promise<PbxEvent> {
  const live = () =>
    h.events.find(
      (e) =>
        e.kind === "answered" &&
        e.extension === extension &&
        !h.events.some((x) => x.callId === e.callId && x.kind === "call-end"),
    );
  await waitUntil(() => live() !== undefined, 20_000, `a call answered on ${extension}`);
  return live() as PbxEvent;
}

/** Asterisk transfers a party it has bridged ("Transfer invalid" before): the talk has begun. */
async function bridged(h: Harness, extension: string): Promise<void> {
  for (let found = false, deadline = soon(5_000); !found; ) {
    if (Date.now() > deadline) throw new Error(`${extension}'s leg never entered a bridge`);
    const channels = await h.adapter.client.sendList({ Action: "CoreShowChannels" });
    found = channels.items.some((c) => c.Channel?.startsWith(`PJSIP/${extension}-`) && c.BridgeId !== "");
  }
}

describe("the demo PBX carries out call control", () => {
  test("R2.1: Originate is queued, rings 101, dials the number and answers: ok with the box's callId; one outbound call placed by 101", async () => {
    const h = await harness([callNamed("voicemail-message")]);
    const told: string[] = [];
    const result = await h.adapter.control.originate({
      commandId: "demo-c2c-1",
      deadline: soon(),
      fromExtension: "101",
      to: "84951234567",
      onCall: (callId) => told.push(callId),
    });
    expect(failure(result)).toBeNull();
    expect(result.ok && result.value.callId).toBe("bb-demo-c2c-1");
    expect(told).toEqual(["bb-demo-c2c-1"]);
    await waitUntil(() => kinds(h, "bb-demo-c2c-1").includes("call-end"), 10_000, "the call's end");
    const call = h.events.filter((e) => e.callId === "bb-demo-c2c-1");
    const start = call.find((e) => e.kind === "call-start");
    expect(start).toMatchObject({
      extension: "101",
      from: { extension: "101" },
      to: { extension: null, number: "84951234567" },
    });
    const answered = call.filter((e) => e.kind === "answered");
    expect(answered.map((e) => e.extension)).toEqual(["101"]);
    // Talk time counts from the client's answer (R2.1): after the employee's pick-up, so after the
    // OriginateResponse that made the command ok.
    expect((answered[0] as PbxEvent).at).toBeGreaterThan(result.ok ? result.value.at : 0);
  });

  test("an Originate to a phone the demo does not have fails as Asterisk says it: Reason 0", async () => {
    const h = await harness([callNamed("voicemail-message")]);
    const result = await h.adapter.control.originate({
      commandId: "demo-c2c-2",
      deadline: soon(),
      fromExtension: "109",
      to: "84951234567",
      onCall: () => {},
    });
    expect(failure(result)?.code).toBe("PBX.CONTROL_FAILED");
    expect(failure(result)?.message).toContain("Reason 0");
    expect(h.events.filter((e) => e.callId === "bb-demo-c2c-2")).toEqual([]);
  });

  test("Hangup of 101 while it still rings for a click-to-call: ok, and the originate fails unanswered (Reason 1)", async () => {
    const h = await harness([callNamed("voicemail-message")]);
    const originated = h.adapter.control.originate({
      commandId: "demo-c2c-4",
      deadline: soon(),
      fromExtension: "101",
      to: "84951234567",
      onCall: () => {},
    });
    // The call starts as the employee's phone rings, on the leg that places it (R2.1).
    const placed = () => h.events.find((e) => e.callId === "bb-demo-c2c-4" && e.kind === "call-start");
    await waitUntil(() => placed() !== undefined, 5_000, "101 ringing");
    const ringing = placed() as PbxEvent;
    expect(ringing.extension).toBe("101");
    const hung = await h.adapter.control.hangup({
      commandId: "demo-hangup-3",
      deadline: soon(),
      callId: ringing.callId,
      legId: ringing.legId ?? "",
    });
    expect(failure(hung)).toBeNull();
    expect(failure(await originated)?.message).toContain("Reason 1");
    await waitUntil(() => kinds(h, "bb-demo-c2c-4").includes("call-end"), 2_000, "the call's end");
  });

  test("Hangup of the front desk's live call: ok, the call ends at once, and the loop plays its next call", async () => {
    const h = await harness([callNamed("inbound-front-desk-answered")]);
    const leg = await liveLeg(h, "101");
    const playedBefore = h.pbx.played();
    const result = await h.adapter.control.hangup({
      commandId: "demo-hangup-1",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
    });
    expect(failure(result)).toBeNull();
    await waitUntil(() => kinds(h, leg.callId).includes("call-end"), 2_000, "the call's end");
    // None of its channels is left, and the next playing begins (a new call, its own ids).
    const channels = await h.adapter.client.sendList({ Action: "CoreShowChannels" });
    expect(channels.items.filter((c) => c.Linkedid === leg.callId)).toEqual([]);
    await waitUntil(() => h.pbx.played() > playedBefore, 5_000, "the next call");
    await waitUntil(
      () => h.events.some((e) => e.kind === "call-start" && e.callId !== leg.callId),
      5_000,
      "the next call's start",
    );
  });

  test("Hangup of a click-to-call while it talks ends it; of a channel the demo has not: 'No such channel'", async () => {
    const h = await harness([callNamed("voicemail-message")]);
    const result = await h.adapter.control.originate({
      commandId: "demo-c2c-3",
      deadline: soon(),
      fromExtension: "102",
      to: "101",
      onCall: () => {},
    });
    expect(failure(result)).toBeNull();
    const leg = await liveLeg(h, "102");
    expect(leg.callId).toBe("bb-demo-c2c-3");
    const hung = await h.adapter.control.hangup({
      commandId: "demo-hangup-2",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
    });
    expect(failure(hung)).toBeNull();
    await waitUntil(() => kinds(h, leg.callId).includes("call-end"), 2_000, "the call's end");
    const gone = await h.adapter.client.send({ Action: "Hangup", Channel: "PJSIP/101-deadbeef" });
    expect(gone).toMatchObject({ Response: "Error", Message: "No such channel" });
  });

  test("BlindTransfer of 101's live call to 102: ok on the BlindTransfer event; 101 leaves, the caller rings 102, which answers", async () => {
    const h = await harness([callNamed("inbound-front-desk-answered")]);
    const leg = await liveLeg(h, "101");
    await bridged(h, "101");
    const result = await h.adapter.control.blindTransfer({
      commandId: "demo-xfer-1",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
      to: "102",
    });
    expect(failure(result)).toBeNull();
    await waitUntil(
      () => h.events.some((e) => e.callId === leg.callId && e.kind === "answered" && e.extension === "102"),
      5_000,
      "102 answering the transferred call",
    );
    const call = h.events.filter((e) => e.callId === leg.callId);
    expect(call.some((e) => e.kind === "transfer")).toBe(true);
    expect(call.some((e) => e.kind === "leg-ended" && e.legId === leg.legId)).toBe(true);
    await waitUntil(() => kinds(h, leg.callId).includes("call-end"), 10_000, "the call's end");
  });

  test("R2.3: Redirect of a call still ringing at 101 to 102: the ring at 101 is cancelled, the caller rings 102, which answers; ok on the Newexten", async () => {
    // The recording up to 101's pick-up: the call rings at 101 until the box acts.
    const full = callNamed("inbound-front-desk-answered");
    const upAt = full.frames.findIndex((f) => f.Event === "Newstate" && f.ChannelState === "6");
    const h = await harness([
      { ...full, frames: full.frames.slice(0, upAt), gapsMs: full.gapsMs.slice(0, upAt) },
    ]);
    await waitUntil(
      () => h.events.some((e) => e.kind === "ringing" && e.extension === "101"),
      10_000,
      "101 ringing",
    );
    const callId = h.events.find((e) => e.kind === "ringing" && e.extension === "101")?.callId ?? "";
    const result = await h.adapter.control.redirect({
      commandId: "demo-redir-1",
      deadline: soon(),
      callId,
      to: "102",
    });
    expect(failure(result)).toBeNull();
    await waitUntil(
      () => h.events.some((e) => e.callId === callId && e.kind === "answered" && e.extension === "102"),
      5_000,
      "102 answering the redirected call",
    );
    const call = h.events.filter((e) => e.callId === callId);
    expect(call.some((e) => e.kind === "answered" && e.extension === "101")).toBe(false);
    expect(call.some((e) => e.kind === "leg-ended" && e.extension === "101")).toBe(true);
    await waitUntil(() => kinds(h, callId).includes("call-end"), 10_000, "the call's end");
    const gone = await h.adapter.client.send({
      Action: "Redirect",
      Channel: "PJSIP/trunk-deadbeef",
      Exten: "102",
      Context: "from-internal",
    });
    expect(gone).toMatchObject({
      Response: "Error",
      Message: "Channel does not exist: PJSIP/trunk-deadbeef",
    });
  });

  test("Atxfer of 101's live call to 102: queued; 102 rings and answers the consultation; ok on AttendedTransfer, and the caller talks to 102", async () => {
    const h = await harness([callNamed("inbound-front-desk-answered")]);
    const leg = await liveLeg(h, "101");
    await bridged(h, "101");
    const result = await h.adapter.control.attendedTransfer({
      commandId: "demo-atxfer-1",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
      to: "102",
    });
    expect(failure(result)).toBeNull();
    const call = () => h.events.filter((e) => e.callId === leg.callId);
    await waitUntil(
      () =>
        call().some((e) => e.kind === "transfer") &&
        call().some((e) => e.kind === "leg-ended" && e.legId === leg.legId),
      5_000,
      "the transfer, 101's leg ended",
    );
    // The consultation is a call of its own (Asterisk's own Linkedid) in which 102 answered; the
    // transfer names it and 102's leg, which now carries the caller (attended-transfer.ami).
    const transfer = call().find((e) => e.kind === "transfer")?.transfer;
    expect(transfer).toMatchObject({ kind: "attended", fromLegId: leg.legId });
    const consult = h.events.filter((e) => e.callId === transfer?.consultCallId);
    expect(consult.find((e) => e.kind === "answered" && e.legId === transfer?.toLegId)?.extension).toBe(
      "102",
    );
    await waitUntil(() => kinds(h, leg.callId).includes("call-end"), 10_000, "the call's end");
  });

  test("call control is only for the logged-in manager user: before Login an Originate is refused and nothing plays", async () => {
    const pbx = await startDemoPbx({
      pace: "fast",
      log: silentLogger,
      calls: [callNamed("voicemail-message")],
    });
    try {
      const text = await new Promise<string>((resolve) => {
        let wire = "";
        const socket = connect({ host: "127.0.0.1", port: pbx.port });
        socket.on("data", (chunk) => {
          wire += chunk.toString("utf8");
          if (wire.endsWith("\r\n") && !wire.includes("ActionID"))
            socket.write(
              "Action: Originate\r\nActionID: o1\r\nChannel: Local/101@from-internal/n\r\nExten: 555\r\nContext: from-internal\r\nPriority: 1\r\nAsync: true\r\nChannelId: bb-sneak\r\n\r\n",
            );
          if (wire.includes("Message:")) socket.end();
        });
        socket.on("close", () => resolve(wire));
      });
      expect(text).toContain("Response: Error\r\nActionID: o1\r\nMessage: Authentication Required\r\n");
      expect(text).not.toContain("Event:");
      expect(pbx.played()).toBe(0);
    } finally {
      await pbx.close();
    }
  });
});
