import type { AssembledCall, AssembledLeg } from "../domain/call/call-types.ts";
import type { PbxControlAction } from "../domain/call/pbx-control.ts";
import { type DomainError, fail, ok, type Result } from "../domain/errors.ts";
import type { Instant } from "../domain/roster/types.ts";
import { phoneToday, type RosterToday } from "../domain/rules/whereabouts.ts";
import type { CallCommandErrorCode, CallCommandInput } from "./call-command-port.ts";
import type { CallsPort } from "./calls-port.ts";
import type { RosterPort } from "./roster-port.ts";

/**
 * What a command acts on, resolved before anything is written (issue 15). Every refusal here is a
 * coded value; the caller writes nothing on one.
 */
export interface ResolvedCommand {
  /** The controller's action. */
  readonly action: PbxControlAction;
  /**
   * Click-to-call: the extension that rings first; hang up: the leg's extension; transfer: where
   * to; cancel-transfer: the commandId of the attended transfer it cancels.
   */
  readonly target: string;
  readonly callId: string | null;
  readonly legId: string | null;
  /** Click-to-call: what is dialled once the employee answers. */
  readonly dial: string | null;
}

type Refusal = DomainError<CallCommandErrorCode>;

/** An outside number (`+` and 6–15 digits) or what is dialled on the PBX (digits, `*`, `#`; 2–20). */
export const DIALABLE = /^(\+[0-9]{6,15}|[0-9*#]{2,20})$/;
const EXTENSION = /^[0-9*#]{1,16}$/;
const EMPLOYEE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const COMMAND_ID = /^[\x21-\x7e]{1,200}$/;

/** The checks that need nothing but the input: a failure is `COMMAND.BAD_INPUT`. */
export function checkShape(input: CallCommandInput): Refusal | null {
  const bad = (message: string) => ({ code: "COMMAND.BAD_INPUT" as const, message });
  if (!COMMAND_ID.test(input.commandId)) return bad("commandId: 1 to 200 printable characters, no spaces");
  switch (input.kind) {
    case "click-to-call": {
      if (typeof input.number !== "string" || !DIALABLE.test(input.number))
        return bad("number: digits (an extension, *, #) or + and 6 to 15 digits");
      const has = [input.employeeId, input.extension].filter((v) => v !== undefined);
      if (has.length !== 1) return bad("exactly one of employeeId or extension: whose phone rings first");
      if (input.employeeId !== undefined && !EMPLOYEE_ID.test(input.employeeId))
        return bad("employeeId: not an employee id");
      if (input.extension !== undefined && !EXTENSION.test(input.extension))
        return bad("extension: digits, * or #, at most 16");
      return null;
    }
    case "hangup":
      return typeof input.callId === "string" && input.callId.length > 0 && input.callId.length <= 200
        ? null
        : bad("callId: the call to hang up");
    case "cancel-transfer":
      return typeof input.callId === "string" && input.callId.length > 0 && input.callId.length <= 200
        ? null
        : bad("callId: the call whose attended transfer is cancelled");
    case "transfer":
      if (typeof input.callId !== "string" || input.callId.length === 0 || input.callId.length > 200)
        return bad("callId: the call to transfer");
      if (input.mode !== "blind" && input.mode !== "attended") return bad("mode: blind or attended");
      if (typeof input.to !== "string" || !(DIALABLE.test(input.to) || EMPLOYEE_ID.test(input.to)))
        return bad("to: an employee id, an extension or a number");
      return null;
    default:
      return bad("kind: click-to-call, hangup, transfer or cancel-transfer");
  }
}

/** The roster now as the rules read it (src/domain/rules/whereabouts.ts). */
export function rosterToday(roster: RosterPort, now: Instant): RosterToday {
  return {
    employees: roster.employees(now).map((e) => ({
      id: e.id,
      name: e.name,
      extension: e.extension,
      onShift: e.onShift !== null,
    })),
    desks: roster.board(now).desks.map((d) => ({
      id: d.id,
      name: d.name,
      extension: d.extension,
      holderId: d.holder?.employeeId ?? null,
    })),
    dedicatedOwner: (extension) => {
      const owner = roster.ownerOf(extension, now);
      return owner.rule === "dedicated" ? owner.employeeId : null;
    },
  };
}

/** The phone where the employee is today (R2.1: `phoneToday`), or the command's refusal. */
export function phoneOf(roster: RosterPort, employeeId: string, now: Instant): Result<string, Refusal> {
  const phone = phoneToday(rosterToday(roster, now), employeeId);
  switch (phone.kind) {
    case "desk":
    case "dedicated":
      return ok(phone.extension);
    case "unknown-employee":
      return fail("COMMAND.UNKNOWN_EMPLOYEE", `no employee ${employeeId} at this branch`);
    case "off-shift":
      return fail("COMMAND.NOT_ON_SHIFT", `${phone.name} is not on shift: no phone of theirs to ring`);
    case "no-phone":
      return fail(
        "COMMAND.NOT_ON_SHIFT",
        `${phone.name} holds no desk's phone and has no dedicated extension: no phone of theirs to ring`,
      );
  }
}

/**
 * The leg a hang-up or a transfer acts on. From a desk screen: the leg on that desk's extension,
 * and only for its phone holder. From the API or HQ: the answered leg still up, else the newest
 * leg still up.
 */
function legOf(
  roster: RosterPort,
  call: AssembledCall,
  origin: CallCommandInput["origin"],
  now: Instant,
): Result<AssembledLeg, Refusal> {
  const up = call.legs.filter((l) => l.state !== "ended");
  if (origin.via === "desk") {
    const desk = roster.board(now).desks.find((d) => d.id === origin.deskId);
    if (desk === undefined || desk.holder?.employeeId !== origin.employeeId)
      return fail(
        "COMMAND.NOT_YOUR_CALL",
        `only the holder of desk ${origin.deskId}'s phone acts on its calls`,
      );
    const leg = up.findLast((l) => l.extension === desk.extension);
    return leg === undefined
      ? fail("COMMAND.NOT_YOUR_CALL", `call ${call.id} is not on ${desk.name}'s phone (${desk.extension})`)
      : ok(leg);
  }
  const leg = up.findLast((l) => l.state === "answered") ?? up.at(-1);
  return leg === undefined ? fail("COMMAND.UNKNOWN_CALL", `call ${call.id} has no leg still up`) : ok(leg);
}

/** An attended transfer command still open: what a cancel-transfer may cancel. */
export interface OpenTransfer {
  readonly commandId: string;
  readonly callId: string;
  readonly legId: string;
}

/**
 * Resolves what the command acts on, from the roster, the live calls and the attended transfers
 * open now. A cancel-transfer acts on the leg its transfer was started on: from a desk screen,
 * the desk's own leg must be that one; the box knows of no consultation but a command's (a
 * consultation started on the handset shows in no event until it completes).
 */
export function resolveCommand(
  input: CallCommandInput,
  roster: RosterPort,
  calls: CallsPort,
  transfers: readonly OpenTransfer[],
  now: Instant,
): Result<ResolvedCommand, Refusal> {
  if (input.kind === "click-to-call") {
    const phone =
      input.employeeId !== undefined ? phoneOf(roster, input.employeeId, now) : ok(input.extension as string);
    if (!phone.ok) return phone;
    if (input.origin.via === "desk") {
      const { deskId, employeeId } = input.origin;
      const desk = roster.board(now).desks.find((d) => d.id === deskId);
      if (desk === undefined || desk.holder?.employeeId !== employeeId || desk.extension !== phone.value)
        return fail("COMMAND.NOT_YOUR_CALL", `a desk screen rings only its own phone, for its phone holder`);
    }
    return ok({ action: "originate", target: phone.value, callId: null, legId: null, dial: input.number });
  }
  const call = calls.live().find((c) => c.id === input.callId && !c.finished);
  if (call === undefined) return fail("COMMAND.UNKNOWN_CALL", `no call ${input.callId} is going on`);
  const leg = legOf(roster, call, input.origin, now);
  if (!leg.ok) return leg;
  if (input.kind === "cancel-transfer") {
    const open = transfers.findLast(
      (x) => x.callId === call.id && (input.origin.via !== "desk" || x.legId === leg.value.id),
    );
    if (open === undefined)
      return fail("COMMAND.NO_TRANSFER", `no attended transfer is under way on call ${call.id}`);
    if (!call.legs.some((l) => l.id === open.legId && l.state !== "ended"))
      return fail("COMMAND.NO_TRANSFER", `the leg that started the transfer on call ${call.id} has ended`);
    return ok({
      action: "cancelAttendedTransfer",
      target: open.commandId,
      callId: call.id,
      legId: open.legId,
      dial: null,
    });
  }
  if (input.kind === "hangup")
    return ok({
      action: "hangup",
      target: leg.value.extension,
      callId: call.id,
      legId: leg.value.id,
      dial: null,
    });
  // R2.3 on a call still ringing (nobody answered: at the desk, in a queue, an IVR): there is no
  // bridge to transfer, so a blind transfer redirects the client's channel; nobody to consult with.
  const ringing = !call.legs.some((l) => l.state === "answered");
  if (ringing && input.mode === "attended")
    return fail(
      "COMMAND.NOT_ANSWERED",
      `call ${call.id} is not answered yet: answer it first, or send it on without consulting`,
    );
  let to = input.to;
  // A known employee id is dialled where they are today; otherwise `to` is dialled as it is.
  if (roster.employees(now).some((e) => e.id === input.to)) {
    const phone = phoneOf(roster, input.to, now);
    if (!phone.ok) return phone;
    to = phone.value;
  } else if (!DIALABLE.test(input.to)) {
    return fail("COMMAND.UNKNOWN_EMPLOYEE", `no employee ${input.to} at this branch`);
  }
  return ok({
    action: ringing ? "redirect" : input.mode === "blind" ? "blindTransfer" : "attendedTransfer",
    target: to,
    callId: call.id,
    legId: leg.value.id,
    dial: null,
  });
}

/**
 * The controller's action for a command, to ask `supports` before anything else (a blind transfer
 * of a ringing call is a redirect: `resolveCommand` says so, and its support is asked then).
 */
export function actionOf(input: CallCommandInput): PbxControlAction {
  if (input.kind === "click-to-call") return "originate";
  if (input.kind === "hangup") return "hangup";
  if (input.kind === "cancel-transfer") return "cancelAttendedTransfer";
  return input.mode === "blind" ? "blindTransfer" : "attendedTransfer";
}
