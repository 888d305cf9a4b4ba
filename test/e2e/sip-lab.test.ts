// The SIP lab itself, checked with a bare sip.js subscriber: real Kamailio, real baresip phones.
// If this fails, the SIP source's e2e tests cannot be trusted either.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DialogWatch, readDialogs, watchDialogs } from "../../scripts/lab/dialog-watch.ts";
import { type SipLab, startSipLab } from "../support/sip-lab.ts";

let lab: SipLab;
let watch: DialogWatch;

beforeAll(async () => {
  lab = await startSipLab();
  watch = await watchDialogs({ wsUrl: lab.wsUrl, domain: lab.domain, extensions: ["101", "102"] });
}, 20_000);

afterAll(async () => {
  await watch?.stop();
  await lab?.stop();
});

describe("SIP lab: Kamailio + baresip phones, watched over WebSocket", () => {
  test("101 calls 102, 102 answers, 101 hangs up: 102's dialog goes early, confirmed, terminated", async () => {
    const a = lab.phone("101");
    const b = lab.phone("102");
    const mark = watch.notifies.length;
    await a.dial("102");
    await b.waitFor("CALL_INCOMING");
    const callId = await watch.waitForState("102", "early", mark);
    await b.answer();
    await a.waitFor("CALL_ESTABLISHED");
    expect(await watch.waitForState("102", "confirmed", mark)).toBe(callId);
    await a.hangup();
    await b.waitFor("CALL_CLOSED");
    expect(await watch.waitForState("102", "terminated", mark)).toBe(callId);
    expect(watch.history("102", callId)).toEqual(["early", "confirmed", "terminated"]);
    // The caller's side of the same call, as pua_dialoginfo reports it: "Trying" first, unless the
    // early state replaced it before presence sent the NOTIFY (seen about once in 15 runs).
    const caller = watch.history("101", callId);
    expect(caller.filter((s) => s !== "trying")).toEqual(["early", "confirmed", "terminated"]);
    expect(caller.indexOf("trying")).toBeLessThanOrEqual(0);
  }, 20_000);

  test("a call from outside never answered: early, then terminated without confirmed", async () => {
    const client = lab.phone("74951234567");
    const desk = lab.phone("101");
    const mark = watch.notifies.length;
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    const callId = await watch.waitForState("101", "early", mark);
    await client.hangup();
    await desk.waitFor("CALL_CLOSED");
    expect(await watch.waitForState("101", "terminated", mark)).toBe(callId);
    expect(watch.history("101", callId)).toEqual(["early", "terminated"]);
    const remote = watch.notifies.flatMap((n) => n.dialogs).find((d) => d.callId === callId)?.remote;
    expect(remote).toStartWith("sip:74951234567@");
  }, 20_000);

  test("blind transfer 101 -> 102: 101's dialog ends, 102 rings and answers a dialog of its own", async () => {
    const client = lab.phone("74951234567");
    const desk = lab.phone("101");
    const colleague = lab.phone("102");
    const mark = watch.notifies.length;
    await client.dial("101");
    await desk.waitFor("CALL_INCOMING");
    await desk.answer();
    const first = await watch.waitForState("101", "confirmed", mark);
    await desk.transfer("102");
    await colleague.waitFor("CALL_INCOMING");
    const second = await watch.waitForState("102", "early", mark);
    expect(second).not.toBe(first);
    // baresip ends the transferor's leg when the REFER's NOTIFY reports the new call answered.
    await colleague.answer();
    expect(await watch.waitForState("102", "confirmed", mark)).toBe(second);
    expect(await watch.waitForState("101", "terminated", mark)).toBe(first);
    await client.hangup();
    await colleague.waitFor("CALL_CLOSED");
    expect(await watch.waitForState("102", "terminated", mark)).toBe(second);
  }, 20_000);

  test("restartKamailio: same ports, phones still registered, a new watcher sees the next call", async () => {
    const before = lab.kamailioPid;
    await lab.restartKamailio();
    expect(lab.kamailioPid).not.toBe(before);
    const fresh = await watchDialogs({
      wsUrl: lab.wsUrl,
      domain: lab.domain,
      extensions: ["103"],
      user: "901",
    });
    try {
      const mark = fresh.notifies.length;
      await lab.phone("101").dial("103");
      await lab.phone("103").waitFor("CALL_INCOMING");
      const callId = await fresh.waitForState("103", "early", mark);
      await lab.phone("101").hangup();
      expect(await fresh.waitForState("103", "terminated", mark)).toBe(callId);
    } finally {
      await fresh.stop();
    }
  }, 20_000);

  test("two labs at once: their own ports and processes; each sees its own call only", async () => {
    const other = await startSipLab({ phones: ["101", "102"] });
    const watches: DialogWatch[] = [];
    try {
      expect(other.wsUrl).not.toBe(lab.wsUrl);
      expect(other.sipPort).not.toBe(lab.sipPort);
      expect(other.kamailioPid).not.toBe(lab.kamailioPid);
      const labs = [lab, other];
      for (const l of labs)
        watches.push(
          await watchDialogs({ wsUrl: l.wsUrl, domain: l.domain, extensions: ["102"], user: "903" }),
        );
      // The same call in both at the same time.
      await Promise.all(labs.map((l) => l.phone("101").dial("102")));
      await Promise.all(labs.map((l) => l.phone("102").waitFor("CALL_INCOMING")));
      const callIds = await Promise.all(watches.map((w) => w.waitForState("102", "early", 0)));
      await Promise.all(labs.map((l) => l.phone("101").hangup()));
      for (const [i, w] of watches.entries()) {
        const callId = callIds[i] as string;
        expect(await w.waitForState("102", "terminated", 0)).toBe(callId);
        expect(new Set(w.notifies.flatMap((n) => n.dialogs.map((d) => d.callId)))).toEqual(new Set([callId]));
      }
      expect(callIds[0]).not.toBe(callIds[1]);
    } finally {
      for (const w of watches) await w.stop();
      await other.stop();
    }
  }, 20_000);

  test("readDialogs: several dialogs, any case, empty body", () => {
    const xml = `<?xml version="1.0"?>
      <dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:101@x">
        <dialog id="a" call-id="c1" direction="recipient"><state>Early</state>
          <remote><identity>sip:74951234567@x</identity></remote></dialog>
        <dialog id="b" call-id="c2" direction="initiator"><state event="cancelled">terminated</state></dialog>
      </dialog-info>`;
    expect(readDialogs(xml)).toEqual([
      { callId: "c1", direction: "recipient", state: "early", remote: "sip:74951234567@x" },
      { callId: "c2", direction: "initiator", state: "terminated" },
    ]);
    expect(readDialogs("")).toEqual([]);
  });
});
