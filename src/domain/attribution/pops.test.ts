import { describe, expect, test } from "bun:test";
import {
  assembled,
  branchRoster,
  FRONT,
  MAX,
  NOBODY,
  settings,
} from "../../../test/fixtures/domain/attribution-fixtures.ts";
import { CallScript, CLIENT, sec } from "../../../test/fixtures/domain/call-fixtures.ts";
import { at, FactLog } from "../../../test/fixtures/domain/roster-fixtures.ts";
import { attribute } from "./attribute.ts";

const c = new CallScript("P1");
const pairs = (pops: readonly { employeeId: string; rule: string }[] | undefined) =>
  pops?.map((p) => [p.employeeId, p.rule]);

const answeredOn = (extension: string) =>
  assembled([
    c.inbound(sec(0)),
    c.ring("L1", extension, sec(1)),
    c.answer("L1", extension, sec(5)),
    c.hangup(sec(60)),
  ]);

describe("R3.1–R3.3 and R1.4: who gets a pop-up", () => {
  test("R3.1: the employee who answered gets a pop-up, nobody else", () => {
    const [record] = attribute(answeredOn(FRONT), branchRoster(), settings());
    expect(record?.pops).toEqual([{ employeeId: "alice", reason: "answered", rule: "R3.1" }]);
  });

  test("R3.2: answered on an extension that maps to nobody → a pop-up for the senior manager", () => {
    const [record] = attribute(answeredOn(NOBODY), branchRoster(), settings());
    expect(record?.pops).toEqual([{ employeeId: "sara", reason: "answered-unmapped", rule: "R3.2" }]);
  });

  test("R1.4: the fallback employee gets no pop-up for an unmapped extension's call", () => {
    const [record] = attribute(answeredOn(NOBODY), branchRoster(), settings({ fallbackEmployeeId: "fred" }));
    expect(record?.owner.employeeId).toBe("fred");
    expect(pairs(record?.pops)).toEqual([["sara", "R3.2"]]);
  });

  test("R1.4: no senior manager configured → an unmapped extension's answered call pops nobody", () => {
    const [record] = attribute(answeredOn(NOBODY), branchRoster(), settings({ seniorManagerId: null }));
    expect(record?.pops).toEqual([]);
  });

  test("R3.3: a missed call pops every manager, once each, however many handsets rang", () => {
    const call = assembled([
      c.inbound(sec(0)),
      ...["101", "102", "103", "104", "105", "106"].map((ext) => c.ring(`L${ext}`, ext, sec(1))),
      c.hangup(sec(30)),
    ]);
    const records = attribute(call, branchRoster(), settings());
    expect(records).toHaveLength(1);
    expect(records[0]?.outcome).toBe("missed");
    expect(pairs(records[0]?.pops)).toEqual([
      ["max", "R3.3"],
      ["sara", "R3.3"],
    ]);
  });

  test("R3.3: busy and voicemail are missed calls for the managers too", () => {
    const busy = assembled([
      c.inbound(sec(0)),
      c.ring("L1", FRONT, sec(1)),
      c.end("L1", FRONT, "busy", sec(1)),
      c.hangup(sec(2)),
    ]);
    const voicemail = assembled([
      c.inbound(sec(0)),
      c.ring("L1", MAX, sec(1)),
      c.voicemail(sec(30), true, MAX),
      c.hangup(sec(60)),
    ]);
    for (const [call, outcome] of [
      [busy, "busy"],
      [voicemail, "voicemail"],
    ] as const) {
      const [record] = attribute(call, branchRoster(), settings());
      expect(record?.outcome).toBe(outcome);
      expect(pairs(record?.pops)).toEqual([
        ["max", "R3.3"],
        ["sara", "R3.3"],
      ]);
    }
  });

  test("R3.3: an employee's own unanswered outgoing call pops nobody", () => {
    const out = new CallScript("O1");
    const call = assembled([out.placed(sec(0), "L1", MAX, { number: CLIENT }), out.hangup(sec(30))]);
    const [record] = attribute(call, branchRoster(), settings());
    expect(record).toMatchObject({ outcome: "missed", pops: [], owner: { employeeId: "max" } });
  });

  test("R1.3 + R3.1/R3.2: each part of a split call pops for itself", () => {
    const call = assembled([
      c.inbound(sec(0)),
      c.ring("L1", NOBODY, sec(1)),
      c.answer("L1", NOBODY, sec(5)),
      c.blind("L1", FRONT, sec(20)),
      c.ring("L2", FRONT, sec(21)),
      c.answer("L2", FRONT, sec(25)),
      c.hangup(sec(90)),
    ]);
    const records = attribute(call, branchRoster(), settings({ fallbackEmployeeId: "fred" }));
    expect(records.map((r) => pairs(r.pops))).toEqual([[["sara", "R3.2"]], [["alice", "R3.1"]]]);
  });
});

describe("a manager's late roster correction re-attributes the call", () => {
  test("R0.3: a check-in entered afterwards for the past makes the call the receptionist's", () => {
    const log = new FactLog();
    const roster = branchRoster(log);
    const call = answeredOn(FRONT);
    const before = attribute(call, roster, settings());
    expect(before[0]?.owner).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(pairs(before[0]?.pops)).toEqual([["sara", "R3.2"]]);

    roster.add(
      log.checkIn("bella", "front", at("09:30"), {
        source: "manager",
        actorId: "max",
        recordedAt: at("12:00"),
      }),
    );
    const after = attribute(call, roster, settings());
    expect(after[0]?.owner).toMatchObject({ employeeId: "bella", rule: "desk-checkin" });
    expect(after[0]?.legs[0]).toMatchObject({ employeeId: "bella", decidedAt: sec(5) });
    expect(pairs(after[0]?.pops)).toEqual([["bella", "R3.1"]]);
  });

  test("R1.3: a correction can join the parts of a split call back into one", () => {
    const log = new FactLog();
    const roster = branchRoster(log);
    const call = assembled([
      c.inbound(sec(0)),
      c.ring("L1", FRONT, sec(1)),
      c.answer("L1", FRONT, sec(5)),
      c.blind("L1", MAX, sec(20)),
      c.ring("L2", MAX, sec(21)),
      c.answer("L2", MAX, sec(25)),
      c.hangup(sec(90)),
    ]);
    expect(attribute(call, roster, settings()).map((r) => r.id)).toEqual(["P1", "P1#2"]);
    roster.add(
      log.checkIn("alice", "front", at("09:00"), {
        source: "manager",
        actorId: "max",
        recordedAt: at("12:00"),
      }),
    );
    expect(attribute(call, roster, settings()).map((r) => [r.id, r.owner.employeeId])).toEqual([
      ["P1", "max"],
    ]);
  });
});
