// Issue 17: Mango Office's PbxControl through headquarters. Each action writes one pbx.command with
// Mango's exact fields (checked against the contract's schema) and is answered from the pbx down
// stream: the command's mango.result and the events/call legs carrying its command_id, built on the
// API document's callback, route and transfer flows (test/fixtures/mango/api-doc, real/).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type PbxCommand, pbxCommandSchema } from "../../../src/contract/down-records.ts";
import type { PbxControlResult } from "../../../src/domain/call/pbx-control.ts";
import type { RouteDecision } from "../../../src/domain/rules/routing.ts";
import type { RoutedCall, RoutingSource } from "../../../src/domain/rules/routing-port.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { createMangoControl, type MangoControl } from "../../../src/pbx/mango/mango-control.ts";
import { mangoRouting, routeCommandId } from "../../../src/pbx/mango/mango-routing.ts";
import type { PbxCommandSink, PbxDownRow, PbxDownStream } from "../../../src/pbx/pbx-module.ts";
import { until } from "../../support/command-rig.ts";

type Json = Record<string, unknown>;
interface Flow {
  readonly command: { readonly json: Json };
  readonly records?: readonly { readonly json: Json }[];
  readonly before?: readonly { readonly json: Json }[];
  readonly after?: readonly { readonly json: Json }[];
}
const FIXTURES = new URL("../../fixtures/mango/", import.meta.url);
const flow = (name: string): Flow => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as Flow;
const CALLBACK = flow("api-doc/callback-flow.json");
const ROUTE = flow("api-doc/route-flow.json");
const TRANSFER = (flow("real/vpbx-api-blind-transfer.json").records ?? []).map((r) => r.json);

const NOW = 1_399_906_970_000;

/** The `pbx` down stream in memory: rows pushed as the inbox's commit would keep them. */
function memoryStream() {
  const rows: PbxDownRow[] = [];
  const listeners = new Set<() => void>();
  const push = (type: string, data: unknown) => {
    const n = rows.length + 1;
    rows.push({ n, seq: n, type, id: `${type}:${n}`, data, receivedAt: NOW });
    for (const listener of listeners) listener();
  };
  const stream: PbxDownStream & {
    event(json: Json): void;
    result(commandId: string, result: number | string | null, by?: "mango" | "hq", reason?: string): void;
  } = {
    relayed: true,
    pending: () => rows,
    since: (t) => rows.filter((r) => r.receivedAt >= t),
    after: (n) => rows.filter((r) => r.n > n),
    consume: () => {},
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    event: (json) => push("mango.event", { kind: "call", json, receivedAt: NOW }),
    result: (commandId, result, by = "mango", reason) =>
      push("mango.result", {
        commandId,
        command: "callback",
        result: result === null ? null : Number(result),
        by,
        receivedAt: NOW,
        ...(reason === undefined ? {} : { reason }),
      }),
  };
  return stream;
}

/** The outbox's side: every command checked against the contract, as the composition root does. */
function sink(): PbxCommandSink & { readonly sent: PbxCommand[] } {
  const sent: PbxCommand[] = [];
  return { sent, send: (command) => void sent.push(pbxCommandSchema.parse(command)) };
}

function rig(options: { commands?: boolean; stream?: ReturnType<typeof memoryStream> } = {}) {
  const stream = options.stream ?? memoryStream();
  const up = sink();
  const control = createMangoControl({
    stream,
    commands: options.commands === false ? null : up,
    log: silentLogger,
    now: () => NOW,
  });
  return { stream, up, control };
}

/** The answer once it came; null while it is still under way. */
function watch(answer: Promise<PbxControlResult>): { value: PbxControlResult | null } {
  const box: { value: PbxControlResult | null } = { value: null };
  void answer.then((v) => {
    box.value = v;
  });
  return box;
}
const settled = async () => await Promise.resolve();
const DEADLINE = NOW + 60_000;
const withoutId = (json: Json): Json =>
  Object.fromEntries(Object.entries(json).filter(([k]) => k !== "command_id"));

