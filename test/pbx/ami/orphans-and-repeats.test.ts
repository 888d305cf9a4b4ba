import { describe, expect, test } from "bun:test";
import type { PbxEvent } from "../../../src/domain/call/pbx-event.ts";
import type { AmiFrame } from "../../../src/pbx/ami/ami-fields.ts";
import { AmiTranslator } from "../../../src/pbx/ami/ami-translate.ts";
import { readTranscript } from "../../support/ami-transcript.ts";

const translator = () => new AmiTranslator({ source: "ami:pbx.test" });
const run = (t: AmiTranslator, frames: readonly AmiFrame[]): PbxEvent[] =>
  frames.flatMap((frame) => t.translate(frame));
const facts = (events: readonly PbxEvent[]) => events.map((e) => `${e.kind} ${e.key}`);

/** A Hangup of a channel the translator never saw appear (its call began before the box listened). */
const orphanHangup = (i: number): AmiFrame => ({
  Event: "Hangup",
  Timestamp: `${1732180000 + i}.000001`,
  Channel: `PJSIP/trunk-sip-${i.toString(16).padStart(8, "0")}`,
  CallerIDNum: "<unknown>",
  Context: "from-pstn",
  Exten: "s",
  Uniqueid: `1732170000.${i}`,
  Linkedid: `1732170000.${i}`,
  Cause: "16",
});

describe("orphans: an event for a call the translator never saw begin creates nothing", () => {
  test("20,000 Hangups of channels never seen: no event, no call, all counted as orphans, no table grows", () => {
    const t = translator();
    const heapBefore = process.memoryUsage().heapUsed;
    let events = 0;
    for (let i = 0; i < 20_000; i++) events += t.translate(orphanHangup(i)).length;
    expect(events).toBe(0);
    expect(t.stats()).toMatchObject({ frames: 20_000, translated: 0, orphans: 20_000, duplicates: 0 });
    expect(t.stats().orphansByKind).toEqual({ Hangup: 20_000 });
    expect(t.table.sizes()).toEqual({ channels: 0, calls: 0, aliases: 0 });
    // Nothing is kept per orphan: far below the 117 MB the phantom calls once cost.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
  });

  test("orphan Newstate, DialBegin and Hangup amid a real call: the call comes out as without them", () => {
    const frames = readTranscript("inbound-front-desk-answered.ami").frames;
    const clean = facts(run(translator(), frames));
    const orphans: AmiFrame[] = [
      {
        Event: "Newstate",
        Channel: "PJSIP/101-000000aa",
        ChannelState: "5",
        Uniqueid: "9.1",
        Linkedid: "9.0",
      },
      {
        Event: "DialBegin",
        Channel: "PJSIP/trunk-sip-000000ab",
        Uniqueid: "9.0",
        Linkedid: "9.0",
        DestChannel: "PJSIP/101-000000aa",
        DestUniqueid: "9.1",
        DestLinkedid: "9.0",
      },
      orphanHangup(7),
    ];
    const mixed = [...frames.slice(0, 5), ...orphans, ...frames.slice(5), ...orphans];
    const t = translator();
    expect(facts(run(t, mixed))).toEqual(clean);
    expect(t.stats().orphansByKind).toEqual({ Newstate: 2, DialBegin: 2, Hangup: 2 });
    expect(t.table.sizes()).toEqual({ channels: 0, calls: 0, aliases: 0 });
  });

  test("a Hangup sent again after its call ended is an orphan, not a second call", () => {
    const frames = readTranscript("inbound-front-desk-answered.ami").frames;
    const hangups = frames.filter((f) => f.Event === "Hangup");
    const t = translator();
    const events = run(t, [...frames, ...hangups]);
    expect(events.filter((e) => e.kind === "call-start")).toHaveLength(1);
    expect(t.stats().orphans).toBe(hangups.length);
  });

  test("a call the resync shows is no orphan: its channel's Hangup ends its leg and the call", () => {
    const t = translator();
    const snapshot: AmiFrame = {
      Event: "CoreShowChannel",
      Channel: "PJSIP/trunk-sip-00000001",
      ChannelState: "6",
      CallerIDNum: "+79161234567",
      Uniqueid: "1.0",
      Linkedid: "1.0",
      Duration: "00:00:30",
      Application: "Dial",
    };
    const rung: AmiFrame = {
      ...snapshot,
      Channel: "PJSIP/101-00000002",
      Uniqueid: "1.1",
      CallerIDNum: "101",
    };
    const resynced = t.resync([snapshot, rung], 1_732_180_000_000);
    expect(resynced.map((e) => e.kind)).toEqual(["call-start", "answered"]);
    const after = run(t, [
      { ...orphanHangup(1), Channel: rung.Channel ?? "", Uniqueid: "1.1", Linkedid: "1.0" },
      { ...orphanHangup(1), Uniqueid: "1.0", Linkedid: "1.0" },
    ]);
    expect(after.map((e) => e.kind)).toEqual(["leg-ended", "call-end"]);
    expect(t.stats().orphans).toBe(0);
  });
});

describe("SequenceNumber: events the PBX sent twice are dropped", () => {
  const numbered = () =>
    readTranscript("inbound-front-desk-answered.ami").frames.map((frame, i) => ({
      ...frame,
      SequenceNumber: String(500 + i),
    }));

  test("a transcript sent twice, partly out of order: the same events as once, the repeats counted", () => {
    const frames = numbered();
    const clean = facts(run(translator(), frames));
    const half = Math.floor(frames.length / 2);
    // The first half again after it, then two frames swapped, then everything once more backwards.
    const wire = [
      ...frames.slice(0, half),
      ...frames.slice(0, half),
      ...frames.slice(half, half + 2).reverse(),
      ...frames.slice(half + 2),
      ...[...frames].reverse(),
    ];
    const t = translator();
    expect(facts(run(t, wire))).toEqual(clean);
    expect(t.stats()).toMatchObject({ duplicates: half + frames.length, orphans: 0 });
  });

  test("a frame out of order but never seen is kept", () => {
    const frames = numbered();
    const swapped = [frames[0], frames[2], frames[1], ...frames.slice(3)] as AmiFrame[];
    const unnumbered = swapped.map(({ SequenceNumber: _, ...frame }) => frame);
    const t = translator();
    expect(facts(run(t, swapped))).toEqual(facts(run(translator(), unnumbered)));
    expect(t.stats().duplicates).toBe(0);
  });

  test("a new link (FullyBooted after a login, a resync, newLink) numbers afresh: nothing of it is dropped", () => {
    const frames = numbered();
    for (const opening of ["FullyBooted", "resync", "newLink"] as const) {
      const t = translator();
      run(t, frames.slice(0, 20));
      if (opening === "FullyBooted") t.translate({ Event: "FullyBooted", Status: "Fully Booted" });
      if (opening === "resync") t.resync([], 1_732_180_000_000);
      if (opening === "newLink") t.newLink();
      // Asterisk restarted: its numbering starts again below what the old link reached.
      const again = readTranscript("internal-call.ami").frames.map((frame, i) => ({
        ...frame,
        SequenceNumber: String(i + 1),
      }));
      const events = run(t, again);
      expect(t.stats().duplicates).toBe(0);
      expect(events.filter((e) => e.kind === "call-start")).toHaveLength(1);
    }
  });

  test("frames without a SequenceNumber are never taken for repeats", () => {
    const frames = readTranscript("inbound-front-desk-answered.ami").frames;
    const t = translator();
    run(t, frames);
    expect(t.stats().duplicates).toBe(0);
  });
});
