// Issue 15: headquarters' command.run kinds click-to-call, hangup and transfer, through the real
// inbox (dedupe, expiry, the one reply on up/replies) into the command service on a fake PbxControl.
import { afterEach, expect, test } from "bun:test";
import { hqCallCommands } from "../../src/service/hq-call-commands.ts";
import {
  type CommandRig,
  clientAnswered,
  commandRig,
  liveCall,
  liveLeg,
  until,
} from "../support/command-rig.ts";
import { failed } from "../support/fake-pbx-control.ts";
import { bytes, down, type InboxFixture, makeInbox, replies } from "./inbound-fixtures.ts";

let rig: CommandRig;
let hq: ReturnType<typeof hqCallCommands>;
let box: InboxFixture;
let seq = 0;
afterEach(async () => {
  await box.inbound.stop();
  box.close();
  await rig.close();
});

async function setUp() {
  rig = await commandRig();
  await rig.checkIn("anna");
  hq = hqCallCommands(rig.service, rig.timer.now);
  box = makeInbox({ commands: hq, t: rig.timer.now() });
  seq = 0;
}

const send = (commandId: string, kind: string, args: Record<string, unknown>) =>
  box.inbound.handle(
    "commands",
    bytes(
      down("commands", ++seq, [
        { type: "command.run", data: { commandId, kind, expiresAt: rig.timer.now() + 30_000, args } },
      ]),
    ),
  );
/** The employee answered (the controller's ok: `connected`); the client answers (R2.1). */
const clientAnswers = async (commandId: string) => {
  await until(() => rig.service.get(commandId)?.state === "connected", `${commandId} connected`);
  const call = clientAnswered(commandId);
  rig.calls.commit({ live: [call], changed: [call] });
};
const replyOf = async (commandId: string) => {
  await until(() => replies(box.db).some((r) => r.id === commandId), `the reply to ${commandId}`);
  return replies(box.db).find((r) => r.id === commandId)?.data;
};

test("R2.1 issue 15: HQ's click-to-call for an employee rings the phone where she is today and is answered `done`", async () => {
  await setUp();
  send("hq-1", "click-to-call", { employeeId: "anna", number: "+79161234567" });
  await clientAnswers("hq-1");
  expect(await replyOf("hq-1")).toEqual({ commandId: "hq-1", status: "done" });
  expect(rig.control.requests).toHaveLength(1);
  expect(rig.control.requests[0]?.request).toMatchObject({ commandId: "hq-1", fromExtension: "101" });
  expect(rig.service.get("hq-1")).toMatchObject({ state: "done", callId: "call-hq-1" });
});

test("issue 15: HQ's command the box will not run is answered `refused` with the code, nothing sent: off shift, bad args, no such call", async () => {
  await setUp();
  send("off", "click-to-call", { employeeId: "irina", number: "+79161234567" });
  send("bad", "click-to-call", { employeeId: "anna" });
  send("gone", "hangup", { callId: "nope" });
  expect(await replyOf("off")).toMatchObject({
    status: "refused",
    reason: expect.stringMatching(/^COMMAND.NOT_ON_SHIFT: /),
  });
  expect(await replyOf("bad")).toMatchObject({
    status: "refused",
    reason: expect.stringMatching(/^COMMAND.BAD_INPUT: /),
  });
  expect(await replyOf("gone")).toMatchObject({
    status: "refused",
    reason: expect.stringMatching(/^COMMAND.UNKNOWN_CALL: /),
  });
  expect(rig.control.requests).toEqual([]);
  expect(box.inbound.status().commands).toMatchObject({ refused: 3, pending: 0 });
});

test("R2.3 R2.2 issue 15: HQ's transfer and hang-up act on the live call; the PBX's refusal is `failed` with its reason", async () => {
  await setUp();
  rig.calls.commit({ live: [liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })])] });
  rig.control.script("hangup", failed("PBX.CONTROL_FAILED", "No such channel"));
  send("t", "transfer", { callId: "x", to: "102", mode: "attended" });
  send("h", "hangup", { callId: "x" });
  expect(await replyOf("t")).toEqual({ commandId: "t", status: "done" });
  expect(await replyOf("h")).toEqual({ commandId: "h", status: "failed", reason: "No such channel" });
  expect(rig.control.requests.map((r) => r.action)).toEqual(["attendedTransfer", "hangup"]);
});

test("issue 15: a click-to-call the PBX never confirms is answered `failed` at its deadline", async () => {
  await setUp();
  rig.control.script("originate", "until-deadline");
  send("slow", "click-to-call", { extension: "101", number: "555" });
  await until(() => rig.control.requests.length === 1, "the originate");
  rig.timer.advance(60_000);
  expect(await replyOf("slow")).toEqual({
    commandId: "slow",
    status: "failed",
    reason: "no confirmation by the deadline",
  });
});

