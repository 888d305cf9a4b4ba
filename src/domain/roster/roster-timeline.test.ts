import { describe, expect, test } from "bun:test";
import {
  at,
  DAY,
  desk,
  FactLog,
  HOUR,
  MAX_SHIFT_MS,
  MINUTE,
  manager,
  reception,
  shuffled,
} from "../../../test/fixtures/domain/roster-fixtures.ts";
import { type RosterCommand, RosterTimeline, workedBetween } from "./roster-timeline.ts";
import type { Instant, RosterFact } from "./types.ts";

const desks = [desk("front", "101", "Front desk"), desk("back", "103", "Back office")];
const staff = [
  reception("alice", "Alice"),
  reception("bella", "Bella"),
  reception("carla", "Carla"),
  manager("max", "Max", "102"),
];

const timeline = (log: FactLog | readonly RosterFact[] = []) =>
  new RosterTimeline({ desks, staff, maxShiftMs: MAX_SHIFT_MS }, log instanceof FactLog ? log.all : log);

const holder = (roster: RosterTimeline, deskId: string, t: Instant) =>
  roster.holderAt(deskId, t)?.employeeId ?? null;

/** The answers a store, the board and the admin page read, at a few instants: what must not drift. */
function answers(roster: RosterTimeline, instants: readonly Instant[]) {
  return instants.map((t) => ({
    t,
    owners: ["101", "102", "103"].map((ext) => roster.ownerOf(ext, t)),
    onShift: roster.onShiftAt(t).map((s) => [s.shift.employeeId, s.shift.deskId, s.onBreak, s.holdsPhone]),
  }));
}

const everyHalfHour = Array.from({ length: 48 * 2 }, (_, i) => at("06:00") + i * 30 * MINUTE);

describe("check-in and check-out", () => {
  test("R0.2: a check-in at a free desk gives her the desk's phone from that instant", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("08:59"))).toBeNull();
    expect(roster.holderAt("front", at("09:00"))).toMatchObject({ employeeId: "alice", from: at("09:00") });
    expect(holder(roster, "back", at("09:00"))).toBeNull();
  });

  test("R0.2: after her check-out the desk's calls belong to nobody and her shift is ended by check-out", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkOut("alice", at("17:00"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("16:59"))).toBe("alice");
    expect(roster.ownerOf("101", at("17:00"))).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(roster.shiftAt("alice", at("17:00"))).toBeNull();
    expect(roster.shiftAt("alice", at("12:00"))).toMatchObject({
      from: at("09:00"),
      to: at("17:00"),
      endedBy: "check-out",
    });
  });

  test("R0.3: a check-in at another desk closes her shift at the first and passes its phone on", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("bella", "front", at("09:30"));
    log.checkIn("alice", "back", at("11:00"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("10:59"))).toBe("alice");
    expect(roster.holderAt("front", at("11:00"))).toMatchObject({ employeeId: "bella", from: at("11:00") });
    expect(holder(roster, "back", at("11:00"))).toBe("alice");
    expect(roster.shiftAt("alice", at("10:00"))).toMatchObject({
      deskId: "front",
      endedBy: "checked-in-elsewhere",
    });
    expect(roster.shiftAt("alice", at("11:00"))).toMatchObject({ deskId: "back", to: null });
  });

  test("R0.3: a check-in at another desk leaves the first desk's phone to nobody when she was alone", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("alice", "back", at("11:00"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("11:00"))).toBeNull();
    expect(roster.ownerOf("103", at("11:00"))).toMatchObject({ employeeId: "alice", rule: "desk-checkin" });
  });
});

