import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CallAssembler } from "../../domain/call/call-assembler.ts";
import type { AssembledCall } from "../../domain/call/call-types.ts";
import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import { type Dialog, type DialogInfo, type DialogState, parseDialogInfo } from "./dialog-info.ts";
import { SipTranslator } from "./sip-translate.ts";

const T0 = Date.parse("2026-11-21T09:00:00+03:00");
const CLIENT = "+74951234567";

const fixture = (name: string): DialogInfo => {
  const result = parseDialogInfo(
    readFileSync(join(import.meta.dir, "../../../test/fixtures/sip", name), "utf8"),
  );
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};

interface D {
  callId: string;
  state: DialogState;
  direction?: "initiator" | "recipient";
  remote?: string;
  event?: string;
}

const dialog = (d: D): Dialog => ({
  id: `dlg-${d.callId}`,
  callId: d.callId,
  localTag: null,
  remoteTag: null,
  direction: d.direction ?? "recipient",
  state: d.state,
  stateEvent: d.event ?? null,
  local: null,
  remote: { identity: `sip:${d.remote ?? CLIENT}@pbx.local`, display: null, target: null },
});

/** Feeds NOTIFYs one second apart; each extension's documents get increasing versions. */
function watcher(extensions = ["101", "102", "103"], ownUser?: string) {
  const translator = new SipTranslator({
    source: "sip:test",
    extensions,
    ...(ownUser === undefined ? {} : { ownUser }),
  });
  const versions = new Map<string, number>();
  let t = T0;
  const events: PbxEvent[] = [];
  const notify = (ext: string, dialogs: D[], state: "full" | "partial" = "full") => {
    const version = (versions.get(ext) ?? 0) + 1;
    versions.set(ext, version);
    t += 1000;
    const out = translator.notify(
      ext,
      { version, state, entity: `sip:${ext}@pbx.local`, dialogs: dialogs.map(dialog) },
      t,
    );
    events.push(...out);
    return out;
  };
  return { translator, notify, events };
}

const brief = (events: readonly PbxEvent[]) =>
  events.map((e) => `${e.kind} ${e.callId} ${e.legId ?? "-"}${e.cause ? ` ${e.cause}` : ""}`);

/** The events through the real assembler, as the pipeline would fold them. */
function assemble(events: readonly PbxEvent[]): AssembledCall[] {
  const assembler = new CallAssembler();
  const finished: AssembledCall[] = [];
  for (const event of events) {
    const update = assembler.apply(event);
    if (update.rejected !== null)
      throw new Error(`${event.key}: ${update.rejected.code} ${update.rejected.message}`);
    finished.push(...update.finished);
  }
  return finished;
}

