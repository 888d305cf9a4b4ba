// The demo's day of calls, played by the demo PBX (src/demo-pbx.ts). Each is one of the
// repository's AMI recordings, embedded in the binary as text and played unchanged but for what a
// second playing must change: fresh Uniqueids, Linkedids, bridge ids and channel numbers, the time
// of now, and (for the one real capture) its phones' device names put on the demo's extensions.

import blindTransfer from "../test/fixtures/ami/blind-transfer.ami" with { type: "text" };
import inboundAnswered from "../test/fixtures/ami/inbound-front-desk-answered.ami" with { type: "text" };
import outboundAnswered from "../test/fixtures/ami/outbound-answered.ami" with { type: "text" };
import queueAbandoned from "../test/fixtures/ami/real/vg-queue-abandoned.ami" with { type: "text" };
import voicemailMessage from "../test/fixtures/ami/voicemail-message.ami" with { type: "text" };

/** One AMI event as recorded: its headers in order (Timestamp and ids are replaced at each play). */
export type DemoFrame = Readonly<Record<string, string>>;

export interface DemoCall {
  readonly name: string;
  readonly frames: readonly DemoFrame[];
  /** Before each frame, how long the PBX took at the recording (the first: 0), in ms. */
  readonly gapsMs: readonly number[];
}

/**
 * A capture without `Timestamp`s (the real one) says nothing of its pace: a phone rings this long
 * after a DialBegin, talks this long after a second channel enters a bridge, and the rest follows
 * at once, as Asterisk's bursts do.
 */
const UNTIMED = { ringMs: 8_000, talkMs: 10_000, burstMs: 50 } as const;

/** Transcript text → frames: a blank line ends a frame, `;`/`#` lines are comments, LF or CRLF. */
export function demoCall(
  name: string,
  text: string,
  devices: Readonly<Record<string, string>> = {},
): DemoCall {
  let renamed = text;
  for (const [from, to] of Object.entries(devices)) renamed = renamed.replaceAll(`${from}-`, `${to}-`);
  const frames: Record<string, string>[] = [];
  let frame: Record<string, string> = {};
  for (const line of [...renamed.split(/\r?\n/), ""]) {
    if (line.startsWith(";") || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (line.trim() === "" || colon <= 0) {
      if (Object.keys(frame).length > 0 && readable(frame)) frames.push(frame);
      frame = {};
    } else frame[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return { name, frames, gapsMs: frames.map((f, i) => gapBefore(frames[i - 1], f)) };
}

/**
 * The demo's manager user is set up as the README asks of a real one, `read = call,dialplan,agent,user`:
 * Asterisk never sends it a `reporting` (RTCP), `cdr` or `system` event, so neither does the demo
 * (whose PBX says FullyBooted itself at each login). An event without a Privilege is kept.
 */
export const READ_CLASSES: readonly string[] = ["call", "dialplan", "agent", "user"];

function readable(frame: DemoFrame): boolean {
  if (frame.Event === "FullyBooted") return false;
  return frame.Privilege === undefined || frame.Privilege.split(",").some((c) => READ_CLASSES.includes(c));
}

function gapBefore(previous: DemoFrame | undefined, frame: DemoFrame): number {
  if (previous === undefined) return 0;
  const [was, is] = [Number(previous.Timestamp), Number(frame.Timestamp)];
  if (was > 0 && is > 0) return Math.max(0, Math.round((is - was) * 1000));
  const device = (channel: string | undefined) => channel !== undefined && !channel.startsWith("Local/");
  if (previous.Event === "DialBegin" && device(previous.DestChannel)) return UNTIMED.ringMs;
  if (previous.Event === "BridgeEnter" && previous.BridgeNumChannels === "2" && device(previous.Channel))
    return UNTIMED.talkMs;
  return UNTIMED.burstMs;
}

/** How fast the demo plays: `human` for a person watching, `fast` for tests (BB_DEMO_PACE). */
export type DemoPace = "human" | "fast";

export interface PaceSettings {
  /** A recorded gap is multiplied by this, then cut to `maxGapMs` (a 42 s talk need not last 42 s). */
  readonly scale: number;
  readonly maxGapMs: number;
  /** After the box's first login, before the first call. */
  readonly firstCallMs: number;
  /** After a call's last event, before the next call's first. */
  readonly betweenCallsMs: number;
}

export const PACES: Readonly<Record<DemoPace, PaceSettings>> = {
  // A call every ~20–40 s: it rings for seconds, talks for up to 10 s, then a pause to read it.
  human: { scale: 1, maxGapMs: 10_000, firstCallMs: 3_000, betweenCallsMs: 10_000 },
  fast: { scale: 0.1, maxGapMs: 1_500, firstCallMs: 300, betweenCallsMs: 1_000 },
};

export const paceGap = (pace: PaceSettings, recordedMs: number): number =>
  Math.min(pace.maxGapMs, Math.round(recordedMs * pace.scale));

/**
 * A call's frames for one playing: every id and channel number is new (Asterisk never repeats a
 * live one, and the box's journal would take a repeat for a duplicate). `fresh` gives the PBX's
 * next number; a value that names a recorded id or channel anywhere (a VarSet's BRIDGEPEER) is
 * renamed the same way.
 */
export function freshIds(frames: readonly DemoFrame[], fresh: () => number, at: number): DemoFrame[] {
  const names = new Map<string, string>();
  const epoch = Math.floor(at / 1000);
  for (const frame of frames) {
    for (const [key, value] of Object.entries(frame)) {
      if (value === "" || names.has(value)) continue;
      if (/(Uniqueid|Linkedid)$/.test(key))
        names.set(value, /^[0-9a-f-]{36}$/.test(value) ? crypto.randomUUID() : `${epoch}.${fresh()}`);
      const channel = /(Channel)$/.test(key) ? /^(.+-)([0-9a-f]{8})(;[12])?$/.exec(value) : null;
      if (channel !== null && !names.has(`${channel[1]}${channel[2]}`))
        names.set(`${channel[1]}${channel[2]}`, `${channel[1]}${fresh().toString(16).padStart(8, "0")}`);
    }
  }
  // Longest first, and never inside a longer number: "1732180323.41" is not "1732180323.410".
  const known = [...names.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(
    known.map((k) => `${k.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?![0-9])`).join("|"),
    "g",
  );
  return frames.map((frame) =>
    Object.fromEntries(
      Object.entries(frame).map(([key, value]) => [
        key,
        known.length === 0 ? value : value.replace(pattern, (match) => names.get(match) ?? match),
      ]),
    ),
  );
}

/**
 * The loop, in the order played. Our FreePBX recordings (test/fixtures/ami/*.ami, on the demo's
 * own extensions 101 and 102) and one real capture: VoIPGRID/cacofonisk's `queue_a_cancel.json`
 * (MIT, © 2018 Devhouse Spindle; test/fixtures/ami/real/README.md), the only real recording of an
 * inbound call nobody answered, with its phone `SIP/150010002` played as the front desk's 101.
 */
export const DEMO_CALLS: readonly DemoCall[] = [
  // First a caller waiting (a card on every screen at once), then the manager's own call (an owner
  // with nobody checked in); the front desk's answered calls come after a check-in has had a moment.
  demoCall("vg-queue-abandoned", queueAbandoned, {
    "SIP/150010002": "PJSIP/101",
    "SIP/voipgrid-siproute-docker": "PJSIP/trunk-sip",
  }),
  demoCall("outbound-answered", outboundAnswered),
  demoCall("inbound-front-desk-answered", inboundAnswered),
  demoCall("blind-transfer", blindTransfer),
  demoCall("voicemail-message", voicemailMessage),
];
