import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import { PbxEventFactory } from "../pbx-events.ts";
import { AmiCallEvents } from "./ami-call-events.ts";
import {
  type AmiTranslatorOptions,
  type ChannelState,
  ChannelTable,
  isOriginatedLocal,
  isRungLeg,
  translatorDefaults,
} from "./ami-channels.ts";
import { type AmiFrame, field, intField, parseChannelName, timestampOf } from "./ami-fields.ts";
import { clientDialEnded, originatedDial } from "./ami-originated.ts";
import { resyncEvents } from "./ami-resync.ts";
import { SequenceWindow } from "./ami-sequence.ts";
import { attendedTransfer, blindTransfer } from "./ami-transfer.ts";

export type { AmiTranslatorOptions } from "./ami-channels.ts";

export interface TranslatorStats {
  /** Event frames seen (responses and other non-events are not counted). */
  readonly frames: number;
  /** Frames that produced at least one PbxEvent. */
  readonly translated: number;
  /** Frames of a kind the translator acts on that lacked the fields it needs. */
  readonly malformed: number;
  /**
   * Events about a channel the translator never saw appear (no Newchannel, no resync) of a call it
   * does not hold, dropped: they create no call. In all, and per event kind.
   */
  readonly orphans: number;
  readonly orphansByKind: Readonly<Record<string, number>>;
  /** Events whose SequenceNumber this link had delivered already (sent twice), dropped. */
  readonly duplicates: number;
}

/**
 * The channel blocks (header prefixes) of the event kinds that would register a channel: when the
 * first names nothing the translator knows, the event is an orphan. A Dial names two channels,
 * and either unknown makes it one (Asterisk announces both with Newchannel first) — except a
 * destination that carries no Linkedid (an abridged or old stream): it belongs to whatever call
 * its caller does, so the caller alone decides.
 */
const CHANNEL_BLOCKS: Readonly<Record<string, readonly string[]>> = {
  NewCallerid: [""],
  Newstate: [""],
  Hangup: [""],
  Newexten: [""],
  QueueCallerJoin: [""],
  DialBegin: ["", "Dest"],
  DialEnd: ["", "Dest"],
  BlindTransfer: ["Transferer"],
  AttendedTransfer: ["OrigTransferer"],
};

/**
 * Asterisk manager events → normalized PbxEvents (pure: no I/O, no clock; time is the frame's
 * `Timestamp`, else the instant the caller passes, else the last one seen).
 *
 * It keeps a table of live channels (Uniqueid → call, name, extension, state) because AMI reports
 * channels, not calls:
 * - a call is its first channel's Linkedid; later events are joined by Uniqueid, not by the
 *   Linkedid they carry (Asterisk rewrites Linkedids when bridges join);
 * - the first channel opens the call (`call-start`): a trunk is an inbound caller (its Exten is the
 *   DID), a handset places an outbound or internal call and is the call's first leg. A handset's
 *   start is reported just before the call's first other fact, with the caller id the dialplan
 *   gave it by then, and as internal if that fact is another handset ringing; a phone whose own
 *   call is still unreported when the ringing call dials it picked that call up (a leg of it);
 * - which channels are handsets: see HandsetProfile (ami-channels.ts);
 * - every other handset channel is a leg: DialBegin or Newstate 5 → `ringing`, Newstate 6 →
 *   `answered`, Hangup → `leg-ended` with the cause; the placing leg is `answered` when its Dial
 *   reports ANSWER;
 * - Local channels (queue members `Local/101@from-queue-…;1/;2`) are never legs: the handset the
 *   `;2` half dials is;
 * - QueueCallerJoin → `queued`; VoiceMail on a channel of the call → `voicemail` (and again with
 *   `leftMessage` when VM_MESSAGEFILE or VMSTATUS=SUCCESS shows a message was kept);
 * - BlindTransfer / AttendedTransfer → `transfer`; an attended transfer's consultation call is
 *   joined into the main call from then on;
 * - the last channel of a call gone → `call-end`.
 * Keys name the fact (`${legId}:answered`), so a replay or a resync repeats keys, never facts.
 *
 * It never invents a call: an event about a channel it never saw appear, of a call it does not
 * hold (an orphan), is counted and dropped; nothing of it is kept. An event whose SequenceNumber
 * the link delivered already is counted and dropped (see SequenceWindow).
 */
export class AmiTranslator {
  readonly source: string;
  readonly table: ChannelTable;
  private readonly calls: AmiCallEvents;
  private lastAt: Instant = 0;
  private counts = { frames: 0, translated: 0, malformed: 0, orphans: 0, duplicates: 0 };
  private readonly orphansByKind: Record<string, number> = {};
  private readonly sequence = new SequenceWindow();

