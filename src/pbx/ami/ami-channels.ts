import type { UnplacedEndpoint } from "../../domain/call/pbx-endpoints.ts";
import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import { type AmiFrame, field, parseChannelName } from "./ami-fields.ts";
import type { UnplacedEndpoints } from "./ami-unplaced.ts";

/**
 * How a channel's endpoint is judged a handset beyond what the box knows. Always a handset: an
 * endpoint that is a branch extension (desks', staff's, `[pbx.ami] handsets`, `handset_pattern`),
 * and a phone presenting one of them as caller id. FreePBX's conventions are an endpoint of 2–6
 * digits, or a phone in `from-internal…` presenting such a number; `from-pstn…` is a trunk.
 * - `known`: nothing else;
 * - `freepbx`: FreePBX's conventions in every context;
 * - `auto` (default): FreePBX's conventions in every context while the box knows no extension at
 *   all (as before issue 12), else only for channels in FreePBX's own phone contexts: a FreePBX
 *   branch keeps the phones nobody owns, another PBX's short trunk names are not taken for phones.
 */
export type HandsetProfile = "auto" | "freepbx" | "known";

/** Which channels are the branch's handsets. */
export interface AmiTranslatorOptions {
  /** The source name on every event, e.g. `ami:pbx.branch.local`. */
  readonly source: string;
  /**
   * The branch's extensions as the box knows them now (desks', staff's, `[pbx.ami] handsets`):
   * asked when a channel first appears, so a roster change applies to the next call.
   */
  readonly knownExtensions?: () => ReadonlySet<string>;
  /** Endpoint names (or caller ids) that are handsets whatever the roster says. */
  readonly handsetPattern?: RegExp | null;
  readonly profile?: HandsetProfile;
  /** The `freepbx` profile's guess of an extension. */
  readonly extensionPattern?: RegExp;
  /** Channel technologies of handsets. */
  readonly handsetTechnologies?: readonly string[];
  /** Contexts of trunk endpoints: a channel created in one is never a handset, whatever its name. */
  readonly trunkContexts?: readonly string[];
  /** Where channels that could not be placed are remembered, for branch IT (null: nowhere). */
  readonly unplaced?: UnplacedEndpoints | null;
}

/** FreePBX's inbound-route contexts: its trunks' channels are created there. */
const FREEPBX_TRUNK_CONTEXTS = ["from-pstn", "from-trunk", "from-pstn-e164-us", "from-pstn-toheader"];
/** FreePBX's phone contexts: a phone there with a non-extension name is the extension it presents. */
const FREEPBX_INTERNAL_CONTEXTS = ["from-internal", "from-internal-xfer", "from-internal-noxfer"];
const NO_EXTENSIONS: ReadonlySet<string> = new Set();

export function translatorDefaults(options: AmiTranslatorOptions): Required<AmiTranslatorOptions> {
  return {
    source: options.source,
    knownExtensions: options.knownExtensions ?? (() => NO_EXTENSIONS),
    handsetPattern: options.handsetPattern ?? null,
    profile: options.profile ?? "auto",
    extensionPattern: options.extensionPattern ?? /^\d{2,6}$/,
    handsetTechnologies: options.handsetTechnologies ?? ["PJSIP", "SIP", "IAX2", "SCCP"],
    trunkContexts: options.trunkContexts ?? [],
    unplaced: options.unplaced ?? null,
  };
}

export type ChannelKind = "handset" | "trunk" | "local" | "other";

/** `PJSIP/reception-a-00000012` → `PJSIP/reception-a`: the device, whichever call it is on. */
export const endpointOf = (name: string): string => name.replace(/-[0-9a-fA-F]+$/, "");

