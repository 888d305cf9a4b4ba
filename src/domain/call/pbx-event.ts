import type { Instant } from "../roster/types.ts";
import type { PbxEndpointList, UnplacedEndpoint } from "./pbx-endpoints.ts";

/**
 * One normalized event from any PBX source (Asterisk AMI, SIP dialog subscriptions, a cloud PBX's
 * webhooks). Sources translate their own wire into these; everything after the journal — the
 * assembler, attribution, cards, records — sees only this shape.
 *
 * Words:
 * - a **call** is what a client (or an employee) experiences: one conversation attempt, possibly
 *   passing through a queue, a ring group and transfers. `callId` names it (Asterisk: the
 *   Linkedid of the first channel).
 * - a **leg** is one branch extension's part in a call: a handset that rings, answers, hangs up
 *   (Asterisk: the Uniqueid of the extension's channel). The outside party (a trunk) is not a leg;
 *   an extension that places a call (outbound, internal) is the call's first leg.
 *
 * Kinds and what each carries (besides the common fields):
 * - `call-start`   a call appears: `from` (and `fromExtension` when an extension placed it), `to`,
 *                  `did` (the dialled company number, inbound). Always the first event of a call,
 *                  though a source may deliver it late (after a resync).
 * - `queued`       the call waits in a queue or IVR, on no handset yet (R0.1).
 * - `ringing`      `legId` + `extension`: a handset rings.
 * - `answered`     `legId` + `extension`: the handset picked up (for an extension placing a call:
 *                  the far end answered).
 * - `leg-ended`    `legId` + `cause`.
 * - `voicemail`    the caller reached voicemail (`extension`: whose mailbox, if known);
 *                  `leftMessage` when the source knows a message was recorded.
 * - `transfer`     `transfer`: who handed the call to whom (see TransferInfo).
 * - `call-end`     the call is over: no channel of it is left.
 */
export type PbxEventKind =
  | "call-start"
  | "queued"
  | "ringing"
  | "answered"
  | "leg-ended"
  | "voicemail"
  | "transfer"
  | "call-end";

/** Why a leg ended. `answered-elsewhere`: another handset of the same ring group picked up. */
export type LegEndCause = "normal" | "busy" | "no-answer" | "cancelled" | "answered-elsewhere" | "failed";

export interface TransferInfo {
  readonly kind: "blind" | "attended";
  /** The leg of the employee who transferred (it ends as `transferred`). */
  readonly fromLegId: string;
  /** Blind: the extension the call was sent to (its leg arrives later with `ringing`). */
  readonly toExtension: string | null;
  /**
   * Attended: the consultation call (its own callId: Asterisk gives it its own Linkedid). Its
   * target leg joins this call; the consultation itself is not a call of its own any more.
   */
  readonly consultCallId: string | null;
  /** Attended: the colleague's leg in the consultation call, which now carries the client. */
  readonly toLegId: string | null;
}

export interface PartyNumber {
  /** The phone number as the PBX shows it (E.164 when the trunk gives it), or null. */
  readonly number: string | null;
  /** The branch extension, when the party is one. */
  readonly extension: string | null;
}

export interface PbxEvent {
  /** Which source instance, e.g. "ami:pbx.branch.local". Dedupe is per source. */
  readonly source: string;
  /**
   * Unique per source for the fact it reports, and the same every time the source reports that
   * same fact (after a reconnect, a resync, a replay): the journal keeps the first and drops the
   * rest. Build it from what the fact is (e.g. `${legId}:answered`), not from arrival order.
   */
  readonly key: string;
  readonly kind: PbxEventKind;
  readonly callId: string;
  readonly legId: string | null;
  readonly extension: string | null;
  /** The PBX's own timestamp of the fact. */
  readonly at: Instant;
  readonly from?: PartyNumber;
  readonly to?: PartyNumber;
  readonly did?: string | null;
  readonly cause?: LegEndCause;
  readonly transfer?: TransferInfo;
  readonly leftMessage?: boolean;
  /** A recording the PBX made of the call, when it says so (R2.5). */
  readonly recordingUrl?: string | null;
  /**
   * The fact was read late from the PBX's own records (its call log), not seen live: after a gap
   * in the link (issue 13). A call whose `call-start` carries it is a recovered call.
   */
  readonly recovered?: Recovery;
}

