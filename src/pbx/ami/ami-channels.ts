import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import { type AmiFrame, field, parseChannelName } from "./ami-fields.ts";

/** Which channels are the branch's handsets. Defaults fit a FreePBX box (see `translatorDefaults`). */
export interface AmiTranslatorOptions {
  /** The source name on every event, e.g. `ami:pbx.branch.local`. */
  readonly source: string;
  /** Endpoint names (or caller ids) that are branch extensions. */
  readonly extensionPattern?: RegExp;
  /** Channel technologies of handsets. */
  readonly handsetTechnologies?: readonly string[];
  /** Contexts of trunk endpoints: a channel created in one is never a handset, whatever its name. */
  readonly trunkContexts?: readonly string[];
  /**
   * Contexts of handset endpoints: a channel created in one whose endpoint name is not an
   * extension (`PJSIP/reception-a-…`) is the extension of its caller id.
   */
  readonly internalContexts?: readonly string[];
}

export function translatorDefaults(options: AmiTranslatorOptions): Required<AmiTranslatorOptions> {
  return {
    source: options.source,
    extensionPattern: options.extensionPattern ?? /^\d{2,6}$/,
    handsetTechnologies: options.handsetTechnologies ?? ["PJSIP", "SIP", "IAX2"],
    trunkContexts: options.trunkContexts ?? [
      "from-pstn",
      "from-trunk",
      "from-pstn-e164-us",
      "from-pstn-toheader",
    ],
    internalContexts: options.internalContexts ?? [
      "from-internal",
      "from-internal-xfer",
      "from-internal-noxfer",
    ],
  };
}

export type ChannelKind = "handset" | "trunk" | "local" | "other";

/** One Asterisk channel as the translator tracks it, from its first event to its Hangup. */
export interface ChannelState {
  readonly uniqueid: string;
  /** The call it belongs to: its Linkedid when it appeared, or the call that absorbed that one. */
  callId: string;
  name: string;
  readonly kind: ChannelKind;
  /** The branch extension, for a handset. */
  readonly extension: string | null;
  /** The first channel of its call (Uniqueid = Linkedid): the caller, or the extension placing it. */
  readonly origin: boolean;
  /** When it appeared (a resync estimates it from the channel's Duration). */
  readonly createdAt: Instant;
  state: number;
  ringingSent: boolean;
  answeredSent: boolean;
  dialStatus: string | null;
  ringNoAnswer: boolean;
  /** For a handset dialled by a Local channel's ;2 half (a queue member): the Local pair's name. */
  dialledByLocal: string | null;
  inVoicemail: boolean;
}

/** A handset rung by the call (not the one placing it). */
export const isRungLeg = (channel: ChannelState): boolean => channel.kind === "handset" && !channel.origin;

/** One call as the translator tracks it: its channels and the call-level facts already reported. */
export interface CallState {
  readonly id: string;
  readonly channels: Set<string>;
  /** Seen from its first channel (or from a resync): when no channel is left, the call is over. */
  complete: boolean;
  start: PbxEvent | null;
  voicemailSent: boolean;
  messageSent: boolean;
  recordingUrl: string | null;
}

/** The channels and calls the translator believes live, and which consultation joined which call. */
export class ChannelTable {
  private readonly channels = new Map<string, ChannelState>();
  private readonly calls = new Map<string, CallState>();
  /** Absorbed consultation id → the call that absorbed it (attended transfer). */
  private readonly aliases = new Map<string, string>();

  constructor(private readonly options: Required<AmiTranslatorOptions>) {}

  get(uniqueid: string | null): ChannelState | undefined {
    return uniqueid === null ? undefined : this.channels.get(uniqueid);
  }

  call(callId: string): CallState | undefined {
    return this.calls.get(callId);
  }

  liveChannels(): ChannelState[] {
    return [...this.channels.values()];
  }

  /** The channel described by the block with `prefix` (`Dest`, `Transferer`…), registered if new. */
  ensure(frame: AmiFrame, prefix: string, at: Instant): ChannelState | null {
    const uniqueid = field(frame, `${prefix}Uniqueid`);
    const name = field(frame, `${prefix}Channel`);
    if (uniqueid === null || name === null) return null;
    const known = this.channels.get(uniqueid);
    if (known !== undefined) return known;
    const linkedid = field(frame, `${prefix}Linkedid`) ?? uniqueid;
    const callId = this.aliases.get(linkedid) ?? linkedid;
    const { kind, extension } = this.classify(
      name,
      field(frame, `${prefix}Context`),
      field(frame, `${prefix}CallerIDNum`),
    );
    const channel: ChannelState = {
      uniqueid,
      callId,
      name,
      kind,
      extension,
      origin: uniqueid === linkedid,
      createdAt: at,
      state: Number(field(frame, `${prefix}ChannelState`) ?? "0"),
      ringingSent: false,
      answeredSent: false,
      dialStatus: null,
      ringNoAnswer: false,
      dialledByLocal: null,
      inVoicemail: false,
    };
    this.channels.set(uniqueid, channel);
    this.callFor(callId).channels.add(uniqueid);
    return channel;
  }

  callFor(callId: string): CallState {
    let call = this.calls.get(callId);
    if (call === undefined) {
      call = {
        id: callId,
        channels: new Set(),
        complete: false,
        start: null,
        voicemailSent: false,
        messageSent: false,
        recordingUrl: null,
      };
      this.calls.set(callId, call);
    }
    return call;
  }

  /**
   * Forgets a channel. Returns its call when that call is now over: no channel left and the call
   * was seen from its start — or, for a call first seen mid-way, its first channel is the one gone.
   */
  remove(channel: ChannelState): CallState | null {
    this.channels.delete(channel.uniqueid);
    const call = this.calls.get(channel.callId);
    if (call === undefined) return null;
    call.channels.delete(channel.uniqueid);
    if (call.channels.size > 0 || !(call.complete || channel.origin)) return null;
    this.calls.delete(call.id);
    for (const [from, to] of this.aliases) if (to === call.id) this.aliases.delete(from);
    return call;
  }

  /** An attended transfer joined `consultId` into `mainId`: its channels belong to the main call now. */
  absorb(consultId: string, mainId: string): void {
    const consult = this.calls.get(consultId);
    const main = this.callFor(mainId);
    this.aliases.set(consultId, mainId);
    if (consult === undefined) return;
    for (const uniqueid of consult.channels) {
      const channel = this.channels.get(uniqueid);
      if (channel !== undefined) channel.callId = mainId;
      main.channels.add(uniqueid);
    }
    this.calls.delete(consultId);
  }

  isExtension(value: string | null): value is string {
    return value !== null && this.options.extensionPattern.test(value);
  }

  private classify(name: string, context: string | null, callerId: string | null) {
    const parsed = parseChannelName(name);
    if (parsed === null) return { kind: "other" as const, extension: null };
    if (parsed.tech === "Local") return { kind: "local" as const, extension: null };
    const trunk = context !== null && this.options.trunkContexts.includes(context);
    if (!this.options.handsetTechnologies.includes(parsed.tech) || trunk) {
      return { kind: "trunk" as const, extension: null };
    }
    if (this.isExtension(parsed.endpoint)) return { kind: "handset" as const, extension: parsed.endpoint };
    const internal = context !== null && this.options.internalContexts.includes(context);
    if (internal && this.isExtension(callerId)) return { kind: "handset" as const, extension: callerId };
    return { kind: "trunk" as const, extension: null };
  }
}