describe("SIP dialog states → PbxEvents", () => {
  test("an inbound call answered on 101: start, ringing, answered, leg end, call end", () => {
    const w = watcher();
    w.notify("101", [{ callId: "c1", state: "early" }]);
    w.notify("101", [{ callId: "c1", state: "confirmed" }]);
    w.notify("101", [{ callId: "c1", state: "terminated" }]);
    expect(brief(w.events)).toEqual([
      "call-start c1 -",
      "ringing c1 c1:101",
      "answered c1 c1:101",
      "leg-ended c1 c1:101 normal",
      "call-end c1 -",
    ]);
    expect(w.events[0]?.from).toEqual({ number: CLIENT, extension: null });
    expect(w.events[0]?.to).toEqual({ number: "101", extension: "101" });
    expect(w.events.map((e) => e.key)).toEqual([
      "c1:start",
      "c1:101:ringing",
      "c1:101:answered",
      "c1:101:ended",
      "c1:end",
    ]);
    const [call] = assemble(w.events);
    expect(call?.outcome).toBe("answered");
    expect(call?.direction).toBe("inbound");
  });

  test("a call that rang and was never confirmed is missed", () => {
    const w = watcher();
    w.notify("101", [{ callId: "c1", state: "early" }]);
    w.notify("101", [{ callId: "c1", state: "terminated" }]);
    const [call] = assemble(w.events);
    expect(call?.outcome).toBe("missed");
    expect(call?.legs.map((l) => l.ending)).toEqual(["missed"]);
  });

  test("the state's event attribute gives the cause: rejected → busy", () => {
    const w = watcher();
    w.notify("101", [{ callId: "c1", state: "early" }]);
    const out = w.notify("101", [{ callId: "c1", state: "terminated", event: "rejected" }]);
    expect(out[0]?.cause).toBe("busy");
  });

  test("Kamailio's real NOTIFYs for an internal call 103 → 101: one call, placed by 103", () => {
    const t = new SipTranslator({ source: "sip:test", extensions: ["101", "103"] });
    const events = [
      ...t.notify("103", fixture("103-trying.xml"), T0),
      ...t.notify("101", fixture("101-early.xml"), T0 + 20),
      ...t.notify("101", fixture("101-confirmed.xml"), T0 + 3000),
      ...t.notify("101", fixture("101-terminated.xml"), T0 + 9000),
    ];
    const id = "c419b3890ff862b4";
    expect(brief(events)).toEqual([
      `call-start ${id} ${id}:103`,
      `ringing ${id} ${id}:101`,
      `answered ${id} ${id}:101`,
      `leg-ended ${id} ${id}:101 normal`,
    ]);
    expect(events[0]?.from).toEqual({ number: "103", extension: "103" });
    // 103's own terminated ends its placing leg and, with it, the call.
    const trying = fixture("103-trying.xml");
    const terminated = (d: Dialog): Dialog => ({ ...d, state: "terminated" });
    const end = t.notify(
      "103",
      { ...trying, version: 5, dialogs: trying.dialogs.map(terminated) },
      T0 + 9010,
    );
    expect(brief(end)).toEqual([`leg-ended ${id} ${id}:103 normal`, `call-end ${id} -`]);
    const [call] = assemble([...events, ...end]);
    expect(call?.direction).toBe("internal");
    expect(call?.outcome).toBe("answered");
    expect(call?.legs.map((l) => [l.extension, l.ending])).toEqual([
      ["103", "completed"],
      ["101", "completed"],
    ]);
  });

  test("the callee's NOTIFY first: the same call-start, still placed by the watched caller", () => {
    const t = new SipTranslator({ source: "sip:test", extensions: ["101", "103"] });
    const first = t.notify("101", fixture("101-early.xml"), T0);
    const other = new SipTranslator({ source: "sip:test", extensions: ["101", "103"] });
    const callerFirst = other.notify("103", fixture("103-trying.xml"), T0);
    const { at: _a, ...a } = first[0] as PbxEvent;
    const { at: _b, ...b } = callerFirst[0] as PbxEvent;
    expect(a).toEqual(b);
  });

  test("a state going backwards (a reordered NOTIFY) is dropped and counted", () => {
    const w = watcher();
    w.notify("101", [{ callId: "c1", state: "confirmed" }]);
    expect(w.notify("101", [{ callId: "c1", state: "early" }])).toEqual([]);
    expect(w.translator.stats().staleStates).toBe(1);
  });

  test("an older document version of the same subscription is dropped; a new subscription starts again", () => {
    const t = new SipTranslator({ source: "sip:test", extensions: ["101"] });
    const doc = (version: number, state: DialogState): DialogInfo => ({
      version,
      state: "full",
      entity: null,
      dialogs: [dialog({ callId: "c1", state })],
    });
    t.notify("101", doc(5, "early"), T0, "sub-1");
    expect(t.notify("101", doc(5, "confirmed"), T0 + 1, "sub-1")).toEqual([]);
    expect(t.stats().staleDocuments).toBe(1);
    expect(brief(t.notify("101", doc(0, "confirmed"), T0 + 2, "sub-2"))).toEqual(["answered c1 c1:101"]);
  });

  test("lingering terminated dialogs repeat no fact; a dialog first seen terminated is not invented", () => {
    const w = watcher();
    w.notify("101", [{ callId: "c1", state: "early" }]);
    w.notify("101", [{ callId: "c1", state: "terminated" }]);
    const again = w.notify("101", [
      { callId: "c1", state: "terminated" },
      { callId: "old", state: "terminated" },
      { callId: "c2", state: "early" },
    ]);
    expect(brief(again)).toEqual(["call-start c2 -", "ringing c2 c2:101"]);
  });

  test("two calls at once on two desks, several dialogs in one NOTIFY", () => {
    const w = watcher();
    w.notify("101", [
      { callId: "a", state: "early" },
      { callId: "b", state: "early", remote: "+74950000002" },
    ]);
    w.notify("102", [{ callId: "c", state: "early", remote: "+74950000003" }]);
    w.notify("101", [
      { callId: "a", state: "confirmed" },
      { callId: "b", state: "terminated" },
    ]);
    w.notify("102", [{ callId: "c", state: "confirmed" }]);
    w.notify("101", [{ callId: "a", state: "terminated" }]);
    w.notify("102", [{ callId: "c", state: "terminated" }]);
    const calls = assemble(w.events);
    expect(calls.map((c) => [c.id, c.outcome])).toEqual([
      ["b", "missed"],
      ["a", "answered"],
      ["c", "answered"],
    ]);
  });

  test("resync: a full state without a live dialog ends its leg and call now; keys repeat after a restart", () => {
    const w = watcher();
    w.notify("101", [{ callId: "c1", state: "confirmed" }]);
    const resync = w.notify("101", []);
    expect(brief(resync)).toEqual(["leg-ended c1 c1:101 normal", "call-end c1 -"]);
    expect(w.translator.liveCalls()).toEqual([]);
    // A box restarted mid-call sees the call again in the first full state: the same keys.
    const fresh = new SipTranslator({ source: "sip:test", extensions: ["101"] });
    const again = fresh.notify(
      "101",
      { version: 1, state: "full", entity: null, dialogs: [dialog({ callId: "c1", state: "confirmed" })] },
      T0,
    );
    expect(again.map((e) => e.key)).toEqual(["c1:start", "c1:101:answered"]);
  });

  test("a partial state changes only the dialogs it lists", () => {
    const w = watcher();
    w.notify("101", [
      { callId: "a", state: "early" },
      { callId: "b", state: "early" },
    ]);
    const out = w.notify("101", [{ callId: "a", state: "confirmed" }], "partial");
    expect(brief(out)).toEqual(["answered a a:101"]);
  });

  test("R1.3 blind transfer 101 → 102: the client's new call joins the first, each leg on its own", () => {
    const w = watcher(["101", "102"]);
    w.notify("101", [{ callId: "c1", state: "early" }]);
    w.notify("101", [{ callId: "c1", state: "confirmed" }]);
    // REFER: the client places a new call (new Call-ID) to 102 while 101's dialog still stands.
    const target = w.notify("102", [{ callId: "c2", state: "early" }]);
    expect(brief(target)).toEqual(["transfer c1 c1:101", "ringing c1 c2:102"]);
    expect(target[0]?.transfer).toEqual({
      kind: "blind",
      fromLegId: "c1:101",
      toExtension: "102",
      consultCallId: null,
      toLegId: null,
    });
    expect(brief(w.notify("101", [{ callId: "c1", state: "terminated" }]))).toEqual([
      "leg-ended c1 c1:101 normal",
    ]);
    w.notify("102", [{ callId: "c2", state: "confirmed" }]);
    expect(brief(w.notify("102", [{ callId: "c2", state: "terminated" }]))).toEqual([
      "leg-ended c1 c2:102 normal",
      "call-end c1 -",
    ]);
    const [call] = assemble(w.events);
    expect(call?.legs.map((l) => [l.extension, l.ending, l.transferredFrom])).toEqual([
      ["101", "transferred", null],
      ["102", "completed", "c1:101"],
    ]);
  });

  test("blind transfer with the client's own phone watched: its new dialog is no new leg", () => {
    const w = watcher(["101", "102", "103"]);
    w.notify("103", [{ callId: "c1", state: "trying", direction: "initiator", remote: "101" }]);
    w.notify("101", [{ callId: "c1", state: "early", remote: "103" }]);
    w.notify("101", [{ callId: "c1", state: "confirmed", remote: "103" }]);
    w.notify("103", [{ callId: "c1", state: "confirmed", direction: "initiator", remote: "101" }]);
    // The transferee's INVITE to 102 shows on 103 first.
    const moved = w.notify("103", [
      { callId: "c1", state: "confirmed", direction: "initiator", remote: "101" },
      { callId: "c2", state: "trying", direction: "initiator", remote: "102" },
    ]);
    expect(brief(moved)).toEqual(["transfer c1 c1:101"]);
    w.notify("102", [{ callId: "c2", state: "early", remote: "103" }]);
    w.notify("101", [{ callId: "c1", state: "terminated", remote: "103" }]);
    w.notify("103", [
      { callId: "c1", state: "terminated", direction: "initiator", remote: "101" },
      { callId: "c2", state: "confirmed", direction: "initiator", remote: "102" },
    ]);
    w.notify("102", [{ callId: "c2", state: "confirmed", remote: "103" }]);
    w.notify("102", [{ callId: "c2", state: "terminated", remote: "103" }]);
    w.notify("103", [{ callId: "c2", state: "terminated", direction: "initiator", remote: "102" }]);
    const calls = assemble(w.events);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.legs.map((l) => [l.extension, l.ending])).toEqual([
      ["103", "completed"],
      ["101", "transferred"],
      ["102", "completed"],
    ]);
  });

  test("the transferer hung up before the new call appeared: the target's call stands on its own", () => {
    const w = watcher(["101", "102"]);
    w.notify("101", [{ callId: "c1", state: "confirmed" }]);
    w.notify("101", [{ callId: "c1", state: "terminated" }]);
    w.notify("102", [{ callId: "c2", state: "confirmed" }]);
    w.notify("102", [{ callId: "c2", state: "terminated" }]);
    expect(assemble(w.events).map((c) => [c.id, c.outcome])).toEqual([
      ["c1", "answered"],
      ["c2", "answered"],
    ]);
  });

  test("an outbound call placed by 101: the placing leg is answered when the far end is", () => {
    const w = watcher();
    w.notify("101", [{ callId: "o1", state: "trying", direction: "initiator" }]);
    w.notify("101", [{ callId: "o1", state: "early", direction: "initiator" }]);
    w.notify("101", [{ callId: "o1", state: "confirmed", direction: "initiator" }]);
    w.notify("101", [{ callId: "o1", state: "terminated", direction: "initiator" }]);
    expect(brief(w.events)).toEqual([
      "call-start o1 o1:101",
      "answered o1 o1:101",
      "leg-ended o1 o1:101 normal",
      "call-end o1 -",
    ]);
    const [call] = assemble(w.events);
    expect(call?.direction).toBe("outbound");
    expect(call?.to.number).toBe(CLIENT);
  });

  test("memory: an ended call's legs are forgotten, partial states included; its late dialogs are no news", () => {
    const w = watcher(["101", "102"]);
    for (let i = 0; i < 500; i++) {
      w.notify("101", [{ callId: `p${i}`, state: "confirmed" }], "partial");
      w.notify("102", [{ callId: `q${i}`, state: "early" }], "partial");
      w.notify("101", [{ callId: `p${i}`, state: "terminated" }], "partial");
      w.notify("102", [{ callId: `q${i}`, state: "terminated" }], "partial");
    }
    expect(w.translator.stats().trackedLegs).toBe(0);
    expect(w.translator.liveCalls()).toEqual([]);
    expect(w.notify("101", [{ callId: "p7", state: "confirmed" }], "partial")).toEqual([]);
  });

  test("a known Call-ID on another extension joins its call, never read as a transfer (found by the property test)", () => {
    const w = watcher(["101", "102"]);
    w.notify("102", [{ callId: "a", state: "confirmed", direction: "initiator" }]);
    w.notify("102", [
      { callId: "a", state: "confirmed", direction: "initiator" },
      { callId: "c", state: "confirmed", remote: "+74950000009" },
    ]);
    // The ring group forks "c" to 101 as well, from the same client 102 talks to on "a".
    const joined = w.notify("101", [{ callId: "c", state: "early" }]);
    expect(brief(joined)).toEqual(["ringing c c:101"]);
  });

  test("R2.4 attended transfer: the client's new call replaces 102's consultation, which joins the first call", () => {
    const w = watcher(["101", "102"]);
    w.notify("101", [{ callId: "c1", state: "confirmed" }]);
    w.notify("101", [
      { callId: "c1", state: "confirmed" },
      { callId: "k", state: "confirmed", direction: "initiator", remote: "102" },
    ]);
    w.notify("102", [{ callId: "k", state: "confirmed", remote: "101" }]);
    // REFER with Replaces: the client's INVITE to 102 (new Call-ID) replaces the consultation.
    const joined = w.notify("102", [
      { callId: "k", state: "confirmed", remote: "101" },
      { callId: "c3", state: "confirmed" },
    ]);
    expect(brief(joined)).toEqual(["transfer c1 c1:101"]);
    expect(joined[0]?.transfer).toEqual({
      kind: "attended",
      fromLegId: "c1:101",
      toExtension: "102",
      consultCallId: "k",
      toLegId: "k:102",
    });
    // The replaced consultation dialog ends with no news; 102's leg goes on in c3.
    expect(
      w.notify("102", [
        { callId: "k", state: "terminated", remote: "101" },
        { callId: "c3", state: "confirmed" },
      ]),
    ).toEqual([]);
    w.notify("101", [
      { callId: "c1", state: "terminated" },
      { callId: "k", state: "terminated", direction: "initiator", remote: "102" },
    ]);
    expect(brief(w.notify("102", [{ callId: "c3", state: "terminated" }]))).toEqual([
      "leg-ended c1 k:102 normal",
      "call-end c1 -",
    ]);
    const calls = assemble(w.events);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.legs.map((l) => [l.extension, l.ending, l.transferredFrom])).toEqual([
      ["101", "transferred", null],
      ["102", "completed", "c1:101"],
    ]);
  });
});

