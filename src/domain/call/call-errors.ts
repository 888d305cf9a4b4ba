import type { DomainError } from "../errors.ts";

/**
 * Why the assembler refused an event. A refusal is a value the caller counts and logs; the event
 * changes nothing, and the assembler goes on with the next one.
 * - `CALL.ILLEGAL_TRANSITION`: the leg cannot move there from where it is (a `ringing` after
 *   `answered`, anything after the leg ended): a duplicate or an out-of-order event.
 * - `CALL.AFTER_END`: the call already had its `call-end`.
 * - `CALL.DUPLICATE_START`: a second `call-start` for a call that had one.
 * - `CALL.MISSING_FIELD`: the event lacks what its kind needs (a leg id, transfer details).
 * - `CALL.UNKNOWN_LEG`: the event names a leg this call never had and carries no extension to
 *   create it from.
 * - `CALL.UNKNOWN_KIND`: a kind this version does not know (a journal written by a newer box).
 */
export type CallErrorCode =
  | "CALL.ILLEGAL_TRANSITION"
  | "CALL.AFTER_END"
  | "CALL.DUPLICATE_START"
  | "CALL.MISSING_FIELD"
  | "CALL.UNKNOWN_LEG"
  | "CALL.UNKNOWN_KIND";

export type CallError = DomainError<CallErrorCode>;

export const callError = (code: CallErrorCode, message: string): CallError => ({ code, message });
