import type { LegEndCause, PbxEvent, TransferInfo } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { LegRef, PbxEventFactory } from "../pbx-events.ts";
import type { CallState, ChannelState, ChannelTable } from "./ami-channels.ts";
import { isBoxCall } from "./ami-control-plans.ts";
import { legEndCause } from "./ami-fields.ts";

interface PendingStart {
  readonly channel: ChannelState;
  callerId: string | null;
  exten: string | null;
  readonly at: Instant;
}

/** A handset channel as a leg: its Uniqueid names it. */
const legOf = (channel: ChannelState): LegRef => ({
  legId: channel.legId,
  callId: channel.callId,
  extension: channel.extension,
});

/**
 * The facts of channels and calls that live frames, transfers and a resync all report, as
 * PbxEvents: each reported once (the table remembers what was sent), under the same key whichever
 * reports it first.
 */
export class AmiCallEvents {
  /** Calls placed by a handset whose `call-start` waits for what the dialplan and the dial show. */
  private readonly pending = new Map<string, PendingStart>();

  constructor(
    readonly table: ChannelTable,
    private readonly make: PbxEventFactory,
  ) {}

  /** Calls whose start waits (a table bounded by the live calls). */
  pendingStarts(): number {
    return this.pending.size;
  }

  /**
   * The first channel of a call: a trunk brings an inbound call, a handset places one. `rung`: a
   * branch handset the call rang (then the call is internal whatever number was dialled);
   * `queued`: the call went into one of the PBX's queues (a branch number, so internal too).
   */
  callStart(
    channel: ChannelState,
    callerId: string | null,
    exten: string | null,
    at: Instant,
    rung: string | null = null,
    queued = false,
  ): PbxEvent {
    const dialled = exten === "s" ? null : exten;
    if (channel.kind === "handset") {
      const internal = rung !== null || queued || this.table.isExtension(dialled);
      const to = { number: dialled ?? rung, extension: internal ? (dialled ?? rung) : null };
      const from = { number: callerId ?? channel.extension, extension: channel.extension };
      return this.make.callStart(channel.callId, at, {
        legId: channel.legId,
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

  /**
   * A handset placed a call. Its start is reported with the call's first other fact, because what
   * it says is not known yet at Newchannel: the number it presents (platforms set the caller id in
   * the dialplan: `SIP/150010001` presents 201), and whether it calls a branch handset (the dialled
   * 202 is no extension the box knows when the phones are known by device name).
   */
  defer(channel: ChannelState, callerId: string | null, exten: string | null, at: Instant): void {
    this.pending.set(channel.callId, { channel, callerId, exten, at });
  }

  /**
   * An originated call began (its Local `;1`, see OriginatedCall): its start waits for the
   * employee's handset, which places it, and for the client's number.
   */
  originate(local: ChannelState, callerId: string | null, at: Instant): void {
    this.table.callFor(local.callId).originated = { local, placer: null };
    this.pending.set(local.callId, { channel: local, callerId, exten: null, at });
  }

  /**
   * `placer` is the employee's handset an originated call rings first: it places the call. The
   * start is reported now when the client's number is known already: the box's own Originate
   * presents it to the employee's phone as caller id (R2.1, ami-control-plans.ts), so the `;1`
   * carries it from the start. Otherwise (a platform's click-to-dial) the start waits for the
   * number the call dials once the employee answered.
   */
  placedBy(placer: ChannelState): PbxEvent[] {
    const originated = this.table.call(placer.callId)?.originated;
    if (originated == null || originated.placer !== null) return [];
    originated.placer = placer;
    placer.origin = true;
    const waiting = this.pending.get(placer.callId);
    if (waiting !== undefined && isBoxCall(placer.callId) && waiting.callerId !== null)
      waiting.exten ??= waiting.callerId;
    return waiting?.exten == null ? [] : this.flushStart(placer.callId);
  }

  /** An originated call dials the client's `number` (the employee answered): its start says so. */
  dialsOut(callId: string, number: string | null): PbxEvent[] {
    const waiting = this.pending.get(callId);
    if (waiting === undefined) return [];
    waiting.exten ??= number;
    return this.flushStart(callId);
  }

  /** The placing handset's caller id changed (NewCallerid, or the one it dials with). */
  presents(channel: ChannelState, callerId: string | null): void {
    const waiting = this.pending.get(channel.callId);
    if (waiting !== undefined && waiting.channel === channel && callerId !== null)
      waiting.callerId = callerId;
  }

  /**
   * The placing handset dials `exten` through a Local channel (`Dial(Local/202@default)`): that is
   * the number it called, when its own Newchannel did not say (an abridged stream, an Originate).
   */
  dials(channel: ChannelState, exten: string): void {
    const waiting = this.pending.get(channel.callId);
    if (waiting !== undefined && waiting.channel === channel && waiting.exten === null) waiting.exten = exten;
  }

  /**
   * `channel` placed a call of its own that is still unreported, and `callId` now dials it: the
   * phone picked that call up (Pickup, `*8`, an INVITE with Replaces, which Asterisk shows as
   * the ringing call dialling the picking channel). Its own call is no call; it is a leg of
   * `callId`. Returns whether that is what happened.
   */
  pickedUp(channel: ChannelState, callId: string): boolean {
    const waiting = this.pending.get(channel.callId);
    if (channel.callId === callId || waiting?.channel !== channel) return false;
    this.pending.delete(channel.callId);
    this.table.move(channel, callId);
    return true;
  }

  /**
   * AMI 1.x has no Linkedid: `channel`, first seen as a call of its own, is dialled by (or is the
   * other half of a Local pair with) `into`, so its call, never reported, joins `into`'s call.
   */
  join(channel: ChannelState, into: ChannelState): void {
    const own = this.table.call(channel.callId);
    if (!channel.unlinked || channel.callId === into.callId || own === undefined || own.start !== null)
      return;
    this.pending.delete(own.id);
    // None of its channels is the first of the call it joins: a handset among them is a rung leg.
    for (const uniqueid of own.channels) {
      const joined = this.table.get(uniqueid);
      if (joined !== undefined) joined.origin = false;
    }
    this.table.absorb(own.id, into.callId);
  }

  /** The waiting start of `callId`, if any (a resync, or a fact of the call about to be reported). */
  flushStart(callId: string, rung: string | null = null, queued = false): PbxEvent[] {
    const waiting = this.pending.get(callId);
    if (waiting === undefined) return [];
    const call = this.table.call(callId);
    const placer = call?.originated?.placer;
    // An originated call is nobody's call until a handset places it.
    if (placer === null) return [];
    this.pending.delete(callId);
    const start =
      placer === undefined
        ? this.callStart(waiting.channel, waiting.callerId, waiting.exten, waiting.at, rung, queued)
        : this.originatedStart(placer, waiting, rung);
    if (call !== undefined) call.start = start;
    return [start];
  }

  /**
   * The start of an originated call, placed by the employee's handset: from them (presented as the
   * `;1` presents itself to the client, unless that is the client's own number, as the box's
   * Originate makes it), to the client's number (an extension: an internal call).
   */
  private originatedStart(placer: ChannelState, waiting: PendingStart, rung: string | null): PbxEvent {
    const dialled = waiting.exten ?? rung;
    const presented = waiting.callerId !== dialled ? waiting.callerId : null;
    const internal = this.table.isExtension(dialled);
    return this.make.callStart(placer.callId, waiting.at, {
      legId: placer.legId,
      extension: placer.extension,
      from: { number: presented ?? placer.extension, extension: placer.extension },
      to: { number: dialled, extension: internal ? dialled : null },
      did: null,
    });
  }

  /** `events` with each waiting start reported before its call's first fact. */
  withStarts(events: readonly PbxEvent[]): PbxEvent[] {
    if (this.pending.size === 0) return [...events];
    return events.flatMap((event) => {
      const waiting = this.pending.get(event.callId);
      if (waiting === undefined) return [event];
      const rung = event.kind === "ringing" && event.legId !== waiting.channel.legId ? event.extension : null;
      return [...this.flushStart(event.callId, rung, event.kind === "queued"), event];
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

  /** A leg ends while its channel lives on (a Masquerade gives the channel another phone). */
  legEnded(channel: ChannelState, at: Instant, cause: LegEndCause): PbxEvent[] {
    return [this.make.leg("leg-ended", legOf(channel), at, { cause })];
  }

  /** A channel is gone: its leg ends, and the call with its last channel. */
  hangup(channel: ChannelState, at: Instant, cause: number | null): PbxEvent[] {
    const events: PbxEvent[] = [];
    if (channel.kind === "handset") {
      // The employee answered their own click-to-call and the client did not: the hangup cause
      // Asterisk hands down the Local chain is not theirs; how the client's dial ended is.
      const placing = channel.origin && channel.state === 6 && !channel.answeredSent;
      const facts = {
        cause: placing && this.table.call(channel.callId)?.originated ? null : cause,
        dialStatus: channel.dialStatus,
        answered: channel.answeredSent,
        ringNoAnswer: channel.ringNoAnswer,
      };
      events.push(this.make.leg("leg-ended", legOf(channel), at, { cause: legEndCause(facts) }));
    }
    const over = this.table.remove(channel);
    if (over?.originated != null && over.start === null && this.pending.delete(over.id)) return events;
    if (over !== null) {
      const recording = over.recordingUrl === null ? {} : { recordingUrl: over.recordingUrl };
      events.push(this.make.callEnd(over.id, at, recording));
    }
    return events;
  }
}
