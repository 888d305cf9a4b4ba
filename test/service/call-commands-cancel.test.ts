// Issue 15, R2.4 "cancel is possible": cancel-transfer on the command service, a fake PbxControl,
// the real roster and a real SQLite file.
import { afterEach, expect, test } from "bun:test";
import type { CallCommandInput } from "../../src/service/call-command-port.ts";
import {
  ATTENDED_TRANSFER_DEADLINE_MS,
  DEFAULT_DEADLINES_MS,
  REASONS,
} from "../../src/service/call-commands.ts";
import { type CommandRig, commandRig, liveCall, liveLeg, until } from "../support/command-rig.ts";
import { failed } from "../support/fake-pbx-control.ts";

let rig: CommandRig;
afterEach(() => rig.close());

const api = { via: "api" } as const;
const desk = { via: "desk", deskId: "front", employeeId: "anna" } as const;
const submit = (input: CallCommandInput) => rig.service.submit(input, rig.timer.now());
const state = (id: string) => rig.service.get(id)?.state;
const settled = (id: string) =>
  until(() => ["done", "failed", "expired", "refused"].includes(state(id) ?? ""), id);
type Transfer = Extract<CallCommandInput, { kind: "transfer" }>;
type Cancel = Extract<CallCommandInput, { kind: "cancel-transfer" }>;
const attended = (commandId: string, origin: CallCommandInput["origin"] = desk): Transfer => ({
  commandId,
  kind: "transfer",
  origin,
  callId: "x",
  to: "+79161234567",
  mode: "attended",
});
const cancel = (commandId: string, origin: CallCommandInput["origin"] = desk, callId = "x"): Cancel => ({
  commandId,
  kind: "cancel-transfer",
  origin,
  callId,
});

/** Anna holds the front desk's phone (101); call x is answered on it (leg l1), another leg ended. */
async function talking(): Promise<void> {
  rig = await commandRig();
  await rig.checkIn("anna");
  const call = liveCall("x", [
    liveLeg("l0", "102", { state: "ended", ending: "missed" }),
    liveLeg("l1", "101", { state: "answered", answeredAt: 1 }),
  ]);
  rig.calls.commit({
    live: [call, liveCall("y", [liveLeg("m1", "101", { state: "answered", answeredAt: 2 })])],
  });
}

/** An attended transfer under way: sent, its controller answer (the completion) still awaited. */
async function consulting(commandId = "a"): Promise<void> {
  rig.control.script("attendedTransfer", "hold");
  await submit(attended(commandId));
  await until(() => rig.control.held().includes(commandId), "the attended transfer sent");
}

test("R2.4 issue 15: cancel of an attended transfer under way asks the controller's cancel on the transfer's own leg; the cancel is done and the transfer settles failed, reason cancelled", async () => {
  await talking();
  await consulting();
  const states: string[] = [];
  rig.service.subscribe((v) => states.push(`${v.commandId}:${v.state}`));
  expect(await submit(cancel("k"))).toMatchObject({
    ok: true,
    value: { commandId: "k", kind: "cancel-transfer", state: "queued", callId: "x" },
  });
  await settled("k");
  expect(rig.control.requests.at(-1)).toEqual({
    action: "cancelAttendedTransfer",
    request: { commandId: "k", callId: "x", legId: "l1", deadline: rig.timer.now() + 15_000 },
  });
  expect(rig.service.get("k")).toMatchObject({ state: "done", reason: null });
  expect(rig.service.get("a")).toMatchObject({ state: "failed", reason: REASONS.cancelled, callId: "x" });
  expect(states).toEqual(["k:queued", "k:sent", "k:done", "a:failed"]);
  // The transfer's own answer coming late (say, its deadline) changes nothing.
  rig.control.answer("a", failed("PBX.CONTROL_TIMEOUT", "no AttendedTransfer"));
  rig.timer.advance(15_000);
  await Bun.sleep(0);
  expect(rig.service.get("a")).toMatchObject({ state: "failed", reason: REASONS.cancelled });
});

test("R2.4 issue 15: from the API or HQ the open attended transfer of the call is cancelled, whoever started it", async () => {
  await talking();
  await consulting();
  await submit(cancel("k", api));
  await settled("k");
  expect(rig.control.requests.at(-1)).toMatchObject({
    action: "cancelAttendedTransfer",
    request: { legId: "l1" },
  });
  expect(state("a")).toBe("failed");
});

