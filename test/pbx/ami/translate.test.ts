import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import type { PbxEvent } from "../../../src/domain/call/pbx-event.ts";
import { AmiTranslator } from "../../../src/pbx/ami/ami-translate.ts";
import { readTranscript, TRANSCRIPTS } from "../../support/ami-transcript.ts";

const translator = () => new AmiTranslator({ source: "ami:pbx.test" });

function run(file: string, t = translator()): PbxEvent[] {
  return readTranscript(file).frames.flatMap((frame) => t.translate(frame));
}

/** One line per event: what matters to the assembler, without ids and times. */
function describeEvent(e: PbxEvent): string {
  const parts: string[] = [e.kind];
  if (e.extension !== null) parts.push(e.extension);
  if (e.cause !== undefined) parts.push(e.cause);
  if (e.kind === "call-start") {
    parts.push(
      `from=${e.from?.number}${e.from?.extension ? `/${e.from.extension}` : ""}`,
      `to=${e.to?.number}`,
    );
    if (e.did) parts.push(`did=${e.did}`);
  }
  if (e.leftMessage === true) parts.push("message");
  if (e.transfer !== undefined) parts.push(`${e.transfer.kind}→${e.transfer.toExtension}`);
  return parts.join(" ");
}

const INBOUND = "call-start from=+79161234567 to=74957654321 did=74957654321";