describe("handover", () => {
  test("R0.3: a second receptionist checking in does not take the phone; a handover does", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("bella", "front", at("10:00"));
    log.handover("bella", "front", at("12:00"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("11:00"))).toBe("alice");
    expect(roster.ownerOf("101", at("12:00"))).toMatchObject({ employeeId: "bella", since: at("12:00") });
    const board = roster.onShiftAt(at("12:30")).map((s) => [s.shift.employeeId, s.holdsPhone]);
    expect(board).toEqual([
      ["alice", false],
      ["bella", true],
    ]);
  });

  test("R0.3: when the holder checks out, the phone returns to the colleague still on shift there", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.handover("bella", "front", at("12:00"));
    log.checkOut("bella", at("15:00"));
    const roster = timeline(log);
    expect(roster.holderAt("front", at("15:00"))).toMatchObject({ employeeId: "alice", from: at("15:00") });
    const passed = roster
      .changesBetween(at("15:00"), at("15:01"))
      .map((c) => [c.kind, c.employeeId, c.source]);
    expect(passed).toEqual([
      ["check-out", "bella", "kiosk"],
      ["phone-passed", "alice", "automatic"],
    ]);
  });

  test("R0.3: a handover by someone not on shift checks her in at that desk and gives her the phone", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("bella", "back", at("09:00"));
    log.handover("bella", "front", at("10:00"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("10:00"))).toBe("bella");
    expect(roster.shiftAt("bella", at("10:00"))).toMatchObject({ deskId: "front", from: at("10:00") });
    expect(roster.shiftAt("bella", at("09:30"))).toMatchObject({
      deskId: "back",
      endedBy: "checked-in-elsewhere",
    });
    expect(holder(roster, "back", at("10:00"))).toBeNull();
  });

  test("R0.3: the passing phone goes to the colleague who has been at the desk longest", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("carla", "front", at("11:00"));
    log.checkIn("bella", "front", at("10:00"));
    log.handover("carla", "front", at("12:00"));
    log.checkOut("carla", at("13:00"));
    expect(holder(timeline(log), "front", at("13:00"))).toBe("alice");
  });
});

describe("breaks", () => {
  test("R0.3: on a break the phone passes to a colleague on shift at the desk; back, she takes it only if free", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("bella", "front", at("09:30"));
    log.breakStart("alice", at("12:00"));
    log.breakEnd("alice", at("12:30"));
    log.checkOut("bella", at("14:00"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("11:59"))).toBe("alice");
    expect(roster.holderAt("front", at("12:00"))).toMatchObject({ employeeId: "bella", from: at("12:00") });
    expect(holder(roster, "front", at("12:30"))).toBe("bella");
    expect(holder(roster, "front", at("14:00"))).toBe("alice");
    const onBreak = roster.onShiftAt(at("12:15")).map((s) => [s.shift.employeeId, s.onBreak, s.holdsPhone]);
    expect(onBreak).toEqual([
      ["alice", true, false],
      ["bella", false, true],
    ]);
  });

  test("R0.3: alone on a break, the desk's calls belong to nobody until she is back and takes the phone", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.breakStart("alice", at("12:00"));
    log.breakEnd("alice", at("12:30"));
    const roster = timeline(log);
    expect(roster.ownerOf("101", at("12:10"))).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(roster.shiftAt("alice", at("12:10"))).not.toBeNull();
    expect(roster.ownerOf("101", at("12:30"))).toMatchObject({ employeeId: "alice", since: at("12:30") });
  });

  test("R0.3: a colleague on a break is skipped when the phone passes", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("bella", "front", at("09:30"));
    log.breakStart("bella", at("11:00"));
    log.checkOut("alice", at("11:30"));
    log.breakEnd("bella", at("12:00"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("11:45"))).toBeNull();
    expect(holder(roster, "front", at("12:00"))).toBe("bella");
  });

  test("R0.3: a handover ends the taker's own break", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.handover("bella", "front", at("09:30"));
    log.breakStart("alice", at("11:00"));
    log.handover("alice", "front", at("11:20"));
    const roster = timeline(log);
    expect(holder(roster, "front", at("11:20"))).toBe("alice");
    expect(roster.onShiftAt(at("11:30")).find((s) => s.shift.employeeId === "alice")?.onBreak).toBe(false);
  });
});

