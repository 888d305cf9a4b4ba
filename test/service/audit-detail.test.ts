import { afterEach, describe, expect, test } from "bun:test";
import { pinUnlockDetail, readAuditDetail, rosterAuditDetail } from "../../src/service/audit-detail.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";

let box: TestBox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

describe("issue 14 (7): the audit detail is read back as data", () => {
  test("issue 14 (7): a roster correction's detail (as older boxes wrote it too) reads back whole", () => {
    const detail = "check-out of irina as of 2026-11-21T09:30:00.000Z, entered via manager by sergey";
    expect(readAuditDetail("roster.check-out", detail)).toEqual({
      action: "roster",
      kind: "check-out",
      employeeId: "irina",
      deskId: null,
      at: Date.parse("2026-11-21T09:30:00.000Z"),
      via: "manager",
      actorId: "sergey",
      reason: null,
    });
    const written = rosterAuditDetail({
      kind: "check-in",
      employeeId: "olga",
      deskId: "front",
      at: Date.parse("2026-11-21T06:00:00Z"),
      via: "api",
      actorId: null,
    });
    expect(written).toBe("check-in of olga at front as of 2026-11-21T06:00:00.000Z, entered via api");
    expect(readAuditDetail("roster.check-in", written)).toMatchObject({ deskId: "front", actorId: null });
    // Issue 14 (6): a manager's reason, on one line, reads back after the actor.
    const reasoned = rosterAuditDetail({
      kind: "check-out",
      employeeId: "irina",
      deskId: null,
      at: Date.parse("2026-11-21T09:30:00Z"),
      via: "manager",
      actorId: "sergey",
      reason: "forgot:  left at 18:00,\n told the guard",
    });
    expect(reasoned).toEndWith(
      ", entered via manager by sergey; reason: forgot: left at 18:00, told the guard",
    );
    expect(readAuditDetail("roster.check-out", reasoned)).toMatchObject({
      actorId: "sergey",
      reason: "forgot: left at 18:00, told the guard",
    });
  });

  test("issue 14 (7): a PIN unlock's detail reads back with the lock's end, or none", () => {
    const locked = pinUnlockDetail("olga", "admin", Date.parse("2026-11-21T06:05:00Z"));
    expect(locked).toBe("PIN lock of olga lifted via admin (locked until 2026-11-21T06:05:00.000Z)");
    expect(readAuditDetail("pin.unlock", locked)).toEqual({
      action: "pin.unlock",
      employeeId: "olga",
      via: "admin",
      lockedUntil: Date.parse("2026-11-21T06:05:00Z"),
    });
    expect(readAuditDetail("pin.unlock", pinUnlockDetail("anna", "kiosk", null))).toEqual({
      action: "pin.unlock",
      employeeId: "anna",
      via: "kiosk",
      lockedUntil: null,
    });
  });

  test("issue 14 (7): an unknown action, a detail in another form or a kind that disagrees read as null", () => {
    expect(readAuditDetail("staff.import", "12 employees")).toBeNull();
    expect(readAuditDetail("roster.check-in", "something else")).toBeNull();
    expect(
      readAuditDetail(
        "roster.check-in",
        "check-out of irina as of 2026-11-21T09:30:00.000Z, entered via api",
      ),
    ).toBeNull();
    expect(
      readAuditDetail("roster.check-out", "check-out of irina as of yesterday, entered via api"),
    ).toBeNull();
    expect(readAuditDetail("pin.unlock", "PIN lock of olga lifted via admin")).toBeNull();
  });

  test("issue 14 (7): what the roster service writes, a correction and an unlock, reads back", async () => {
    box = await makeTestBox();
    box.clock.set("2026-11-21T11:00:00+03:00");
    const late = await box.roster.record(
      {
        kind: "check-in",
        employeeId: "olga",
        deskId: "front",
        at: Date.parse("2026-11-21T09:00:00+03:00"),
        source: "api",
      },
      box.clock.now(),
    );
    expect(late.ok).toBe(true);
    const closed = await box.roster.record(
      { kind: "check-out", employeeId: "olga", deskId: null, source: "manager", actorId: "sergey" },
      box.clock.now(),
    );
    expect(closed.ok).toBe(true);
    box.roster.unlockPin("anna", { actorId: null, via: "admin" }, box.clock.now());
    const read = box.roster.audit(10).map((a) => readAuditDetail(a.action, a.detail));
    expect(read).toEqual([
      { action: "pin.unlock", employeeId: "anna", via: "admin", lockedUntil: null },
      {
        action: "roster",
        kind: "check-out",
        employeeId: "olga",
        deskId: null,
        at: Date.parse("2026-11-21T11:00:00+03:00"),
        via: "manager",
        actorId: "sergey",
        reason: null,
      },
      {
        action: "roster",
        kind: "check-in",
        employeeId: "olga",
        deskId: "front",
        at: Date.parse("2026-11-21T09:00:00+03:00"),
        via: "api",
        actorId: null,
        reason: null,
      },
    ]);
  });

  test("issue 14 (7): the audit of one span lists only the entries entered in it", async () => {
    box = await makeTestBox();
    box.clock.set("2026-11-20T12:00:00+03:00");
    box.roster.unlockPin("anna", { actorId: null, via: "admin" }, box.clock.now());
    box.clock.set("2026-11-21T12:00:00+03:00");
    box.roster.unlockPin("olga", { actorId: null, via: "api" }, box.clock.now());
    const day = (iso: string) => ({ from: Date.parse(iso), to: Date.parse(iso) + 86_400_000 });
    expect(box.roster.audit(10, day("2026-11-20T00:00:00+03:00")).map((a) => a.detail)).toEqual([
      "PIN lock of anna lifted via admin (not locked)",
    ]);
    expect(box.roster.audit(10, day("2026-11-21T00:00:00+03:00")).map((a) => a.detail)).toEqual([
      "PIN lock of olga lifted via api (not locked)",
    ]);
    expect(box.roster.audit(10)).toHaveLength(2);
  });
});
