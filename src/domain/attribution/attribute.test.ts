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

const c = new CallScript("C1");

/** A client call answered on `extension`, talked for a minute. */
const answeredOn = (extension: string) =>
  assembled([
    c.inbound(sec(0)),
    c.ring("L1", extension, sec(1)),
    c.answer("L1", extension, sec(5)),
    c.hangup(sec(65)),
  ]);

/** A client call that rang `extensions` at once and nobody answered. */
const missedOn = (...extensions: string[]) =>
  assembled([
    c.inbound(sec(0)),
    ...extensions.map((ext, i) => c.ring(`L${i}`, ext, sec(1))),
    ...extensions.map((ext, i) => c.end(`L${i}`, ext, "no-answer", sec(30))),
    c.hangup(sec(30)),
  ]);

describe("R0.2, R0.3: each leg's owner is decided when the call reaches the handset", () => {
  test("R0.2: a dedicated extension's leg goes to its holder, with the rule and the reason", () => {
    const [record] = attribute(answeredOn(MAX), branchRoster(), settings());
    expect(record?.legs[0]).toMatchObject({ employeeId: "max", rule: "dedicated", decidedAt: sec(5) });
    expect(record?.legs[0]?.reason).toContain("Max");
    expect(record?.owner).toMatchObject({ employeeId: "max", rule: "dedicated" });
  });

  test("R0.3: a shared desk's leg goes to whoever held the desk at the answer, not at the ring", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.handover("bella", "front", sec(3));
    const [record] = attribute(answeredOn(FRONT), branchRoster(log), settings());
    expect(record?.owner).toMatchObject({ employeeId: "bella", rule: "desk-checkin" });
    expect(record?.owner.reason).toContain("Bella");
  });

  test("R0.3: a leg never answered is decided at its ring", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.handover("bella", "front", sec(10));
    const [record] = attribute(missedOn(FRONT), branchRoster(log), settings());
    expect(record?.legs[0]).toMatchObject({ employeeId: "alice", decidedAt: sec(1), ending: "missed" });
    expect(record?.owner.employeeId).toBe("alice");
  });

  test("R0.2: the call's owner is the leg that answered last (a transfer between two known people)", () => {
    const call = assembled([
      c.inbound(sec(0)),
      c.ring("L1", FRONT, sec(1)),
      c.answer("L1", FRONT, sec(5)),
      c.blind("L1", MAX, sec(20)),
      c.ring("L2", MAX, sec(21)),
      c.answer("L2", MAX, sec(25)),
      c.hangup(sec(90)),
    ]);
    const records = attribute(call, branchRoster(), settings());
    expect(records).toHaveLength(1);
    expect(records[0]?.legs.map((l) => [l.extension, l.employeeId, l.rule])).toEqual([
      [FRONT, "alice", "desk-checkin"],
      [MAX, "max", "dedicated"],
    ]);
    expect(records[0]?.owner.employeeId).toBe("max");
    expect(records[0]?.pops.map((p) => [p.employeeId, p.rule])).toEqual([
      ["alice", "R3.1"],
      ["max", "R3.1"],
    ]);
  });

  test("R0.2: an outbound call belongs to the employee who placed it", () => {
    const out = new CallScript("O1");
    const call = assembled([
      out.placed(sec(0), "L1", MAX, { number: CLIENT }),
      out.answer("L1", MAX, sec(6)),
      out.hangup(sec(60)),
    ]);
    const [record] = attribute(call, branchRoster(), settings());
    expect(record).toMatchObject({
      direction: "outbound",
      outcome: "answered",
      owner: { employeeId: "max" },
    });
    expect(record?.pops).toEqual([{ employeeId: "max", reason: "answered", rule: "R3.1" }]);
  });
});