describe("the box's own click-to-call leg (issue 15, R2.1)", () => {
  test("R2.1: the box's call to 101 is no call; the call 101 places when it follows the REFER is", () => {
    const { notify, events } = watcher(["101", "102"], "branchbox");
    const box = { callId: "bbcmd-1-ab", remote: "branchbox" };
    notify("101", [{ ...box, state: "early" }]);
    notify("101", [{ ...box, state: "confirmed" }]);
    notify("101", [
      { ...box, state: "confirmed" },
      { callId: "new", state: "trying", direction: "initiator", remote: "102" },
    ]);
    notify("102", [{ callId: "new", state: "early", remote: "101" }]);
    notify("101", [
      { ...box, state: "terminated" },
      { callId: "new", state: "early", direction: "initiator", remote: "102" },
    ]);
    expect(events.map((e) => `${e.kind} ${e.callId} ${e.extension ?? ""}`.trim())).toEqual([
      "call-start new 101",
      "ringing new 102",
    ]);
    const start = events[0];
    expect([start?.from?.extension, start?.to?.extension]).toEqual(["101", "102"]);
  });

  test("without ownUser the same leg is a call from 'branchbox' (what it protects against)", () => {
    const { notify, events } = watcher(["101"]);
    notify("101", [{ callId: "bbcmd-1-ab", remote: "branchbox", state: "early" }]);
    expect(events.map((e) => e.kind)).toEqual(["call-start", "ringing"]);
  });
});
