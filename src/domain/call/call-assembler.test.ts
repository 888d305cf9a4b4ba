import { describe, expect, test } from "bun:test";
import { CallScript, CLIENT, DID, feed, sec } from "../../../test/fixtures/domain/call-fixtures.ts";

describe("call assembler: calls with one handset", () => {
  test("an inbound call answered at the front desk is one finished call, outcome answered", () => {
    const c = new CallScript("C1");
    const { updates, finished, rejected, assembler } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.answer("L101", "101", sec(5)),
      c.end("L101", "101", "normal", sec(60)),
      c.hangup(sec(60)),
    ]);
    expect(rejected).toEqual([]);
    expect(updates.map((u) => u.changed.length)).toEqual([1, 1, 1, 1, 1]);
    expect(updates.map((u) => u.finished.length)).toEqual([0, 0, 0, 0, 1]);
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      id: "C1",
      direction: "inbound",
      from: { number: CLIENT, extension: null },
      did: DID,
      startedAt: sec(0),
      answeredAt: sec(5),
      endedAt: sec(60),
      finished: true,
      outcome: "answered",
    });
    expect(finished[0]?.legs).toEqual([
      expect.objectContaining({ id: "L101", extension: "101", state: "ended", ending: "completed" }),
    ]);
    expect(finished[0]?.legs[0]).toMatchObject({ ringingAt: sec(1), answeredAt: sec(5), placedCall: false });
    expect(assembler.live()).toEqual([]);
  });

  test("outbound: the placing extension is the first leg and `answered` means the far end answered", () => {
    const c = new CallScript("C2");
    const { finished, assembler } = feed([c.placed(sec(0), "L102", "102", { number: CLIENT })]);
    expect(assembler.get("C2")).toMatchObject({ direction: "outbound", answeredAt: null });
    expect(assembler.get("C2")?.legs).toEqual([
      expect.objectContaining({ id: "L102", placedCall: true, state: "ringing", ringingAt: sec(0) }),
    ]);
    feed(
      [c.answer("L102", "102", sec(8)), c.end("L102", "102", "normal", sec(90)), c.hangup(sec(90))],
      assembler,
    );
    const call = assembler.get("C2");
    expect(call).toMatchObject({ finished: true, outcome: "answered", answeredAt: sec(8) });
    expect(call?.legs[0]).toMatchObject({ ending: "completed" });
    expect(finished).toEqual([]);
  });

  test("outbound to a busy number: outcome busy; an employee giving up before an answer: missed", () => {
    const busy = new CallScript("C3");
    const gaveUp = new CallScript("C4");
    const { finished } = feed([
      busy.placed(sec(0), "L102", "102", { number: CLIENT }),
      busy.end("L102", "102", "busy", sec(3)),
      busy.hangup(sec(3)),
      gaveUp.placed(sec(10), "L103", "103", { number: CLIENT }),
      gaveUp.end("L103", "103", "normal", sec(40)),
      gaveUp.hangup(sec(40)),
    ]);
    expect(finished.map((c) => [c.id, c.outcome, c.legs[0]?.ending])).toEqual([
      ["C3", "busy", "busy"],
      ["C4", "missed", "cancelled"],
    ]);
  });

  test("internal: extension to extension gives two legs; the callee's answer answers the caller's leg too", () => {
    const c = new CallScript("C5");
    const { finished, rejected, updates } = feed([
      c.placed(sec(0), "L102", "102", { extension: "103" }),
      c.ring("L103", "103", sec(1)),
      c.answer("L103", "103", sec(4)),
      c.answer("L102", "102", sec(4)),
      c.end("L103", "103", "normal", sec(30)),
      c.end("L102", "102", "normal", sec(30)),
      c.hangup(sec(30)),
    ]);
    expect(rejected).toEqual([]);
    expect(updates[3]?.changed).toEqual([]);
    expect(finished[0]).toMatchObject({ direction: "internal", outcome: "answered", answeredAt: sec(4) });
    expect(finished[0]?.legs.map((l) => [l.id, l.placedCall, l.answeredAt, l.ending])).toEqual([
      ["L102", true, sec(4), "completed"],
      ["L103", false, sec(4), "completed"],
    ]);
  });
});