describe("AMI transcripts → PbxEvents", () => {
  test("R0.2 R0.3: inbound answered on the front desk 101", () => {
    expect(run("inbound-front-desk-answered.ami").map(describeEvent)).toEqual([
      INBOUND,
      "ringing 101",
      "answered 101",
      "leg-ended 101 normal",
      "call-end",
    ]);
  });

  test("ring group of six: one leg per handset; the five not answering end answered-elsewhere (cause 26)", () => {
    const events = run("ring-group-answered.ami");
    const six = ["101", "102", "103", "104", "105", "106"];
    expect(events.map(describeEvent)).toEqual([
      INBOUND,
      ...six.map((ext) => `ringing ${ext}`),
      "answered 103",
      ...six.filter((ext) => ext !== "103").map((ext) => `leg-ended ${ext} answered-elsewhere`),
      "leg-ended 103 normal",
      "call-end",
    ]);
    expect(new Set(events.map((e) => e.callId)).size).toBe(1);
  });

  test("R3.3: ring group nobody answers: six legs ring out (DialEnd NOANSWER), one call ends", () => {
    const events = run("ring-group-missed.ami");
    expect(events.filter((e) => e.kind === "leg-ended").map((e) => e.cause)).toEqual(
      Array(6).fill("no-answer"),
    );
    expect(events.filter((e) => e.kind === "call-end")).toHaveLength(1);
  });

  test("a branch phone calling into one of the PBX's queues places an internal call (the queue number is the branch's), not an outbound one", () => {
    const t = new AmiTranslator({ source: "ami:pbx.test", knownExtensions: () => new Set(["101", "102"]) });
    const phone = { Channel: "PJSIP/101-00000001", Uniqueid: "1.1", Linkedid: "1.1" };
    const events = [
      {
        Event: "Newchannel",
        ...phone,
        ChannelState: "4",
        CallerIDNum: "101",
        Exten: "600",
        Context: "internal",
        Timestamp: "1700000000.000",
      },
      { Event: "QueueCallerJoin", ...phone, Queue: "support", Timestamp: "1700000001.000" },
    ].flatMap((frame) => t.translate(frame));
    expect(events.map((e) => [e.kind, e.to?.number, e.to?.extension])).toEqual([
      ["call-start", "600", "600"],
      ["queued", undefined, undefined],
    ]);
  });

  test("R0.1: queue: queued, then the members' handsets (not their Local channels) as legs", () => {
    const events = run("queue-answered.ami");
    expect(events.map(describeEvent)).toEqual([
      "call-start from=+79035550142 to=74957654321 did=74957654321",
      "queued",
      "ringing 102",
      "leg-ended 102 no-answer",
      "ringing 101",
      "answered 101",
      "leg-ended 101 normal",
      "call-end",
    ]);
    expect(events.every((e) => !e.legId?.startsWith("Local"))).toBe(true);
    expect(events.find((e) => e.kind === "queued")?.key).toEndWith(":queued:400");
  });

  test("the caller gives up while 101 rings: the leg is cancelled (DialEnd CANCEL, cause 0)", () => {
    expect(run("caller-cancels.ami").map(describeEvent).slice(1)).toEqual([
      "ringing 101",
      "leg-ended 101 cancelled",
      "call-end",
    ]);
  });

  test("busy: DialEnd BUSY and cause 17 → busy", () => {
    expect(run("busy.ami").map(describeEvent).slice(1)).toEqual([
      "ringing 102",
      "leg-ended 102 busy",
      "call-end",
    ]);
  });

  test("R4.5: voicemail after no answer, with a message (VM_MESSAGEFILE / VMSTATUS=SUCCESS)", () => {
    expect(run("voicemail-message.ami").map(describeEvent).slice(1)).toEqual([
      "ringing 102",
      "leg-ended 102 no-answer",
      "voicemail 102",
      "voicemail message",
      "call-end",
    ]);
  });

  test("R4.5: voicemail without a message reports no message", () => {
    const events = run("voicemail-no-message.ami");
    expect(events.filter((e) => e.kind === "voicemail").map((e) => e.leftMessage)).toEqual([false]);
  });

  test("R2.3 R1.3: blind transfer 101 → 102: the transfer names 101's leg and extension 102", () => {
    const events = run("blind-transfer.ami");
    expect(events.map(describeEvent).slice(1)).toEqual([
      "ringing 101",
      "answered 101",
      "transfer 101 blind→102",
      "leg-ended 101 normal",
      "ringing 102",
      "answered 102",
      "leg-ended 102 normal",
      "call-end",
    ]);
    const first = events.find((e) => e.kind === "ringing");
    expect(events.find((e) => e.kind === "transfer")?.transfer?.fromLegId).toBe(first?.legId ?? "");
  });

  test("R2.4: attended transfer: the consultation has its own Linkedid and is joined through the event", () => {
    const events = run("attended-transfer.ami");
    const [main, consult] = events.filter((e) => e.kind === "call-start");
    expect(consult?.callId).not.toBe(main?.callId);
    expect(consult?.from?.extension).toBe("101");
    const transfer = events.find((e) => e.kind === "transfer");
    const target = events.find((e) => e.kind === "answered" && e.extension === "102");
    const orig = events.find((e) => e.kind === "answered" && e.callId === main?.callId);
    expect(transfer?.callId).toBe(main?.callId ?? "");
    expect(transfer?.transfer).toEqual({
      kind: "attended",
      fromLegId: orig?.legId ?? "",
      toExtension: "102",
      consultCallId: consult?.callId ?? null,
      toLegId: target?.legId ?? null,
    });
    // After the transfer everything is the main call's, and only the main call ends.
    const after = events.slice(events.indexOf(transfer as PbxEvent));
    expect(new Set(after.map((e) => e.callId))).toEqual(new Set([main?.callId ?? ""]));
    expect(events.filter((e) => e.kind === "call-end").map((e) => e.callId)).toEqual([main?.callId ?? ""]);
  });

  test("R2.4: the colleague declines: no transfer, the consultation ends as a call of its own", () => {
    const events = run("attended-transfer-declined.ami");
    expect(events.some((e) => e.kind === "transfer")).toBe(false);
    expect(events.filter((e) => e.kind === "call-end")).toHaveLength(2);
  });

  test("outbound from 102: the placing leg opens the call and is answered when the far end answers", () => {
    expect(run("outbound-answered.ami").map(describeEvent)).toEqual([
      "call-start 102 from=102/102 to=84951112233",
      "answered 102",
      "leg-ended 102 normal",
      "call-end",
    ]);
  });

  test("internal 101 → 102", () => {
    const events = run("internal-call.ami");
    expect(events.map(describeEvent)).toEqual([
      "call-start 101 from=101/101 to=102",
      "ringing 102",
      "answered 102",
      "answered 101",
      "leg-ended 102 normal",
      "leg-ended 101 normal",
      "call-end",
    ]);
    expect(events[0]?.to?.extension).toBe("102");
  });

  test("two simultaneous calls interleaved stay apart", () => {
    const events = run("two-inbound-interleaved.ami");
    const byCall = Map.groupBy(events, (e) => e.callId);
    expect(byCall.size).toBe(2);
    const [a, b] = [...byCall.values()].map((list) => list.map(describeEvent));
    expect(a).toEqual([INBOUND, "ringing 101", "answered 101", "leg-ended 101 normal", "call-end"]);
    expect(b).toEqual([
      "call-start from=+79035550142 to=74957654322 did=74957654322",
      "ringing 102",
      "leg-ended 102 no-answer",
      "call-end",
    ]);
  });
});

