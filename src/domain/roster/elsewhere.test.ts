import { describe, expect, test } from "bun:test";
import {
  at,
  desk,
  FactLog,
  MAX_SHIFT_MS,
  manager,
  reception,
} from "../../../test/fixtures/domain/roster-fixtures.ts";
import { closeForElsewhere, type Elsewhere, elsewhereNow } from "./elsewhere.ts";
import { RosterTimeline } from "./roster-timeline.ts";

// Branch 1's box: Carla opened the front desk; headquarters relays her check-in at branch 2.
const desks = [desk("front", "101", "Front desk")];
const staff = [reception("alice", "Alice"), reception("carla", "Carla"), manager("max", "Max", "102")];
const atBranch2 = (t: number, employeeId = "carla"): Elsewhere => ({
  employeeId,
  branchId: "b2",
  branchName: "Branch 2",
  at: t,
});

function branch1(build: (log: FactLog) => void): RosterTimeline {
  const log = new FactLog();
  build(log);
  return new RosterTimeline({ desks, staff, maxShiftMs: MAX_SHIFT_MS }, log.all);
}

describe("R0.3d a check-in at another branch closes the shift here at that instant", () => {
  const cases: {
    name: string;
    build: (log: FactLog) => void;
    relay: Elsewhere;
    close: number | null;
  }[] = [
    {
      name: "R0.3d: an open shift closes at the instant of the check-in there",
      build: (log) => log.checkIn("carla", "front", at("08:00")),
      relay: atBranch2(at("10:00")),
      close: at("10:00"),
    },
    {
      name: "R0.3d: a late relay (branch 1 was offline) still closes at the instant there, not at its arrival",
      build: (log) => {
        log.checkIn("carla", "front", at("08:00"));
        log.checkIn("alice", "front", at("11:00"));
      },
      relay: atBranch2(at("10:00")),
      close: at("10:00"),
    },
    {
      name: "R0.3d: a shift begun after that instant is not closed",
      build: (log) => log.checkIn("carla", "front", at("11:00")),
      relay: atBranch2(at("10:00")),
      close: null,
    },
    {
      name: "R0.3d: a shift checked out before that instant is not closed again",
      build: (log) => {
        log.checkIn("carla", "front", at("08:00"));
        log.checkOut("carla", at("09:30"));
      },
      relay: atBranch2(at("10:00")),
      close: null,
    },
    {
      name: "R0.3d: the same relay again closes nothing (already closed at that instant)",
      build: (log) => {
        log.checkIn("carla", "front", at("08:00"));
        log.closedElsewhere("carla", at("10:00"));
      },
      relay: atBranch2(at("10:00")),
      close: null,
    },
    {
      name: "R0.3d: an employee with no shift here (a manager on a dedicated extension) closes nothing",
      build: () => {},
      relay: atBranch2(at("10:00"), "max"),
      close: null,
    },
    {
      name: "R0.3d: an employee this box does not know closes nothing",
      build: () => {},
      relay: atBranch2(at("10:00"), "zoe"),
      close: null,
    },
  ];
  for (const c of cases)
    test(c.name, () => {
      const command = closeForElsewhere(branch1(c.build), c.relay);
      expect(command?.at ?? null).toBe(c.close);
      if (command !== null)
        expect(command).toEqual({
          kind: "closed-elsewhere",
          employeeId: "carla",
          deskId: null,
          at: c.close ?? 0,
        });
    });

  test("R0.3d: folded in, the desk's phone passes on at that instant and a later check-out here changes nothing", () => {
    const log = new FactLog();
    log.checkIn("carla", "front", at("08:00"));
    log.checkIn("alice", "front", at("09:00"));
    log.checkOut("carla", at("12:00"));
    const roster = new RosterTimeline({ desks, staff, maxShiftMs: MAX_SHIFT_MS }, log.all);
    const command = closeForElsewhere(roster, atBranch2(at("10:00")));
    expect(command).not.toBeNull();
    roster.add({
      ...(command as NonNullable<typeof command>),
      seq: 99,
      recordedAt: at("13:00"),
      source: "hq",
      actorId: null,
    });
    expect(roster.shiftAt("carla", at("09:59"))).toMatchObject({
      to: at("10:00"),
      endedBy: "closed-elsewhere",
    });
    expect(roster.ownerOf("101", at("10:30"))).toMatchObject({ employeeId: "alice", since: at("10:00") });
    expect(closeForElsewhere(roster, atBranch2(at("10:00")))).toBeNull();
  });
});

describe("R0.3d the board says where they are today", () => {
  const dayStart = at("00:00");

  test("R0.3d: after the close, at branch 2 until the day ends", () => {
    const roster = branch1((log) => {
      log.checkIn("carla", "front", at("08:00"));
      log.closedElsewhere("carla", at("10:00"));
    });
    const relays = [atBranch2(at("10:00"))];
    expect(elsewhereNow(roster, relays, dayStart, at("09:59"))).toBeNull();
    expect(elsewhereNow(roster, relays, dayStart, at("10:00"))).toEqual(atBranch2(at("10:00")));
    expect(elsewhereNow(roster, relays, dayStart, at("23:59"))).toEqual(atBranch2(at("10:00")));
    // The next branch day starts later: yesterday's relay says nothing.
    expect(elsewhereNow(roster, relays, at("00:00", 1), at("08:00", 1))).toBeNull();
  });

  test("R0.3d: back at branch 1 later the same day: no longer elsewhere, and the new shift stays open", () => {
    const roster = branch1((log) => {
      log.checkIn("carla", "front", at("08:00"));
      log.closedElsewhere("carla", at("10:00"));
      log.checkIn("carla", "front", at("15:00"));
    });
    const relays = [atBranch2(at("10:00"))];
    expect(elsewhereNow(roster, relays, dayStart, at("14:59"))).not.toBeNull();
    expect(elsewhereNow(roster, relays, dayStart, at("15:00"))).toBeNull();
    expect(closeForElsewhere(roster, relays[0] as Elsewhere)).toBeNull();
    expect(roster.shiftAt("carla", at("16:00"))).toMatchObject({ from: at("15:00"), to: null });
  });

  test("R0.3d: the latest check-in elsewhere of the day wins (branch 2, then branch 3)", () => {
    const roster = branch1(() => {});
    const relays = [{ ...atBranch2(at("13:00")), branchId: "b3", branchName: null }, atBranch2(at("10:00"))];
    expect(elsewhereNow(roster, relays, dayStart, at("12:00"))?.branchId).toBe("b2");
    expect(elsewhereNow(roster, relays, dayStart, at("14:00"))?.branchId).toBe("b3");
  });
});