  constructor(options: AmiTranslatorOptions) {
    const config = translatorDefaults(options);
    this.source = config.source;
    this.table = new ChannelTable(config);
    this.calls = new AmiCallEvents(this.table, new PbxEventFactory(this.source));
  }

  stats(): TranslatorStats {
    return { ...this.counts, orphansByKind: { ...this.orphansByKind } };
  }

  /** Entries of the translator's tables (bounded by the live channels and calls). */
  sizes(): Readonly<Record<string, number>> {
    return { ...this.table.sizes(), pending_starts: this.calls.pendingStarts() };
  }

  /** A new AMI link (a login): its SequenceNumbers start afresh. */
  newLink(): void {
    this.sequence.reset();
  }

  translate(frame: AmiFrame, receivedAt?: Instant): PbxEvent[] {
    const name = field(frame, "Event");
    if (name === null) return [];
    this.counts.frames++;
    if (name === "FullyBooted") this.newLink();
    if (this.sequence.repeated(frame.SequenceNumber)) {
      this.counts.duplicates++;
      return [];
    }
    if (this.isOrphan(name, frame)) {
      this.counts.orphans++;
      this.orphansByKind[name] = (this.orphansByKind[name] ?? 0) + 1;
      return [];
    }
    const at = timestampOf(frame) ?? receivedAt ?? this.lastAt;
    this.lastAt = Math.max(this.lastAt, at);
    const dispatched = this.dispatch(name, frame, at);
    if (dispatched === null) {
      this.counts.malformed++;
      return [];
    }
    const events = this.calls.withStarts(dispatched);
    if (events.length > 0) this.counts.translated++;
    return events;
  }

  /**
   * What the PBX shows now (the CoreShowChannel frames of a CoreShowChannels answer, taken at
   * `at`): the facts of live channels under the keys live events would have had, and the end of
   * every channel and call the translator believed live that the PBX no longer has.
   */
  resync(channels: readonly AmiFrame[], at: Instant): PbxEvent[] {
    this.newLink();
    this.lastAt = Math.max(this.lastAt, at);
    return this.calls.withStarts(resyncEvents(this.calls, channels, at));
  }

  private isOrphan(name: string, frame: AmiFrame): boolean {
    if (name === "Dial") {
      // AMI 1.x: only `SubEvent: Begin` registers channels (the caller's and the destination's).
      if (field(frame, "SubEvent") !== "Begin") return false;
      const blocks = [
        { Uniqueid: frame.UniqueID ?? "", Channel: frame.Channel ?? "" },
        { Uniqueid: frame.DestUniqueID ?? "", Channel: frame.Destination ?? "" },
      ];
      return blocks.some((block) => this.table.isOrphan(block, ""));
    }
    const blocks = CHANNEL_BLOCKS[name];
    // A DialEnd without its status is malformed whatever it names.
    if (name === "DialEnd" && field(frame, "DialStatus") === null) return false;
    return (
      blocks?.some(
        (prefix) =>
          this.table.isOrphan(frame, prefix) &&
          !(
            prefix === "Dest" &&
            field(frame, "DestLinkedid") === null &&
            this.table.get(field(frame, "Uniqueid"))
          ),
      ) === true
    );
  }

  /** null: the frame lacked what its kind needs. */
  private dispatch(name: string, frame: AmiFrame, at: Instant): PbxEvent[] | null {
    switch (name) {
      case "Newchannel":
        return this.newChannel(frame, at);
      case "NewCallerid":
        return this.withChannel(frame, "", at, (channel) => {
          this.calls.presents(channel, field(frame, "CallerIDNum"));
          return [];
        });
      case "Newstate":
        return this.withChannel(frame, "", at, (channel) => this.newState(channel, frame, at));
      case "DialBegin":
        return this.dialBegin(frame, at);
      case "Dial":
        return this.oldDial(frame, at);
      case "LocalBridge":
        return this.localBridge(frame);
      case "AgentCalled":
        return this.agentCalled(frame);
      case "Masquerade":
        return this.masquerade(frame, at);
      case "DialEnd":
        return this.dialEnd(frame, at);
      case "Hangup":
        return this.withChannel(frame, "", at, (channel) =>
          this.calls.hangup(channel, at, intField(frame, "Cause")),
        );
      case "Newexten":
        return this.withChannel(frame, "", at, (channel) => this.newExten(channel, frame, at));
      case "VarSet":
        return this.varSet(frame, at);
      case "QueueCallerJoin":
        return this.withChannel(frame, "", at, (channel) =>
          this.calls.queued(channel, field(frame, "Queue"), at),
        );
      case "AgentRingNoAnswer":
        return this.ringNoAnswer(frame);
      case "BlindTransfer":
        return blindTransfer(this.calls, frame, at);
      case "AttendedTransfer":
        return attendedTransfer(this.calls, frame, at);
      case "Rename":
        return this.rename(frame);
      default:
        return [];
    }
  }

