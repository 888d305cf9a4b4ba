import type { PbxEvent, TransferInfo } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { ChannelState } from "./ami-channels.ts";
import { type AmiFrame, field } from "./ami-fields.ts";
import type { EventMaker } from "./ami-translate.ts";

/**
 * BlindTransfer / AttendedTransfer → `transfer` (R2.3, R2.4). Only a handset's transfer is a
 * transfer of the branch's: a trunk-side transfer (the provider's REFER) is not a leg's.
 */

export function blindTransfer(maker: EventMaker, frame: AmiFrame, at: Instant): PbxEvent[] | null {
  if (field(frame, "Result") !== "Success") return [];
  const transferer = maker.table.ensure(frame, "Transferer", at);
  if (transferer === null) return null;
  if (transferer.kind !== "handset") return [];
  return [
    transferEvent(maker, transferer, at, {
      kind: "blind",
      fromLegId: transferer.uniqueid,
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
export function attendedTransfer(maker: EventMaker, frame: AmiFrame, at: Instant): PbxEvent[] | null {
  if (field(frame, "Result") !== "Success" || field(frame, "DestType") === "Threeway") return [];
  const orig = maker.table.ensure(frame, "OrigTransferer", at);
  const second = maker.table.ensure(frame, "SecondTransferer", at);
  if (orig === null || second === null) return null;
  if (orig.kind !== "handset") return [];
  const target = maker.table.ensure(frame, "TransferTarget", at);
  const consultId = second.callId === orig.callId ? null : second.callId;
  const event = transferEvent(maker, orig, at, {
    kind: "attended",
    fromLegId: orig.uniqueid,
    toExtension: target?.extension ?? null,
    consultCallId: consultId,
    toLegId: target?.kind === "handset" ? target.uniqueid : null,
  });
  if (consultId !== null) maker.table.absorb(consultId, orig.callId);
  return [event];
}

function transferEvent(maker: EventMaker, from: ChannelState, at: Instant, transfer: TransferInfo): PbxEvent {
  const key = `${from.callId}:transfer:${from.uniqueid}`;
  return maker.event("transfer", key, from.callId, at, {
    legId: from.uniqueid,
    extension: from.extension,
    transfer,
  });
}