describe("Mango's PbxControl through headquarters (issue 17)", () => {
  test("click-to-call: the API document's callback, ok only once the employee's leg is Connected, onCall at its first event", async () => {
    const { stream, up, control } = rig();
    const commandId = "cmd.2.vpbx.12345.external.system.com.net";
    const calls: string[] = [];
    const answer = watch(
      control.originate({
        commandId,
        deadline: DEADLINE,
        fromExtension: "1234",
        to: "74955404444",
        onCall: (id) => calls.push(id),
      }),
    );
    expect(up.sent).toEqual([
      {
        commandId,
        pbx: "mango",
        command: "callback",
        params: withoutId(CALLBACK.command.json),
        expiresAt: DEADLINE,
      },
    ]);
    stream.result(commandId, "1000");
    const [appeared, connected] = CALLBACK.records ?? [];
    stream.event(appeared?.json ?? {});
    await settled();
    expect(calls).toEqual(["232wc3e3w3s222"]);
    expect(answer.value).toBeNull();
    stream.event(connected?.json ?? {});
    await until(() => answer.value !== null);
    expect(answer.value).toEqual({ ok: true, value: { callId: "232wc3e3w3s222", at: 1_399_906_973_000 } });
    expect(calls).toEqual(["232wc3e3w3s222"]);
  });

  test("click-to-call fails on a refusal read by class, HQ's refusal, or the employee's leg ending unanswered", async () => {
    const { stream, control } = rig();
    const request = (commandId: string) => ({
      commandId,
      deadline: DEADLINE,
      fromExtension: "1234",
      to: "74955404444",
    });
    const billing = control.originate(request("a"));
    stream.result("a", 2219);
    expect(await billing).toMatchObject({
      ok: false,
      error: { code: "PBX.CONTROL_FAILED", message: expect.stringContaining("2219 (billing)") },
    });
    const refused = control.originate(request("b"));
    stream.result("b", null, "hq", "MANGO.COMMAND_NOT_OWN: extension 1234 is not this branch's");
    expect(await refused).toMatchObject({
      ok: false,
      error: {
        code: "PBX.CONTROL_FAILED",
        message: "headquarters: MANGO.COMMAND_NOT_OWN: extension 1234 is not this branch's",
      },
    });
    // HQ's reasons as src/hq/mango/mango-commander.ts writes them: the command may have run.
    const unreachable = control.originate(request("c"));
    stream.result("c", null, "hq", "MANGO.COMMAND_UNREACHABLE: it may or may not have run (no answer)");
    expect(await unreachable).toMatchObject({ ok: false, error: { code: "PBX.CONTROL_TIMEOUT" } });
    const unanswered = control.originate(request("d"));
    const [appeared] = CALLBACK.records ?? [];
    const leg = { ...appeared?.json, command_id: "d", call_id: "9:1" };
    stream.event(leg);
    stream.event({ ...leg, seq: 2, call_state: "Disconnected", disconnect_reason: 1111 });
    expect(await unanswered).toMatchObject({
      ok: false,
      error: { code: "PBX.CONTROL_FAILED", message: "1234 did not answer (Mango 1111)" },
    });
  });

  test("each commandId acts once: a repeat gets the first one's answer and writes nothing", async () => {
    const { stream, up, control } = rig();
    const request = { commandId: "once", deadline: DEADLINE, fromExtension: "1234", to: "74955404444" };
    const first = control.originate(request);
    const again = control.originate(request);
    expect(up.sent.length).toBe(1);
    stream.result("once", 4001);
    expect(await again).toEqual(await first);
    expect(await control.originate(request)).toEqual(await first);
    expect(up.sent.length).toBe(1);
  });

  test("no [mqtt] url: every action answers PBX.CONTROL_UNAVAILABLE at once, nothing written", async () => {
    const { up, control } = rig({ commands: false });
    const base = { commandId: "x", deadline: DEADLINE };
    expect(await control.originate({ ...base, fromExtension: "1234", to: "5" })).toMatchObject({
      ok: false,
      error: { code: "PBX.CONTROL_UNAVAILABLE" },
    });
    expect(await control.hangup({ ...base, commandId: "y", callId: "e", legId: "1:2:1234" })).toMatchObject({
      error: { code: "PBX.CONTROL_UNAVAILABLE" },
    });
    expect(up.sent).toEqual([]);
  });

  test("the deadline: TIMEOUT when nothing confirmed by then; a deadline already passed sends nothing", async () => {
    const { up, control } = rig();
    const late = await control.originate({
      commandId: "late",
      deadline: NOW,
      fromExtension: "1234",
      to: "5",
    });
    expect(late).toMatchObject({ ok: false, error: { code: "PBX.CONTROL_TIMEOUT" } });
    expect(up.sent).toEqual([]);
    const quiet = await control.originate({
      commandId: "quiet",
      deadline: NOW + 30,
      fromExtension: "1234",
      to: "5",
    });
    expect(quiet).toMatchObject({ ok: false, error: { code: "PBX.CONTROL_TIMEOUT" } });
    expect(up.sent.map((c) => c.commandId)).toEqual(["quiet"]);
  });

  test("redirect: the API document's route from the IVR, confirmed by the new leg with its command_id before the result", async () => {
    const { stream, up, control } = rig();
    for (const r of ROUTE.before ?? []) stream.event(r.json);
    const answer = watch(
      control.redirect({ commandId: "c111", deadline: DEADLINE, callId: "232wc3e3w3s222", to: "123" }),
    );
    expect(up.sent).toEqual([
      {
        commandId: "c111",
        pbx: "mango",
        command: "route",
        params: withoutId(ROUTE.command.json),
        expiresAt: DEADLINE,
      },
    ]);
    const [ivrEnded, newLeg] = ROUTE.after ?? [];
    stream.event(ivrEnded?.json ?? {});
    await settled();
    expect(answer.value).toBeNull();
    stream.event(newLeg?.json ?? {});
    await until(() => answer.value !== null);
    expect(answer.value).toEqual({ ok: true, value: { callId: "232wc3e3w3s222", at: 1_399_906_977_000 } });
    expect(
      await control.redirect({ commandId: "c112", deadline: DEADLINE, callId: "no-such-entry", to: "123" }),
    ).toMatchObject({ ok: false, error: { code: "PBX.CONTROL_UNAVAILABLE" } });
    expect(up.sent.length).toBe(1);
  });

  test("hang up: call/hangup of the employee's own Mango leg; its Disconnected, or 4101 'already ended', is ok", async () => {
    const { stream, up, control } = rig();
    const [appeared, connected] = TRANSFER;
    stream.event(appeared ?? {});
    stream.event(connected ?? {});
    const byEvent = watch(
      control.hangup({ commandId: "h1", deadline: DEADLINE, callId: "232wc3e3w3s222", legId: "300:200:333" }),
    );
    expect(up.sent[0]).toMatchObject({ command: "call/hangup", params: { call_id: "300:200" } });
    stream.event({ ...connected, seq: 9, call_state: "Disconnected", disconnect_reason: 1181 });
    await until(() => byEvent.value !== null);
    expect(byEvent.value).toMatchObject({ ok: true, value: { callId: "232wc3e3w3s222" } });
    const gone = control.hangup({ commandId: "h2", deadline: DEADLINE, callId: "e2", legId: "77:1:101" });
    stream.result("h2", 4101);
    expect(await gone).toMatchObject({ ok: true });
    const refused = control.hangup({ commandId: "h3", deadline: DEADLINE, callId: "e3", legId: "78:1:101" });
    stream.result("h3", 4100);
    expect(await refused).toMatchObject({ ok: false, error: { code: "PBX.CONTROL_FAILED" } });
  });

  test("R2.3 blind transfer: transfer blind of the employee's Connected leg on the employee's behalf; result 1000 confirms", async () => {
    const { stream, up, control } = rig();
    stream.event(TRANSFER[0] ?? {});
    stream.event(TRANSFER[1] ?? {});
    const answer = control.blindTransfer({
      commandId: "t1",
      deadline: DEADLINE,
      callId: "232wc3e3w3s222",
      legId: "300:200:333",
      to: "321",
    });
    expect(up.sent[0]?.params).toEqual({
      call_id: "300:200",
      method: "blind",
      to_number: "321",
      initiator: "333",
    });
    stream.result("t1", 1000);
    expect(await answer).toMatchObject({ ok: true, value: { callId: "232wc3e3w3s222" } });
    stream.event({ ...TRANSFER[1], seq: 9, call_state: "Disconnected" });
    expect(
      await control.blindTransfer({
        commandId: "t2",
        deadline: DEADLINE,
        callId: "e",
        legId: "300:200:333",
        to: "321",
      }),
    ).toMatchObject({ ok: false, error: { code: "PBX.CONTROL_UNAVAILABLE" } });
  });

  test("R2.4 attended transfer (hold) and its cancel: call/hangup of the consultation leg, ok once the held leg is Connected again", async () => {
    const { stream, up, control } = rig();
    // The API document's hold flow, up to 321's phone ringing; the consultation leg carries the
    // command's id (the document's example is a transfer from the phone, without one).
    const [appeared, connected, onHold, consult] = TRANSFER;
    for (const json of [appeared, connected]) stream.event(json ?? {});
    const transfer = watch(
      control.attendedTransfer({
        commandId: "t3",
        deadline: DEADLINE,
        callId: "232wc3e3w3s222",
        legId: "300:200:333",
        to: "321",
      }),
    );
    expect(up.sent[0]?.params).toEqual({
      call_id: "300:200",
      method: "hold",
      to_number: "321",
      initiator: "333",
    });
    stream.event(onHold ?? {});
    stream.event({ ...consult, command_id: "t3" });
    await until(() => transfer.value !== null);
    expect(transfer.value).toMatchObject({ ok: true });
    const cancel = watch(
      control.cancelAttendedTransfer({
        commandId: "t4",
        deadline: DEADLINE,
        callId: "232wc3e3w3s222",
        legId: "300:200:333",
      }),
    );
    expect(up.sent[1]).toMatchObject({ command: "call/hangup", params: { call_id: "400-200" } });
    stream.result("t4", 1000);
    await settled();
    expect(cancel.value).toBeNull();
    stream.event({ ...connected, seq: 4, call_state: "Connected" });
    await until(() => cancel.value !== null);
    expect(cancel.value).toMatchObject({ ok: true, value: { callId: "232wc3e3w3s222" } });
    expect(
      await control.cancelAttendedTransfer({
        commandId: "t5",
        deadline: DEADLINE,
        callId: "e",
        legId: "1:101",
      }),
    ).toMatchObject({ ok: false, error: { code: "PBX.CONTROL_UNAVAILABLE" } });
  });

  test("after a restart, awaitOriginate answers from the kept rows, sending nothing", async () => {
    const stream = memoryStream();
    const commandId = "cmd.2.vpbx.12345.external.system.com.net";
    for (const r of (CALLBACK.records ?? []).slice(0, 2)) stream.event(r.json);
    const { up, control } = rig({ stream });
    expect(
      await control.awaitOriginate({
        commandId,
        deadline: DEADLINE,
        callId: "232wc3e3w3s222",
        fromExtension: "1234",
      }),
    ).toEqual({ ok: true, value: { callId: "232wc3e3w3s222", at: 1_399_906_973_000 } });
    expect(up.sent).toEqual([]);
  });
});