/** How a fact the box did not see live was read back, and when. */
export interface Recovery {
  /** The PBX's record it came from: Asterisk's CEL (every channel event) or CDR (a summary per call). */
  readonly via: "cel" | "cdr";
  /** When the box read it (the box's clock). */
  readonly at: Instant;
}

/**
 * A PBX event source: the port every adapter (`src/pbx/ami/`, `src/pbx/sip/`, …) implements.
 *
 * ALWAYS:
 * - delivers every fact at least once: after a reconnect it resyncs (e.g. AMI `CoreShowChannels`)
 *   and reports what it may have missed, with the same `key` for a fact already reported;
 * - delivers the events of one call in the order the PBX produced them;
 * - waits for `deliver` to resolve (the events are durable in the journal) before it treats them
 *   as handled — an event is never acknowledged before it is durable;
 * - reconnects by itself, with exponential backoff and jitter, until stopped.
 * NEVER:
 * - invents a fact: a resync reports only what the PBX shows now (channels that exist, their
 *   state), so a call that ended while the link was down ends with the resync's view of it;
 * - logs a secret (passwords, tokens).
 */
export interface PbxEventSource {
  readonly name: string;
  start(deliver: (events: readonly PbxEvent[]) => Promise<void>): void;
  stop(): Promise<void>;
  /** For `doctor` and the admin page. */
  status(): PbxSourceStatus;
}

export interface PbxSourceStatus {
  readonly state: "connecting" | "connected" | "backing-off" | "stopped" | "auth-failed";
  readonly since: Instant;
  readonly detail: string;
  readonly eventsReceived: number;
  readonly badFrames: number;
  /**
   * Events about a call the source never saw begin (nor a resync show), dropped unreported, per
   * event kind (AMI: `Hangup`…). Absent: the source does not count them.
   */
  readonly orphans?: Readonly<Record<string, number>>;
  /** Events the PBX sent twice on one link (AMI: a repeated SequenceNumber), dropped. */
  readonly duplicateFrames?: number;
  /** Endpoints whose channels the source saw but could not place, most recent first (bounded). */
  readonly unplaced?: readonly UnplacedEndpoint[];
  /** The PBX's own endpoint list as read at the last login; null until read. Absent: not asked. */
  readonly endpoints?: PbxEndpointList | null;
  /**
   * Entries of each table the source keeps in memory about calls (AMI: channels, calls, aliases,
   * pending starts…), each bounded by the live calls: for /metrics and the soak benchmark.
   */
  readonly tables?: Readonly<Record<string, number>>;
  /** A source that keeps several subscriptions (SIP: one per watched extension) says how each is. */
  readonly subscriptions?: readonly SubscriptionStatus[];
  /** A source that keeps a raw capture for support (AMI: `[pbx.ami] capture_dir`) says how it goes. */
  readonly capture?: CaptureStatus;
}

export interface CaptureStatus {
  /** False once a write failed: the capture stopped (the source goes on); `reason` says why. */
  readonly on: boolean;
  readonly dir: string;
  /** What the capture files may hold together, at most. */
  readonly maxBytes: number;
  /** What they hold now. */
  readonly keptBytes: number;
  readonly files: number;
  readonly reason: string | null;
}

export interface SubscriptionStatus {
  /** What is watched, e.g. the extension "101". */
  readonly target: string;
  readonly state: "subscribing" | "active" | "retrying" | "stopped";
  readonly since: Instant;
  readonly detail: string;
}
