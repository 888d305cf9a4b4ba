// The rules' facts as the box keeps them (issue 16): no-answer forwarding (R4.1–R4.4) and absences
// (R4.7) written on the box with their audit entries, read back from memory by the routing, kept
// across a restart, and refused with a coded error that changes nothing.
import { afterEach, describe, expect, test } from "bun:test";
import type { ForwardingSetting } from "../../src/contract/rules-settings.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { RulesFactsService } from "../../src/service/rules-facts.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";

let box: TestBox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

const TO_OLGA: ForwardingSetting = {
  action: { kind: "forward", to: { employeeId: "olga" } },
  notice: { kind: "default" },
  timeoutSeconds: 60,
};
const auditRows = (b: TestBox) =>
  b.db
    .query<{ action: string; actor_id: string | null; detail: string }, []>(
      "SELECT action, actor_id, detail FROM audit ORDER BY id",
    )
    .all();
const kiosk = (actorId: string) => ({ via: "kiosk", actorId }) as const;

describe("forwarding (R4.1–R4.4)", () => {
  test("R4.1: nobody has their own at first: the routing reads null (the default, busy after 120 s)", async () => {
    box = await makeTestBox();
    expect(box.rules.forwarding("anna")).toBeNull();
  });

  test("R4.4: an employee sets her own; the routing reads it from memory, the listeners hear, the audit keeps it, a restart keeps it", async () => {
    box = await makeTestBox();
    let heard = 0;
    box.rules.subscribe(() => heard++);
    const now = box.clock.now();
    const result = box.deps.rules.setForwarding("anna", TO_OLGA, kiosk("anna"), now);
    expect(result.ok).toBe(true);
    expect(box.rules.forwarding("anna")).toEqual({
      employeeId: "anna",
      ...TO_OLGA,
      setBy: { via: "self", employeeId: "anna" },
      updatedAt: now,
    });
    expect(heard).toBe(1);
    expect(auditRows(box)).toEqual([
      {
        action: "forwarding.set",
        actor_id: "anna",
        detail:
          'forwarding of anna set via kiosk by anna: {"action":{"kind":"forward","to":{"employeeId":"olga"}},"notice":{"kind":"default"},"timeoutSeconds":60}',
      },
    ]);
    const again = new RulesFactsService(box.db, {
      timeZone: "Europe/Moscow",
      staff: () => box?.roster.employees(now) ?? [],
      log: silentLogger,
    });
    expect(again.forwarding("anna")?.action).toEqual(TO_OLGA.action);
  });

  test("R4.4: a manager sets anyone's (set by the manager); back to the default removes it", async () => {
    box = await makeTestBox();
    const now = box.clock.now();
    const voicemail: ForwardingSetting = {
      action: { kind: "voicemail" },
      notice: { kind: "none" },
      timeoutSeconds: 30,
    };
    expect(box.deps.rules.setForwarding("olga", voicemail, kiosk("sergey"), now).ok).toBe(true);
    expect(box.rules.forwarding("olga")?.setBy).toEqual({ via: "manager", employeeId: "sergey" });
    expect(box.deps.rules.setForwarding("olga", null, kiosk("sergey"), now).ok).toBe(true);
    expect(box.rules.forwarding("olga")).toBeNull();
    expect(auditRows(box).at(-1)?.detail).toBe("forwarding of olga set via kiosk by sergey: default");
  });

  test("R4.4: a receptionist may not set a colleague's: ROSTER.NOT_A_MANAGER, nothing written", async () => {
    box = await makeTestBox();
    const result = box.deps.rules.setForwarding("olga", TO_OLGA, kiosk("anna"), box.clock.now());
    expect(result.ok ? null : result.error.code).toBe("ROSTER.NOT_A_MANAGER");
    expect(box.rules.forwarding("olga")).toBeNull();
    expect(auditRows(box)).toEqual([]);
  });

  test("R4.2: a forward to oneself, to nobody on the staff, or a ring time outside 30–300 s is RULES.BAD_FORWARDING", async () => {
    box = await makeTestBox();
    const now = box.clock.now();
    const bad: ForwardingSetting[] = [
      { ...TO_OLGA, action: { kind: "forward", to: { employeeId: "anna" } } },
      { ...TO_OLGA, action: { kind: "forward", to: { employeeId: "maria" } } },
      { ...TO_OLGA, timeoutSeconds: 20 },
      { ...TO_OLGA, timeoutSeconds: 301 },
    ];
    for (const setting of bad) {
      const result = box.deps.rules.setForwarding("anna", setting, kiosk("anna"), now);
      expect(result.ok ? null : result.error.code).toBe("RULES.BAD_FORWARDING");
    }
    expect(box.deps.rules.setForwarding("nobody", TO_OLGA, { via: "api", actorId: null }, now)).toMatchObject(
      {
        ok: false,
        error: { code: "ROSTER.UNKNOWN_EMPLOYEE" },
      },
    );
    expect(box.rules.forwarding("anna")).toBeNull();
    expect(auditRows(box)).toEqual([]);
  });

  test("a write the disk refuses throws, keeps nothing (no setting, no audit) and leaves memory as it was", async () => {
    box = await makeTestBox();
    const now = box.clock.now();
    box.deps.rules.setForwarding("anna", TO_OLGA, kiosk("anna"), now);
    box.db.run(
      "CREATE TRIGGER refuse BEFORE UPDATE ON forwarding BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END",
    );
    const voicemail: ForwardingSetting = {
      action: { kind: "voicemail" },
      notice: { kind: "default" },
      timeoutSeconds: 90,
    };
    expect(() => box?.deps.rules.setForwarding("anna", voicemail, kiosk("anna"), now)).toThrow();
    expect(box.rules.forwarding("anna")?.timeoutSeconds).toBe(60);
    expect(auditRows(box)).toHaveLength(1);
  });
});