describe("R1.1, R1.2: extensions that map to nobody", () => {
  test("R1.1: with no fallback employee the call is kept with no owner (nothing lost)", () => {
    const records = attribute(answeredOn(NOBODY), branchRoster(), settings());
    expect(records).toHaveLength(1);
    expect(records[0]?.owner).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(records[0]?.owner.reason).toContain("no fallback employee");
  });

  test("R1.1: with a fallback employee the call is theirs, rule fallback, and the reason says so", () => {
    const [record] = attribute(answeredOn(NOBODY), branchRoster(), settings({ fallbackEmployeeId: "fred" }));
    expect(record?.legs[0]).toMatchObject({ employeeId: "fred", rule: "fallback" });
    expect(record?.owner).toMatchObject({ employeeId: "fred", rule: "fallback" });
    expect(record?.owner.reason).toContain("fallback employee (R1.1)");
  });

  test("R1.2: a missed group call that ended on an unmapped extension goes to the fallback employee", () => {
    const [record] = attribute(
      missedOn(MAX, NOBODY),
      branchRoster(),
      settings({ fallbackEmployeeId: "fred" }),
    );
    expect(record).toMatchObject({ outcome: "missed", owner: { employeeId: "fred", rule: "fallback" } });
    expect(record?.owner.reason).toContain("R1.2");
  });

  test("R1.2: with 'assign responsible for missed group calls' on, it goes to the client's responsible", () => {
    const asked: (string | null)[] = [];
    const responsibleFor = (number: string | null) => {
      asked.push(number);
      return "bella";
    };
    const on = settings({
      fallbackEmployeeId: "fred",
      assignResponsibleForMissedGroupCalls: true,
      responsibleFor,
    });
    const [record] = attribute(missedOn(MAX, NOBODY), branchRoster(), on);
    expect(record?.owner).toMatchObject({ employeeId: "bella", rule: "responsible" });
    expect(asked).toEqual([CLIENT]);
  });

  test("R1.2: the setting on but the client has no responsible → the fallback employee", () => {
    const on = settings({ fallbackEmployeeId: "fred", assignResponsibleForMissedGroupCalls: true });
    const [record] = attribute(missedOn(MAX, NOBODY), branchRoster(), on);
    expect(record?.owner).toMatchObject({ employeeId: "fred", rule: "fallback" });
  });

  test("R1.2: a missed call to one unmapped extension is not a group call: R1.1 decides", () => {
    const on = settings({
      fallbackEmployeeId: "fred",
      assignResponsibleForMissedGroupCalls: true,
      responsibleFor: () => "bella",
    });
    const [record] = attribute(missedOn(NOBODY), branchRoster(), on);
    expect(record?.owner).toMatchObject({ employeeId: "fred", rule: "fallback" });
  });

  test("R1.2: a missed group call that ended on a mapped extension is that employee's", () => {
    const on = settings({
      fallbackEmployeeId: "fred",
      assignResponsibleForMissedGroupCalls: true,
      responsibleFor: () => "bella",
    });
    const call = assembled([
      c.inbound(sec(0)),
      c.ring("L1", NOBODY, sec(1)),
      c.end("L1", NOBODY, "no-answer", sec(15)),
      c.ring("L2", FRONT, sec(15)),
      c.end("L2", FRONT, "no-answer", sec(30)),
      c.hangup(sec(30)),
    ]);
    expect(attribute(call, branchRoster(), on)[0]?.owner).toMatchObject({
      employeeId: "alice",
      rule: "desk-checkin",
    });
  });
});

describe("R1.3: transfers between mapped and unmapped extensions become separate calls", () => {
  const transferred = (fromExt: string, toExt: string) =>
    assembled([
      c.inbound(sec(0)),
      c.ring("L1", fromExt, sec(1)),
      c.answer("L1", fromExt, sec(5)),
      c.blind("L1", toExt, sec(20)),
      c.ring("L2", toExt, sec(21)),
      c.answer("L2", toExt, sec(25)),
      c.hangup(sec(90)),
    ]);

  test("R1.3: unmapped → mapped: the first leg to the fallback, the second by the normal rules, as its own call", () => {
    const records = attribute(
      transferred(NOBODY, MAX),
      branchRoster(),
      settings({ fallbackEmployeeId: "fred" }),
    );
    expect(
      records.map((r) => [r.id, r.partOf, r.owner.employeeId, r.owner.rule, r.legs.map((l) => l.id)]),
    ).toEqual([
      ["C1", null, "fred", "fallback", ["L1"]],
      ["C1#2", "C1", "max", "dedicated", ["L2"]],
    ]);
    expect(records.map((r) => [r.startedAt, r.answeredAt, r.endedAt, r.outcome])).toEqual([
      [sec(0), sec(5), sec(20), "answered"],
      [sec(21), sec(25), sec(90), "answered"],
    ]);
  });

  test("R1.3: mapped → unmapped: the first leg by the normal rules, the second to the fallback", () => {
    const records = attribute(
      transferred(FRONT, NOBODY),
      branchRoster(),
      settings({ fallbackEmployeeId: "fred" }),
    );
    expect(records.map((r) => [r.id, r.owner.employeeId, r.owner.rule])).toEqual([
      ["C1", "alice", "desk-checkin"],
      ["C1#2", "fred", "fallback"],
    ]);
  });

  test("R1.3: without a fallback the unmapped part is still a record of its own, owned by nobody", () => {
    const records = attribute(transferred(NOBODY, MAX), branchRoster(), settings());
    expect(records.map((r) => [r.id, r.owner.employeeId])).toEqual([
      ["C1", null],
      ["C1#2", "max"],
    ]);
  });

  test("R1.3: a transfer between two unmapped extensions stays one call", () => {
    const records = attribute(
      transferred(NOBODY, "108"),
      branchRoster(),
      settings({ fallbackEmployeeId: "fred" }),
    );
    expect(records.map((r) => [r.id, r.legs.length, r.owner.employeeId])).toEqual([["C1", 2, "fred"]]);
  });
});