describe("automatic close at the maximum shift length", () => {
  test("R0.3: a forgotten shift closes by itself at maxShiftMs, even with no fact after it", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("08:00"));
    const roster = timeline(log);
    const cap = at("08:00") + MAX_SHIFT_MS;
    expect(holder(roster, "front", cap - 1)).toBe("alice");
    expect(holder(roster, "front", cap)).toBeNull();
    expect(roster.ownerOf("101", cap + HOUR)).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(roster.shiftAt("alice", cap)).toBeNull();
    expect(roster.onShiftAt(cap)).toEqual([]);
    expect(roster.onShiftAt(cap - 1).map((s) => s.shift.employeeId)).toEqual(["alice"]);
  });

  test("R0.3: changesBetween lists the automatic close before any later fact is recorded", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("08:00"));
    const changes = timeline(log).changesBetween(at("00:00"), at("00:00", 1));
    expect(changes.map((c) => [c.at, c.kind, c.employeeId, c.source])).toEqual([
      [at("08:00"), "check-in", "alice", "kiosk"],
      [at("22:00"), "auto-close", "alice", "automatic"],
    ]);
  });

  test("R0.3: past the last fact, the phone passes to a colleague when the holder's shift runs out", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("08:00"));
    log.checkIn("bella", "front", at("10:00"));
    const roster = timeline(log);
    expect(roster.ownerOf("101", at("21:59"))).toMatchObject({ employeeId: "alice" });
    expect(roster.ownerOf("101", at("22:00"))).toMatchObject({ employeeId: "bella", since: at("22:00") });
    expect(roster.ownerOf("101", at("23:59"))).toMatchObject({ employeeId: "bella" });
    expect(roster.ownerOf("101", at("00:00", 1))).toMatchObject({ employeeId: null, rule: "unmapped" });
    const board = roster.onShiftAt(at("23:00")).map((s) => [s.shift.employeeId, s.holdsPhone]);
    expect(board).toEqual([["bella", true]]);
    const changes = roster
      .changesBetween(at("21:00"), at("01:00", 1))
      .map((c) => [c.at, c.kind, c.employeeId]);
    expect(changes).toEqual([
      [at("22:00"), "auto-close", "alice"],
      [at("22:00"), "phone-passed", "bella"],
      [at("00:00", 1), "auto-close", "bella"],
    ]);
  });

  test("R0.3: what is projected past the last fact is what the fold gives once a later fact arrives", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("08:00"));
    log.checkIn("bella", "front", at("10:00"));
    log.checkIn("carla", "front", at("11:00"));
    log.breakStart("carla", at("21:30"));
    log.checkIn("max", "back", at("09:00"));
    const roster = timeline(log);
    const late = everyHalfHour.filter((t) => t > at("21:30"));
    const projected = answers(roster, late);
    const projectedChanges = roster.changesBetween(at("21:30"), at("12:00", 1));

    roster.add(log.crmLogin("max", at("12:00", 1)));
    expect(answers(roster, late)).toEqual(projected);
    expect(roster.changesBetween(at("21:30"), at("12:00", 1))).toEqual(projectedChanges);
    expect(projectedChanges.filter((c) => c.kind === "auto-close").map((c) => c.employeeId)).toEqual([
      "alice",
      "max",
      "bella",
      "carla",
    ]);
  });

  test("R0.3: a check-out after the automatic close changes nothing and is refused by check()", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("08:00"));
    log.checkOut("alice", at("23:00"));
    const roster = timeline(log);
    expect(
      roster.check({ kind: "check-out", employeeId: "alice", deskId: null, at: at("23:00") })?.code,
    ).toBe("ROSTER.NOT_ON_SHIFT");
    expect(roster.shiftAt("alice", at("21:00"))).toMatchObject({ to: at("22:00"), endedBy: "auto-close" });
    expect(roster.changesBetween(at("21:00"), at("23:30")).map((c) => c.kind)).toEqual(["auto-close"]);
  });
});

