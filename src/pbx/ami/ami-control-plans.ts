import type { PbxControlResult } from "../../domain/call/pbx-control.ts";
import { fail, ok } from "../../domain/errors.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { ChannelState, ChannelTable } from "./ami-channels.ts";
import { type AmiFrame, field, timestampOf } from "./ami-fields.ts";

/**
 * What each control action writes and which event confirms it: the action's reply only says the
 * PBX took it (or refused it); the outcome is an event. Facts below are from Asterisk's own
 * source (asterisk/asterisk `main/manager.c`, `main/manager_doc.xml`, `main/stasis_bridges.c`,
 * read at f0c1c1a) and /work/shared/reference/control-rules.md §1.
 */
export interface ControlPlan {
  /** The action as written (its ActionID is the client's). */
  readonly action: Readonly<Record<string, string>>;
  /** The call acted on (for `originate`, the one it creates). */
  readonly callId: string;
  /** An event frame's verdict for this command, or null: the frame is not about it. */
  readonly judge: (frame: AmiFrame, actionId: string | null, receivedAt: Instant) => PbxControlResult | null;
}

/** `[pbx.ami]`'s call-control settings (src/config/pbx-sections.ts). */
export interface ControlContexts {
  /** Where the employee's extension is dialled first (the Local channel's context). */
  readonly originate: string;
  /** Where the number is dialled once the employee answered. */
  readonly dial: string;
  /** Where a transfer or a redirect sends the other party. */
  readonly transfer: string;
  /** The channel that rings the employee: `{extension}` and `{context}` are filled in. */
  readonly originateChannel: string;
  /** How long the employee's phone rings (Originate's `Timeout`), in seconds. */
  readonly ringSeconds: number;
}

/**
 * What may go into an AMI header unescaped: a value with CR or LF would start a header of its
 * own (an injected `Action`), and Asterisk's comma splits `Variable:` lists.
 */