/** One Asterisk channel as the translator tracks it, from its first event to its Hangup. */
export interface ChannelState {
  readonly uniqueid: string;
  /** The call it belongs to: its Linkedid when it appeared, or the call that absorbed that one. */
  callId: string;
  name: string;
  /** Changed only by a Masquerade (AMI 1.x): the channel then carries another device. */
  kind: ChannelKind;
  /** The branch extension, for a handset. */
  extension: string | null;
  /** The leg it is: its Uniqueid, unless a Masquerade gave it another channel's leg. */
  legId: string;
  /**
   * The first channel of its call (Uniqueid = Linkedid): the caller, or the extension placing it;
   * also the employee's handset an originated call rang first (it places that call). Cleared when the call it placed turns out to be a pickup of another call (see `move`).
   */
  origin: boolean;
  /**
   * Its first event carried no Linkedid (Asterisk 11's AMI 1.x): it is its own call until a Dial
   * or a LocalBridge shows which call it belongs to.
   */
  readonly unlinked: boolean;
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

/**
 * The first channel of a call the PBX originated (AMI `Originate` of `Local/<ext>@<context>`, the
 * box's click-to-call or a platform's click-to-dial): a Local `;1` half with no requestor (its
 * Uniqueid is its Linkedid). AMI 1.x channels carry no Linkedid and cannot tell.
 */
export const isOriginatedLocal = (channel: ChannelState): boolean =>
  channel.kind === "local" && channel.origin && !channel.unlinked && channel.name.endsWith(";1");

/**
 * An originated call (R2.1): the PBX rings the employee's handset first, then, once they answered,
 * dials the client from the `;1` side. The employee is the one calling: their handset is the
 * call's placing leg, answered when the client answers.
 */
export interface OriginatedCall {
  /** The originated Local `;1`, the call's first channel. */
  readonly local: ChannelState;
  /** The handset the call rang first (the employee's), once it is dialled. */
  placer: ChannelState | null;
}

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
  /** Set when the call's first channel is an originated Local `;1` (see OriginatedCall). */
  originated: OriginatedCall | null;
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

  /** The live channel named `name` (AMI 1.x events that name channels only). */
  byName(name: string | null): ChannelState | undefined {
    return name === null ? undefined : this.liveChannels().find((channel) => channel.name === name);
  }

  /**
   * Whether the block with `prefix` names a channel of nothing the translator knows: a channel it
   * never saw appear (no Newchannel, no resync) of a call it does not hold. Such an event (a
   * Hangup of a call that began before the box listened, the same Hangup sent again) is an orphan.
   */
  isOrphan(frame: AmiFrame, prefix: string): boolean {
    const uniqueid = field(frame, `${prefix}Uniqueid`);
    // A block without its Uniqueid and Channel is malformed, which `ensure` reports.
    if (uniqueid === null || field(frame, `${prefix}Channel`) === null || this.channels.has(uniqueid))
      return false;
    const linkedid = field(frame, `${prefix}Linkedid`) ?? uniqueid;
    return !this.calls.has(this.aliases.get(linkedid) ?? linkedid);
  }

  /** How many channels and calls are held (for tests and the soak benchmark: bounded by live calls). */
  sizes(): { readonly channels: number; readonly calls: number; readonly aliases: number } {
    return { channels: this.channels.size, calls: this.calls.size, aliases: this.aliases.size };
  }