describe("a manager's correction is a new fact in the past", () => {
  test("R0.3: a check-in entered late re-attributes the desk before and after it; no fact is edited", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("bella", "front", at("10:00"));
    log.checkOut("alice", at("12:00"));
    const roster = timeline(log);
    const before = answers(roster, everyHalfHour);
    expect(holder(roster, "front", at("08:30"))).toBeNull();
    expect(holder(roster, "front", at("09:30"))).toBe("alice");

    // Bella was at the desk from 08:00 and forgot to tap the kiosk; the manager enters it at 13:00.
    const correction = log.checkIn("bella", "front", at("08:00"), {
      source: "manager",
      actorId: "max",
      recordedAt: at("13:00"),
    });
    roster.add(correction);

    expect(holder(roster, "front", at("08:30"))).toBe("bella");
    expect(holder(roster, "front", at("09:30"))).toBe("bella");
    expect(holder(roster, "front", at("12:30"))).toBe("bella");
    expect(answers(roster, everyHalfHour)).not.toEqual(before);
    expect(roster.factCount).toBe(4);
    const listed = roster.changesBetween(at("08:00"), at("08:01"));
    expect(listed).toEqual([
      {
        at: at("08:00"),
        kind: "check-in",
        employeeId: "bella",
        deskId: "front",
        source: "manager",
        actorId: "max",
        recordedAt: at("13:00"),
      },
    ]);
    // Bella's own 10:00 check-in no longer applies where it lands: it is kept, and listed nowhere.
    expect(roster.changesBetween(at("10:00"), at("10:01"))).toEqual([]);
    // Every fact is frozen: the refold would have thrown had it edited one.
    expect(log.all.every((f) => Object.isFrozen(f))).toBe(true);
  });

  test("R0.3: a correction folded in afterwards gives the timeline that replaying all facts gives", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.breakStart("alice", at("11:00"));
    log.breakEnd("alice", at("11:30"));
    log.checkOut("alice", at("17:00"));
    const roster = timeline(log);
    roster.add(
      log.checkOut("alice", at("10:00"), { source: "manager", actorId: "max", recordedAt: at("18:00") }),
    );

    expect(holder(roster, "front", at("10:00"))).toBeNull();
    expect(holder(roster, "front", at("11:45"))).toBeNull();
    expect(answers(roster, everyHalfHour)).toEqual(answers(timeline(log), everyHalfHour));
  });
});

describe("check() validates a command against the roster at its instant", () => {
  const log = new FactLog();
  log.checkIn("alice", "front", at("09:00"));
  log.checkIn("bella", "front", at("09:00"));
  log.breakStart("bella", at("10:00"));
  const roster = timeline(log);
  const code = (command: Partial<RosterCommand>) =>
    roster.check({ kind: "check-in", employeeId: "alice", deskId: null, at: at("10:30"), ...command })
      ?.code ?? null;

  test("R0.3: ROSTER.UNKNOWN_EMPLOYEE for an id not on the staff list", () => {
    expect(code({ employeeId: "ghost", deskId: "front" })).toBe("ROSTER.UNKNOWN_EMPLOYEE");
    expect(code({ kind: "check-out", employeeId: "ghost" })).toBe("ROSTER.UNKNOWN_EMPLOYEE");
  });

  test("R0.3: ROSTER.UNKNOWN_DESK for a check-in or handover at no desk or a desk not configured", () => {
    expect(code({ employeeId: "carla", deskId: "lobby" })).toBe("ROSTER.UNKNOWN_DESK");
    expect(code({ employeeId: "carla", deskId: null })).toBe("ROSTER.UNKNOWN_DESK");
    expect(code({ kind: "handover", employeeId: "carla", deskId: "lobby" })).toBe("ROSTER.UNKNOWN_DESK");
    expect(code({ employeeId: "carla", deskId: "front" })).toBeNull();
  });

  test("R0.3: ROSTER.ALREADY_ON_SHIFT for a check-in at the desk she is on shift at, not at another", () => {
    expect(code({ deskId: "front" })).toBe("ROSTER.ALREADY_ON_SHIFT");
    expect(code({ deskId: "back" })).toBeNull();
    expect(code({ deskId: "front", at: at("08:59") })).toBeNull();
  });

  test("R0.3: ROSTER.NOT_ON_SHIFT for a check-out, break or close of someone not on shift", () => {
    for (const kind of ["check-out", "break-start", "break-end", "closed-elsewhere"] as const) {
      expect(code({ kind, employeeId: "carla" })).toBe("ROSTER.NOT_ON_SHIFT");
    }
    expect(code({ kind: "check-out" })).toBeNull();
    expect(code({ kind: "check-out", at: at("08:00") + MAX_SHIFT_MS + DAY })).toBe("ROSTER.NOT_ON_SHIFT");
  });

  test("R0.3: ROSTER.ALREADY_ON_BREAK and ROSTER.NOT_ON_BREAK", () => {
    expect(code({ kind: "break-start", employeeId: "bella" })).toBe("ROSTER.ALREADY_ON_BREAK");
    expect(code({ kind: "break-start" })).toBeNull();
    expect(code({ kind: "break-end" })).toBe("ROSTER.NOT_ON_BREAK");
    expect(code({ kind: "break-end", employeeId: "bella" })).toBeNull();
    expect(code({ kind: "break-end", employeeId: "bella", at: at("09:59") })).toBe("ROSTER.NOT_ON_BREAK");
  });

  test("R0.3: ROSTER.ALREADY_HOLDS_PHONE for a handover by the holder, not by a colleague", () => {
    expect(code({ kind: "handover", deskId: "front" })).toBe("ROSTER.ALREADY_HOLDS_PHONE");
    expect(code({ kind: "handover", employeeId: "bella", deskId: "front" })).toBeNull();
    expect(code({ kind: "handover", deskId: "back" })).toBeNull();
  });

  test("R0.3a: a CRM login is always accepted, on shift or not", () => {
    expect(code({ kind: "crm-login", employeeId: "carla" })).toBeNull();
  });
});