export const DIALABLE = /^[A-Za-z0-9*#+_.-]{1,64}$/;

const BOX_CALL = "bb-";

/**
 * The channel ids an originate gets in advance (Asterisk ≥ 12: `ChannelId`, `OtherChannelId`,
 * at most 149 characters, `AST_MAX_PUBLIC_UNIQUEID`). The first is the Local `;1` half, whose
 * Uniqueid every channel of the call carries as Linkedid: the translator's callId. A second
 * Originate with the same id is refused by Asterisk itself (a Uniqueid is unique), one more
 * guard against acting twice.
 */
export function originateIds(commandId: string): { channelId: string; otherChannelId: string } {
  const safe = /^[A-Za-z0-9._-]{1,100}$/.test(commandId)
    ? commandId
    : new Bun.CryptoHasher("sha256").update(commandId).digest("hex").slice(0, 40);
  return { channelId: `${BOX_CALL}${safe}`, otherChannelId: `${BOX_CALL}${safe}-2` };
}

/** Whether `callId` is a call the box originated (its `ChannelId`, see originateIds). */
export const isBoxCall = (callId: string): boolean => callId.startsWith(BOX_CALL);

const at = (frame: AmiFrame, receivedAt: Instant): Instant => timestampOf(frame) ?? receivedAt;
const is = (frame: AmiFrame, event: string): boolean => field(frame, "Event") === event;

/**
 * `Reason` of OriginateResponse: the last control frame the outgoing channel saw
 * (`include/asterisk/frame.h` AST_CONTROL_*), 0 when none came (`fast_originate` in manager.c).
 */
export const ORIGINATE_REASONS: Readonly<Record<string, string>> = {
  "0": "the phone could not be reached (unregistered, unknown or refused)",
  "1": "hung up before answering",
  "3": "rang without an answer",
  "4": "answered",
  "5": "busy",
  "8": "congestion (no route or no channel free)",
};

/**
 * Click-to-call: the employee's phone (the Local channel) rings first showing the number to be
 * dialled; once it answers, its `;1` half runs `to@dial`. Async, so the reply is only "queued":
 * `OriginateResponse` (same ActionID; Uniqueid = ChannelId) says answered or not.
 * `__BB_CMD`/`__BB_EXT` ride on every channel of the call (`__` is inherited by all descendants).
 */
export function originatePlan(
  commandId: string,
  fromExtension: string,
  to: string,
  contexts: ControlContexts,
  ringMs: number,
): ControlPlan {
  const { channelId, otherChannelId } = originateIds(commandId);
  const tag = channelId.slice(3);
  const channel = contexts.originateChannel
    .replaceAll("{extension}", fromExtension)
    .replaceAll("{context}", contexts.originate);
  return {
    callId: channelId,
    action: {
      Action: "Originate",
      Channel: channel,
      Exten: to,
      Context: contexts.dial,
      Priority: "1",
      Timeout: String(ringMs),
      CallerID: `"${to}" <${to}>`,
      Async: "true",
      ChannelId: channelId,
      OtherChannelId: otherChannelId,
      Variable: `__BB_CMD=${tag},__BB_EXT=${fromExtension}`,
    },
    judge: originateJudge(channelId, fromExtension),
  };
}

/**
 * The verdict of the OriginateResponse of the originate whose ChannelId is `channelId`: the one
 * with this ActionID, or (on another link: a restart) its Uniqueid, which is the ChannelId.
 */
export function originateJudge(channelId: string, fromExtension: string): ControlPlan["judge"] {
  return (frame, actionId, receivedAt) => {
    if (!is(frame, "OriginateResponse")) return null;
    const mine =
      (actionId !== null && field(frame, "ActionID") === actionId) || field(frame, "Uniqueid") === channelId;
    if (!mine) return null;
    if (field(frame, "Response") === "Success") return ok({ callId: channelId, at: at(frame, receivedAt) });
    const reason = field(frame, "Reason") ?? "?";
    const said = ORIGINATE_REASONS[reason] ?? "failed";
    return fail("PBX.CONTROL_FAILED", `originate to ${fromExtension}: ${said} (Reason ${reason})`);
  };
}

/** `Hangup` of the exact channel (never a `/regex/`); done when its Hangup event comes. */
export function hangupPlan(channel: ChannelState): ControlPlan {
  return {
    callId: channel.callId,
    action: { Action: "Hangup", Channel: channel.name, Cause: "16" },
    judge: (frame, _id, receivedAt) =>
      is(frame, "Hangup") && field(frame, "Uniqueid") === channel.uniqueid
        ? ok({ callId: channel.callId, at: at(frame, receivedAt) })
        : null,
  };
}

/**
 * `BlindTransfer` "redirect[s] all channels currently bridged to the specified channel"
 * (manager_doc.xml): `Channel` is the employee's, and the party bridged to it (the client) goes
 * to `to`. The BlindTransfer event names the employee as Transferer; its `Result` decides.
 */
export function blindTransferPlan(channel: ChannelState, to: string, contexts: ControlContexts): ControlPlan {
  return {
    callId: channel.callId,
    action: { Action: "BlindTransfer", Channel: channel.name, Exten: to, Context: contexts.transfer },
    judge: (frame, _id, receivedAt) => {
      if (!is(frame, "BlindTransfer") || field(frame, "TransfererUniqueid") !== channel.uniqueid) return null;
      const result = field(frame, "Result");
      return result === "Success"
        ? ok({ callId: channel.callId, at: at(frame, receivedAt) })
        : fail("PBX.CONTROL_FAILED", `blind transfer: ${result ?? "no result"}`);
    },
  };
}

/**
 * `Atxfer` on the employee's channel. Asterisk queues the `atxfer` feature code as DTMF and
 * answers "Atxfer successfully queued" whatever follows; the transfer exists only if the call was
 * dialled with transfer rights (Dial options `t`/`T`, FreePBX's "transfer" settings) and
 * features.conf has an `atxfer` code — else nothing happens (marcelog/PAMI#141) and the command
 * times out. Done when the AttendedTransfer event names the employee's channel (it comes when
 * the employee hangs up to join the client to the colleague).
 */
export function attendedTransferPlan(
  channel: ChannelState,
  to: string,
  contexts: ControlContexts,
): ControlPlan {
  return {
    callId: channel.callId,
    action: { Action: "Atxfer", Channel: channel.name, Exten: to, Context: contexts.transfer },
    judge: (frame, _id, receivedAt) => {
      if (!is(frame, "AttendedTransfer")) return null;
      const ids = [field(frame, "OrigTransfererUniqueid"), field(frame, "SecondTransfererUniqueid")];
      if (!ids.includes(channel.uniqueid)) return null;
      const result = field(frame, "Result");
      return result === "Success"
        ? ok({ callId: channel.callId, at: at(frame, receivedAt) })
        : fail("PBX.CONTROL_FAILED", `attended transfer: ${result ?? "no result"}`);
    },
  };
}

/**
 * `CancelAtxfer` (Asterisk 13.18, 14.7, 15.1) queues the `atxferabort` code on the employee's
 * channel: the consultation ends and the employee goes back to the client, which shows as the
 * employee's channel entering a bridge again (`BridgeEnter`).
 */
export function cancelAttendedTransferPlan(channel: ChannelState): ControlPlan {
  return {
    callId: channel.callId,
    action: { Action: "CancelAtxfer", Channel: channel.name },
    judge: (frame, _id, receivedAt) =>
      is(frame, "BridgeEnter") && field(frame, "Uniqueid") === channel.uniqueid
        ? ok({ callId: channel.callId, at: at(frame, receivedAt) })
        : null,
  };
}

/**
 * `Redirect` of the call's first channel (the caller, still in Dial while the call rings): Dial
 * ends and the caller runs `to@transfer`, priority 1, which its Newexten there confirms. The
 * caller hanging up first is a failure.
 */
export function redirectPlan(channel: ChannelState, to: string, contexts: ControlContexts): ControlPlan {
  return {
    callId: channel.callId,
    action: {
      Action: "Redirect",
      Channel: channel.name,
      Exten: to,
      Context: contexts.transfer,
      Priority: "1",
    },
    judge: (frame, _id, receivedAt) => {
      if (field(frame, "Uniqueid") !== channel.uniqueid) return null;
      if (is(frame, "Hangup")) return fail("PBX.CONTROL_FAILED", "the caller hung up before the redirect");
      const exten = field(frame, "Exten") ?? field(frame, "Extension");
      return is(frame, "Newexten") && field(frame, "Context") === contexts.transfer && exten === to
        ? ok({ callId: channel.callId, at: at(frame, receivedAt) })
        : null;
    },
  };
}

/** The live channel of leg `legId` on call `callId`, as the translator holds it; never a guess. */
export function legChannel(table: ChannelTable, callId: string, legId: string): ChannelState | null {
  for (const channel of table.liveChannels())
    if (channel.callId === callId && channel.legId === legId && channel.kind === "handset") return channel;
  return null;
}

/** The channel a ringing call's caller is on: the call's first channel that is no Local half. */
export function callerChannel(table: ChannelTable, callId: string): ChannelState | null {
  for (const channel of table.liveChannels())
    if (channel.callId === callId && channel.origin && channel.kind !== "local") return channel;
  return null;
}
