// What Asterisk writes for the call-control actions, frame by frame, as asterisk/asterisk's
// main/manager.c (f0c1c1a) does: the replies of action_originate, action_hangup,
// action_blind_transfer, action_atxfer, action_cancel_atxfer, action_redirect and
// process_message's "Permission denied"; fast_originate's OriginateResponse. A test's peer script
// (AmiPeerOptions.act) answers with these, then plays the events the action causes, from a real
// recording where one exists (test/fixtures/ami/real/README.md).
import type { AmiFrame } from "../../src/pbx/ami/ami-parser.ts";
import { amiGet } from "../../src/pbx/ami/ami-parser.ts";
import { transcriptFrames } from "./ami-peer.ts";

export const REPLIES = {
  originateQueued: { Response: "Success", Message: "Originate successfully queued" },
  permissionDenied: { Response: "Error", Message: "Permission denied" },
  channelHungup: { Response: "Success", Message: "Channel Hungup" },
  noSuchChannel: { Response: "Error", Message: "No such channel" },
  transferSucceeded: { Response: "Success", Message: "Transfer succeeded" },
  transferNotPermitted: { Response: "Error", Message: "Transfer not permitted" },
  atxferQueued: { Response: "Success", Message: "Atxfer successfully queued" },
  noAtxferCode: { Response: "Error", Message: "No attended transfer feature code found" },
  cancelAtxferQueued: { Response: "Success", Message: "CancelAtxfer successfully queued" },
  redirectSuccessful: { Response: "Success", Message: "Redirect successful" },
} as const;

/**
 * fast_originate's event for an Exten originate: `Response: Success` only when answered
 * (Reason 4); Uniqueid is the channel's, or the ChannelId given when no channel was made.
 */
export function originateResponse(
  action: AmiFrame,
  reason: number,
  actionId?: string,
): Record<string, string> {
  const exten = amiGet(action, "Exten") ?? "";
  return {
    Event: "OriginateResponse",
    Privilege: "call,all",
    ...(actionId === undefined ? {} : { ActionID: actionId }),
    Response: reason === 4 ? "Success" : "Failure",
    Channel: reason === 0 ? (amiGet(action, "Channel") ?? "") : `${localName(action)};1`,
    Context: amiGet(action, "Context") ?? "",
    Exten: exten,
    Reason: String(reason),
    Uniqueid: amiGet(action, "ChannelId") ?? "<unknown>",
    CallerIDNum: exten,
    CallerIDName: exten,
  };
}

/** `Local/101@from-internal/n` → `Local/101@from-internal-0000002a` (the pair's name, no half). */
function localName(action: AmiFrame): string {
  const channel = (amiGet(action, "Channel") ?? "").replace(/\/n$/, "");
  return `${channel}-0000002a`;
}

/** The event frames of a capture file, as wire text, one per element. */
export function captureFrames(text: string): string[] {
  return transcriptFrames(text).filter((f) => f.startsWith("Event:"));
}

/** Index of the first frame of `frames` that starts with `Event: <name>`. */
export function frameIndex(frames: readonly string[], name: string): number {
  const i = frames.findIndex((f) => f.startsWith(`Event: ${name}\r\n`));
  if (i < 0) throw new Error(`no ${name} in the capture`);
  return i;
}