describe("determinism and invalid facts", () => {
  const day = () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("08:00"));
    log.checkIn("bella", "front", at("08:00"));
    log.checkIn("carla", "back", at("08:30"));
    log.crmLogin("max", at("08:45"));
    log.breakStart("alice", at("10:00"));
    log.handover("carla", "front", at("10:15"));
    log.breakEnd("alice", at("10:30"));
    log.checkOut("carla", at("12:00"));
    log.checkIn("carla", "back", at("13:00"));
    log.handover("alice", "front", at("13:00"));
    log.checkOut("alice", at("16:00"));
    log.checkIn("alice", "back", at("16:00"));
    log.checkIn("bella", "front", at("09:00"), {
      source: "manager",
      actorId: "max",
      recordedAt: at("17:00"),
    });
    return log;
  };

  test("R0.3: the same facts replayed in any order give the same answers", () => {
    const log = day();
    const expected = answers(timeline(log), everyHalfHour);
    const expectedChanges = timeline(log).changesBetween(at("00:00"), at("00:00", 2));
    for (const seed of [1, 2, 3, 42, 2025]) {
      const order = shuffled(log.all, seed);
      expect(order.map((f) => f.seq)).not.toEqual(log.all.map((f) => f.seq));
      expect(answers(timeline(order), everyHalfHour)).toEqual(expected);
      const added = timeline();
      for (const fact of order) added.add(fact);
      expect(answers(added, everyHalfHour)).toEqual(expected);
      expect(added.changesBetween(at("00:00"), at("00:00", 2))).toEqual(expectedChanges);
    }
  });

  test("R0.3: facts at the same instant apply in the order they were recorded", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.handover("bella", "front", at("09:00"));
    expect(holder(timeline(log), "front", at("09:00"))).toBe("bella");
    expect(holder(timeline([...log.all].reverse()), "front", at("09:00"))).toBe("bella");
  });

  test("R0.3: an invalid fact folded in (a check-out of someone not on shift) changes nothing", () => {
    const log = day();
    const roster = timeline(log);
    const before = answers(roster, everyHalfHour);
    const changesBefore = roster.changesBetween(at("00:00"), at("00:00", 2));
    const invalid = new FactLog();
    const facts = [
      invalid.checkOut("max", at("11:00")),
      invalid.breakEnd("bella", at("11:00")),
      invalid.breakStart("max", at("11:00")),
      invalid.closedElsewhere("max", at("11:00")),
      invalid.checkIn("bella", "front", at("11:00")),
      invalid.checkIn("max", "lobby", at("11:00")),
      invalid.checkIn("carla", "lobby", at("11:00")),
      invalid.handover("bella", "lobby", at("11:00")),
    ];
    for (const fact of facts) roster.add({ ...fact, seq: 1000 + fact.seq });
    expect(answers(roster, everyHalfHour)).toEqual(before);
    expect(roster.changesBetween(at("00:00"), at("00:00", 2))).toEqual(changesBefore);
  });

  test("R0.3: a handover by the one already holding the phone is not listed as a change", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.handover("alice", "front", at("10:00"));
    expect(timeline(log).changesBetween(at("10:00"), at("11:00"))).toEqual([]);
  });
});

