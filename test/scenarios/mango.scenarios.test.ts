import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import { type MangoRecordData, mangoToPbxEvents } from "../../src/pbx/mango/mango-translate.ts";
import { runCallScenarios } from "./run-call-scenarios.ts";
import { day } from "./scenario-branch.ts";

/**
 * The shared call scenarios through the Mango source's translator. A scenario's Mango input is
 * what the VPBX would POST (relayed by HQ as `mango.event` records): `events/call` per leg with
 * its own `seq`, in the shapes of the API document's examples (the transfers follow its
 * "Перевод вызова" pages), then one `events/summary` per entry. Outside numbers are written as
 * Mango writes them, international digits without "+".
 */
interface Party {
  readonly extension?: string;
  readonly number?: string;
  readonly taken_from_call_id?: string;
  readonly line_number?: string;
}

type Step =
  | {
      readonly kind: "call";
      readonly entry: string;
      readonly callId: string;
      readonly state: string;
      readonly from: Party;
      readonly to: Party;
      readonly location?: string;
      readonly reason?: number;
    }
  | { readonly kind: "summary"; readonly entry: string; readonly result: 0 | 1 };

const DID = "74957654321";
const client = (number: string, more: Partial<Party> = {}): Party => ({ number, ...more });
const desk = (extension: string): Party => ({
  extension,
  number: `sip:${extension}@branch.mangosip.ru`,
  line_number: DID,
});

const call = (
  entry: string,
  callId: string,
  state: string,
  from: Party,
  to: Party,
  more: { location?: string; reason?: number } = {},
): Step => ({ kind: "call", entry, callId, state, from, to, location: "abonent", ...more });
const summary = (entry: string, result: 0 | 1): Step => ({ kind: "summary", entry, result });

/** A client's call straight to `ext`: it rings, is answered or not, ends with `reason`. */
const inbound = (entry: string, ext: string, number: string, answered: boolean, reason: number): Step[] => [
  call(entry, `${entry}-1`, "Appeared", client(number), desk(ext)),
  ...(answered ? [call(entry, `${entry}-1`, "Connected", client(number), desk(ext))] : []),
  call(entry, `${entry}-1`, "Disconnected", client(number), desk(ext), { reason }),
];

const GROUP = ["101", "102", "103", "104", "105", "106"];
/** Group 600 rings all six at once, a leg each; when one answers, the others end (1110-class). */
const ringGroup = (number: string, answered: string | null): Step[] => [
  call("g", "ivr", "Appeared", client(number), { number: DID, line_number: DID }, { location: "ivr" }),
  call(
    "g",
    "ivr",
    "Disconnected",
    client(number),
    { number: DID, line_number: DID },
    { location: "ivr", reason: 1100 },
  ),
  ...GROUP.map((ext) =>
    call("g", `g${ext}`, "Appeared", client(number, { taken_from_call_id: "ivr" }), desk(ext)),
  ),
  ...(answered === null ? [] : [call("g", `g${answered}`, "Connected", client(number), desk(answered))]),
  ...GROUP.filter((ext) => ext !== answered).map((ext) =>
    call("g", `g${ext}`, "Disconnected", client(number), desk(ext), {
      reason: answered === null ? 1111 : 1183,
    }),
  ),
  ...(answered === null
    ? []
    : [call("g", `g${answered}`, "Disconnected", client(number), desk(answered), { reason: 1110 })]),
  summary("g", answered === null ? 0 : 1),
];

/**
 * The API document's "Перевод вызова без консультации": the employee's talk goes on hold, the
 * colleague's phone rings from the employee, the employee hangs up (1120), and the client is put
 * in the colleague's leg (`taken_from_call_id` = the employee's leg).
 */
const blindTransfer = (from: string, number: string): Step[] => [
  call("t", "c1", "Appeared", client(number), desk(from)),
  call("t", "c1", "Connected", client(number), desk(from)),
  call("t", "c1", "OnHold", client(number), desk(from)),
  call("t", "c2", "Appeared", desk(from), desk("102")),
  call("t", "c1", "Disconnected", client(number), desk(from), { reason: 1120 }),
  call("t", "c2", "Appeared", client(number, { taken_from_call_id: "c1" }), desk("102")),
  call("t", "c2", "Connected", client(number, { taken_from_call_id: "c1" }), desk("102")),
  call("t", "c2", "Disconnected", client(number, { taken_from_call_id: "c1" }), desk("102"), {
    reason: 1110,
  }),
  summary("t", 1),
];