/** The routing as the box's RoutingService answers it: one decision for every call. */
function routingOf(decision: RouteDecision) {
  const routed: RoutedCall[] = [];
  const asked: unknown[] = [];
  const routing: RoutingSource = {
    decide: (question) => {
      asked.push(question);
      return decision;
    },
    snapshot: () => ({}) as ReturnType<RoutingSource["snapshot"]>,
    subscribe: () => () => {},
    routed: (call) => void routed.push(call),
  };
  return { routing, routed, asked };
}

function routedRig(decision: RouteDecision) {
  const stream = memoryStream();
  const up = sink();
  const r = routingOf(decision);
  let hook: ReturnType<typeof mangoRouting> | null = null;
  const control: MangoControl = createMangoControl({
    stream,
    commands: up,
    log: silentLogger,
    now: () => NOW,
    onLiveLeg: (change) => hook?.(change),
  });
  hook = mangoRouting({ routing: r.routing, control, log: silentLogger, now: () => NOW });
  return { stream, up, ...r };
}

describe("R2.6 on Mango: a route of the inbound call still in the IVR (issue 17)", () => {
  const ring: RouteDecision = {
    kind: "ring",
    rule: "R2.6",
    target: "123",
    employeeId: "sergey",
    timeoutSeconds: 20,
    next: { kind: "pbx" } as never,
    reason: "the client's responsible manager",
  };

  test("R2.6: the responsible manager's extension: one route per entry, reported routed once Mango's new leg shows", async () => {
    const { stream, up, routed, asked } = routedRig(ring);
    const [ivr] = ROUTE.before ?? [];
    stream.event(ivr?.json ?? {});
    expect(asked).toEqual([{ caller: "+79000000000", did: "7800123456789", uniqueId: "100:500:256" }]);
    const commandId = routeCommandId("232wc3e3w3s222");
    expect(up.sent).toEqual([
      {
        commandId,
        pbx: "mango",
        command: "route",
        params: { call_id: "100:500:256", to_number: "123" },
        expiresAt: NOW + 10_000,
      },
    ]);
    stream.event({ ...ivr?.json, seq: "5" });
    const [ended, newLeg] = ROUTE.after ?? [];
    stream.event(ended?.json ?? {});
    stream.event({ ...newLeg?.json, command_id: commandId });
    await until(() => routed.length > 0);
    expect(routed).toEqual([
      {
        callId: "232wc3e3w3s222",
        uniqueId: "100:500:256",
        caller: "+79000000000",
        rule: "R2.6",
        target: "123",
      },
    ]);
    expect(up.sent.length).toBe(1);
  });

  test("R4.7: the manager is absent: nothing sent, the decision kept with no target; not a client: nothing at all", () => {
    const absent = routedRig({ kind: "pbx-route", rule: "R4.7", reason: "sergey is on vacation" });
    absent.stream.event(ROUTE.before?.[0]?.json ?? {});
    expect(absent.up.sent).toEqual([]);
    expect(absent.routed).toMatchObject([{ callId: "232wc3e3w3s222", rule: "R4.7", target: null }]);
    const stranger = routedRig({ kind: "pbx-route", rule: "R2.6", reason: "not a client" });
    stranger.stream.event(ROUTE.before?.[0]?.json ?? {});
    expect(stranger.up.sent).toEqual([]);
    expect(stranger.routed).toEqual([]);
  });

  test("an employee's own call, or a leg at an employee, is not routed", () => {
    const { stream, up, asked } = routedRig(ring);
    stream.event(CALLBACK.records?.[0]?.json ?? {});
    stream.event({
      ...ROUTE.before?.[0]?.json,
      from: { extension: "101", number: "101" },
      entry_id: "other",
    });
    expect(asked).toEqual([]);
    expect(up.sent).toEqual([]);
  });
});