describe("changesBetween", () => {
  test("R0.4: lists changes with from <= at < to, each with the desk it concerns and its source", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.breakStart("alice", at("10:00"));
    log.record("check-out", "alice", at("11:00"), "back", { source: "api" });
    const roster = timeline(log);
    const rows = roster.changesBetween(at("09:00"), at("11:00")).map((c) => [c.kind, c.deskId, c.source]);
    expect(rows).toEqual([
      ["check-in", "front", "kiosk"],
      ["break-start", "front", "kiosk"],
    ]);
    // A check-out concerns the desk of the shift it ends, whatever deskId it carries.
    expect(roster.changesBetween(at("11:00"), at("11:01")).map((c) => [c.kind, c.deskId, c.source])).toEqual([
      ["check-out", "front", "api"],
    ]);
  });

  test("R0.4: the board of a past instant shows who was on shift then, not who is on shift at the end", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkOut("alice", at("12:00"));
    log.checkIn("bella", "front", at("12:00"));
    const roster = timeline(log);
    expect(roster.onShiftAt(at("10:00")).map((s) => [s.shift.employeeId, s.holdsPhone])).toEqual([
      ["alice", true],
    ]);
    expect(roster.onShiftAt(at("12:00")).map((s) => [s.shift.employeeId, s.holdsPhone])).toEqual([
      ["bella", true],
    ]);
  });
});

describe("issue 14 (5, 6): what leaving does to the phone, hours worked, shifts to correct", () => {
  test("issue 14 (5): the holder leaving passes the phone to the colleague there longest, else to nobody", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkIn("bella", "front", at("09:30"));
    log.checkIn("carla", "front", at("10:00"));
    log.breakStart("bella", at("10:30"));
    const roster = timeline(log);
    expect(roster.phoneAfterLeaving("alice", at("11:00"))).toEqual({ deskId: "front", next: "carla" });
    expect(roster.phoneAfterLeaving("alice", at("09:10"))).toEqual({ deskId: "front", next: null });
    // Not the holder: leaving changes no phone.
    expect(roster.phoneAfterLeaving("carla", at("11:00"))).toBeUndefined();
    expect(roster.phoneAfterLeaving("max", at("11:00"))).toBeUndefined();
  });

  test("issue 14 (5): hours worked count the day's part of each shift, breaks left out, open shifts up to now", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.breakStart("alice", at("13:00"));
    log.breakEnd("alice", at("13:30"));
    const roster = timeline(log);
    const [shift] = roster.shiftsBetween(at("00:00"), at("00:00") + DAY);
    if (shift === undefined) throw new Error("no shift");
    expect(workedBetween(shift, at("00:00"), at("00:00") + DAY, at("18:00"))).toBe(8 * HOUR + 30 * MINUTE);
    // On a break now: the open break is not work.
    expect(workedBetween(shift, at("00:00"), at("00:00") + DAY, at("13:20"))).toBe(4 * HOUR);
    // Only the window's part.
    expect(workedBetween(shift, at("12:00"), at("14:00"), at("18:00"))).toBe(90 * MINUTE);
  });

  test("issue 14 (6): yesterday's shift the box closed by itself is listed, and a correction ends it earlier", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00") - DAY);
    log.checkIn("bella", "back", at("08:00"));
    const roster = timeline(log);
    const listed = roster.shiftsBetween(at("00:00") - DAY, at("12:00"));
    expect(listed.map((s) => [s.employeeId, s.endedBy])).toEqual([
      ["alice", "auto-close"],
      ["bella", null],
    ]);
    const correction: RosterCommand = {
      kind: "check-out",
      employeeId: "alice",
      deskId: null,
      at: at("18:00") - DAY,
    };
    expect(roster.check(correction)).toBeNull();
    roster.add(log.checkOut("alice", at("18:00") - DAY));
    expect(roster.shiftsBetween(at("00:00") - DAY, at("12:00"))[0]).toMatchObject({
      employeeId: "alice",
      to: at("18:00") - DAY,
      endedBy: "check-out",
    });
  });
});