test("issue 15: the port itself acts at most once per commandId and answers `expired` past expiresAt", async () => {
  await setUp();
  const port = hqCallCommands(rig.service, rig.timer.now);
  const command = {
    commandId: "twice",
    kind: "click-to-call",
    expiresAt: rig.timer.now() + 1000,
    args: { extension: "101", number: "555" },
  };
  const both = Promise.all([port.run(command), port.run(command)]);
  await clientAnswers("twice");
  expect(await both).toEqual([{ ok: true }, { ok: true }]);
  expect(rig.control.requests).toHaveLength(1);
  expect(await port.run({ ...command, commandId: "late", expiresAt: rig.timer.now() })).toEqual({
    ok: false,
    status: "expired",
    reason: "expired before it could be sent",
  });
  expect(port.supports("click-to-call") && port.supports("hangup") && port.supports("transfer")).toBe(true);
  expect(port.supports("reboot")).toBe(false);
});

test("issue 15: the box stopping ends HQ's wait with `failed`; the command's row stays sent for the restart", async () => {
  await setUp();
  const port = hqCallCommands(rig.service, rig.timer.now);
  rig.control.script("originate", "hold");
  const running = port.run({
    commandId: "c",
    kind: "click-to-call",
    expiresAt: rig.timer.now() + 1000,
    args: { extension: "101", number: "555" },
  });
  await until(() => rig.control.held().length === 1, "the originate");
  port.close();
  expect(await running).toEqual({ ok: false, reason: "the box stopped before the command settled" });
  expect(rig.service.get("c")?.state).toBe("sent");
});

test("R2.4 issue 15: HQ's cancel-transfer ends the desk's attended transfer under way (`done`; the transfer fails, reason cancelled); with none under way `refused` COMMAND.NO_TRANSFER", async () => {
  await setUp();
  rig.calls.commit({ live: [liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })])] });
  send("k0", "cancel-transfer", { callId: "x" });
  expect(await replyOf("k0")).toMatchObject({
    commandId: "k0",
    status: "refused",
    reason: expect.stringMatching(/^COMMAND.NO_TRANSFER: /),
  });
  rig.control.script("attendedTransfer", "hold");
  const desk = { via: "desk", deskId: "front", employeeId: "anna" } as const;
  await rig.service.submit(
    { commandId: "t", kind: "transfer", origin: desk, callId: "x", to: "102", mode: "attended" },
    rig.timer.now(),
  );
  await until(() => rig.control.held().includes("t"), "the attended transfer");
  send("k1", "cancel-transfer", { callId: "x" });
  expect(await replyOf("k1")).toEqual({ commandId: "k1", status: "done" });
  expect(rig.service.get("t")).toMatchObject({ state: "failed", reason: "cancelled" });
  expect(rig.control.requests.map((r) => r.action)).toEqual(["attendedTransfer", "cancelAttendedTransfer"]);
});

test("R2.4 issue 15: HQ cancels its own attended transfer: commands run side by side, the transfer does not hold the line", async () => {
  await setUp();
  rig.calls.commit({ live: [liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })])] });
  rig.control.script("attendedTransfer", "hold");
  send("t", "transfer", { callId: "x", to: "102", mode: "attended" });
  await until(() => rig.control.held().includes("t"), "the attended transfer");
  send("k", "cancel-transfer", { callId: "x" });
  expect(await replyOf("k")).toEqual({ commandId: "k", status: "done" });
  expect(await replyOf("t")).toEqual({ commandId: "t", status: "failed", reason: "cancelled" });
});

test("R2.1 issue 15: a restart under HQ's click-to-call: no answer before it, then HQ hears what the PBX did (the client answered: done), never sent again", async () => {
  await setUp();
  rig.control.script("originate", "hold");
  send("c", "click-to-call", { extension: "101", number: "555" });
  await until(() => rig.control.held().length === 1, "the originate");
  // The box stops as app.ts stops it: the inbox first, then HQ's waits are let go.
  const stopped = box.inbound.stop();
  hq.close();
  await stopped;
  expect(replies(box.db)).toEqual([]);
  rig.restart();
  box = box.restart(hqCallCommands(rig.service, rig.timer.now));
  box.inbound.start();
  const call = clientAnswered("c");
  rig.calls.commit({ live: [call], changed: [call] });
  expect(await replyOf("c")).toEqual({ commandId: "c", status: "done" });
  expect(rig.control.requests).toEqual([]); // the restarted box's controller: nothing sent again
});

test("issue 15: a command the box stopped under before it reached the service is answered failed, not sent", async () => {
  await setUp();
  box.db.run(
    "INSERT INTO commands (command_id, kind, expires_at, args, state, received_at) VALUES ('lost', 'click-to-call', ?, '{}', 'running', ?)",
    [rig.timer.now() + 60_000, rig.timer.now()],
  );
  box = box.restart(hqCallCommands(rig.service, rig.timer.now));
  box.inbound.start();
  expect(await replyOf("lost")).toEqual({
    commandId: "lost",
    status: "failed",
    reason: "interrupted: the box stopped before it reached the phone system; not sent",
  });
  expect(rig.control.requests).toEqual([]);
});
