import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { AmiCallEvents } from "./ami-call-events.ts";
import { type ChannelState, isRungLeg } from "./ami-channels.ts";
import { type AmiFrame, durationOf, field, intField } from "./ami-fields.ts";

/**
 * The PBX's view after a (re)connect, from the CoreShowChannel frames taken at `at`. Never a fact
 * the PBX does not show:
 * - a channel the translator did not know appears with the time its Duration gives;
 * - a call whose `call-start` was not reported gets one from its first channel (Uniqueid = Linkedid),
 *   with what a snapshot can say (the caller id; the DID is not in CoreShowChannel);
 * - handsets ringing (state 5) → `ringing`, up (6) → `answered`; the placing handset is answered
 *   when it is Up in a bridge; a caller in Queue → `queued`, in VoiceMail → `voicemail`;
 * - a channel the translator believed live and the PBX no longer has ended while the link was down:
 *   its leg ends (cause as far as known) and its call with its last channel, at `at`.
 * Keys are those of the live events, so the journal keeps whichever came first.
 */
export function resyncEvents(calls: AmiCallEvents, frames: readonly AmiFrame[], at: Instant): PbxEvent[] {
  const table = calls.table;
  const live = new Set(frames.map((f) => field(f, "Uniqueid")).filter((id): id is string => id !== null));
  const events: PbxEvent[] = [];
  for (const channel of table.liveChannels()) {
    if (!live.has(channel.uniqueid)) events.push(...calls.hangup(channel, at, null));
  }
  const seen: { channel: ChannelState; frame: AmiFrame }[] = [];
  for (const frame of frames) {
    const created = at - durationOf(frame);
    const channel = table.ensure(frame, "", created);
    if (channel === null) continue;
    channel.state = intField(frame, "ChannelState") ?? channel.state;
    seen.push({ channel, frame });
  }
  // Calls first (their starts), then what each channel shows, in the calls' order.
  for (const { channel, frame } of seen) {
    const call = table.callFor(channel.callId);
    events.push(...calls.flushStart(call.id));
    if (call.start !== null) continue;
    const first = channel.origin || channel.uniqueid === channel.callId;
    if (!first || channel.kind === "local") continue;
    call.complete = true;
    const connected = field(frame, "ConnectedLineNum");
    const start = calls.callStart(channel, field(frame, "CallerIDNum"), null, channel.createdAt);
    call.start =
      channel.kind === "handset"
        ? { ...start, to: { number: connected, extension: table.isExtension(connected) ? connected : null } }
        : { ...start, did: null };
    events.push(call.start);
  }
  for (const { channel, frame } of seen) events.push(...channelFacts(calls, channel, frame));
  return events;
}

function channelFacts(calls: AmiCallEvents, channel: ChannelState, frame: AmiFrame): PbxEvent[] {
  const app = field(frame, "Application");
  const since = channel.createdAt;
  if (app === "Queue") {
    return calls.queued(channel, (field(frame, "ApplicationData") ?? "").split(",")[0] ?? null, since);
  }
  const call = calls.table.call(channel.callId);
  if (app === "VoiceMail" && call !== undefined && !call.voicemailSent) {
    channel.inVoicemail = true;
    return calls.voicemail(call, field(frame, "ApplicationData"), since);
  }
  if (isRungLeg(channel)) {
    if (channel.state === 5) return calls.ringing(channel, since);
    if (channel.state === 6) return calls.answered(channel, since);
    return [];
  }
  const bridged = field(frame, "BridgeId") !== null;
  if (channel.kind === "handset" && channel.origin && channel.state === 6 && bridged) {
    return calls.answered(channel, since);
  }
  return [];
}
