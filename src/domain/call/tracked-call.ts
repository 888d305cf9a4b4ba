import { type CallError, callError } from "./call-errors.ts";
import type { AssembledCall, CallDirection } from "./call-types.ts";
import { legTransition, newLeg } from "./leg-state.ts";
import type { PartyNumber, PbxEvent, PbxEventKind } from "./pbx-event.ts";

/** What the assembler knows of a live call beyond the call itself. */
export interface Tracked {
  readonly call: AssembledCall;
  startSeen: boolean;
  /** The leg of the latest transfer: legs that appear after it came from it (R2.3). */
  transferFrom: string | null;
  /** Placing legs marked answered because the far end answered: their own `answered` is no news. */
  readonly impliedAnswers: Set<string>;
  /** Legs an attended transfer left behind (the transferer's consultation leg): their events are moot. */
  readonly dropped: Set<string>;
}

const NOBODY: PartyNumber = { number: null, extension: null };
const KINDS: ReadonlySet<string> = new Set<PbxEventKind>([
  "call-start",
  "queued",
  "ringing",
  "answered",
  "leg-ended",
  "voicemail",
  "transfer",
  "call-end",
]);
const LEG_KINDS: ReadonlySet<string> = new Set<PbxEventKind>(["ringing", "answered", "leg-ended"]);

/** A call first seen now: what its first event carries is all we know. */
export function openCall(id: string, event: PbxEvent): Tracked {
  const call: AssembledCall = {
    id,
    source: event.source,
    direction: "inbound",
    from: NOBODY,
    to: NOBODY,
    did: null,
    startedAt: event.at,
    queuedAt: null,
    answeredAt: null,
    endedAt: null,
    finished: false,
    outcome: null,
    voicemail: null,
    legs: [],
    recordingUrl: null,
    absorbed: [],
    recovered: null,
  };
  const tracked: Tracked = {
    call,
    startSeen: false,
    transferFrom: null,
    impliedAnswers: new Set(),
    dropped: new Set(),
  };
  learnParties(tracked, event);
  return tracked;
}

/**
 * Parties, DID and direction from a `call-start` (or from a first event that carries them). An
 * extension that placed the call gets the first leg, ringing from the start (it waits for the far
 * end). Its id is the event's leg, else the call id: Asterisk's Linkedid is the Uniqueid of the
 * first channel, which is the placing extension's.
 */
export function learnParties(tracked: Tracked, event: PbxEvent): void {
  const call = tracked.call;
  if (event.from !== undefined) call.from = event.from;
  if (event.to !== undefined) call.to = event.to;
  if (event.did !== undefined) call.did = event.did;
  if (event.kind === "call-start" && event.recovered !== undefined) call.recovered = event.recovered;
  call.direction = directionOf(call.from, call.to);
  call.startedAt = Math.min(call.startedAt, event.at);
  const placer = call.from.extension;
  if (placer === null || call.legs.some((leg) => leg.placedCall)) return;
  const ownLeg = event.kind === "call-start" || event.extension === placer;
  const legId = (ownLeg ? event.legId : null) ?? call.id;
  const index = call.legs.findIndex((leg) => leg.id === legId);
  const seen = call.legs[index];
  if (seen !== undefined) {
    call.legs[index] = { ...seen, placedCall: true };
    return;
  }
  const leg = newLeg(legId, placer, true);
  legTransition(leg, { to: "ringing", at: event.at });
  call.legs.unshift(leg);
}

export function validate(event: PbxEvent): CallError | null {
  if (!KINDS.has(event.kind)) return callError("CALL.UNKNOWN_KIND", `unknown event kind "${event.kind}"`);
  if (LEG_KINDS.has(event.kind) && event.legId === null) {
    return callError("CALL.MISSING_FIELD", `call ${event.callId}: ${event.kind} without a leg id`);
  }
  if (event.kind === "transfer" && event.transfer === undefined) {
    return callError("CALL.MISSING_FIELD", `call ${event.callId}: transfer without its details`);
  }
  return null;
}

const directionOf = (from: PartyNumber, to: PartyNumber): CallDirection =>
  from.extension === null ? "inbound" : to.extension === null ? "outbound" : "internal";

export const snapshot = (call: AssembledCall): AssembledCall => ({
  ...call,
  legs: call.legs.map((leg) => ({ ...leg })),
  absorbed: [...call.absorbed],
});
