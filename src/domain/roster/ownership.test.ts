import { describe, expect, test } from "bun:test";
import {
  at,
  desk,
  FactLog,
  MAX_SHIFT_MS,
  manager,
  reception,
} from "../../../test/fixtures/domain/roster-fixtures.ts";
import { RosterTimeline } from "./roster-timeline.ts";
import type { StaffMember } from "./types.ts";

// The seed (000_…txt) tells its four failures with two branches. Each branch runs its own box, so each
// is its own timeline with its own desks; headquarters sends both the same staff list.
const branch1Desks = [desk("front", "101", "Front desk")];
const branch2Desks = [desk("front2", "201", "Front desk of branch 2")];

const staff: StaffMember[] = [
  reception("alice", "Alice"),
  reception("bella", "Bella"),
  reception("carla", "Carla"),
  manager("max", "Max", "102"),
];

const timeline = (desks = branch1Desks, members = staff, log = new FactLog()) =>
  new RosterTimeline({ desks, staff: members, maxShiftMs: MAX_SHIFT_MS }, log.all);

describe("R0.2 the owner is decided when the call reaches the handset", () => {
  test("R0.2: a dedicated extension belongs to its holder (rule dedicated), on shift or not", () => {
    const roster = timeline();
    const owner = roster.ownerOf("102", at("11:00"));
    expect(owner).toMatchObject({ extension: "102", employeeId: "max", rule: "dedicated", deskId: null });
    expect(roster.shiftAt("max", at("11:00"))).toBeNull();
  });

  test("R0.2: a desk extension goes to whoever is checked in at the desk at that moment", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkOut("alice", at("13:00"));
    log.checkIn("bella", "front", at("13:00"));
    const roster = timeline(branch1Desks, staff, log);

    expect(roster.ownerOf("101", at("08:59"))).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(roster.ownerOf("101", at("09:00"))).toMatchObject({
      employeeId: "alice",
      rule: "desk-checkin",
      deskId: "front",
      since: at("09:00"),
    });
    expect(roster.ownerOf("101", at("12:59"))).toMatchObject({ employeeId: "alice", rule: "desk-checkin" });
    expect(roster.ownerOf("101", at("13:00"))).toMatchObject({
      employeeId: "bella",
      rule: "desk-checkin",
      since: at("13:00"),
    });
  });

  test("R0.2: a profile extension that is a desk's extension makes nobody its dedicated owner", () => {
    const stale = [...staff, reception("dora", "Dora", "101")];
    const owner = timeline(branch1Desks, stale).ownerOf("101", at("10:00"));
    expect(owner).toMatchObject({ employeeId: null, rule: "unmapped", deskId: "front" });
  });
});

describe("R0.3 a shared extension belongs to the one checked in at that desk of that branch", () => {
  test("R0.3a: an off-shift employee's CRM login does not take the desk's calls", () => {
    // Bella works today; Alice is off, her profile still says 101, and she opens the CRM at 11:00
    // for five minutes to fix yesterday's record.
    const members = staff.map((s) => (s.id === "alice" ? { ...s, extension: "101" } : s));
    const log = new FactLog();
    log.checkIn("bella", "front", at("09:00"));
    log.crmLogin("alice", at("11:00"));
    const roster = timeline(branch1Desks, members, log);

    expect(roster.ownerOf("101", at("11:05"))).toMatchObject({
      employeeId: "bella",
      rule: "desk-checkin",
      since: at("09:00"),
    });
    expect(roster.shiftAt("alice", at("11:05"))).toBeNull();
    expect(roster.changesBetween(at("11:00"), at("11:01")).map((c) => [c.kind, c.employeeId])).toEqual([
      ["crm-login", "alice"],
    ]);
  });

  test("R0.3a: a CRM login at a desk nobody holds leaves it unmapped", () => {
    const log = new FactLog();
    log.crmLogin("alice", at("11:00"));
    const owner = timeline(branch1Desks, staff, log).ownerOf("101", at("11:05"));
    expect(owner).toMatchObject({ employeeId: null, rule: "unmapped" });
  });

  test("R0.3b: an employee working at another branch gets the calls of the desk she checked in at there", () => {
    // Carla belongs to branch 1 and her profile still says 101; today she works at branch 2.
    const members = staff.map((s) => (s.id === "carla" ? { ...s, extension: "101" } : s));
    const home = new FactLog();
    home.checkIn("alice", "front", at("09:00"));
    const away = new FactLog();
    away.checkIn("carla", "front2", at("09:10"));
    const branch1 = timeline(branch1Desks, members, home);
    const branch2 = timeline(branch2Desks, members, away);

    expect(branch2.ownerOf("201", at("10:00"))).toMatchObject({ employeeId: "carla", rule: "desk-checkin" });
    expect(branch1.ownerOf("101", at("10:00"))).toMatchObject({ employeeId: "alice", rule: "desk-checkin" });
  });

  test("R0.3c: back home after a day elsewhere, today's check-in at home decides, no manual switch", () => {
    // Yesterday Carla worked at branch 2 and switched her profile to 201; she forgot to switch it back.
    const members = staff.map((s) => (s.id === "carla" ? { ...s, extension: "201" } : s));
    const home = new FactLog();
    home.checkIn("carla", "front", at("09:00"));
    const away = new FactLog();
    away.checkIn("carla", "front2", at("09:00", -1));
    away.checkOut("carla", at("18:00", -1));
    away.checkIn("bella", "front2", at("09:00"));
    const branch1 = timeline(branch1Desks, members, home);
    const branch2 = timeline(branch2Desks, members, away);

    expect(branch1.ownerOf("101", at("10:00"))).toMatchObject({ employeeId: "carla", rule: "desk-checkin" });
    expect(branch2.ownerOf("201", at("10:00"))).toMatchObject({ employeeId: "bella", rule: "desk-checkin" });
    expect(branch2.ownerOf("201", at("10:00", -1))).toMatchObject({ employeeId: "carla" });
  });

  test("R0.3d: a substitute who kept her extension: both branches' calls go to the people at the desks", () => {
    // Carla (branch 1, profile 101) opens branch 1 at 08:00, then goes to cover branch 2 from 10:00.
    // Headquarters sees her check-in there and closes her branch-1 shift (closed-elsewhere).
    const members = staff.map((s) => (s.id === "carla" ? { ...s, extension: "101" } : s));
    const home = new FactLog();
    home.checkIn("carla", "front", at("08:00"));
    home.checkIn("alice", "front", at("09:00"));
    home.closedElsewhere("carla", at("10:00"));
    const away = new FactLog();
    away.checkIn("carla", "front2", at("10:00"));
    away.crmLogin("carla", at("10:05"));
    const branch1 = timeline(branch1Desks, members, home);
    const branch2 = timeline(branch2Desks, members, away);

    expect(branch1.ownerOf("101", at("09:30"))).toMatchObject({ employeeId: "carla" });
    expect(branch1.ownerOf("101", at("10:30"))).toMatchObject({
      employeeId: "alice",
      rule: "desk-checkin",
      since: at("10:00"),
    });
    expect(branch2.ownerOf("201", at("10:30"))).toMatchObject({ employeeId: "carla", rule: "desk-checkin" });
    expect(branch1.shiftAt("carla", at("10:30"))).toBeNull();
    expect(branch1.shiftAt("carla", at("09:30"))).toMatchObject({
      to: at("10:00"),
      endedBy: "closed-elsewhere",
    });
  });
});

