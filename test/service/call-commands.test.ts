// Issue 15: the command service on a fake PbxControl, the real roster and a real SQLite file.
import { afterEach, describe, expect, test } from "bun:test";
import type { CallCommandInput, CallCommandView } from "../../src/service/call-command-port.ts";
import { KEEP_SETTLED_MS, REASONS } from "../../src/service/call-commands.ts";

const DAY_MS = 86_400_000;

import {
  type CommandRig,
  clientAnswered,
  commandRig,
  liveCall,
  liveLeg,
  until,
} from "../support/command-rig.ts";
import { failed } from "../support/fake-pbx-control.ts";

let rig: CommandRig;
afterEach(() => rig.close());

const api = { via: "api" } as const;
const ctc = (commandId: string, fields: Partial<Extract<CallCommandInput, { kind: "click-to-call" }>> = {}) =>
  ({
    commandId,
    kind: "click-to-call",
    origin: api,
    employeeId: "anna",
    number: "+79161234567",
    ...fields,
  }) as const;
const submit = (input: CallCommandInput) => rig.service.submit(input, rig.timer.now());
const state = (id: string) => rig.service.get(id)?.state;
const settled = (id: string) =>
  until(() => ["done", "failed", "expired", "refused"].includes(state(id) ?? ""), id);
/** The employee answered (the controller said so: `connected`), then the client answers. */
const clientAnswers = async (id: string) => {
  await until(() => state(id) === "connected", `${id} connected`);
  const call = clientAnswered(id);
  rig.calls.commit({ live: [call], changed: [call] });
  await settled(id);
};

describe("click-to-call (R2.1)", () => {
  test("R2.1 issue 15: the phone of the desk the employee holds rings first; the row is durable and `sent` before the controller is asked; done with the call's id", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    const seen: CallCommandView[] = [];
    rig.service.subscribe((v) => seen.push(v));
    let rowWhenAsked: unknown = null;
    rig.control.onRequest = () => {
      rowWhenAsked = rig.db.query("SELECT state, target FROM call_commands WHERE command_id = 'c-1'").get();
    };
    const r = await submit(ctc("c-1"));
    expect(r).toMatchObject({ ok: true, value: { commandId: "c-1", state: "queued" } });
    await clientAnswers("c-1");
    expect(rowWhenAsked).toEqual({ state: "sent", target: "101" });
    expect(rig.control.requests).toHaveLength(1);
    expect(rig.control.requests[0]).toMatchObject({
      action: "originate",
      request: {
        commandId: "c-1",
        fromExtension: "101",
        to: "+79161234567",
        deadline: rig.timer.now() + 60_000,
      },
    });
    expect(rig.service.get("c-1")).toMatchObject({ state: "done", callId: "call-c-1", reason: null });
    expect(seen.map((v) => v.state)).toEqual(["queued", "sent", "sent", "connected", "done"]);
  });

  test("R2.1 issue 15: a controller that throws when asked finds the row already written; the command fails, never retried", async () => {
    rig = await commandRig();
    rig.control.script("originate", "throw");
    await submit(ctc("c-1", { employeeId: undefined, extension: "101" }));
    await settled("c-1");
    expect(rig.service.get("c-1")).toMatchObject({
      state: "failed",
      reason: "the controller failed: Error: controller bug",
    });
    expect(rig.control.requests).toHaveLength(1);
  });

  test("R2.1 issue 15: not holding a desk's phone, a manager's dedicated extension rings; a receptionist without the phone has none", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    await rig.checkIn("sergey");
    await rig.checkIn("olga");
    await submit(ctc("c-1", { employeeId: "sergey" }));
    await until(() => rig.control.requests.length === 1, "the originate");
    expect(rig.control.requests[0]?.request).toMatchObject({ fromExtension: "102" });
    expect(await submit(ctc("c-2", { employeeId: "olga" }))).toMatchObject({
      ok: false,
      error: { code: "COMMAND.NOT_ON_SHIFT" },
    });
  });

  test("R2.1 issue 15: while the employee's phone rings and is answered the command says so, then done", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("originate", "hold");
    await submit(ctc("c-1"));
    await until(() => rig.control.held().length === 1, "the originate");
    expect(rig.service.get("c-1")).toMatchObject({ state: "sent", callId: "call-c-1" });
    const ringing = liveCall("call-c-1", [liveLeg("l1", "101")], { direction: "outbound" });
    rig.calls.commit({ live: [ringing], changed: [ringing] });
    expect(state("c-1")).toBe("ringing-employee");
    rig.control.answer("c-1", { ok: true, value: { callId: "call-c-1", at: 6 } });
    await until(() => state("c-1") === "connected", "the employee answered");
    await clientAnswers("c-1");
    expect(state("c-1")).toBe("done");
  });
});

