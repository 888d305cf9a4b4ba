import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import type { Dialog, DialogState } from "../../src/pbx/sip/dialog-info.ts";
import { SipTranslator } from "../../src/pbx/sip/sip-translate.ts";
import { runCallScenarios } from "./run-call-scenarios.ts";
import { day, type ExpectedRecord } from "./scenario-branch.ts";

/**
 * The shared call scenarios through the SIP source's translator. A scenario's SIP input is what
 * a dialog-info server (Kamailio's presence_dialoginfo) would send for the watched desks 101–106:
 * each step changes one dialog of one extension, and that extension's NOTIFY carries its full
 * state, every dialog it still lists (ended ones linger, as Kamailio's do).
 */
const WATCHED = ["101", "102", "103", "104", "105", "106"];

interface Step {
  readonly ext: string;
  readonly callId: string;
  readonly state: DialogState;
  /** The other party: a number, or a watched extension. */
  readonly remote: string;
  readonly direction?: "initiator" | "recipient";
  /** The state's `event` attribute, from a server that reports why a dialog ended. */
  readonly event?: string;
}

const step = (
  ext: string,
  callId: string,
  state: DialogState,
  remote: string,
  more: Partial<Step> = {},
): Step => ({
  ext,
  callId,
  state,
  remote,
  ...more,
});

/** A client's call to `ext`: it rings, and is answered or not, then ends. */
const inbound = (ext: string, callId: string, client: string, answered: boolean): Step[] => [
  step(ext, callId, "early", client),
  ...(answered ? [step(ext, callId, "confirmed", client)] : []),
  step(ext, callId, "terminated", client),
];

/** An extension calls another: both sides, interleaved as Kamailio reports them. */
const internal = (from: string, to: string, callId: string): Step[] => [
  step(from, callId, "trying", to, { direction: "initiator" }),
  step(to, callId, "early", from),
  step(from, callId, "early", to, { direction: "initiator" }),
  step(to, callId, "confirmed", from),
  step(from, callId, "confirmed", to, { direction: "initiator" }),
  step(to, callId, "terminated", from),
  step(from, callId, "terminated", to, { direction: "initiator" }),
];

const ringGroup = (client: string, answered: string | null): Step[] => [
  ...WATCHED.map((ext) => step(ext, "grp", "early", client)),
  ...(answered === null ? [] : [step(answered, "grp", "confirmed", client)]),
  ...WATCHED.filter((ext) => ext !== answered).map((ext) => step(ext, "grp", "terminated", client)),
  ...(answered === null ? [] : [step(answered, "grp", "terminated", client)]),
];

const blindTransfer = (from: string, client: string): Step[] => [
  step(from, "c1", "early", client),
  step(from, "c1", "confirmed", client),
  // REFER: the client places a new call (new Call-ID) to 102; the transferer's leg then ends.
  step("102", "c2", "early", client),
  step(from, "c1", "terminated", client),
  step("102", "c2", "confirmed", client),
  step("102", "c2", "terminated", client),
];

const FRONT_DESK = inbound("101", "c1", "+79161234567", true);

