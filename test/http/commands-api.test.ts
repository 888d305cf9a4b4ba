// Issue 15: POST /api/v1/commands and GET /api/v1/commands/<id>, on the command service over a fake PbxControl.
import { afterEach, beforeEach, expect, test } from "bun:test";
import type { Hono } from "hono";
import { createHttpApp } from "../../src/http/app.ts";
import { TEST_TOKEN } from "../support/box.ts";
import {
  type CommandRig,
  clientAnswered,
  commandRig,
  liveCall,
  liveLeg,
  until,
} from "../support/command-rig.ts";

let rig: CommandRig;
let app: Hono;
beforeEach(async () => {
  rig = await commandRig();
  app = createHttpApp({ ...rig.box.deps, commands: rig.service, calls: rig.calls });
  await rig.checkIn("anna");
});
afterEach(() => rig.close());

const post = (body: unknown, headers: Record<string, string> = {}) =>
  app.request("/api/v1/commands", {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const get = (id: string) =>
  app.request(`/api/v1/commands/${id}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
const code = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

test("R2.1 issue 15: a click-to-call is accepted 202 {commandId, state}; GET follows it to done with the call's id and ISO times", async () => {
  rig.control.script("originate", "hold");
  const r = await post({ kind: "click-to-call", employeeId: "anna", number: "+79161234567" });
  expect(r.status).toBe(202);
  const { commandId, state } = (await r.json()) as { commandId: string; state: string };
  expect(commandId).toMatch(/^[0-9a-f-]{36}$/);
  expect(state).toBe("queued");
  await until(() => rig.control.held().length === 1, "the originate");
  expect(await (await get(commandId)).json()).toMatchObject({ state: "sent", callId: `call-${commandId}` });
  rig.control.answer(commandId, { ok: true, value: { callId: `call-${commandId}`, at: 0 } });
  await until(() => rig.service.get(commandId)?.state === "connected", "the employee answered");
  expect(await (await get(commandId)).json()).toMatchObject({ state: "connected" });
  const call = clientAnswered(commandId);
  rig.calls.commit({ live: [call], changed: [call] });
  await until(() => rig.service.get(commandId)?.state === "done", "done");
  const view = await (await get(commandId)).json();
  expect(view).toEqual({
    commandId,
    kind: "click-to-call",
    state: "done",
    callId: `call-${commandId}`,
    reason: null,
    createdAt: "2026-11-21T06:00:00.000Z",
    updatedAt: "2026-11-21T06:00:00.000Z",
  });
});

test("issue 15: the same Idempotency-Key again returns the same command and does not act twice; another body under it is 409", async () => {
  const body = { kind: "click-to-call", extension: "101", number: "555" };
  const first = await post(body, { "Idempotency-Key": "k-1" });
  const again = await post(body, { "Idempotency-Key": "k-1" });
  const field = await post({ ...body, commandId: "k-1" });
  expect([first.status, again.status, field.status]).toEqual([202, 202, 202]);
  expect(((await again.json()) as { commandId: string }).commandId).toBe("k-1");
  await until(() => rig.service.get("k-1")?.state === "connected", "connected");
  expect(rig.control.requests).toHaveLength(1);
  const reused = await post({ ...body, number: "556" }, { "Idempotency-Key": "k-1" });
  expect(reused.status).toBe(409);
  expect(await code(reused)).toBe("COMMAND.ID_REUSED");
  const clash = await post({ ...body, commandId: "k-2" }, { "Idempotency-Key": "k-3" });
  expect(clash.status).toBe(400);
});

test("issue 15: refusals are coded 4xx/5xx with nothing written: bad body, not a number, off shift, unknown call, unknown command", async () => {
  const cases: [unknown, number, string][] = [
    ["{", 400, "API.BAD_JSON"],
    [{ kind: "dance" }, 400, "API.INVALID_BODY"],
    [{ kind: "hangup", callId: "x", extra: 1 }, 400, "API.INVALID_BODY"],
    [{ kind: "click-to-call", employeeId: "anna", number: "not-a-number" }, 400, "COMMAND.BAD_INPUT"],
    [{ kind: "click-to-call", employeeId: "irina", number: "+79161234567" }, 409, "COMMAND.NOT_ON_SHIFT"],
    [{ kind: "click-to-call", employeeId: "ghost", number: "+79161234567" }, 404, "COMMAND.UNKNOWN_EMPLOYEE"],
    [{ kind: "hangup", callId: "gone" }, 404, "COMMAND.UNKNOWN_CALL"],
    [{ kind: "transfer", callId: "gone", to: "sergey", mode: "blind" }, 404, "COMMAND.UNKNOWN_CALL"],
  ];
  for (const [body, status, expected] of cases) {
    const r = await post(body);
    expect({ body, status: r.status, code: await code(r) }).toEqual({ body, status, code: expected });
  }
  expect(rig.rows()).toBe(0);
  expect(rig.control.requests).toEqual([]);
  const missing = await get("nope");
  expect(missing.status).toBe(404);
  expect(await code(missing)).toBe("API.NOT_FOUND");
});

test("R2.2 R2.3 issue 15: hang up and transfer a live call through the API", async () => {
  rig.calls.commit({ live: [liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })])] });
  const h = await post({ kind: "hangup", callId: "x", commandId: "h-1" });
  const t = await post({
    kind: "transfer",
    callId: "x",
    to: "+79161234567",
    mode: "blind",
    commandId: "t-1",
  });
  expect([h.status, t.status]).toEqual([202, 202]);
  await until(() => rig.control.requests.length === 2, "both requests");
  expect(rig.control.requests.map((r) => r.action)).toEqual(["hangup", "blindTransfer"]);
});

test("issue 15: without a PBX the box answers 503 COMMAND.NO_PBX (the composition root's default)", async () => {
  const r = await rig.box.api("/api/v1/commands", {
    method: "POST",
    body: JSON.stringify({ kind: "click-to-call", employeeId: "anna", number: "+79161234567" }),
  });
  expect(r.status).toBe(503);
  expect(await code(r)).toBe("COMMAND.NO_PBX");
});

test("R2.4 issue 15: cancel-transfer of an attended transfer under way is 202; GET shows it done and the transfer failed, reason cancelled; with none under way 409 COMMAND.NO_TRANSFER", async () => {
  rig.calls.commit({ live: [liveCall("x", [liveLeg("l1", "101", { state: "answered", answeredAt: 1 })])] });
  expect((await post({ kind: "cancel-transfer", callId: "x" })).status).toBe(409);
  rig.control.script("attendedTransfer", "hold");
  const transfer = await post(
    { kind: "transfer", callId: "x", to: "+79161234567", mode: "attended" },
    { "Idempotency-Key": "t-1" },
  );
  expect(transfer.status).toBe(202);
  await until(() => rig.control.held().includes("t-1"), "the attended transfer");
  const r = await post({ kind: "cancel-transfer", callId: "x" }, { "Idempotency-Key": "c-1" });
  expect(r.status).toBe(202);
  expect(await r.json()).toEqual({ commandId: "c-1", state: "queued" });
  await until(() => rig.service.get("c-1")?.state === "done", "the cancel done");
  expect(await (await get("c-1")).json()).toMatchObject({
    kind: "cancel-transfer",
    state: "done",
    callId: "x",
  });
  expect(await (await get("t-1")).json()).toMatchObject({
    kind: "transfer",
    state: "failed",
    reason: "cancelled",
  });
  expect(rig.control.requests.at(-1)).toMatchObject({
    action: "cancelAttendedTransfer",
    request: { legId: "l1" },
  });
  const none = await post({ kind: "cancel-transfer", callId: "x" });
  expect(none.status).toBe(409);
  expect(await code(none)).toBe("COMMAND.NO_TRANSFER");
  expect((await post({ kind: "cancel-transfer", callId: "x", mode: "attended" })).status).toBe(400);
});