const FRONT_DESK = [...inbound("f", "101", "79161234567", true, 1110), summary("f", 1)];

const INPUT: Record<string, readonly Step[]> = {
  "inbound-front-desk-answered": FRONT_DESK,
  "front-desk-off-shift-crm-login": FRONT_DESK,
  "front-desk-visitor-from-branch-2": FRONT_DESK,
  "front-desk-after-handover": FRONT_DESK,
  "front-desk-nobody-on-shift-fallback": FRONT_DESK,
  "ring-group-answered": ringGroup("79161234567", "103"),
  "ring-group-missed": ringGroup("79267770011", null),
  "ring-group-missed-fallback": ringGroup("79267770011", null),
  "ring-group-answered-unmapped": ringGroup("79161234567", "106"),
  "ring-group-answered-unmapped-fallback": ringGroup("79161234567", "106"),
  "queue-answered": [
    call(
      "q",
      "q",
      "Appeared",
      client("79035550142"),
      { number: DID, line_number: DID, acd_group: "400" } as Party,
      { location: "queue" },
    ),
    call("q", "q102", "Appeared", client("79035550142", { taken_from_call_id: "q" }), desk("102")),
    call("q", "q102", "Disconnected", client("79035550142"), desk("102"), { reason: 1111 }),
    call("q", "q101", "Appeared", client("79035550142", { taken_from_call_id: "q" }), desk("101")),
    call(
      "q",
      "q",
      "Disconnected",
      client("79035550142"),
      { number: DID, line_number: DID },
      { location: "queue", reason: 1100 },
    ),
    call("q", "q101", "Connected", client("79035550142"), desk("101")),
    call("q", "q101", "Disconnected", client("79035550142"), desk("101"), { reason: 1120 }),
    summary("q", 1),
  ],
  "caller-cancels": [...inbound("c", "101", "79167003344", false, 1110), summary("c", 0)],
  busy: [...inbound("b", "102", "79160000000", false, 1121), summary("b", 0)],
  "no-answer-dropped": [...inbound("n", "102", "79167771122", false, 1111), summary("n", 0)],
  "blind-transfer": blindTransfer("101", "79161234567"),
  "blind-transfer-from-unmapped": blindTransfer("106", "79998887766"),
  // The API document's "Перевод вызова с консультацией": the colleague answers the employee first.
  "attended-transfer": [
    call("a", "c1", "Appeared", client("79101234455"), desk("101")),
    call("a", "c1", "Connected", client("79101234455"), desk("101")),
    call("a", "c1", "OnHold", client("79101234455"), desk("101")),
    call("a", "c2", "Appeared", { ...desk("101"), taken_from_call_id: "c1" }, desk("102")),
    call("a", "c2", "Connected", { ...desk("101"), taken_from_call_id: "c1" }, desk("102")),
    call("a", "c1", "Disconnected", client("79101234455"), desk("101"), { reason: 1120 }),
    call("a", "c2", "Connected", client("79101234455", { taken_from_call_id: "c1" }), desk("102")),
    call("a", "c2", "Disconnected", client("79101234455", { taken_from_call_id: "c1" }), desk("102"), {
      reason: 1110,
    }),
    summary("a", 1),
  ],
  "attended-transfer-declined": [
    call("d", "c1", "Appeared", client("79101234455"), desk("101")),
    call("d", "c1", "Connected", client("79101234455"), desk("101")),
    call("d", "c1", "OnHold", client("79101234455"), desk("101")),
    call("d", "c2", "Appeared", { ...desk("101"), taken_from_call_id: "c1" }, desk("102")),
    call("d", "c2", "Connected", { ...desk("101"), taken_from_call_id: "c1" }, desk("102")),
    call("d", "c2", "Disconnected", desk("101"), desk("102"), { reason: 1120 }),
    call("d", "c1", "Connected", client("79101234455"), desk("101")),
    call("d", "c1", "Disconnected", client("79101234455"), desk("101"), { reason: 1110 }),
    summary("d", 1),
  ],
  "outbound-answered": [
    call("o", "o1", "Appeared", desk("102"), client("79161112233")),
    call("o", "o1", "Connected", desk("102"), client("79161112233")),
    call("o", "o1", "Disconnected", desk("102"), client("79161112233"), { reason: 1110 }),
    summary("o", 1),
  ],
  "internal-call": [
    call("i", "i1", "Appeared", desk("101"), desk("102")),
    call("i", "i1", "Connected", desk("101"), desk("102")),
    call("i", "i1", "Disconnected", desk("101"), desk("102"), { reason: 1120 }),
    summary("i", 1),
  ],
  "two-inbound-interleaved": [
    call("x", "x1", "Appeared", client("79161234567"), desk("101")),
    call("y", "y1", "Appeared", client("79035550142"), { ...desk("102"), line_number: "74957654322" }),
    call("x", "x1", "Connected", client("79161234567"), desk("101")),
    call("y", "y1", "Disconnected", client("79035550142"), desk("102"), { reason: 1111 }),
    summary("y", 0),
    call("x", "x1", "Disconnected", client("79161234567"), desk("101"), { reason: 1120 }),
    summary("x", 1),
  ],
  // "The initial state may be any" (API document): the leg is first reported already talking.
  "mid-call-resync": [
    call("r", "r1", "Connected", client("79169990011"), desk("101")),
    call("r", "r1", "Disconnected", client("79169990011"), desk("101"), { reason: 1110 }),
    summary("r", 1),
  ],
  "no-answer-forwarded-answered": [
    call("w", "w1", "Appeared", client("79167771133"), desk("102")),
    call("w", "w1", "Disconnected", client("79167771133"), desk("102"), { reason: 1170 }),
    call("w", "w2", "Appeared", client("79167771133", { taken_from_call_id: "w1" }), desk("101")),
    call("w", "w2", "Connected", client("79167771133", { taken_from_call_id: "w1" }), desk("101")),
    call("w", "w2", "Disconnected", client("79167771133", { taken_from_call_id: "w1" }), desk("101"), {
      reason: 1110,
    }),
    summary("w", 1),
  ],
  "no-answer-forwarded-missed": [
    call("m", "m1", "Appeared", client("79167771144"), desk("102")),
    call("m", "m1", "Disconnected", client("79167771144"), desk("102"), { reason: 1170 }),
    call("m", "m2", "Appeared", client("79167771144", { taken_from_call_id: "m1" }), desk("101")),
    call("m", "m2", "Disconnected", client("79167771144", { taken_from_call_id: "m1" }), desk("101"), {
      reason: 1110,
    }),
    summary("m", 0),
  ],
};

