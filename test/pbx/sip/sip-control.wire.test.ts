// Click-to-call (issue 15, R2.1) against a SIP server and phone at the wire: the paths a real
// baresip phone cannot be made to take on cue. The lab test (sip-control.lab.test.ts) has the rest.
import { afterEach, expect, test } from "bun:test";
import type { PbxControl, PbxControlResult } from "../../../src/domain/call/pbx-control.ts";
import type { PbxEventSource } from "../../../src/domain/call/pbx-event.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { createSipAdapter } from "../../../src/pbx/sip/index.ts";
import { type FakePhoneScript, type FakeSipPhone, startFakeSipPhone } from "../../support/fake-sip-phone.ts";

let phone: FakeSipPhone;
let source: PbxEventSource;
let control: PbxControl;

/** The adapter on the fake, watching no extension: the phone's new call shows only in sipfrags. */
async function connect(script: FakePhoneScript): Promise<void> {
  phone = startFakeSipPhone(script);
  const adapter = createSipAdapter({
    wsUrl: phone.wsUrl,
    domain: "pbx.test",
    extensions: [],
    log: silentLogger,
  });
  source = adapter.source;
  control = adapter.control;
  source.start(async () => {});
  const deadline = Date.now() + 5000;
  while (source.status().state !== "connected") {
    if (Date.now() > deadline) throw new Error("the adapter did not connect to the fake phone");
    await Bun.sleep(10);
  }
}

const originate = (commandId: string, withinMs = 3000, to = "74951234567") =>
  control.originate({ commandId, fromExtension: "101", to, deadline: Date.now() + withinMs });

const codeOf = (result: PbxControlResult) => (result.ok ? "ok" : result.error.code);
const messageOf = (result: PbxControlResult) => (result.ok ? "ok" : result.error.message);

afterEach(async () => {
  await source?.stop();
  phone?.stop();
});

test("R2.1, issue 15: the INVITE rings 101 as the box, showing the number, with the commandId in its Call-ID and an SDP offer", async () => {
  await connect({ invite: 486 });
  await originate("w-invite");
  const invite = phone.invite;
  expect(invite?.get("from")).toStartWith('"74951234567" <sip:branchbox@pbx.test>');
  expect(invite?.get("to")).toBe("<sip:101@pbx.test>");
  expect(invite?.get("call-id")).toMatch(/^bbcmd-w-invite-[0-9a-f]{8}$/);
  expect(invite?.get("content-type")).toBe("application/sdp");
});

test("R2.1, issue 15: an unwatched extension: ok on the sipfrag's 180 after the 202, with the box's own Call-ID; then the box leaves (BYE)", async () => {
  await connect({ invite: "answer", sipfrags: ["SIP/2.0 100 Trying", "SIP/2.0 180 Ringing"] });
  const result = await originate("w-ok");
  if (!result.ok) throw new Error(result.error.message);
  expect(result.value.callId).toStartWith("bbcmd-w-ok-");
  await phone.waitFor("BYE");
  expect(phone.received).toEqual(["INVITE", "ACK", "REFER", "BYE"]);
});

test("R2.1, issue 15: only `100 Trying` from the phone is no call seen: TIMEOUT at the deadline, and the box leaves", async () => {
  await connect({ invite: "answer", sipfrags: ["SIP/2.0 100 Trying"] });
  const started = Date.now();
  const result = await originate("w-trying", 800);
  expect(codeOf(result)).toBe("PBX.CONTROL_TIMEOUT");
  expect(messageOf(result)).toContain("may still have happened");
  expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  await phone.waitFor("BYE");
});

test("R2.1, issue 15: the phone refuses the REFER → CONTROL_FAILED with its status; the box leaves", async () => {
  await connect({ invite: "answer", refer: 603 });
  const result = await originate("w-refer-refused");
  expect(codeOf(result)).toBe("PBX.CONTROL_FAILED");
  expect(messageOf(result)).toBe("101 refused to dial 74951234567: 603 Scripted");
  await phone.waitFor("BYE");
});

test("R2.1, issue 15: the phone's call to the number fails (sipfrag 486) → CONTROL_FAILED with that status", async () => {
  await connect({ invite: "answer", sipfrags: ["SIP/2.0 100 Trying", "SIP/2.0 486 Busy Here"] });
  const result = await originate("w-busy");
  expect(messageOf(result)).toBe("101's call to 74951234567 failed: 486 Busy Here");
  await phone.waitFor("BYE");
});

test("R2.1, issue 15: the employee hangs up before the REFER is answered → CONTROL_FAILED", async () => {
  await connect({ invite: "answer", refer: "ignore", hangUpAfterAnswer: true });
  const result = await originate("w-hung-up");
  expect(messageOf(result)).toBe("101 hung up before it called 74951234567");
});

test("R2.1, issue 15: the employee never answers → TIMEOUT at the deadline, and the box CANCELs", async () => {
  await connect({ invite: "ring" });
  const result = await originate("w-ringing", 500);
  expect(messageOf(result)).toBe("101 did not answer by the deadline (the box cancelled its call)");
  await phone.waitFor("CANCEL");
});

test("R2.1, issue 15: the link drops after the REFER → TIMEOUT at once (the phone may still call), not FAILED", async () => {
  await connect({ invite: "answer", refer: "drop" });
  const started = Date.now();
  const result = await originate("w-dropped", 4000);
  expect(codeOf(result)).toBe("PBX.CONTROL_TIMEOUT");
  expect(messageOf(result)).toContain("dropped");
  expect(Date.now() - started).toBeLessThan(3000);
});

test("R2.1, issue 15: a repeat of a commandId still under way waits for the first answer; one INVITE in all", async () => {
  await connect({ invite: "answer", sipfrags: ["SIP/2.0 180 Ringing"] });
  const first = originate("w-twice");
  const second = originate("w-twice");
  expect(second).toBe(first);
  expect(await second).toEqual(await first);
  expect(phone.received.filter((m) => m === "INVITE")).toHaveLength(1);
});

test("R2.1, issue 15: refused at once, nothing sent: a number that is not one, a deadline gone, no link (UNAVAILABLE)", async () => {
  await connect({ invite: "answer" });
  expect(messageOf(await originate("w-bad", 3000, "102>;x"))).toContain("not a dialable");
  expect(codeOf(await originate("w-late", -1))).toBe("PBX.CONTROL_TIMEOUT");
  await source.stop();
  const down = await originate("w-down");
  expect(codeOf(down)).toBe("PBX.CONTROL_UNAVAILABLE");
  expect(messageOf(down)).toContain("nothing sent");
  expect(phone.received).toEqual([]);
  // Remembered: the link back up changes nothing for that commandId (the caller decides on a new one).
  expect(await originate("w-down")).toEqual(down);
});

test("R2.4, issue 15: cancelling an attended transfer is unsupported on SIP dialog servers: said by supports, answered at once, nothing sent", async () => {
  await connect({ invite: "answer" });
  expect(control.supports("cancelAttendedTransfer")).toBe(false);
  const request = { commandId: "w-cancel", callId: "c", legId: "l", deadline: Date.now() + 1000 };
  const result = await control.cancelAttendedTransfer?.(request);
  expect(result === undefined ? "no method" : codeOf(result)).toBe("PBX.CONTROL_UNSUPPORTED");
  expect(phone.received).toEqual([]);
});
