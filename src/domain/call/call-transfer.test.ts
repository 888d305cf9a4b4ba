import { describe, expect, test } from "bun:test";
import { CallScript, feed, sec } from "../../../test/fixtures/domain/call-fixtures.ts";

const client = new CallScript("MAIN");
const consult = new CallScript("CONSULT");

/** The client talks to 101; 101 puts them on hold and calls 102 (its own call, its own id). */
const consultation = [
  client.inbound(sec(0)),
  client.ring("L101", "101", sec(1)),
  client.answer("L101", "101", sec(3)),
  consult.placed(sec(20), "L101b", "101", { extension: "102" }),
  consult.ring("L102", "102", sec(21)),
  consult.answer("L102", "102", sec(24)),
];

describe("R2.3 blind transfer", () => {
  test("R2.3: the transferer's leg ends transferred; the colleague's new leg comes from it", () => {
    const c = new CallScript("T1");
    const { finished, rejected } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.answer("L101", "101", sec(3)),
      c.blind("L101", "102", sec(30)),
      c.end("L101", "101", "normal", sec(30)),
      c.ring("L102", "102", sec(31)),
      c.answer("L102", "102", sec(35)),
      c.hangup(sec(90)),
    ]);
    expect(rejected).toEqual([]);
    expect(finished[0]).toMatchObject({ outcome: "answered", answeredAt: sec(3) });
    expect(finished[0]?.legs.map((l) => [l.id, l.ending, l.endedAt, l.transferredFrom])).toEqual([
      ["L101", "transferred", sec(30), null],
      ["L102", "completed", sec(90), "L101"],
    ]);
  });

  test("R2.3: a transfer reported after the transferer hung up (and after the colleague rang) still links the legs", () => {
    const c = new CallScript("T1late");
    const { finished, rejected } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.answer("L101", "101", sec(3)),
      c.end("L101", "101", "normal", sec(30)),
      c.ring("L102", "102", sec(31)),
      c.blind("L101", "102", sec(31)),
      c.answer("L102", "102", sec(35)),
      c.hangup(sec(90)),
    ]);
    expect(rejected).toEqual([]);
    expect(finished[0]?.legs.map((l) => [l.id, l.ending, l.transferredFrom])).toEqual([
      ["L101", "transferred", null],
      ["L102", "completed", "L101"],
    ]);
  });

  test("R2.3: a blind transfer to a ring group: every handset it rings comes from the transferer", () => {
    const c = new CallScript("T2");
    const { finished } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.answer("L101", "101", sec(3)),
      c.blind("L101", "600", sec(30)),
      c.ring("L102", "102", sec(31)),
      c.ring("L103", "103", sec(31)),
      c.end("L102", "102", "no-answer", sec(60)),
      c.end("L103", "103", "no-answer", sec(60)),
      c.hangup(sec(60)),
    ]);
    expect(finished[0]?.legs.map((l) => [l.id, l.transferredFrom])).toEqual([
      ["L101", null],
      ["L102", "L101"],
      ["L103", "L101"],
    ]);
  });

  test("R2.3: a leg that only rings cannot transfer: refused with a code, nothing changes", () => {
    const c = new CallScript("T3");
    const { rejected, assembler } = feed([
      c.inbound(sec(0)),
      c.ring("L101", "101", sec(1)),
      c.blind("L101", "102", sec(2)),
    ]);
    expect(rejected).toEqual(["CALL.ILLEGAL_TRANSITION"]);
    expect(assembler.get("T3")?.legs[0]).toMatchObject({ state: "ringing", ending: null });
  });
});

describe("R2.4 attended transfer: joined through the transfer event, not by Linkedid", () => {
  test("R2.4: the consultation is absorbed and its target leg moves into the client's call", () => {
    const { assembler, updates } = feed([
      ...consultation,
      client.attended("L101", "CONSULT", "L102", sec(40)),
    ]);
    const transfer = updates.at(-1);
    expect(transfer?.absorbed).toEqual(["CONSULT"]);
    expect(transfer?.changed.map((c) => c.id)).toEqual(["MAIN"]);
    expect(assembler.live().map((c) => c.id)).toEqual(["MAIN"]);
    const main = assembler.get("MAIN");
    expect(main?.absorbed).toEqual(["CONSULT"]);
    expect(main?.legs.map((l) => [l.id, l.state, l.ending, l.transferredFrom])).toEqual([
      ["L101", "ended", "transferred", null],
      ["L102", "answered", null, "L101"],
    ]);
    expect(main?.legs[1]).toMatchObject({ ringingAt: sec(21), answeredAt: sec(24) });
    expect(assembler.get("CONSULT")?.id).toBe("MAIN");
  });

  test("R2.4: after the transfer, the consultation's events land on the client's call; its own end is no news", () => {
    const { finished, rejected } = feed([
      ...consultation,
      client.attended("L101", "CONSULT", "L102", sec(40)),
      consult.end("L101b", "101", "normal", sec(40)),
      client.end("L101", "101", "normal", sec(40)),
      consult.end("L102", "102", "normal", sec(200)),
      consult.hangup(sec(200)),
      client.hangup(sec(200)),
    ]);
    expect(rejected).toEqual([]);
    expect(finished.map((c) => c.id)).toEqual(["MAIN"]);
    expect(finished[0]).toMatchObject({ outcome: "answered", answeredAt: sec(3), endedAt: sec(200) });
    expect(finished[0]?.legs.map((l) => [l.id, l.ending, l.endedAt])).toEqual([
      ["L101", "transferred", sec(40)],
      ["L102", "completed", sec(200)],
    ]);
  });

  test("R2.4: the consultation's end arriving after the client's call ended is no news either", () => {
    const { finished, rejected } = feed([
      ...consultation,
      client.attended("L101", "CONSULT", "L102", sec(40)),
      client.hangup(sec(200)),
      consult.hangup(sec(200)),
    ]);
    expect(rejected).toEqual([]);
    expect(finished.map((c) => c.id)).toEqual(["MAIN"]);
  });

  test("R2.4: the colleague declines: no transfer, the consultation is an ordinary internal call", () => {
    const { finished, rejected } = feed([
      ...consultation,
      consult.end("L102", "102", "normal", sec(30)),
      consult.hangup(sec(30)),
      client.end("L101", "101", "normal", sec(120)),
      client.hangup(sec(120)),
    ]);
    expect(rejected).toEqual([]);
    expect(finished.map((c) => [c.id, c.direction, c.outcome, c.absorbed])).toEqual([
      ["CONSULT", "internal", "answered", []],
      ["MAIN", "inbound", "answered", []],
    ]);
    expect(finished[1]?.legs.map((l) => [l.id, l.ending])).toEqual([["L101", "completed"]]);
  });
});
