import type { Instant } from "../roster/types.ts";
import type { RouteDecision, RoutingSnapshot } from "./routing.ts";

/** One inbound call as the PBX asks about it (FastAGI's `agi_callerid`, the dialled DID). */
export interface RouteQuestion {
  readonly caller: string | null;
  readonly did: string | null;
  /** The PBX's id of the caller's channel (`agi_uniqueid`), to find the decision again. */
  readonly uniqueId: string | null;
}

/**
 * The PBX's word that it routed a call by the box's rule: the shipped dialplan's `UserEvent
 * BranchboxRoute` (whether the rule came from its own database or from FastAGI).
 */
export interface RoutedCall {
  /** The call's id as the box knows it (AMI: the channel's Linkedid). */
  readonly callId: string;
  /** The caller's channel (its Uniqueid): FastAGI's decision for it is kept under it. */
  readonly uniqueId: string;
  readonly caller: string | null;
  readonly rule: string;
  /** What the PBX dialled (`PJSIP/102`); null when the rule rang nobody (R4.7). */
  readonly target: string | null;
}

/** A routing decision the PBX carried out, with why, for "explain every decision" (/admin/calls/<id>). */
export interface RouteExplanation {
  readonly callId: string;
  readonly at: Instant;
  readonly rule: string;
  readonly target: string | null;
  readonly reason: string;
}

/**
 * The routing as the PBX adapters read it (issue 16). ALWAYS answers from memory and NEVER
 * throws: a caller is waiting on the other end. It never calls out (no HQ, no CRM, no disk).
 */
export interface RoutingSource {
  /** R2.6, R4.6, R4.7 for one call now. */
  decide(question: RouteQuestion, at: Instant): RouteDecision;
  /** What the PBX's own database should hold now (the AstDB push diffs it). */
  snapshot(at: Instant): RoutingSnapshot;
  /**
   * Called after anything that may change a decision: the roster, the staff, the client
   * directory, the settings, absences and forwarding. Returns the unsubscribe function.
   */
  subscribe(listener: () => void): () => void;
  /** The PBX routed a call by the box's rule: kept with its reason. NEVER throws. */
  routed(call: RoutedCall, at: Instant): void;
}