describe("R2.1: a click-to-call is done when the client answers", () => {
  test("R2.1 issue 15: the employee answered, the client is busy → failed 'busy'; does not answer → failed; the client gets 60 s of its own", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("originate", "hold", "hold");
    await submit(ctc("busy"));
    await submit(ctc("silent"));
    await until(() => rig.control.held().length === 2, "both originates");
    // The employee answers 50 s in: the client still gets a whole minute to answer.
    rig.timer.advance(50_000);
    rig.control.answer("busy", { ok: true, value: { callId: "call-busy", at: rig.timer.now() } });
    rig.control.answer("silent", { ok: true, value: { callId: "call-silent", at: rig.timer.now() } });
    await until(() => state("busy") === "connected" && state("silent") === "connected", "both connected");
    const busy = clientAnswered("busy", {
      answeredAt: null,
      finished: true,
      outcome: "busy",
      legs: [liveLeg("l-busy", "101", { state: "ended", ending: "busy" })],
    });
    rig.calls.commit({ live: [], changed: [busy] });
    expect(rig.service.get("busy")).toMatchObject({ state: "failed", reason: REASONS.clientBusy });
    rig.timer.advance(59_999);
    expect(state("silent")).toBe("connected");
    rig.timer.advance(1);
    expect(rig.service.get("silent")).toMatchObject({ state: "failed", reason: REASONS.deadline });
  });

  test("R2.1 issue 15: the call's end seen before the controller's answer is applied after it: answered → done, over unanswered → failed", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("originate", "hold", "hold");
    await submit(ctc("up"));
    await submit(ctc("gone"));
    await until(() => rig.control.held().length === 2, "both originates");
    const up = clientAnswered("up");
    const gone = clientAnswered("gone", {
      answeredAt: null,
      finished: true,
      outcome: "missed",
      legs: [liveLeg("l-gone", "101", { state: "ended", ending: "missed" })],
    });
    rig.calls.commit({ live: [up], changed: [up, gone] });
    // The controller's verdict comes first: the events alone settle nothing yet.
    expect([state("up"), state("gone")]).toEqual(["connected", "sent"]);
    rig.control.answer("up", { ok: true, value: { callId: "call-up", at: 8 } });
    rig.control.answer("gone", { ok: true, value: { callId: "call-gone", at: 8 } });
    await settled("up");
    await settled("gone");
    expect(rig.service.get("up")).toMatchObject({ state: "done", callId: "call-up" });
    expect(rig.service.get("gone")).toMatchObject({ state: "failed", reason: REASONS.clientNoAnswer });
  });

  test("R2.1 issue 15: the employee never answers: the PBX's verdict says so, whatever the events showed", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("originate", "hold");
    await submit(ctc("c"));
    await until(() => rig.control.held().length === 1, "the originate");
    const gone = clientAnswered("c", { answeredAt: null, finished: true, outcome: "missed" });
    rig.calls.commit({ live: [], changed: [gone] });
    rig.control.answer("c", failed("PBX.CONTROL_FAILED", "no answer (Reason 3)"));
    await settled("c");
    expect(rig.service.get("c")).toMatchObject({ state: "failed", reason: "no answer (Reason 3)" });
  });
});

