// Click-to-call on the SIP lab (issue 15, R2.1): the SIP adapter's controller over a real Kamailio,
// real baresip phones ringing, answering and following the box's REFER, and the adapter's own
// dialog subscriptions turning the phone's new call into events.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CallAssembler } from "../../../src/domain/call/call-assembler.ts";
import type { AssembledCall } from "../../../src/domain/call/call-types.ts";
import type { PbxControl } from "../../../src/domain/call/pbx-control.ts";
import type { PbxEvent, PbxEventSource } from "../../../src/domain/call/pbx-event.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { createSipAdapter } from "../../../src/pbx/sip/index.ts";
import { type SipLab, startSipLab } from "../../support/sip-lab.ts";

let lab: SipLab;
let source: PbxEventSource;
let control: PbxControl;
/** The phones dial what the box refers them to; baresip has no outbound proxy, so the port is in it. */
let domain: string;
const events: PbxEvent[] = [];
const assembler = new CallAssembler();
const finished: AssembledCall[] = [];
const keys = new Set<string>();

async function deliver(batch: readonly PbxEvent[]): Promise<void> {
  for (const event of batch) {
    events.push(event);
    if (keys.has(event.key)) continue;
    keys.add(event.key);
    finished.push(...assembler.apply(event).finished);
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms; events: ${events.map((e) => e.key).join(", ")}`);
    await Bun.sleep(20);
  }
}

let commands = 0;
const originate = (fromExtension: string, to: string, withinMs = 10_000, commandId = `cmd-${++commands}`) =>
  control.originate({ commandId, fromExtension, to, deadline: Date.now() + withinMs });

beforeAll(async () => {
  lab = await startSipLab({ phones: ["101", "102", "103"] });
  domain = `${lab.domain}:${lab.sipPort}`;
  const adapter = createSipAdapter({
    wsUrl: lab.wsUrl,
    domain,
    extensions: ["101", "102", "103"],
    log: silentLogger,
    backoff: { baseMs: 200, capMs: 1000 },
  });
  source = adapter.source;
  control = adapter.control;
  source.start(deliver);
  // An empty list is every() too: the three must be there, each active.
  await until("every subscription active", () => {
    const subscriptions = source.status().subscriptions ?? [];
    return subscriptions.length === 3 && subscriptions.every((s) => s.state === "active") ? true : undefined;
  });
}, 20_000);

afterAll(async () => {
  await source?.stop();
  await lab?.stop();
});

describe("issue 15, R2.1: click-to-call on SIP dialog servers (REFER), on the lab", () => {
  test("R2.1, issue 15: 101 rings first showing 102, answers, then 102 rings; the source sees 101 call 102 under the callId returned", async () => {
    const employee = lab.phone("101");
    const client = lab.phone("102");
    const answer = originate("101", "102", 10_000, "r21-first");
    const incoming = await employee.waitFor("CALL_INCOMING");
    // baresip shows the From display name: the number the employee is about to call.
    expect(incoming.peerdisplayname).toBe("102");
    expect(String(incoming.id)).toStartWith("bbcmd-r21-first-");
    await employee.answer();
    const ringing = await client.waitFor("CALL_INCOMING");
    expect(ringing.peeruri).toStartWith("sip:101@");
    const result = await answer;
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}\n${lab.logs()}`);
    // The callId is the phone's own Call-ID for its call to 102, which the translator uses.
    expect(result.value.callId).toBe(String(ringing.id));
    // The box leaves its own leg (BYE) once the phone's call is seen.
    const closed = await employee.waitFor("CALL_CLOSED");
    expect(String(closed.id)).toStartWith("bbcmd-r21-first-");

    const callId = result.value.callId;
    const start = await until("call-start", () =>
      events.find((e) => e.kind === "call-start" && e.callId === callId),
    );
    expect([start.from?.extension, start.to?.extension]).toEqual(["101", "102"]);
    await until("102 rings", () =>
      events.find((e) => e.kind === "ringing" && e.callId === callId && e.extension === "102"),
    );
    await client.answer();
    await until("102 answers", () =>
      events.find((e) => e.kind === "answered" && e.callId === callId && e.extension === "102"),
    );
    await employee.hangup();
    const call = await until("the call ends", () => finished.find((c) => c.id === callId));
    expect(call.direction).toBe("internal");
    expect(call.outcome).toBe("answered");
    // The box's own leg is no call: nothing names it, no call from "branchbox" to 101.
    expect(events.filter((e) => e.callId.startsWith("bbcmd-"))).toEqual([]);

    // The same commandId again: the first answer, nothing sent (the same promise, no new ring).
    const rings = employee.events.filter((e) => e.type === "CALL_INCOMING").length;
    const again = originate("101", "102", 10_000, "r21-first");
    expect(await again).toEqual(result);
    expect(again).toBe(answer);
    expect(employee.events.filter((e) => e.type === "CALL_INCOMING").length).toBe(rings);
  }, 30_000);

  test("R2.1, issue 15: the employee's phone rejects (busy) → PBX.CONTROL_FAILED with the SIP status", async () => {
    const employee = lab.phone("103");
    const answer = originate("103", "102");
    await employee.waitFor("CALL_INCOMING");
    await employee.hangup();
    const result = await answer;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("PBX.CONTROL_FAILED");
    expect(result.error.message).toContain("103 refused the call: 486");
  }, 20_000);

  test("R2.1, issue 15: the employee does not answer by the deadline → PBX.CONTROL_TIMEOUT, and the phone stops ringing", async () => {
    const employee = lab.phone("103");
    const answer = originate("103", "102", 1500);
    await employee.waitFor("CALL_INCOMING");
    const result = await answer;
    expect(result.ok ? "ok" : result.error.code).toBe("PBX.CONTROL_TIMEOUT");
    // The box cancelled its INVITE: the phone's ringing call closes.
    await employee.waitFor("CALL_CLOSED");
  }, 20_000);

  test("R2.1, issue 15: a number that does not exist: the phone's call is the outcome (ok), and it ends unanswered", async () => {
    const employee = lab.phone("101");
    // 104 has no phone in this lab: Kamailio answers the phone's INVITE 404. The phone did dial:
    // the command is done, and the call it made is where the failure shows.
    const answer = originate("101", "104");
    await employee.waitFor("CALL_INCOMING");
    await employee.answer();
    const result = await answer;
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    const call = await until("the failed call ends", () =>
      finished.find((c) => c.id === result.value.callId),
    );
    expect(call.to.number).toBe("104");
    expect(call.outcome).not.toBe("answered");
    await employee.waitFor("CALL_CLOSED");
  }, 20_000);

  test("issue 15, R2.4: hang-up, transfers, their cancel and redirect are unsupported on SIP dialog servers, at once, nothing sent", async () => {
    const request = { commandId: "x", callId: "c", legId: "l", to: "102", deadline: Date.now() + 1000 };
    for (const action of ["hangup", "blindTransfer", "attendedTransfer", "redirect"] as const) {
      expect(control.supports(action)).toBe(false);
      const result = await control[action](request);
      expect(result.ok ? "ok" : result.error.code).toBe("PBX.CONTROL_UNSUPPORTED");
    }
    expect(control.supports("cancelAttendedTransfer")).toBe(false);
    const cancelled = await control.cancelAttendedTransfer?.(request);
    expect(cancelled?.ok === false ? cancelled.error.code : "not refused").toBe("PBX.CONTROL_UNSUPPORTED");
    expect(control.supports("originate")).toBe(true);
  });

  test("R2.1, issue 15: with the WebSocket closed → PBX.CONTROL_UNAVAILABLE, nothing sent", async () => {
    const closed = createSipAdapter({ wsUrl: lab.wsUrl, domain, extensions: ["101"], log: silentLogger });
    closed.source.start(async () => {});
    await until("the second link up", () =>
      closed.source.status().state === "connected" ? true : undefined,
    );
    await closed.source.stop();
    const result = await closed.control.originate({
      commandId: "r21-closed",
      fromExtension: "101",
      to: "102",
      deadline: Date.now() + 5000,
    });
    expect(result.ok ? "ok" : result.error.code).toBe("PBX.CONTROL_UNAVAILABLE");
    expect(lab.logs()).not.toContain("bbcmd-r21-closed");
  });
});
