import type { Instant, OwnerRule } from "../roster/types.ts";
import type { LegEndCause, PartyNumber, Recovery } from "./pbx-event.ts";

/**
 * A leg's life. One guard (`legTransition` in leg-state.ts) allows only these moves:
 *
 *   queued ──► ringing ──► answered ──► ended
 *      │          │            │
 *      └──────────┴────────────┴──► ended      (any live state may end)
 *
 * `queued → answered` and `ringing → ended` are allowed (a resync may have missed the ring; a
 * handset that never answered ends). Nothing leaves `ended`. The ending says how:
 * `answered` legs end `completed` or `transferred`; legs that never answered end `missed`,
 * `busy`, `failed`, `voicemail` or `cancelled` (answered elsewhere, or the caller gave up).
 */
export type LegState = "queued" | "ringing" | "answered" | "ended";

export type LegEnding =
  | "completed"
  | "transferred"
  | "missed"
  | "busy"
  | "failed"
  | "voicemail"
  | "cancelled";

export interface AssembledLeg {
  readonly id: string;
  readonly extension: string;
  state: LegState;
  ending: LegEnding | null;
  /** When the handset began ringing; for the placing leg, when it began calling (its call-start). */
  ringingAt: Instant | null;
  /** When it picked up; for the placing leg, when the far end answered. */
  answeredAt: Instant | null;
  endedAt: Instant | null;
  endCause: LegEndCause | null;
  /** The leg that transferred the call to this one. */
  transferredFrom: string | null;
  /** The first leg of an outbound or internal call: the extension that placed it. */
  readonly placedCall: boolean;
}

export type CallDirection = "inbound" | "outbound" | "internal";
export type CallOutcome = "answered" | "missed" | "voicemail" | "busy" | "failed";

/** A call as the assembler knows it, before attribution: facts only, no owners. */
export interface AssembledCall {
  readonly id: string;
  readonly source: string;
  direction: CallDirection;
  from: PartyNumber;
  to: PartyNumber;
  did: string | null;
  startedAt: Instant;
  queuedAt: Instant | null;
  answeredAt: Instant | null;
  endedAt: Instant | null;
  /** Live until `call-end`; a finished call is never changed again by events. */
  finished: boolean;
  outcome: CallOutcome | null;
  voicemail: { at: Instant; extension: string | null; leftMessage: boolean } | null;
  legs: AssembledLeg[];
  recordingUrl: string | null;
  /** Calls this one absorbed (attended-transfer consultations). */
  absorbed: string[];
  /** Read late from the PBX's records after a gap in the link: how and when (null: seen live). */
  recovered: Recovery | null;
}

export type PopReason = "answered" | "answered-unmapped" | "missed";

/** Who gets a pop-up (a call card) and why (R3.1–R3.3). */
export interface Pop {
  readonly employeeId: string;
  readonly reason: PopReason;
  readonly rule: "R3.1" | "R3.2" | "R3.3";
}

/**
 * How an owner was decided: the roster's rules (`dedicated`, `desk-checkin`, `unmapped`: nobody),
 * the fallback employee for an unmapped extension (R1.1), or the client's responsible for a missed
 * group call that ended on an unmapped extension (R1.2, when that setting is on).
 */
export type AttributionRule = OwnerRule | "fallback" | "responsible";

export interface AttributedLeg extends Omit<AssembledLeg, "state" | "ending"> {
  readonly state: LegState;
  readonly ending: LegEnding | null;
  readonly employeeId: string | null;
  readonly rule: AttributionRule;
  readonly reason: string;
  /** The instant ownership was decided at: answer time, or ring time for a leg never answered. */
  readonly decidedAt: Instant | null;
}

/** The record a finished call becomes: what the API serves and headquarters receives. */
export interface CallRecord {
  readonly id: string;
  readonly source: string;
  readonly direction: CallDirection;
  readonly from: PartyNumber;
  readonly to: PartyNumber;
  readonly did: string | null;
  readonly startedAt: Instant;
  readonly answeredAt: Instant | null;
  readonly endedAt: Instant | null;
  readonly outcome: CallOutcome;
  readonly legs: readonly AttributedLeg[];
  /** The leg that answered last decides; for a missed call, the rules R1.2 / R3.3 decide. */
  readonly owner: {
    readonly employeeId: string | null;
    readonly rule: AttributionRule;
    readonly reason: string;
  };
  readonly pops: readonly Pop[];
  readonly recordingUrl: string | null;
  /**
   * R1.3: each transfer leg is attributed on its own and, when one side is unmapped, the legs
   * become separate calls; `partOf` names the call a split-off part came from.
   */
  readonly partOf: string | null;
  /**
   * The box did not see this call live: it was read back from the PBX's records (CEL or CDR) after
   * a gap in the link, at `at`; the delay is `at - endedAt`. Null: seen live.
   */
  readonly recovered: Recovery | null;
}