describe("refusals write nothing and send nothing", () => {
  test("issue 15: bad input, an unknown or off-shift employee, an unknown call, another desk's call", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    const cases: [CallCommandInput, string][] = [
      [ctc("c", { number: "call me" }), "COMMAND.BAD_INPUT"],
      [ctc("c", { number: "+7" }), "COMMAND.BAD_INPUT"],
      [ctc("c", { extension: "101" }), "COMMAND.BAD_INPUT"],
      [ctc("c", { employeeId: undefined }), "COMMAND.BAD_INPUT"],
      [ctc("", {}), "COMMAND.BAD_INPUT"],
      [ctc("c", { employeeId: "nobody" }), "COMMAND.UNKNOWN_EMPLOYEE"],
      [ctc("c", { employeeId: "irina" }), "COMMAND.NOT_ON_SHIFT"],
      [ctc("c", { origin: { via: "desk", deskId: "front", employeeId: "olga" } }), "COMMAND.NOT_YOUR_CALL"],
      [{ commandId: "h", kind: "hangup", origin: api, callId: "gone" }, "COMMAND.UNKNOWN_CALL"],
      [
        {
          commandId: "t",
          kind: "transfer",
          origin: api,
          callId: "gone",
          to: "102",
          mode: "sideways" as "blind",
        },
        "COMMAND.BAD_INPUT",
      ],
    ];
    for (const [input, code] of cases) {
      const r = await submit(input);
      expect({ input, r }).toMatchObject({ r: { ok: false, error: { code } } });
    }
    const call = liveCall("x", [liveLeg("l1", "555", { state: "answered", answeredAt: 1 })]);
    rig.calls.commit({ live: [call] });
    const desk = { via: "desk", deskId: "front", employeeId: "anna" } as const;
    expect(await submit({ commandId: "h", kind: "hangup", origin: desk, callId: "x" })).toMatchObject({
      ok: false,
      error: { code: "COMMAND.NOT_YOUR_CALL" },
    });
    expect(rig.rows()).toBe(0);
    expect(rig.control.requests).toEqual([]);
  });

  test("issue 15: no PBX → COMMAND.NO_PBX; a PBX that cannot transfer → COMMAND.UNSUPPORTED", async () => {
    rig = await commandRig({ noControl: true });
    await rig.checkIn("anna");
    expect(await submit(ctc("c"))).toMatchObject({ ok: false, error: { code: "COMMAND.NO_PBX" } });
    await rig.close();
    rig = await commandRig({ supports: ["originate"] });
    rig.calls.commit({ live: [liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })])] });
    expect(
      await submit({ commandId: "t", kind: "transfer", origin: api, callId: "x", to: "102", mode: "blind" }),
    ).toMatchObject({ ok: false, error: { code: "COMMAND.UNSUPPORTED" } });
    expect(rig.rows()).toBe(0);
  });
});

describe("one commandId acts once", () => {
  test("issue 15: a repeat returns the first command, concurrent repeats too; a different body under the id is COMMAND.ID_REUSED", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    const all = await Promise.all([submit(ctc("c-1")), submit(ctc("c-1")), submit(ctc("c-1"))]);
    expect(all.map((r) => r.ok && r.value.commandId)).toEqual(["c-1", "c-1", "c-1"]);
    await clientAnswers("c-1");
    expect(await submit(ctc("c-1"))).toMatchObject({
      ok: true,
      value: { state: "done", callId: "call-c-1" },
    });
    expect(await submit(ctc("c-1", { number: "+79160000000" }))).toMatchObject({
      ok: false,
      error: { code: "COMMAND.ID_REUSED" },
    });
    expect(rig.control.requests).toHaveLength(1);
    expect(rig.rows()).toBe(1);
  });
});

describe("expiry and deadlines", () => {
  test("issue 15: past its expiresAt a command is `expired`, never sent", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    expect(await submit(ctc("c-1", { expiresAt: rig.timer.now() }))).toMatchObject({
      ok: true,
      value: { state: "expired", reason: REASONS.expired },
    });
    await Promise.resolve();
    expect(rig.control.requests).toEqual([]);
  });

  test("issue 15: no confirmation by the deadline → failed; the controller's timeout says the same; a late ok changes nothing", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("originate", "hold", "until-deadline");
    await submit(ctc("held"));
    await submit(ctc("silent"));
    await until(() => rig.control.requests.length === 2, "both requests");
    rig.timer.advance(60_000);
    await settled("held");
    await settled("silent");
    for (const id of ["held", "silent"])
      expect(rig.service.get(id)).toMatchObject({
        state: "failed",
        reason: "no confirmation by the deadline",
      });
    rig.control.answer("held", { ok: true, value: { callId: "late", at: 0 } });
    await Bun.sleep(0);
    expect(rig.service.get("held")).toMatchObject({ state: "failed", callId: "call-held" });
  });

  test("issue 15: the PBX's refusal is `failed` with its reason", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("originate", failed("PBX.CONTROL_FAILED", "busy (OriginateResponse reason 5)"));
    await submit(ctc("c-1"));
    await settled("c-1");
    expect(rig.service.get("c-1")).toMatchObject({
      state: "failed",
      reason: "busy (OriginateResponse reason 5)",
    });
  });
});