  private withChannel(
    frame: AmiFrame,
    prefix: string,
    at: Instant,
    act: (channel: ChannelState) => PbxEvent[],
  ): PbxEvent[] | null {
    const channel = this.table.ensure(frame, prefix, at);
    return channel === null ? null : act(channel);
  }

  private newChannel(frame: AmiFrame, at: Instant): PbxEvent[] | null {
    const uniqueid = field(frame, "Uniqueid");
    if (uniqueid !== null && this.table.get(uniqueid) !== undefined) return [];
    const channel = this.table.ensure(frame, "", at);
    if (channel === null) return null;
    if (!channel.origin) return [];
    if (channel.kind === "local") {
      if (!isOriginatedLocal(channel)) return [];
      this.table.callFor(channel.callId).complete = true;
      this.calls.originate(channel, field(frame, "CallerIDNum"), at);
      return [];
    }
    const call = this.table.callFor(channel.callId);
    call.complete = true;
    if (channel.kind === "handset" || channel.unlinked) {
      this.calls.defer(channel, field(frame, "CallerIDNum"), field(frame, "Exten"), at);
      return [];
    }
    call.start = this.calls.callStart(channel, field(frame, "CallerIDNum"), field(frame, "Exten"), at);
    return [call.start];
  }

  private newState(channel: ChannelState, frame: AmiFrame, at: Instant): PbxEvent[] {
    channel.state = intField(frame, "ChannelState") ?? channel.state;
    if (!isRungLeg(channel)) return [];
    if (channel.state === 5) return this.calls.ringing(channel, at);
    if (channel.state === 6) return this.calls.answered(channel, at);
    return [];
  }

  private dialBegin(frame: AmiFrame, at: Instant): PbxEvent[] | null {
    const dest = this.table.ensure(frame, "Dest", at);
    if (dest === null) return null;
    const caller = this.table.ensure(frame, "", at);
    if (caller !== null) {
      this.calls.join(dest, caller);
      this.calls.presents(caller, field(frame, "CallerIDNum"));
      this.calls.pickedUp(dest, caller.callId);
      const local = dest.kind === "local" ? parseChannelName(dest.name)?.endpoint.split("@")[0] : undefined;
      if (local) this.calls.dials(caller, local);
    }
    const local = caller === null ? null : parseChannelName(caller.name)?.localPair;
    if (local) dest.dialledByLocal = local;
    const placed = originatedDial(this.calls, dest, frame);
    return isRungLeg(dest) ? [...placed, ...this.calls.ringing(dest, at)] : placed;
  }

  /** Asterisk 11's `Dial` (AMI 1.x): `SubEvent: Begin` names the destination, `End` only the caller. */
  private oldDial(frame: AmiFrame, at: Instant): PbxEvent[] | null {
    const uniqueid = field(frame, "UniqueID");
    if (uniqueid === null) return null;
    if (field(frame, "SubEvent") === "Begin") {
      const destination = { DestChannel: frame.Destination ?? "", DestUniqueid: frame.DestUniqueID ?? "" };
      return this.dialBegin({ ...frame, Uniqueid: uniqueid, ...destination }, at);
    }
    const caller = this.table.get(uniqueid);
    if (field(frame, "DialStatus") !== "ANSWER" || caller === undefined) return [];
    // The far end answered a call a handset placed: the placing leg is talking now.
    return caller.origin && caller.kind === "handset" ? this.calls.answered(caller, at) : [];
  }

  /** A Local pair's halves (AMI 1.x: Uniqueid1/2; AMI 2: LocalOne/LocalTwo) are one call. */
  private localBridge(frame: AmiFrame): PbxEvent[] {
    const one = this.table.get(field(frame, "Uniqueid1") ?? field(frame, "LocalOneUniqueid"));
    const two = this.table.get(field(frame, "Uniqueid2") ?? field(frame, "LocalTwoUniqueid"));
    if (one !== undefined && two !== undefined) this.calls.join(two, one);
    return [];
  }

