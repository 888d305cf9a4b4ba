import type { PbxEvent, TransferInfo } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { LegRef, PbxEventFactory } from "../pbx-events.ts";
import type { CallState, ChannelState, ChannelTable } from "./ami-channels.ts";
import { legEndCause } from "./ami-fields.ts";

/** A handset channel as a leg: its Uniqueid names it. */
const legOf = (channel: ChannelState): LegRef => ({
  legId: channel.uniqueid,
  callId: channel.callId,
  extension: channel.extension,
});

/**
 * The facts of channels and calls that live frames, transfers and a resync all report, as
 * PbxEvents: each reported once (the table remembers what was sent), under the same key whichever
 * reports it first.
 */
export class AmiCallEvents {
  constructor(
    readonly table: ChannelTable,
    private readonly make: PbxEventFactory,
  ) {}

  /** The first channel of a call: a trunk brings an inbound call, a handset places one. */
  callStart(channel: ChannelState, callerId: string | null, exten: string | null, at: Instant): PbxEvent {
    const dialled = exten === "s" ? null : exten;
    if (channel.kind === "handset") {
      const to = { number: dialled, extension: this.table.isExtension(dialled) ? dialled : null };
      const from = { number: callerId ?? channel.extension, extension: channel.extension };
      return this.make.callStart(channel.callId, at, {
        legId: channel.uniqueid,
        extension: channel.extension,
        from,
        to,
        did: null,
      });
    }
    const from = { number: callerId, extension: null };
    return this.make.callStart(channel.callId, at, {
      from,
      to: { number: dialled, extension: null },
      did: dialled,
    });
  }

  ringing(channel: ChannelState, at: Instant): PbxEvent[] {
    if (channel.ringingSent || channel.answeredSent) return [];
    channel.ringingSent = true;
    return [this.make.leg("ringing", legOf(channel), at)];
  }

  answered(channel: ChannelState, at: Instant): PbxEvent[] {
    if (channel.answeredSent) return [];
    channel.answeredSent = true;
    return [this.make.leg("answered", legOf(channel), at)];
  }

  queued(channel: ChannelState, queue: string | null, at: Instant): PbxEvent[] {
    return [this.make.event("queued", `${channel.callId}:queued:${queue ?? ""}`, channel.callId, at)];
  }

  /** The call reached voicemail; `appData` is VoiceMail's argument. */
  voicemail(call: CallState, appData: string | null, at: Instant): PbxEvent[] {
    call.voicemailSent = true;
    // VoiceMail(102@default,u) or VoiceMail(102&103,u): the first mailbox is whose it is.
    const mailbox = (appData ?? "").split(/[@,&]/)[0] ?? "";
    const extension = this.table.isExtension(mailbox) ? mailbox : null;
    return [
      this.make.event("voicemail", `${call.id}:voicemail`, call.id, at, { extension, leftMessage: false }),
    ];
  }

  /** The caller left a message (after `voicemail`). */
  voicemailMessage(call: CallState, at: Instant): PbxEvent[] {
    call.messageSent = true;
    return [this.make.event("voicemail", `${call.id}:voicemail-message`, call.id, at, { leftMessage: true })];
  }

  transfer(from: ChannelState, at: Instant, transfer: TransferInfo): PbxEvent {
    return this.make.transfer(legOf(from), at, transfer);
  }

  /** A channel is gone: its leg ends, and the call with its last channel. */
  hangup(channel: ChannelState, at: Instant, cause: number | null): PbxEvent[] {
    const events: PbxEvent[] = [];
    if (channel.kind === "handset") {
      const facts = {
        cause,
        dialStatus: channel.dialStatus,
        answered: channel.answeredSent,
        ringNoAnswer: channel.ringNoAnswer,
      };
      events.push(this.make.leg("leg-ended", legOf(channel), at, { cause: legEndCause(facts) }));
    }
    const over = this.table.remove(channel);
    if (over !== null) {
      const recording = over.recordingUrl === null ? {} : { recordingUrl: over.recordingUrl };
      events.push(this.make.callEnd(over.id, at, recording));
    }
    return events;
  }
}