describe("a call still ringing (R2.3): Redirect", () => {
  const ringing = () =>
    liveCall("r", [liveLeg("l1", "101", { state: "ringing" }), liveLeg("l2", "103", { state: "ringing" })]);

  test("R2.3 issue 15: a blind transfer of a call nobody answered redirects the client's channel to the colleague's phone; done on the PBX's confirmation", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    await rig.checkIn("sergey");
    rig.calls.commit({ live: [ringing()] });
    const desk = { via: "desk", deskId: "front", employeeId: "anna" } as const;
    await submit({
      commandId: "r1",
      kind: "transfer",
      origin: desk,
      callId: "r",
      to: "sergey",
      mode: "blind",
    });
    await settled("r1");
    expect(rig.control.requests).toEqual([
      {
        action: "redirect",
        request: { commandId: "r1", callId: "r", to: "102", deadline: rig.timer.now() + 15_000 },
      },
    ]);
    expect(rig.service.get("r1")).toMatchObject({ state: "done", callId: "r" });
  });

  test("R2.4 issue 15: an attended transfer of a ringing call is COMMAND.NOT_ANSWERED; a PBX without Redirect is COMMAND.UNSUPPORTED; nothing written or sent", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.calls.commit({ live: [ringing()] });
    expect(
      await submit({
        commandId: "a",
        kind: "transfer",
        origin: api,
        callId: "r",
        to: "102",
        mode: "attended",
      }),
    ).toMatchObject({ ok: false, error: { code: "COMMAND.NOT_ANSWERED" } });
    await rig.close();
    rig = await commandRig({ supports: ["originate", "hangup", "blindTransfer", "attendedTransfer"] });
    rig.calls.commit({ live: [ringing()] });
    expect(
      await submit({ commandId: "b", kind: "transfer", origin: api, callId: "r", to: "102", mode: "blind" }),
    ).toMatchObject({ ok: false, error: { code: "COMMAND.UNSUPPORTED" } });
    expect(rig.rows()).toBe(0);
    expect(rig.control.requests).toEqual([]);
  });

  test("R2.3 issue 15: after a restart a redirect is settled by its call: the desk's leg ended and the call rings at the target → done", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("redirect", "hold");
    rig.calls.commit({ live: [ringing()] });
    await submit({ commandId: "r1", kind: "transfer", origin: api, callId: "r", to: "104", mode: "blind" });
    await until(() => rig.control.held().length === 1, "the redirect");
    rig.restart();
    const moved = liveCall("r", [
      liveLeg("l1", "101", { state: "ended", ending: "missed" }),
      liveLeg("l2", "103", { state: "ended", ending: "missed" }),
      liveLeg("l3", "104", { state: "ringing" }),
    ]);
    rig.calls.commit({ live: [moved], changed: [moved] });
    expect(rig.service.get("r1")).toMatchObject({ state: "done", callId: "r" });
    expect(rig.control.requests).toEqual([]);
  });
});