  /** A queue rings a member (AMI 1.x names it by channel only): the member's channel is the caller's call. */
  private agentCalled(frame: AmiFrame): PbxEvent[] {
    const caller = this.table.get(field(frame, "Uniqueid"));
    const name = field(frame, "DestinationChannel");
    const member = this.table.liveChannels().find((channel) => channel.name === name);
    if (caller !== undefined && member !== undefined) this.calls.join(member, caller);
    return [];
  }

  /**
   * Asterisk 11 (AMI 1.x) moves a phone into another channel's place: the Original channel (its
   * Uniqueid, its place in the call) carries the Clone's phone from now on, and the Clone, renamed
   * `<ZOMBIE>`, only hangs up. Two cases matter: a pickup (the Clone is a phone whose own call is
   * still unreported, the Original a handset ringing on another call: that leg ends answered
   * elsewhere and the picking phone's leg takes the place), and a Local half replaced by the phone
   * it reached (the leg moves to the Original).
   */
  private masquerade(frame: AmiFrame, at: Instant): PbxEvent[] {
    const original = this.table.byName(field(frame, "Original"));
    const clone = this.table.byName(field(frame, "Clone"));
    if (original === undefined || clone === undefined || clone.kind !== "handset") return [];
    const events: PbxEvent[] = [];
    if (original.kind === "handset" && isRungLeg(original) && !original.answeredSent) {
      if (!this.calls.pickedUp(clone, original.callId)) return [];
      events.push(...this.calls.legEnded(original, at, "answered-elsewhere"));
      original.ringingSent = false;
      original.answeredSent = false;
    } else if (original.kind === "local") {
      original.ringingSent = clone.ringingSent;
      original.answeredSent = clone.answeredSent;
    } else {
      return [];
    }
    original.kind = "handset";
    original.extension = clone.extension;
    original.legId = clone.legId;
    original.origin = false;
    clone.kind = "other";
    if (field(frame, "CloneState") === "Up") events.push(...this.calls.answered(original, at));
    return events;
  }

  private dialEnd(frame: AmiFrame, at: Instant): PbxEvent[] | null {
    const dest = this.table.ensure(frame, "Dest", at);
    const status = field(frame, "DialStatus");
    if (dest === null || status === null) return null;
    dest.dialStatus = status;
    const client = clientDialEnded(this.calls, dest, status, at);
    if (status !== "ANSWER") return client;
    const events = isRungLeg(dest) ? [...this.calls.answered(dest, at), ...client] : client;
    const caller = this.table.ensure(frame, "", at);
    // The far end answered a call a handset placed: the placing leg is talking now.
    if (caller?.origin && caller.kind === "handset") events.push(...this.calls.answered(caller, at));
    return events;
  }

  private newExten(channel: ChannelState, frame: AmiFrame, at: Instant): PbxEvent[] {
    const app = field(frame, "Application");
    if (app === "Queue") return [];
    channel.inVoicemail = app === "VoiceMail";
    const call = this.table.call(channel.callId);
    if (app !== "VoiceMail" || call === undefined || call.voicemailSent) return [];
    return this.calls.voicemail(call, field(frame, "AppData"), at);
  }

  private varSet(frame: AmiFrame, at: Instant): PbxEvent[] | null {
    const variable = field(frame, "Variable")?.replace(/^_+/, "");
    const channel = this.table.get(field(frame, "Uniqueid"));
    if (variable === undefined) return null;
    const call = channel === undefined ? undefined : this.table.call(channel.callId);
    if (channel === undefined || call === undefined) return [];
    const value = field(frame, "Value");
    if (variable === "MIXMONITOR_FILENAME" && value !== null) call.recordingUrl = value;
    const kept =
      (variable === "VM_MESSAGEFILE" && value !== null) || (variable === "VMSTATUS" && value === "SUCCESS");
    if (!kept || !call.voicemailSent || call.messageSent) return [];
    return this.calls.voicemailMessage(call, at);
  }

  /** The queue gave up on a member: its handset (dialled by the member's Local ;2) rang out. */
  private ringNoAnswer(frame: AmiFrame): PbxEvent[] | null {
    const member = field(frame, "DestChannel");
    const pair = member === null ? null : parseChannelName(member)?.localPair;
    if (!pair) return null;
    for (const channel of this.table.liveChannels()) {
      if (channel.dialledByLocal === pair) channel.ringNoAnswer = true;
    }
    return [];
  }

  private rename(frame: AmiFrame): PbxEvent[] | null {
    const channel = this.table.get(field(frame, "Uniqueid"));
    const name = field(frame, "Newname");
    if (name === null) return null;
    if (channel !== undefined) channel.name = name;
    return [];
  }
}