describe("absences (R4.7)", () => {
  const VACATION = { kind: "vacation", first: "2026-11-23", last: "2026-11-29" } as const;

  test("R4.7: a manager enters a vacation: away from its first day, back the morning after its last; audited", async () => {
    box = await makeTestBox();
    const now = box.clock.now();
    const added = box.deps.rules.addRange("anna", VACATION, kiosk("sergey"), now);
    expect(added.ok).toBe(true);
    expect(box.rules.absence("anna", Date.parse("2026-11-22T23:59:00+03:00"))).toBeNull();
    expect(box.rules.absence("anna", Date.parse("2026-11-25T12:00:00+03:00"))).toEqual({
      reason: "vacation",
      until: Date.parse("2026-11-30T00:00:00+03:00"),
    });
    expect(auditRows(box)).toEqual([
      {
        action: "absence.add",
        actor_id: "sergey",
        detail: "vacation of anna 2026-11-23..2026-11-29 added via kiosk by sergey",
      },
    ]);
  });

  test("R4.7: a receptionist may not enter absences, not even her own: ROSTER.NOT_A_MANAGER", async () => {
    box = await makeTestBox();
    const result = box.deps.rules.addRange("anna", VACATION, kiosk("anna"), box.clock.now());
    expect(result.ok ? null : result.error.code).toBe("ROSTER.NOT_A_MANAGER");
    expect(box.deps.rules.absences("anna").ranges).toEqual([]);
  });

  test("R4.7: a range backwards or over a year is RULES.BAD_ABSENCE; removing one that is not there is RULES.UNKNOWN_ABSENCE", async () => {
    box = await makeTestBox();
    const now = box.clock.now();
    const backwards = box.deps.rules.addRange(
      "anna",
      { ...VACATION, last: "2026-11-01" },
      kiosk("sergey"),
      now,
    );
    expect(backwards.ok ? null : backwards.error.code).toBe("RULES.BAD_ABSENCE");
    const long = box.deps.rules.addRange("anna", { ...VACATION, last: "2027-12-01" }, kiosk("sergey"), now);
    expect(long.ok ? null : long.error.code).toBe("RULES.BAD_ABSENCE");
    const gone = box.deps.rules.removeRange("anna", 999, kiosk("sergey"), now);
    expect(gone.ok ? null : gone.error.code).toBe("RULES.UNKNOWN_ABSENCE");
    expect(auditRows(box)).toEqual([]);
  });

  test("R4.7: a schedule, then the API's whole replacement: only what changed is audited, each on its own", async () => {
    box = await makeTestBox();
    const now = box.clock.now();
    const office = ([1, 2, 3, 4, 5] as const).map((day) => ({ day, from: 540, to: 1080 }));
    expect(box.deps.rules.setSchedule("olga", office, kiosk("sergey"), now).ok).toBe(true);
    // Saturday 2026-11-21: off by her schedule, back on Monday at 09:00.
    expect(box.rules.absence("olga", now)).toEqual({
      reason: "schedule",
      until: Date.parse("2026-11-23T09:00:00+03:00"),
    });
    box.deps.rules.addRange("olga", VACATION, kiosk("sergey"), now);
    const sick = { kind: "sick", first: "2026-12-01", last: "2026-12-02" } as const;
    const replaced = box.deps.rules.replaceAbsences(
      "olga",
      { schedule: office, ranges: [sick] },
      { via: "api", actorId: null },
      now,
    );
    expect(replaced.ok).toBe(true);
    expect(box.deps.rules.absences("olga").ranges.map((r) => r.kind)).toEqual(["sick"]);
    expect(auditRows(box).map((r) => r.action)).toEqual([
      "schedule.set",
      "absence.add",
      "absence.remove",
      "absence.add",
    ]);
    expect(auditRows(box).at(-1)?.detail).toBe("sick of olga 2026-12-01..2026-12-02 added via api");
    expect(auditRows(box)[0]?.detail).toBe(
      "schedule of olga set via kiosk by sergey: mon 09:00-18:00, tue 09:00-18:00, wed 09:00-18:00, thu 09:00-18:00, fri 09:00-18:00",
    );
  });

  test("R4.7: an absence never changes who holds a desk (the roster stays the authority)", async () => {
    box = await makeTestBox();
    const now = box.clock.now();
    await box.roster.record({ kind: "check-in", employeeId: "anna", deskId: "front", source: "kiosk" }, now);
    box.deps.rules.addRange(
      "anna",
      { kind: "sick", first: "2026-11-21", last: "2026-11-21" },
      kiosk("sergey"),
      now,
    );
    expect(box.rules.absence("anna", now)?.reason).toBe("sick");
    expect(box.roster.ownerOf("101", now).employeeId).toBe("anna");
  });
});