describe("keys", () => {
  const files = readdirSync(TRANSCRIPTS).filter((f) => /^[a-z-]+\.ami$/.test(f));

  test.each(files)("%s: every fact has its own key, and a second replay adds none", (file) => {
    const t = translator();
    const first = run(file, t);
    expect(new Set(first.map((e) => e.key)).size).toBe(first.length);
    const keys = new Set(first.map((e) => e.key));
    const again = run(file, t).filter((e) => !keys.has(e.key));
    expect(again).toEqual([]);
    expect(t.stats().malformed).toBe(0);
  });

  test("noise (VarSet, other apps, DeviceStateChange, RTCP, Cdr, bridges) yields nothing", () => {
    const frames = readTranscript("inbound-front-desk-answered.ami").frames;
    const t = translator();
    const producing = frames.filter((frame) => t.translate(frame).length > 0).map((f) => f.Event);
    expect(producing).toEqual(["Newchannel", "DialBegin", "Newstate", "Hangup"]);
    expect(t.stats()).toMatchObject({ frames: frames.length, translated: 4, malformed: 0 });
  });
});

describe("bad and partial frames", () => {
  test("a frame missing the fields its kind needs is counted, never thrown", () => {
    const t = translator();
    const frames: Record<string, string>[] = [
      { Event: "Hangup" },
      { Event: "Newchannel", Channel: "PJSIP/101-00000001" },
      { Event: "DialEnd", DestUniqueid: "1.1", DestChannel: "PJSIP/101-00000001" },
      { Event: "AgentRingNoAnswer", DestChannel: "nonsense" },
      { Event: "VarSet", Uniqueid: "1.1" },
    ];
    for (const frame of frames) {
      expect(t.translate(frame)).toEqual([]);
    }
    expect(t.stats()).toMatchObject({ frames: 5, malformed: 5 });
  });

  test("responses and unknown events are ignored", () => {
    const t = translator();
    expect(t.translate({ Response: "Success", ActionID: "1", Message: "Pong" })).toEqual([]);
    expect(t.translate({ Event: "FullyBooted", Status: "Fully Booted" })).toEqual([]);
    expect(t.stats()).toMatchObject({ frames: 1, malformed: 0 });
  });

  test("without a Timestamp header the instant passed in is used", () => {
    const t = translator();
    const [start] = t.translate(
      {
        Event: "Newchannel",
        Channel: "PJSIP/trunk-sip-00000001",
        ChannelState: "4",
        CallerIDNum: "+79161234567",
        Context: "from-pstn",
        Exten: "74957654321",
        Uniqueid: "1732180000.1",
        Linkedid: "1732180000.1",
      },
      1_732_180_000_500,
    );
    expect(start?.at).toBe(1_732_180_000_500);
    expect(start?.did).toBe("74957654321");
  });
});

