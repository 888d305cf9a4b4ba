import type { DomainError, Result } from "../errors.ts";
import type { Instant } from "../roster/types.ts";

/**
 * Acting on the PBX: the port a controller (`src/pbx/ami/`, Mango through HQ, …) implements beside
 * its PbxEventSource. Callers are the command runner (HQ's click-to-call) and the rules runner.
 *
 * ALWAYS:
 * - answers every request by its `deadline`, with a value: `ok`, or an error with a code below;
 *   a promise that rejects is a bug in the controller, not a PBX's answer;
 * - answers `supports` synchronously, without I/O, the same while the box runs; an unsupported
 *   action is answered `PBX.CONTROL_UNSUPPORTED` at once, with nothing sent;
 * - acts only on the leg and call named, resolved from the call's own state to the PBX's exact
 *   handle (AMI: the channel name, never a `/regex/`);
 * - tags what it starts with the `commandId` where the PBX carries one (AMI: `__BB_CMD` and the
 *   ChannelId; Mango: `command_id`), so the call the event source reports can be joined to it.
 * NEVER:
 * - acts twice for one `commandId`: a repeated request gets the first one's answer (waiting for
 *   it if it is still under way), after a reconnect as well;
 * - reports `ok` before the PBX confirmed the outcome: a reply that only says "queued" (AMI
 *   Atxfer, Redirect, an async Originate) is not confirmation; the matching event is;
 * - retries by itself after a refusal or a timeout: the caller (HQ, a rule) decides;
 * - logs a secret.
 */
export interface PbxControl {
  /** Which controller, e.g. "ami:pbx.branch.local:5038". */
  readonly name: string;
  supports(action: PbxControlAction): boolean;
  /** Click-to-call: the employee's extension rings first; once it answers, the PBX dials `to`. */
  originate(request: OriginateRequest): Promise<PbxControlResult>;
  /** Ends one leg (the employee's own), not the whole call. */
  hangup(request: HangupRequest): Promise<PbxControlResult>;
  /** The party the leg talks to goes to `to`; the leg ends. Only on an answered leg. */
  blindTransfer(request: TransferRequest): Promise<PbxControlResult>;
  /** The leg consults `to` first; the transfer completes when the employee hangs up. */
  attendedTransfer(request: TransferRequest): Promise<PbxControlResult>;
  /** A call not yet answered (ringing, queued, in an IVR) goes to `to` instead: re-route, intercept. */
  redirect(request: RedirectRequest): Promise<PbxControlResult>;
  /**
   * R2.4 "cancel is possible": ends the consultation of an attended transfer that `legId` started;
   * `ok` only once the employee is back with the client (AMI: the leg enters a bridge again).
   * Optional, like any action, by `supports`: a controller that lacks the method is one whose
   * `supports("cancelAttendedTransfer")` is false; callers ask `supports` first either way.
   */
  cancelAttendedTransfer?(request: CancelTransferRequest): Promise<PbxControlResult>;
  /**
   * An originate sent before a restart (its call `callId` known): the PBX's own verdict on it, as
   * `originate` would have given it, when the PBX still reports it on the new link (Asterisk's
   * OriginateResponse goes to every session). Sends NOTHING; `PBX.CONTROL_TIMEOUT` at the deadline
   * when no verdict came. Optional: a controller without it leaves the call's events to settle it.
   */
  awaitOriginate?(request: AwaitOriginateRequest): Promise<PbxControlResult>;
}

export type PbxControlAction =
  | "originate"
  | "hangup"
  | "blindTransfer"
  | "attendedTransfer"
  | "cancelAttendedTransfer"
  | "redirect";

/**
 * - `PBX.CONTROL_UNSUPPORTED`: this controller cannot do the action (see `supports`); nothing sent.
 * - `PBX.CONTROL_UNAVAILABLE`: no link to the PBX, or the call or leg is not known to it; nothing sent.
 * - `PBX.CONTROL_FAILED`: the PBX refused or reported failure (busy, no such channel, not permitted).
 * - `PBX.CONTROL_TIMEOUT`: no confirmation by the deadline; the action may still have happened.
 */
export type PbxControlErrorCode =
  | "PBX.CONTROL_UNSUPPORTED"
  | "PBX.CONTROL_UNAVAILABLE"
  | "PBX.CONTROL_FAILED"
  | "PBX.CONTROL_TIMEOUT";

export type PbxControlResult = Result<PbxControlDone, DomainError<PbxControlErrorCode>>;

export interface PbxControlDone {
  /** The call acted on; for `originate`, the call the PBX created (its events carry this id). */
  readonly callId: string;
  /** When the PBX confirmed, by its own clock where it says. */
  readonly at: Instant;
}

interface ControlRequest {
  /** One id per command, the idempotency key: the same id never acts twice. */
  readonly commandId: string;
  /** The answer comes by then (`PBX.CONTROL_TIMEOUT` at the latest). */
  readonly deadline: Instant;
}

export interface OriginateRequest extends ControlRequest {
  /** The employee's extension, which rings first. */
  readonly fromExtension: string;
  /** What the PBX dials once it answers: a number or another extension. */
  readonly to: string;
  /**
   * Called once, as soon as the controller knows the id of the call it starts (AMI: the ChannelId
   * it sets before sending), before the answer: the command service records it, so the call's
   * events (the employee's phone ringing, answered) show on the command, after a restart too.
   * Optional for a caller; a controller that can know the id early calls it.
   */
  readonly onCall?: (callId: string) => void;
}

export interface AwaitOriginateRequest extends ControlRequest {
  /** The call the originate started (what `onCall` reported). */
  readonly callId: string;
  readonly fromExtension: string;
}

export interface HangupRequest extends ControlRequest {
  readonly callId: string;
  readonly legId: string;
}

export interface TransferRequest extends ControlRequest {
  readonly callId: string;
  /** The transferring employee's leg. */
  readonly legId: string;
  /** An extension, a group number or an outside number, as dialled on the PBX. */
  readonly to: string;
}

export interface CancelTransferRequest extends ControlRequest {
  readonly callId: string;
  /** The transferring employee's leg, the one the attended transfer was started on. */
  readonly legId: string;
}

export interface RedirectRequest extends ControlRequest {
  readonly callId: string;
  readonly to: string;
}