describe("call assembler: ring groups, hunt groups and queues (one call per call, never one per handset)", () => {
  const handsets = ["101", "102", "103", "104", "105", "106"];

  test("a ring group of six: one answers, the other five end cancelled (answered elsewhere)", () => {
    const c = new CallScript("G1");
    const { finished } = feed([
      c.inbound(sec(0)),
      ...handsets.map((ext) => c.ring(`L${ext}`, ext, sec(1))),
      c.answer("L103", "103", sec(6)),
      ...handsets
        .filter((e) => e !== "103")
        .map((ext) => c.end(`L${ext}`, ext, "answered-elsewhere", sec(6))),
      c.end("L103", "103", "normal", sec(70)),
      c.hangup(sec(70)),
    ]);
    expect(finished).toHaveLength(1);
    expect(finished[0]?.outcome).toBe("answered");
    expect(finished[0]?.legs.map((l) => l.ending)).toEqual([
      "cancelled",
      "cancelled",
      "completed",
      "cancelled",
      "cancelled",
      "cancelled",
    ]);
    expect(finished[0]?.legs[0]?.endCause).toBe("answered-elsewhere");
  });

  test("a ring group whose other handsets get no hangup of their own: call-end cancels them as answered elsewhere", () => {
    const c = new CallScript("G2");
    const { finished } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.ring("L102", "102", sec(1)),
      c.answer("L102", "102", sec(3)),
      c.hangup(sec(50)),
    ]);
    expect(finished[0]?.legs.map((l) => [l.id, l.ending, l.endCause])).toEqual([
      ["L101", "cancelled", "answered-elsewhere"],
      ["L102", "completed", "normal"],
    ]);
  });

  test("a ring group nobody answers is ONE missed call, with every handset's leg missed", () => {
    const c = new CallScript("G3");
    const { finished, updates } = feed([
      c.inbound(sec(0)),
      ...handsets.map((ext) => c.ring(`L${ext}`, ext, sec(1))),
      ...handsets.map((ext) => c.end(`L${ext}`, ext, "no-answer", sec(31))),
      c.hangup(sec(31)),
    ]);
    expect(updates.filter((u) => u.finished.length > 0)).toHaveLength(1);
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ outcome: "missed", answeredAt: null });
    expect(finished[0]?.legs.map((l) => l.ending)).toEqual(handsets.map(() => "missed"));
  });

  test("a hunt group rings in turn: the first handset misses, the second answers; one answered call", () => {
    const c = new CallScript("H1");
    const { finished } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.end("L101", "101", "no-answer", sec(16)),
      c.ring("L102", "102", sec(16)),
      c.answer("L102", "102", sec(20)),
      c.hangup(sec(80)),
    ]);
    expect(finished[0]).toMatchObject({ outcome: "answered", answeredAt: sec(20) });
    expect(finished[0]?.legs.map((l) => [l.id, l.ending])).toEqual([
      ["L101", "missed"],
      ["L102", "completed"],
    ]);
  });

  test("R0.1: a queued call waits with no leg, then its members' handsets ring", () => {
    const c = new CallScript("Q1");
    const { assembler } = feed([c.inbound(sec(0)), c.queued(sec(2))]);
    expect(assembler.live()).toEqual([expect.objectContaining({ id: "Q1", queuedAt: sec(2), legs: [] })]);
    feed([c.ring("L101", "101", sec(20)), c.answer("L101", "101", sec(25)), c.hangup(sec(90))], assembler);
    expect(assembler.get("Q1")).toMatchObject({ queuedAt: sec(2), answeredAt: sec(25), outcome: "answered" });
  });
});

describe("call assembler: calls nobody answered", () => {
  test("the caller gives up while two handsets ring: both legs cancelled, one missed call", () => {
    const c = new CallScript("X1");
    const { finished } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.ring("L102", "102", sec(1)),
      c.end("L101", "101", "cancelled", sec(9)),
      c.hangup(sec(9)),
    ]);
    expect(finished).toHaveLength(1);
    expect(finished[0]?.outcome).toBe("missed");
    expect(finished[0]?.legs.map((l) => [l.ending, l.endCause])).toEqual([
      ["cancelled", "cancelled"],
      ["cancelled", "cancelled"],
    ]);
  });

  test("busy: the only handset was busy → outcome busy; one busy and one ringing out → missed", () => {
    const a = new CallScript("B1");
    const b = new CallScript("B2");
    const { finished } = feed([
      a.inbound(sec(0)),
      a.ring("L101", "101", sec(1)),
      a.end("L101", "101", "busy", sec(1)),
      a.hangup(sec(2)),
      b.inbound(sec(0)),
      b.ring("L201", "101", sec(1)),
      b.end("L201", "101", "busy", sec(1)),
      b.ring("L202", "102", sec(1)),
      b.end("L202", "102", "no-answer", sec(20)),
      b.hangup(sec(20)),
    ]);
    expect(finished.map((c) => c.outcome)).toEqual(["busy", "missed"]);
  });

  test("R4.5: voicemail with a message → outcome voicemail; without a message → missed", () => {
    const left = new CallScript("V1");
    const silent = new CallScript("V2");
    const call = (c: CallScript, message: boolean) => [
      c.inbound(sec(0)),
      c.ring("L102", "102", sec(1)),
      c.end("L102", "102", "no-answer", sec(20)),
      c.voicemail(sec(20), false, "102"),
      ...(message ? [c.voicemail(sec(45), true, "102")] : []),
      c.hangup(sec(50)),
    ];
    const { finished, rejected } = feed([...call(left, true), ...call(silent, false)]);
    expect(rejected).toEqual([]);
    expect(finished[0]).toMatchObject({
      outcome: "voicemail",
      voicemail: { at: sec(20), extension: "102", leftMessage: true },
    });
    expect(finished[1]).toMatchObject({ outcome: "missed", voicemail: { leftMessage: false } });
    expect(finished[0]?.legs[0]?.ending).toBe("missed");
  });

  test("handsets still ringing when the caller is sent to voicemail end `voicemail`", () => {
    const c = new CallScript("V3");
    const { finished } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.voicemail(sec(120), true, "101"),
      c.hangup(sec(150)),
    ]);
    expect(finished[0]?.legs[0]).toMatchObject({ ending: "voicemail", endedAt: sec(120) });
    expect(finished[0]?.outcome).toBe("voicemail");
  });
});

describe("call assembler: several calls at once", () => {
  test("interleaved calls stay apart, each finishing on its own call-end", () => {
    const a = new CallScript("S1");
    const b = new CallScript("S2");
    const { assembler, finished } = feed([
      a.inbound(sec(0), "+70000000001"),
      b.inbound(sec(1), "+70000000002"),
      a.ring("A101", "101", sec(2)),
      b.ring("B101", "101", sec(2)),
      b.ring("B102", "102", sec(2)),
      b.answer("B102", "102", sec(5)),
      a.end("A101", "101", "no-answer", sec(30)),
      a.hangup(sec(31)),
    ]);
    expect(finished.map((c) => [c.id, c.outcome, c.from.number])).toEqual([["S1", "missed", "+70000000001"]]);
    expect(assembler.live().map((c) => [c.id, c.legs.map((l) => l.id), c.answeredAt])).toEqual([
      ["S2", ["B101", "B102"], sec(5)],
    ]);
  });
});