test("R2.4 issue 15: no attended transfer under way → COMMAND.NO_TRANSFER, nothing written or sent: none asked, a blind one, another call's, one already settled", async () => {
  await talking();
  expect(await submit(cancel("k1"))).toMatchObject({ ok: false, error: { code: "COMMAND.NO_TRANSFER" } });
  rig.control.script("blindTransfer", "hold");
  await submit({ ...attended("b"), mode: "blind" });
  await until(() => rig.control.held().includes("b"), "the blind transfer sent");
  expect(await submit(cancel("k2"))).toMatchObject({ ok: false, error: { code: "COMMAND.NO_TRANSFER" } });
  await consulting("a");
  expect(await submit(cancel("k3", desk, "y"))).toMatchObject({
    ok: false,
    error: { code: "COMMAND.NO_TRANSFER" },
  });
  rig.control.answer("a", { ok: true, value: { callId: "x", at: rig.timer.now() } });
  await settled("a");
  expect(await submit(cancel("k4"))).toMatchObject({ ok: false, error: { code: "COMMAND.NO_TRANSFER" } });
  expect(await submit(cancel("k5", desk, "gone"))).toMatchObject({
    ok: false,
    error: { code: "COMMAND.UNKNOWN_CALL" },
  });
  expect(await submit({ ...cancel("k6"), callId: "" })).toMatchObject({
    ok: false,
    error: { code: "COMMAND.BAD_INPUT" },
  });
  expect(rig.rows()).toBe(2);
  expect(rig.control.requests.map((r) => r.action)).toEqual(["blindTransfer", "attendedTransfer"]);
});

test("R2.4 issue 15: from a desk screen only its phone holder cancels; nothing written, the transfer goes on", async () => {
  await talking();
  await consulting();
  await rig.checkIn("sergey");
  const other = { via: "desk", deskId: "front", employeeId: "sergey" } as const;
  expect(await submit(cancel("k", other))).toMatchObject({
    ok: false,
    error: { code: "COMMAND.NOT_YOUR_CALL" },
  });
  expect(rig.rows()).toBe(1);
  expect(state("a")).toBe("sent");
});

test("R2.4 issue 15: one commandId cancels once: a repeat returns the first command, another body under it is COMMAND.ID_REUSED", async () => {
  await talking();
  await consulting();
  const [first, again] = await Promise.all([submit(cancel("k")), submit(cancel("k"))]);
  expect(first).toMatchObject({ ok: true, value: { commandId: "k" } });
  expect(again).toMatchObject({ ok: true, value: { commandId: "k" } });
  await settled("k");
  expect(await submit(cancel("k"))).toMatchObject({ ok: true, value: { state: "done" } });
  expect(await submit(cancel("k", api))).toMatchObject({ ok: false, error: { code: "COMMAND.ID_REUSED" } });
  expect(rig.control.requests.filter((r) => r.action === "cancelAttendedTransfer")).toHaveLength(1);
  expect(rig.rows()).toBe(2);
});

test("R2.4 issue 15: the PBX refusing the cancel fails it with its reason; the transfer goes on", async () => {
  await talking();
  await consulting();
  rig.control.script(
    "cancelAttendedTransfer",
    failed("PBX.CONTROL_FAILED", "No disconnect feature code found"),
  );
  await submit(cancel("k"));
  await settled("k");
  expect(rig.service.get("k")).toMatchObject({ state: "failed", reason: "No disconnect feature code found" });
  expect(state("a")).toBe("sent");
});

test("R2.4 issue 15: a PBX that cannot cancel a transfer → COMMAND.UNSUPPORTED, nothing written or sent", async () => {
  rig = await commandRig({ supports: ["attendedTransfer"] });
  await rig.checkIn("anna");
  rig.calls.commit({ live: [liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })])] });
  await consulting();
  expect(await submit(cancel("k"))).toMatchObject({ ok: false, error: { code: "COMMAND.UNSUPPORTED" } });
  expect(rig.rows()).toBe(1);
  expect(rig.control.requests.map((r) => r.action)).toEqual(["attendedTransfer"]);
});

test("R2.4 issue 15: after a restart a `sent` cancel is never sent again; its leg ending transferred fails it, the transfer is done", async () => {
  await talking();
  await consulting();
  rig.control.script("cancelAttendedTransfer", "hold");
  await submit(cancel("k"));
  await until(() => rig.control.held().includes("k"), "the cancel sent");
  rig.restart();
  const joined = liveCall(
    "x",
    [liveLeg("l1", "101", { state: "ended", ending: "transferred", answeredAt: 1 })],
    {
      finished: true,
    },
  );
  rig.calls.commit({ live: [], changed: [joined] });
  expect(rig.service.get("k")).toMatchObject({ state: "failed", reason: REASONS.noCancel });
  expect(state("a")).toBe("done");
  expect(rig.control.requests).toEqual([]);
});

test("R2.4 issue 15: an attended transfer's deadline spans a consultation (10 min), a blind one's stays short", async () => {
  await talking();
  rig.control.script("attendedTransfer", "hold");
  rig.control.script("blindTransfer", "hold");
  const now = rig.timer.now();
  await submit(attended("long"));
  await submit({ ...attended("short", api), callId: "y", mode: "blind" });
  await until(() => rig.control.requests.length === 2, "both transfers sent");
  const deadline = (action: string) =>
    rig.control.requests.find((r) => r.action === action)?.request.deadline;
  expect(deadline("attendedTransfer")).toBe(now + ATTENDED_TRANSFER_DEADLINE_MS);
  expect(deadline("blindTransfer")).toBe(now + DEFAULT_DEADLINES_MS.transfer);
  // Past the blind one's deadline the consultation goes on, and can still be cancelled.
  rig.timer.advance(DEFAULT_DEADLINES_MS.transfer + 1);
  await settled("short");
  expect(state("long")).toBe("sent");
});
