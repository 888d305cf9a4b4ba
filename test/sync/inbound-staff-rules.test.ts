// Issue 16: HQ's staff.upsert carries an employee's schedule, absences and forwarding (all optional).
// Applied in the inbox's transaction; the box's rules read them from memory at once after the commit.
// Which wins: a field left out changes nothing; HQ's ranges are HQ's, a manager's on the box stay;
// a schedule or forwarding from HQ takes effect when it differs from what HQ sent before.
import { afterEach, expect, test } from "bun:test";
import { makeTestBox, type TestBox } from "../support/box.ts";
import { bytes, down, pinHash4321 } from "./inbound-fixtures.ts";

let box: TestBox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

let seq = 0;
const send = async (b: TestBox, extra: Record<string, unknown>) => {
  seq++;
  return b.inbound.handle(
    "staff",
    bytes(
      down("staff", seq, [
        {
          type: "staff.upsert",
          data: {
            id: "anna",
            name: "Анна Смирнова",
            role: "reception",
            pinHash: await pinHash4321(),
            ...extra,
          },
        },
      ]),
    ),
  );
};

const VOICEMAIL = { action: { kind: "voicemail" }, notice: { kind: "default" }, timeoutSeconds: 45 } as const;
const OFFICE = ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "09:00", to: "18:00" }));

test("R4.7: HQ's vacation, sick leave and schedule reach the routing as soon as the envelope commits", async () => {
  box = await makeTestBox();
  seq = 0;
  const outcome = await send(box, {
    schedule: OFFICE,
    absences: [{ kind: "sick", firstDay: "2026-11-24", lastDay: "2026-11-25" }],
  });
  expect(outcome).toEqual({ kind: "applied", applied: 1, duplicates: 0 });
  // Saturday: off by the schedule; back on Monday 09:00.
  expect(box.rules.absence("anna", box.clock.now())).toEqual({
    reason: "schedule",
    until: Date.parse("2026-11-23T09:00:00+03:00"),
  });
  expect(box.rules.absence("anna", Date.parse("2026-11-24T10:00:00+03:00"))).toEqual({
    reason: "sick",
    until: Date.parse("2026-11-26T09:00:00+03:00"),
  });
});

test("R4.1–R4.3: HQ's forwarding is the employee's until HQ sends null (the default again)", async () => {
  box = await makeTestBox();
  seq = 0;
  await send(box, { forwarding: VOICEMAIL });
  expect(box.rules.forwarding("anna")).toMatchObject({
    ...VOICEMAIL,
    setBy: { via: "hq", employeeId: null },
  });
  await send(box, { forwarding: null });
  expect(box.rules.forwarding("anna")).toBeNull();
});

test("an older HQ's staff.upsert without the fields leaves the box's schedule, ranges and forwarding as they are", async () => {
  box = await makeTestBox();
  seq = 0;
  const now = box.clock.now();
  const actor = { via: "kiosk", actorId: "sergey" } as const;
  box.deps.rules.setForwarding("anna", VOICEMAIL, actor, now);
  box.deps.rules.addRange("anna", { kind: "vacation", first: "2026-12-01", last: "2026-12-05" }, actor, now);
  await send(box, {});
  expect(box.rules.forwarding("anna")?.setBy).toEqual({ via: "manager", employeeId: "sergey" });
  expect(box.deps.rules.absences("anna").ranges).toHaveLength(1);
});

