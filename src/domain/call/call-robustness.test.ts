import { describe, expect, test } from "bun:test";
import { CallScript, CLIENT, feed, sec } from "../../../test/fixtures/domain/call-fixtures.ts";
import { CallAssembler } from "./call-assembler.ts";
import type { PbxEvent } from "./pbx-event.ts";

const c = new CallScript("R1");
const answeredCall = [
  c.inbound(sec(0)),
  c.ring("L101", "101", sec(1)),
  c.answer("L101", "101", sec(4)),
  c.end("L101", "101", "normal", sec(60)),
  c.hangup(sec(60)),
];

describe("call assembler: calls that started before the box", () => {
  test("a call first seen at its answer is created from what the event carries", () => {
    const { assembler, finished, rejected } = feed([c.answer("L101", "101", sec(4)), c.hangup(sec(60))]);
    expect(rejected).toEqual([]);
    expect(finished[0]).toMatchObject({
      id: "R1",
      direction: "inbound",
      startedAt: sec(4),
      outcome: "answered",
    });
    expect(finished[0]?.legs[0]).toMatchObject({ id: "L101", ringingAt: null, answeredAt: sec(4) });
    expect(assembler.live()).toEqual([]);
  });

  test("a call-start delivered late (after a resync) fills in the parties and the start time", () => {
    const { assembler, rejected } = feed([c.ring("L101", "101", sec(1)), c.inbound(sec(0))]);
    expect(rejected).toEqual([]);
    expect(assembler.get("R1")).toMatchObject({
      from: { number: CLIENT },
      startedAt: sec(0),
      legs: [{ id: "L101" }],
    });
  });

  test("an outbound call first seen at its answer still gets its placing leg", () => {
    const out = new CallScript("R2");
    const answer: PbxEvent = {
      ...out.answer("R2", "102", sec(9)),
      from: { number: null, extension: "102" },
      to: { number: CLIENT, extension: null },
    };
    const { finished } = feed([answer, out.hangup(sec(30))]);
    expect(finished[0]).toMatchObject({ direction: "outbound", outcome: "answered" });
    expect(finished[0]?.legs.map((l) => [l.id, l.placedCall, l.answeredAt])).toEqual([["R2", true, sec(9)]]);
  });
  test("a call-start with no leg id names the placing leg by the call id (Asterisk: Linkedid = first Uniqueid)", () => {
    const out = new CallScript("R4");
    const start: PbxEvent = { ...out.placed(sec(0), "ignored", "102", { number: CLIENT }), legId: null };
    const { finished, rejected } = feed([start, out.answer("R4", "102", sec(7)), out.hangup(sec(20))]);
    expect(rejected).toEqual([]);
    expect(finished[0]?.legs.map((l) => [l.id, l.placedCall, l.answeredAt])).toEqual([["R4", true, sec(7)]]);
  });
});

describe("call assembler: bad, duplicate and late events are refused with a code, never a crash", () => {
  test("a ringing after answered for the same leg is refused and not applied", () => {
    const { assembler, rejected, updates } = feed([
      ...answeredCall.slice(0, 3),
      c.ring("L101", "101", sec(6)),
    ]);
    expect(rejected).toEqual(["CALL.ILLEGAL_TRANSITION"]);
    expect(updates.at(-1)?.changed).toEqual([]);
    expect(assembler.get("R1")?.legs[0]).toMatchObject({ state: "answered", ringingAt: sec(1) });
    expect(assembler.rejections()).toEqual({ total: 1, byCode: { "CALL.ILLEGAL_TRANSITION": 1 } });
  });

  test("a second call-start is refused as a duplicate", () => {
    const { rejected } = feed([c.inbound(sec(0)), c.inbound(sec(0))]);
    expect(rejected).toEqual(["CALL.DUPLICATE_START"]);
  });

  test("events after call-end are refused, the finished call stays as it was", () => {
    const { assembler, rejected, finished } = feed([
      ...answeredCall,
      c.ring("L102", "102", sec(61)),
      c.hangup(sec(62)),
    ]);
    expect(rejected).toEqual(["CALL.AFTER_END", "CALL.AFTER_END"]);
    expect(finished).toHaveLength(1);
    expect(assembler.get("R1")?.legs.map((l) => l.id)).toEqual(["L101"]);
    expect(assembler.live()).toEqual([]);
  });

  test("missing fields, unknown legs and unknown kinds are refused; a refused first event leaves no call behind", () => {
    const noLeg: PbxEvent = { ...c.ring("L101", "101", sec(1)), legId: null };
    const noExtension: PbxEvent = { ...c.end("L9", "109", "normal", sec(1)), extension: null };
    const newKind = { ...c.hangup(sec(1)), kind: "hold" } as unknown as PbxEvent;
    const noDetails: PbxEvent = { ...c.event("transfer", sec(1)) };
    const { assembler, rejected } = feed([noLeg, noExtension, newKind, noDetails]);
    expect(rejected).toEqual([
      "CALL.MISSING_FIELD",
      "CALL.UNKNOWN_LEG",
      "CALL.UNKNOWN_KIND",
      "CALL.MISSING_FIELD",
    ]);
    expect(assembler.live()).toEqual([]);
    expect(assembler.rejections().total).toBe(4);
  });
});