/** What Mango's webhooks cannot carry, so these scenarios have no Mango input. */
const NOT_EXPRESSIBLE: Record<string, string> = {
  "voicemail-message":
    "events/call knows only ivr, queue and abonent: a voice mailbox is no location, and no event says a message was left",
  "voicemail-no-message":
    "events/call knows only ivr, queue and abonent: a voice mailbox is no location, and no event says a message was left",
};

function mangoRecords(steps: readonly Step[]): MangoRecordData[] {
  const seqs = new Map<string, number>();
  let at = day("09:12");
  return steps.map((s) => {
    at += 2000;
    if (s.kind === "summary") {
      const json = { entry_id: s.entry, call_direction: 1, entry_result: s.result, end_time: at / 1000 };
      return { kind: "summary", json, receivedAt: at };
    }
    const seq = (seqs.get(s.callId) ?? 0) + 1;
    seqs.set(s.callId, seq);
    const json = {
      entry_id: s.entry,
      call_id: s.callId,
      timestamp: at / 1000,
      seq,
      call_state: s.state,
      location: s.location,
      from: s.from,
      to: s.to,
      ...(s.reason === undefined ? {} : { disconnect_reason: s.reason }),
    };
    return { kind: "call", json, receivedAt: at };
  });
}

function mangoEvents(steps: readonly Step[]): PbxEvent[] {
  const records = mangoRecords(steps);
  const last = records.at(-1)?.receivedAt ?? 0;
  return mangoToPbxEvents(records, last, { source: "mango:test" }).events;
}

runCallScenarios(
  "Mango",
  (scenario) => {
    const input = INPUT[scenario.name];
    return input === undefined ? undefined : mangoEvents(input);
  },
  { notExpressible: NOT_EXPRESSIBLE },
);