describe("R0.3d at a box that does not know the other branch's desks", () => {
  test("R0.3d: a receptionist's stale profile extension from another branch makes her no dedicated owner here", () => {
    // Carla's profile still says 101, branch 1's front desk. Branch 2's box has only desk 201, so
    // it cannot tell 101 is a desk; a receptionist's profile extension is never dedicated anyway.
    const members = staff.map((s) => (s.id === "carla" ? { ...s, extension: "101" } : s));
    const away = new FactLog();
    away.checkIn("carla", "front2", at("10:00"));
    const branch2 = timeline(branch2Desks, members, away);
    expect(branch2.ownerOf("101", at("10:30"))).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(branch2.ownerOf("201", at("10:30"))).toMatchObject({ employeeId: "carla", rule: "desk-checkin" });
  });

  test("R0.2: a manager's profile extension stays dedicated at any branch", () => {
    expect(timeline(branch2Desks).ownerOf("102", at("10:30"))).toMatchObject({
      employeeId: "max",
      rule: "dedicated",
    });
  });
});

describe("R0.4 the support screen: who owns each extension now, and why", () => {
  test("R0.4: the reason for a desk owner names the employee and the desk", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    const { reason } = timeline(branch1Desks, staff, log).ownerOf("101", at("10:00"));
    expect(reason).toContain("Alice");
    expect(reason).toContain("Front desk");
  });

  test("R0.4: a desk nobody holds is unmapped, and the reason says the desk's phone is held by nobody", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.checkOut("alice", at("12:00"));
    const owner = timeline(branch1Desks, staff, log).ownerOf("101", at("12:30"));
    expect(owner).toMatchObject({ employeeId: null, rule: "unmapped", deskId: "front", since: null });
    expect(owner.reason).toContain("Front desk");
    expect(owner.reason).toContain("nobody");
    expect(owner.reason).not.toContain("Alice");
  });

  test("R0.4: a desk unmapped because its receptionist is on a break says who is on a break", () => {
    const log = new FactLog();
    log.checkIn("alice", "front", at("09:00"));
    log.breakStart("alice", at("12:00"));
    const roster = timeline(branch1Desks, staff, log);
    const owner = roster.ownerOf("101", at("12:10"));
    expect(owner).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(owner.reason).toContain("Alice is on a break");
    expect(roster.ownerOf("101", at("11:59")).reason).not.toContain("break");
  });

  test("R0.4: the reason for a dedicated extension names its holder", () => {
    const owner = timeline().ownerOf("102", at("10:00"));
    expect(owner.reason).toContain("Max");
    expect(owner.reason).toContain("dedicated");
  });

  test("R0.4: an extension claimed by two profiles is unmapped, with a reason naming both", () => {
    const members = [...staff, manager("olga", "Olga", "105"), manager("pavel", "Pavel", "105")];
    const owner = timeline(branch1Desks, members).ownerOf("105", at("10:00"));
    expect(owner).toMatchObject({ employeeId: null, rule: "unmapped", deskId: null });
    expect(owner.reason).toContain("Olga");
    expect(owner.reason).toContain("Pavel");
  });

  test("R0.4: an extension of no desk and no profile is unmapped, and the reason says so", () => {
    const owner = timeline().ownerOf("999", at("10:00"));
    expect(owner).toMatchObject({ extension: "999", employeeId: null, rule: "unmapped", deskId: null });
    expect(owner.reason).toContain("999");
    expect(owner.reason).toContain("no desk");
  });
});