  /** The channel described by the block with `prefix` (`Dest`, `Transferer`…), registered if new. */
  ensure(frame: AmiFrame, prefix: string, at: Instant): ChannelState | null {
    const uniqueid = field(frame, `${prefix}Uniqueid`);
    const name = field(frame, `${prefix}Channel`);
    if (uniqueid === null || name === null) return null;
    const known = this.channels.get(uniqueid);
    if (known !== undefined) return known;
    const given = field(frame, `${prefix}Linkedid`);
    const linkedid = given ?? uniqueid;
    const callId = this.aliases.get(linkedid) ?? linkedid;
    const context = field(frame, `${prefix}Context`);
    const callerId = field(frame, `${prefix}CallerIDNum`);
    const { kind, extension, unplaced } = this.classify(name, context, callerId);
    if (unplaced) this.options.unplaced?.seen(endpointOf(name), context, callerId, at);
    const channel: ChannelState = {
      uniqueid,
      callId,
      name,
      kind,
      extension,
      legId: uniqueid,
      origin: uniqueid === linkedid,
      unlinked: given === null,
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
        originated: null,
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

  /**
   * A phone that picked up a call ringing elsewhere: its own call (nothing of it reported yet) is
   * given up, and the channel is a rung leg of the picked-up call from now on.
   */
  move(channel: ChannelState, callId: string): void {
    const own = this.calls.get(channel.callId);
    own?.channels.delete(channel.uniqueid);
    if (own !== undefined && own.channels.size === 0) this.calls.delete(own.id);
    channel.callId = callId;
    channel.origin = false;
    this.callFor(callId).channels.add(channel.uniqueid);
  }

  /** An attended transfer joined `consultId` into `mainId`: its channels belong to the main call now. */
  absorb(consultId: string, mainId: string): void {
    const consult = this.calls.get(consultId);
    const main = this.callFor(mainId);
    this.aliases.set(consultId, mainId);
    // AMI 1.x joins in chains (a Local half into its pair, the pair into the caller's call): what
    // pointed at the absorbed call points at the main one, and goes when the main call ends.
    for (const [from, to] of this.aliases) if (to === consultId) this.aliases.set(from, mainId);
    if (consult === undefined) return;
    for (const uniqueid of consult.channels) {
      const channel = this.channels.get(uniqueid);
      if (channel !== undefined) channel.callId = mainId;
      main.channels.add(uniqueid);
    }
    this.calls.delete(consultId);
  }

  /** Whether `value` names a branch extension (known, or guessed under the FreePBX profile). */
  isExtension(value: string | null): value is string {
    if (value === null) return false;
    return this.isKnown(value) || (this.guessing() && this.options.extensionPattern.test(value));
  }

  private isKnown(value: string | null): value is string {
    if (value === null) return false;
    return this.options.knownExtensions().has(value) || this.options.handsetPattern?.test(value) === true;
  }

  /** Whether FreePBX's conventions apply now (see HandsetProfile). */
  private guessing(): boolean {
    const { profile, handsetPattern } = this.options;
    if (profile !== "auto") return profile === "freepbx";
    return handsetPattern === null && this.options.knownExtensions().size === 0;
  }

  /** Whether a remembered unplaced endpoint is still one now (the roster or the config may have changed). */
  stillUnplaced(entry: UnplacedEndpoint): boolean {
    return this.classify(`${entry.endpoint}-0`, entry.context, entry.callerId).unplaced === true;
  }

  /** An endpoint of the PBX's list (no context, no caller id): known, taken by FreePBX's conventions, or neither. */
  placement(endpoint: string): "mapped" | "guessed" | null {
    if (this.isKnown(endpoint)) return "mapped";
    return this.guessing() && this.options.extensionPattern.test(endpoint) ? "guessed" : null;
  }

  /**
   * `unplaced`: a phone technology, no trunk context, and nothing names it an extension: a trunk
   * by default (never a party), which may as well be a phone nobody mapped (see UnplacedEndpoints).
   */
  private classify(
    name: string,
    context: string | null,
    callerId: string | null,
  ): { kind: ChannelKind; extension: string | null; unplaced?: true } {
    const parsed = parseChannelName(name);
    if (parsed === null) return { kind: "other" as const, extension: null };
    if (parsed.tech === "Local") return { kind: "local" as const, extension: null };
    const { profile, extensionPattern, trunkContexts, handsetTechnologies } = this.options;
    const trunk =
      context !== null &&
      (trunkContexts.includes(context) || (profile !== "known" && FREEPBX_TRUNK_CONTEXTS.includes(context)));
    if (trunk) return { kind: "trunk" as const, extension: null };
    // A device the box knows is a phone whatever its technology (SCCP, DAHDI, a platform's own).
    if (this.isKnown(parsed.endpoint)) return { kind: "handset" as const, extension: parsed.endpoint };
    if (!handsetTechnologies.includes(parsed.tech)) return { kind: "trunk" as const, extension: null };
    // A phone whose device name is no extension (`SIP/reception-a-…`) is the extension it presents.
    if (this.isKnown(callerId)) return { kind: "handset" as const, extension: callerId };
    // FreePBX's conventions: everywhere when guessing, else (auto) only where FreePBX's own phone
    // contexts show the PBX is one, so a FreePBX branch keeps the phones nobody owns.
    const internal = context !== null && FREEPBX_INTERNAL_CONTEXTS.includes(context);
    const guess = this.guessing() || (profile === "auto" && internal);
    if (guess && extensionPattern.test(parsed.endpoint))
      return { kind: "handset" as const, extension: parsed.endpoint };
    if (guess && internal && callerId !== null && extensionPattern.test(callerId))
      return { kind: "handset" as const, extension: callerId };
    return { kind: "trunk" as const, extension: null, unplaced: true };
  }
}