describe("hang up and transfer (R2.2–R2.4)", () => {
  test("R2.2 issue 15: a desk's phone holder hangs up her own leg of the call", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    const call = liveCall("x", [
      liveLeg("l0", "102", { state: "ended", ending: "missed" }),
      liveLeg("l1", "101", { state: "answered", answeredAt: 1 }),
    ]);
    rig.calls.commit({ live: [call] });
    const desk = { via: "desk", deskId: "front", employeeId: "anna" } as const;
    await submit({ commandId: "h", kind: "hangup", origin: desk, callId: "x" });
    await settled("h");
    expect(rig.control.requests[0]).toMatchObject({
      action: "hangup",
      request: { callId: "x", legId: "l1" },
    });
    expect(rig.service.get("h")).toMatchObject({ state: "done", callId: "x" });
  });

  test("R2.3 R2.4 issue 15: a transfer to a colleague dials where she is today; blind and attended ask their own action", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    await rig.checkIn("sergey");
    rig.calls.commit({ live: [liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })])] });
    await submit({ commandId: "b", kind: "transfer", origin: api, callId: "x", to: "sergey", mode: "blind" });
    await submit({
      commandId: "a",
      kind: "transfer",
      origin: api,
      callId: "x",
      to: "+79161234567",
      mode: "attended",
    });
    await settled("b");
    await settled("a");
    expect(rig.control.requests.map((r) => [r.action, "to" in r.request ? r.request.to : null])).toEqual([
      ["blindTransfer", "102"],
      ["attendedTransfer", "+79161234567"],
    ]);
    expect(
      await submit({
        commandId: "o",
        kind: "transfer",
        origin: api,
        callId: "x",
        to: "irina",
        mode: "blind",
      }),
    ).toMatchObject({
      ok: false,
      error: { code: "COMMAND.NOT_ON_SHIFT" },
    });
  });
});

describe("a restart mid-command (real SQLite file reopened)", () => {
  test("issue 15: a `sent` command is never sent again and fails at its deadline; a `queued` one fails at start", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("originate", "hold");
    await submit(ctc("sent"));
    await until(() => rig.control.held().length === 1, "the originate");
    rig.db.run(
      `INSERT INTO call_commands (command_id, kind, input, target, state, origin, deadline, created_at, updated_at)
       VALUES ('queued', 'click-to-call', '{}', '101', 'queued', '{"via":"api"}', ?1, ?2, ?2)`,
      [rig.timer.now() + 60_000, rig.timer.now()],
    );
    rig.restart();
    expect(rig.service.get("queued")).toMatchObject({ state: "failed", reason: REASONS.restart });
    expect(rig.service.get("sent")).toMatchObject({ state: "sent", callId: "call-sent" });
    rig.timer.advance(59_999);
    expect(state("sent")).toBe("sent");
    rig.timer.advance(1);
    expect(rig.service.get("sent")).toMatchObject({ state: "failed", reason: REASONS.deadline });
    expect(rig.control.requests).toEqual([]);
  });

  test("issue 15: after a restart a `sent` command is resolved from its call's events: the client answered → done; a hang-up's leg ended → done", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    rig.control.script("originate", "hold");
    rig.control.script("hangup", "hold");
    const up = liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })]);
    rig.calls.commit({ live: [up] });
    await submit(ctc("c"));
    await submit({ commandId: "h", kind: "hangup", origin: api, callId: "x" });
    await until(() => rig.control.held().length === 2, "both requests");
    rig.restart();
    const answered = clientAnswered("c");
    const ended = liveCall(
      "x",
      [liveLeg("l1", "101", { state: "ended", ending: "completed", answeredAt: 1 })],
      {
        finished: true,
      },
    );
    rig.calls.commit({ live: [answered], changed: [answered, ended] });
    expect(rig.service.get("c")).toMatchObject({ state: "done", callId: "call-c" });
    expect(rig.service.get("h")).toMatchObject({ state: "done", callId: "x" });
    expect(rig.control.requests).toEqual([]);
  });
});

describe("keeping the table small", () => {
  test("issue 15: a settled command is kept 90 days (its id stays used), then pruned once a day", async () => {
    rig = await commandRig();
    await rig.checkIn("anna");
    await submit(ctc("old"));
    await clientAnswers("old");
    rig.restart();
    rig.timer.advance(KEEP_SETTLED_MS - 2 * DAY_MS);
    expect(state("old")).toBe("done");
    // A command of today beside it stays.
    await rig.checkIn("anna");
    await submit(ctc("recent"));
    await clientAnswers("recent");
    rig.timer.advance(3 * DAY_MS);
    expect(rig.service.get("old")).toBeNull();
    expect(state("recent")).toBe("done");
    expect(rig.rows()).toBe(1);
  });
});
