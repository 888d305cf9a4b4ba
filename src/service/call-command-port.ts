import type { CallCommandState } from "../domain/call/call-command-state.ts";
import type { DomainError, Result } from "../domain/errors.ts";
import type { Instant } from "../domain/roster/types.ts";

/**
 * Issue 15: acting on calls — click-to-call, hang up, blind and attended transfer — asked by a desk
 * screen (`/desk/<deskId>`, after the phone holder's PIN), the API (`POST /api/v1/commands`) or
 * headquarters (`command.run` on the `commands` stream). One service implements this port on the
 * configured PBX's `PbxControl` (src/domain/call/pbx-control.ts).
 *
 * ALWAYS:
 * - `submit` validates first: bad input (unknown employee, an employee not on shift, a number that
 *   is not a number, a call that is not the asker's) is a coded refusal with NOTHING written or sent;
 * - an accepted command is a durable row `{commandId, kind, target, state, deadline}` written
 *   BEFORE anything is sent to the PBX; `submit` resolves once that row is committed;
 * - a command's outcome is settled by the PBX events it causes (or the controller's confirmed
 *   answer), not by an action's "queued" reply; a command still open at its deadline is `failed`;
 * - a command is never run at or after its `expiresAt`: it is `expired`;
 * - after a restart, a command already `sent` is never sent again; it is resolved from the events
 *   or fails at its deadline;
 * - states only move forward: queued → sent → ringing-employee → connected → done, or to one of
 *   failed / expired / refused from any open state; a settled command never changes again.
 * NEVER:
 * - acts twice for one `commandId`: the same id again returns the first command's view (a
 *   different body under a used id is `COMMAND.ID_REUSED`);
 * - picks "the employee's phone" from anything but the roster: the desk they are checked in at
 *   and hold the phone of, else their dedicated extension; nobody's phone when off shift.
 */
export interface CallCommandsPort {
  submit(input: CallCommandInput, now: Instant): Promise<Result<CallCommandView, CallCommandError>>;
  /** The command's state now; null when the id is unknown. */
  get(commandId: string): CallCommandView | null;
  /** Called after each change of a command's state (committed); returns the unsubscribe function. */
  subscribe(listener: (view: CallCommandView) => void): () => void;
}

export type CallCommandKind = "click-to-call" | "hangup" | "transfer" | "cancel-transfer";

export type { CallCommandState } from "../domain/call/call-command-state.ts";
export { SETTLED_STATES } from "../domain/call/call-command-state.ts";

/** Who asks: the desk screen (its phone holder, after her PIN), the API, or headquarters. */
export type CommandOrigin =
  | { readonly via: "desk"; readonly deskId: string; readonly employeeId: string }
  | { readonly via: "api" }
  | { readonly via: "hq" };

export type CallCommandInput =
  | (CommandBase & {
      readonly kind: "click-to-call";
      /** Whose phone rings first: an employee (the phone where they are today) or an extension. */
      readonly employeeId?: string;
      readonly extension?: string;
      /** What is dialled once they answer: a number or an extension. */
      readonly number: string;
    })
  | (CommandBase & { readonly kind: "hangup"; readonly callId: string })
  | (CommandBase & {
      readonly kind: "transfer";
      readonly callId: string;
      /** An employee id (dialled where they are today), an extension or a number. */
      readonly to: string;
      readonly mode: "blind" | "attended";
    })
  /**
   * R2.4 "cancel is possible": the open attended transfer on this call (started by a command) is
   * cancelled, the client back with the employee. That transfer command then settles `failed`,
   * reason `cancelled`; this one is `done` once the PBX confirms the employee is back.
   */
  | (CommandBase & { readonly kind: "cancel-transfer"; readonly callId: string });

interface CommandBase {
  /** The idempotency key (header `Idempotency-Key`, the field, or HQ's commandId). */
  readonly commandId: string;
  readonly origin: CommandOrigin;
  /** Never run at or after this (HQ's `expiresAt`); the service sets a default deadline. */
  readonly expiresAt?: Instant;
}

export interface CallCommandView {
  readonly commandId: string;
  readonly kind: CallCommandKind;
  readonly state: CallCommandState;
  /** The call it made or acted on, once known. */
  readonly callId: string | null;
  /** For failed / refused / expired: the PBX's reason or the refusal's, in English. */
  readonly reason: string | null;
  readonly createdAt: Instant;
  readonly updatedAt: Instant;
}

/**
 * - `COMMAND.BAD_INPUT`: a field is missing or malformed (the number is not a number, no target).
 * - `COMMAND.ID_REUSED`: the commandId was used for a different command.
 * - `COMMAND.NOT_ON_SHIFT`: click-to-call for an employee who is not on shift: nobody's phone rings.
 * - `COMMAND.UNKNOWN_EMPLOYEE` / `COMMAND.UNKNOWN_CALL`: no such employee or call at the branch.
 * - `COMMAND.NOT_YOUR_CALL`: a desk screen acted on another desk's call, or not its phone holder.
 * - `COMMAND.NO_TRANSFER`: cancel-transfer on a call with no attended transfer of a command open.
 * - `COMMAND.NOT_ANSWERED`: an attended transfer of a call nobody has answered (blind redirects it).
 * - `COMMAND.UNSUPPORTED`: the branch's PBX cannot do this (e.g. transfer over SIP dialog servers).
 * - `COMMAND.NO_PBX`: no PBX is configured or linked; nothing sent.
 */
export type CallCommandErrorCode =
  | "COMMAND.BAD_INPUT"
  | "COMMAND.ID_REUSED"
  | "COMMAND.NOT_ON_SHIFT"
  | "COMMAND.UNKNOWN_EMPLOYEE"
  | "COMMAND.UNKNOWN_CALL"
  | "COMMAND.NOT_YOUR_CALL"
  | "COMMAND.NO_TRANSFER"
  | "COMMAND.NOT_ANSWERED"
  | "COMMAND.UNSUPPORTED"
  | "COMMAND.NO_PBX";

export type CallCommandError = DomainError<CallCommandErrorCode>;

/** A box with no way to act on its PBX yet: every command is refused `COMMAND.NO_PBX`, nothing written. */
export const noCallCommands: CallCommandsPort = {
  submit: async () => ({
    ok: false,
    error: { code: "COMMAND.NO_PBX", message: "this box cannot act on its phone system" },
  }),
  get: () => null,
  subscribe: () => () => {},
};
