import type { LegEndCause } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";

/** One AMI frame as the parser hands it over: header name → value. */
export type AmiFrame = Readonly<Record<string, string>>;

/** A header's value, or null when it is missing, empty or Asterisk's `<unknown>`. */
export function field(frame: AmiFrame, name: string): string | null {
  const value = frame[name]?.trim();
  return value === undefined || value === "" || value === "<unknown>" ? null : value;
}

/**
 * `Timestamp: 1732180811.000137` (seconds.microseconds, `timestampevents=yes`) as an instant.
 * Parsed as text: a float would round the microseconds differently on different frames.
 */
export function timestampOf(frame: AmiFrame): Instant | null {
  const match = /^(\d{9,11})(?:\.(\d{1,6}))?$/.exec(field(frame, "Timestamp") ?? "");
  if (match === null) return null;
  const millis = (match[2] ?? "").padEnd(3, "0").slice(0, 3);
  return Number(match[1]) * 1000 + Number(millis);
}

/** `Duration: 00:01:23` of a CoreShowChannel, in ms. */
export function durationOf(frame: AmiFrame): number {
  const match = /^(\d+):(\d{2}):(\d{2})$/.exec(field(frame, "Duration") ?? "");
  if (match === null) return 0;
  return ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000;
}

export interface ChannelName {
  /** `PJSIP`, `SIP`, `IAX2`, `Local`, … */
  readonly tech: string;
  /** The endpoint (`101`, `trunk-sip`); for a Local channel `101@from-queue`. */
  readonly endpoint: string;
  /** A Local channel's pair name without the `;1`/`;2` half: both halves share it. */
  readonly localPair: string | null;
}

/**
 * `PJSIP/101-0000002a`, `SIP/101-0000000a`, `IAX2/101-1234`, `Local/101@from-queue-0000001f;1`.
 * The suffix after the last dash is the channel's sequence number; an endpoint may hold dashes.
 */
export function parseChannelName(name: string): ChannelName | null {
  const local = /^Local\/(.+)-([0-9a-fA-F]+);[12]$/.exec(name);
  if (local !== null)
    return { tech: "Local", endpoint: local[1] ?? "", localPair: `Local/${local[1]}-${local[2]}` };
  const match = /^([A-Za-z0-9]+)\/(.+)-([0-9a-fA-F]+)$/.exec(name);
  if (match === null) return null;
  return { tech: match[1] ?? "", endpoint: match[2] ?? "", localPair: null };
}

/** What a leg's hangup says about how it ended, from what the translator saw of it. */
export interface LegEndFacts {
  readonly cause: number | null;
  /** Dial's verdict on this channel (DialEnd DialStatus), when it was dialled. */
  readonly dialStatus: string | null;
  readonly answered: boolean;
  /** A queue reported the member did not answer in time (AgentRingNoAnswer). */
  readonly ringNoAnswer: boolean;
}

const FAILURE_CAUSES: ReadonlySet<number> = new Set([
  1, 2, 3, 20, 22, 27, 28, 29, 31, 34, 38, 41, 42, 44, 58, 127,
]);

/**
 * Q.850 cause and DialStatus → LegEndCause. Cause 26 wins: Dial reports the other handsets of a
 * ring group as CANCEL, but the hangup cause says the call was answered elsewhere. Dial's verdict
 * comes next because the cause of a channel Asterisk tears down itself (ring timeout, caller gone)
 * is 0 or a bare 16 that says nothing; a queue's AgentRingNoAnswer beats the CANCEL its Local
 * channel's Dial reports when the queue moves on.
 */
export function legEndCause(facts: LegEndFacts): LegEndCause {
  if (facts.cause === 26) return "answered-elsewhere";
  if (facts.answered) return "normal";
  if (facts.ringNoAnswer) return "no-answer";
  switch (facts.dialStatus) {
    case "BUSY":
      return "busy";
    case "NOANSWER":
      return "no-answer";
    case "CANCEL":
      return "cancelled";
    case "CHANUNAVAIL":
    case "CONGESTION":
    case "INVALIDARGS":
      return "failed";
  }
  const cause = facts.cause;
  if (cause === 17) return "busy";
  if (cause === 18 || cause === 19 || cause === 21) return "no-answer";
  if (cause === 0) return "cancelled";
  if (cause !== null && FAILURE_CAUSES.has(cause)) return "failed";
  return "normal";
}

export function intField(frame: AmiFrame, name: string): number | null {
  const value = field(frame, name);
  if (value === null || !/^\d+$/.test(value)) return null;
  return Number(value);
}