/** Each scenario's SIP input, where dialog-info can express it. */
const INPUT: Record<string, readonly Step[]> = {
  "inbound-front-desk-answered": FRONT_DESK,
  "front-desk-off-shift-crm-login": FRONT_DESK,
  "front-desk-visitor-from-branch-2": FRONT_DESK,
  "front-desk-after-handover": FRONT_DESK,
  "front-desk-nobody-on-shift-fallback": FRONT_DESK,
  "ring-group-answered": ringGroup("+79161234567", "103"),
  "ring-group-missed": ringGroup("+79267770011", null),
  "ring-group-missed-fallback": ringGroup("+79267770011", null),
  "ring-group-answered-unmapped": ringGroup("+79161234567", "106"),
  "ring-group-answered-unmapped-fallback": ringGroup("+79161234567", "106"),
  // With `event="cancelled"` (RFC 4235 §4.1.2). Kamailio sends a plain `terminated`: the leg then
  // ends `missed` rather than `cancelled`, the call's outcome (missed) is the same.
  "caller-cancels": [
    step("101", "c1", "early", "+79167003344"),
    step("101", "c1", "terminated", "+79167003344", { event: "cancelled" }),
  ],
  busy: [
    step("102", "c1", "trying", "+79160000000"),
    step("102", "c1", "terminated", "+79160000000", { event: "rejected" }),
  ],
  // R4.5: rang out unanswered (a plain `terminated`, as Kamailio sends it), then the PBX played busy.
  "no-answer-dropped": inbound("102", "c1", "+79167771122", false),
  "blind-transfer": blindTransfer("101", "+79161234567"),
  "blind-transfer-from-unmapped": blindTransfer("106", "+79998887766"),
  // RFC 5589: 101 consults 102, REFERs the client with Replaces; the client's new call to 102
  // replaces the consultation, whose dialogs then end, and 101 hangs up on the client.
  "attended-transfer": [
    step("101", "c1", "early", "+79101234455"),
    step("101", "c1", "confirmed", "+79101234455"),
    step("101", "consult", "trying", "102", { direction: "initiator" }),
    step("102", "consult", "early", "101"),
    step("102", "consult", "confirmed", "101"),
    step("101", "consult", "confirmed", "102", { direction: "initiator" }),
    step("102", "c3", "confirmed", "+79101234455"),
    step("102", "consult", "terminated", "101"),
    step("101", "consult", "terminated", "102", { direction: "initiator" }),
    step("101", "c1", "terminated", "+79101234455"),
    step("102", "c3", "terminated", "+79101234455"),
  ],
  "attended-transfer-declined": [
    step("101", "c1", "early", "+79101234455"),
    step("101", "c1", "confirmed", "+79101234455"),
    ...internal("101", "102", "consult"),
    step("101", "c1", "terminated", "+79101234455"),
  ],
  "outbound-answered": [
    step("102", "o1", "trying", "+79161112233", { direction: "initiator" }),
    step("102", "o1", "early", "+79161112233", { direction: "initiator" }),
    step("102", "o1", "confirmed", "+79161112233", { direction: "initiator" }),
    step("102", "o1", "terminated", "+79161112233", { direction: "initiator" }),
  ],
  "internal-call": internal("101", "102", "i1"),
  "two-inbound-interleaved": [
    step("101", "a", "early", "+79161234567"),
    step("102", "b", "early", "+79035550142"),
    step("101", "a", "confirmed", "+79161234567"),
    step("102", "b", "terminated", "+79035550142"),
    step("101", "a", "terminated", "+79161234567"),
  ],
  // The box starts mid-call: its first NOTIFY already shows the dialog confirmed.
  "mid-call-resync": [
    step("101", "c1", "confirmed", "+79169990011"),
    step("101", "c1", "terminated", "+79169990011"),
  ],
};

/** What dialog-info cannot carry, so these scenarios have no SIP input. */
const NOT_EXPRESSIBLE: Record<string, string> = {
  "queue-answered": "a queue is the PBX's: no dialog shows a caller waiting in it (R0.1)",
  "voicemail-message": "voicemail is no watched extension's dialog",
  "voicemail-no-message": "voicemail is no watched extension's dialog",
  "no-answer-forwarded-answered":
    "the PBX's forward after no answer is a new dialog of its own to 101: no dialog says it is the same call",
  "no-answer-forwarded-missed":
    "the PBX's forward after no answer is a new dialog of its own to 101: no dialog says it is the same call",
};

function sipEvents(steps: readonly Step[]): PbxEvent[] {
  const translator = new SipTranslator({ source: "sip:pbx.test", extensions: WATCHED });
  const documents = new Map<string, Map<string, Dialog>>();
  const versions = new Map<string, number>();
  const events: PbxEvent[] = [];
  let at = day("09:12");
  for (const s of steps) {
    const dialogs = documents.get(s.ext) ?? new Map<string, Dialog>();
    documents.set(s.ext, dialogs);
    dialogs.set(s.callId, {
      id: `${s.ext}-${s.callId}`,
      callId: s.callId,
      localTag: null,
      remoteTag: null,
      direction: s.direction ?? "recipient",
      state: s.state,
      stateEvent: s.event ?? null,
      local: { identity: `sip:${s.ext}@pbx.test`, display: null, target: null },
      remote: { identity: `sip:${s.remote}@pbx.test`, display: null, target: null },
    });
    const version = (versions.get(s.ext) ?? 0) + 1;
    versions.set(s.ext, version);
    at += 2000;
    const info = {
      version,
      state: "full" as const,
      entity: `sip:${s.ext}@pbx.test`,
      dialogs: [...dialogs.values()],
    };
    events.push(...translator.notify(s.ext, info, at, "subscription"));
  }
  return events;
}

/** dialog-info has no dialled company number: a DID the scenario expects is not compared. */
const withoutDid = (expected: readonly ExpectedRecord[]): ExpectedRecord[] =>
  expected.map(({ did, ...record }) => (did === null ? { ...record, did } : record));

runCallScenarios(
  "SIP",
  (scenario) => {
    const input = INPUT[scenario.name];
    return input === undefined ? undefined : sipEvents(input);
  },
  { notExpressible: NOT_EXPRESSIBLE, expected: withoutDid },
);