describe("call assembler: deterministic and safe to hand out", () => {
  test("R2.5: a recording reported with the call's last event is in the finished call", () => {
    const end = { ...c.hangup(sec(60)), recordingUrl: "https://pbx.local/rec/R1.wav" };
    const refusedLate = {
      ...c.ring("L101", "101", sec(61)),
      recordingUrl: "https://pbx.local/rec/other.wav",
    };
    const { finished, assembler } = feed([...answeredCall.slice(0, 4), end, refusedLate]);
    expect(finished[0]?.recordingUrl).toBe("https://pbx.local/rec/R1.wav");
    expect(assembler.get("R1")?.recordingUrl).toBe("https://pbx.local/rec/R1.wav");
  });

  test("replaying the same events into a fresh assembler gives identical calls and updates", () => {
    const g = new CallScript("R3");
    const events = [
      ...answeredCall,
      g.inbound(sec(2)),
      g.queued(sec(3)),
      g.ring("G1", "101", sec(10)),
      g.ring("G2", "102", sec(10)),
      g.answer("G2", "102", sec(12)),
      g.ring("G1", "101", sec(13)),
    ];
    const first = feed(events);
    const second = feed(events);
    expect(second.updates).toEqual(first.updates);
    expect(second.assembler.live()).toEqual(first.assembler.live());
    expect(second.assembler.rejections()).toEqual(first.assembler.rejections());
  });

  test("an update is a copy: changing it does not change the assembler's call", () => {
    const { updates, assembler } = feed(answeredCall.slice(0, 3));
    const handed = updates.at(-1)?.changed[0];
    if (handed === undefined) throw new Error("no call changed");
    handed.legs[0] = { ...(handed.legs[0] as (typeof handed.legs)[number]), extension: "999" };
    handed.answeredAt = null;
    expect(assembler.get("R1")).toMatchObject({ answeredAt: sec(4), legs: [{ extension: "101" }] });
  });

  test("finished calls are remembered up to a bound, oldest forgotten first", () => {
    const assembler = new CallAssembler({ rememberFinished: 2 });
    for (const id of ["A", "B", "C"]) {
      const s = new CallScript(id);
      feed([s.inbound(sec(0)), s.hangup(sec(1))], assembler);
    }
    expect([assembler.get("A"), assembler.get("B")?.id, assembler.get("C")?.id]).toEqual([null, "B", "C"]);
  });

  test("a box that runs for months keeps only the ids of its finished calls (to refuse their late events), and the latest 100 whole", () => {
    const assembler = new CallAssembler();
    for (let i = 0; i < 300; i++) {
      const s = new CallScript(`M${i}`);
      feed([s.inbound(sec(i)), s.ring(`M${i}-L`, "101", sec(i)), s.hangup(sec(i + 1))], assembler);
    }
    expect(assembler.sizes()).toEqual({ live: 0, absorbed: 0, finished: 300, recent: 100 });
    expect([assembler.get("M0"), assembler.get("M299")?.outcome]).toEqual([null, "missed"]);
    const first = new CallScript("M0");
    const { rejected } = feed([first.answer("M0-L", "101", sec(400)), first.hangup(sec(401))], assembler);
    expect(rejected).toEqual(["CALL.AFTER_END", "CALL.AFTER_END"]);
    expect(assembler.live()).toEqual([]);
  });
});