test("HQ's absences replace HQ's own ranges whole; a range a manager entered on the box stays", async () => {
  box = await makeTestBox();
  seq = 0;
  const now = box.clock.now();
  box.deps.rules.addRange(
    "anna",
    { kind: "vacation", first: "2026-12-01", last: "2026-12-05" },
    { via: "kiosk", actorId: "sergey" },
    now,
  );
  await send(box, { absences: [{ kind: "sick", firstDay: "2026-11-24", lastDay: "2026-11-25" }] });
  await send(box, { absences: [{ kind: "vacation", firstDay: "2027-01-10", lastDay: "2027-01-20" }] });
  expect(box.deps.rules.absences("anna").ranges.map((r) => `${r.source} ${r.kind} ${r.first}`)).toEqual([
    "box vacation 2026-12-01",
    "hq vacation 2027-01-10",
  ]);
  await send(box, { absences: [] });
  expect(box.deps.rules.absences("anna").ranges.map((r) => r.source)).toEqual(["box"]);
});

test("the newest change wins: the same staff list sent again does not undo a kiosk change; a new HQ value does", async () => {
  box = await makeTestBox();
  seq = 0;
  const now = box.clock.now();
  await send(box, { forwarding: VOICEMAIL, schedule: OFFICE });
  // Anna changes hers on the kiosk, a manager clears her schedule.
  const busy = {
    action: { kind: "drop", tone: "busy" },
    notice: { kind: "default" },
    timeoutSeconds: 90,
  } as const;
  box.deps.rules.setForwarding("anna", busy, { via: "kiosk", actorId: "anna" }, now);
  box.deps.rules.setSchedule("anna", null, { via: "kiosk", actorId: "sergey" }, now);
  // HQ sends the staff list again (a rename): the same forwarding and schedule as before.
  await send(box, { name: "Анна Смирнова-Иванова", forwarding: VOICEMAIL, schedule: OFFICE });
  expect(box.rules.forwarding("anna")?.timeoutSeconds).toBe(90);
  expect(box.deps.rules.absences("anna").schedule).toBeNull();
  // HQ changes them: HQ's new values take effect.
  await send(box, { forwarding: { ...VOICEMAIL, timeoutSeconds: 120 }, schedule: OFFICE.slice(0, 3) });
  expect(box.rules.forwarding("anna")?.timeoutSeconds).toBe(120);
  expect(box.deps.rules.absences("anna").schedule?.hours).toHaveLength(3);
});

test("a bad schedule, range or forwarding rejects the whole envelope (SYNC.DOWN_BAD_RECORD) and changes nothing", async () => {
  box = await makeTestBox();
  seq = 0;
  for (const extra of [
    { schedule: [{ day: "mon", from: "18:00", to: "09:00" }] },
    { schedule: [] },
    { absences: [{ kind: "vacation", firstDay: "2026-12-05", lastDay: "2026-12-01" }] },
    { absences: [{ kind: "vacation", firstDay: "2026-02-30", lastDay: "2026-03-01" }] },
    { forwarding: { ...VOICEMAIL, timeoutSeconds: 5 } },
    { forwarding: { action: { kind: "forward", to: {} }, notice: { kind: "default" }, timeoutSeconds: 60 } },
  ]) {
    const outcome = await send(box, extra);
    expect(outcome).toMatchObject({ kind: "rejected", code: "SYNC.DOWN_BAD_RECORD" });
    seq--;
  }
  expect(box.deps.rules.absences("anna")).toEqual({ schedule: null, ranges: [] });
  expect(box.rules.forwarding("anna")).toBeNull();
});

test("staff.remove takes the employee's schedule, ranges and forwarding with them", async () => {
  box = await makeTestBox();
  seq = 0;
  await send(box, {
    forwarding: VOICEMAIL,
    schedule: OFFICE,
    absences: [{ kind: "sick", firstDay: "2026-11-24", lastDay: "2026-11-25" }],
  });
  seq++;
  box.inbound.handle("staff", bytes(down("staff", seq, [{ type: "staff.remove", data: { id: "anna" } }])));
  expect(box.rules.forwarding("anna")).toBeNull();
  expect(box.deps.rules.absences("anna")).toEqual({ schedule: null, ranges: [] });
  expect(box.rules.absence("anna", Date.parse("2026-11-24T10:00:00+03:00"))).toBeNull();
});