describe("resync (CoreShowChannels)", () => {
  const after = readTranscript("mid-call-resync.ami").frames;
  const before = readTranscript("mid-call-resync.before.ami").frames;
  const snapshotFile = readTranscript("mid-call-resync.snapshot.ami");
  const snapshot = snapshotFile.frames.filter((f) => f.Event === "CoreShowChannel");
  const snapshotAt = Math.round(Number(snapshotFile.headers["snapshot-at"]) * 1000);

  const live = () => {
    const t = translator();
    return [...before, ...after].flatMap((f) => t.translate(f));
  };

  test("a box starting mid-call: resync + the rest give the live stream's keys for what it shows", () => {
    const liveKeys = new Set(live().map((e) => e.key));
    const t = translator();
    const resynced = t.resync(snapshot, snapshotAt);
    const rest = after.flatMap((f) => t.translate(f));
    expect(resynced.map((e) => e.kind)).toEqual(["call-start", "answered"]);
    expect([...resynced, ...rest].map((e) => e.key).filter((k) => !liveKeys.has(k))).toEqual([]);
    expect(rest.map(describeEvent)).toEqual(["leg-ended 101 normal", "call-end"]);
    expect(resynced[0]?.from?.number).toBe("+79169990011");
  });

  test("a reconnect mid-call reports nothing new when nothing changed", () => {
    const t = translator();
    for (const f of before) t.translate(f);
    expect(t.resync(snapshot, snapshotAt)).toEqual([]);
  });

  test("a call that ended while the link was down ends with the resync, under the live keys", () => {
    const frames = readTranscript("inbound-front-desk-answered.ami").frames;
    const full = new Set(run("inbound-front-desk-answered.ami").map((e) => e.key));
    const t = translator();
    const answeredAt = frames.findIndex((f) => f.Event === "DialEnd");
    for (const f of frames.slice(0, answeredAt + 1)) t.translate(f);
    const ended = t.resync([], 1_732_180_400_000);
    expect(ended.map(describeEvent)).toEqual(["leg-ended 101 normal", "call-end"]);
    expect(ended.every((e) => full.has(e.key))).toBe(true);
  });

  test("a ring group cut while ringing: ringing legs resync under their live keys", () => {
    const frames = readTranscript("ring-group-answered.ami").frames;
    const full = new Set(run("ring-group-answered.ami").map((e) => e.key));
    const cut = frames.findLastIndex((f) => f.Event === "DialState") + 1;
    const pbx = translator();
    for (const f of frames.slice(0, cut)) pbx.translate(f);
    const liveNow = pbx.table.liveChannels().map((c) => ({
      Event: "CoreShowChannel",
      Channel: c.name,
      ChannelState: String(c.state),
      CallerIDNum: c.extension ?? "+79161234567",
      Context: c.kind === "handset" ? "from-internal" : "macro-dial",
      Exten: "s",
      Uniqueid: c.uniqueid,
      Linkedid: c.callId,
      Application: c.kind === "handset" ? "AppDial" : "Dial",
      ApplicationData: "",
      Duration: "00:00:03",
      BridgeId: "",
    }));
    const fresh = translator();
    const resynced = fresh.resync(liveNow, 1_732_180_814_000);
    expect(resynced.filter((e) => e.kind === "ringing").map((e) => e.extension)).toEqual([
      "101",
      "102",
      "103",
      "104",
      "105",
      "106",
    ]);
    const rest = frames.slice(cut).flatMap((f) => fresh.translate(f));
    expect([...resynced, ...rest].map((e) => e.key).filter((k) => !full.has(k))).toEqual([]);
    expect(new Set([...resynced, ...rest].map((e) => e.key))).toEqual(full);
  });
});
