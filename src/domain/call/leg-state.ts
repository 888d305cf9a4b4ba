import type { Instant } from "../roster/types.ts";
import { type CallError, callError } from "./call-errors.ts";
import type { AssembledLeg, LegEnding, LegState } from "./call-types.ts";
import type { LegEndCause } from "./pbx-event.ts";

/**
 * The leg state machine. `legTransition` is the only place a leg's state changes:
 *
 *   queued ──► ringing ──► answered ──► ended ∈ { completed, transferred }
 *     │  │        │
 *     │  │        └──────────────────► ended ∈ { missed, busy, failed, voicemail, cancelled }
 *     │  └──────────────────────────► ended   (same endings: it never rang that we saw)
 *     └───────────────────► answered          (a resync missed the ring)
 *
 * Nothing leaves `ended`, and no state moves to itself: a second `ringing` or `answered` for the
 * same leg is a duplicate or out-of-order event, refused with `CALL.ILLEGAL_TRANSITION`. The
 * ending must fit the path: only an answered leg ends `completed` or `transferred`, and an
 * answered leg ends no other way.
 */
const NEXT: Readonly<Record<LegState, readonly LegState[]>> = {
  queued: ["ringing", "answered", "ended"],
  ringing: ["answered", "ended"],
  answered: ["ended"],
  ended: [],
};

const ENDINGS_OF_ANSWERED: ReadonlySet<LegEnding> = new Set(["completed", "transferred"]);

export type LegMove =
  | { readonly to: "ringing"; readonly at: Instant }
  | { readonly to: "answered"; readonly at: Instant }
  | {
      readonly to: "ended";
      readonly at: Instant;
      readonly ending: LegEnding;
      readonly cause: LegEndCause | null;
    };

/** A leg as first seen: known, not yet ringing. The first move follows at once. */
export function newLeg(
  id: string,
  extension: string,
  placedCall: boolean,
  transferredFrom: string | null = null,
): AssembledLeg {
  return {
    id,
    extension,
    state: "queued",
    ending: null,
    ringingAt: null,
    answeredAt: null,
    endedAt: null,
    endCause: null,
    transferredFrom,
    placedCall,
  };
}

/** Moves `leg` (in place) when the diagram allows it; otherwise changes nothing and says why. */
export function legTransition(leg: AssembledLeg, move: LegMove): CallError | null {
  if (!NEXT[leg.state].includes(move.to)) {
    const ending = leg.ending === null ? "" : ` (${leg.ending})`;
    return callError("CALL.ILLEGAL_TRANSITION", `leg ${leg.id}: ${leg.state}${ending} → ${move.to}`);
  }
  if (move.to === "ended" && ENDINGS_OF_ANSWERED.has(move.ending) !== (leg.state === "answered")) {
    return callError("CALL.ILLEGAL_TRANSITION", `leg ${leg.id}: ${leg.state} cannot end ${move.ending}`);
  }
  leg.state = move.to;
  switch (move.to) {
    case "ringing":
      leg.ringingAt = move.at;
      break;
    case "answered":
      leg.answeredAt = move.at;
      break;
    case "ended":
      leg.endedAt = move.at;
      leg.ending = move.ending;
      leg.endCause = move.cause;
      break;
  }
  return null;
}
