import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { AmiCallEvents } from "./ami-call-events.ts";
import type { ChannelState } from "./ami-channels.ts";
import { type AmiFrame, field } from "./ami-fields.ts";

/**
 * BlindTransfer / AttendedTransfer → `transfer` (R2.3, R2.4). Only a handset's transfer is a
 * transfer of the branch's: a trunk-side transfer (the provider's REFER) is not a leg's.
 */

export function blindTransfer(calls: AmiCallEvents, frame: AmiFrame, at: Instant): PbxEvent[] | null {
  if (field(frame, "Result") !== "Success") return [];
  const transferer = calls.table.ensure(frame, "Transferer", at);
  if (transferer === null) return null;
  if (transferer.kind !== "handset") return [];
  return [
    calls.transfer(transferer, at, {
      kind: "blind",
      fromLegId: transferer.legId,
      toExtension: field(frame, "Extension"),
      consultCallId: null,
      toLegId: null,
    }),
  ];
}

/**
 * Orig* is the transferer's channel talking to the client, Second* its consultation channel,
 * TransferTarget the colleague's. The consultation (its own Linkedid) joins the main call.
 */
export function attendedTransfer(calls: AmiCallEvents, frame: AmiFrame, at: Instant): PbxEvent[] | null {
  if (field(frame, "Result") !== "Success" || field(frame, "DestType") === "Threeway") return [];
  const orig = calls.table.ensure(frame, "OrigTransferer", at);
  const second = calls.table.ensure(frame, "SecondTransferer", at);
  if (orig === null || second === null) return null;
  if (orig.kind !== "handset") return [];
  const consultId = second.callId === orig.callId ? null : second.callId;
  const target = calls.table.ensure(frame, "TransferTarget", at) ?? consulted(calls, consultId, second);
  const event = calls.transfer(orig, at, {
    kind: "attended",
    fromLegId: orig.legId,
    toExtension: target?.extension ?? null,
    consultCallId: consultId,
    toLegId: target?.kind === "handset" ? target.legId : null,
  });
  if (consultId !== null) calls.table.absorb(consultId, orig.callId);
  return [event];
}

/**
 * The colleague, for an AttendedTransfer without TransferTarget fields (Asterisk 13 before they
 * were added, as VoIPGRID's recordings show): the one handset that answered the consultation, or
 * for a "blonde" transfer (completed while it still rings) the one handset it rings.
 */
function consulted(
  calls: AmiCallEvents,
  consultId: string | null,
  second: ChannelState,
): ChannelState | null {
  if (consultId === null) return null;
  const rung = calls.table
    .liveChannels()
    .filter((c) => c.callId === consultId && c !== second && c.kind === "handset" && !c.origin);
  const answered = rung.filter((c) => c.answeredSent);
  const pool = answered.length > 0 ? answered : rung;
  return pool.length === 1 ? (pool[0] ?? null) : null;
}
