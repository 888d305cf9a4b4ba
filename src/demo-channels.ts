// What the demo PBX knows of its channels now, learnt from the frames it plays: what
// CoreShowChannels lists, and what call control (src/demo-control.ts) needs to act as Asterisk
// would: a channel's fields as last said, its bridge, and who is dialling it while it rings.
import type { DemoFrame } from "./demo-calls.ts";

/** The channel fields Asterisk repeats in every event about a channel, and in CoreShowChannel. */
export const CHANNEL_FIELDS = [
  "Channel",
  "ChannelState",
  "ChannelStateDesc",
  "CallerIDNum",
  "CallerIDName",
  "ConnectedLineNum",
  "ConnectedLineName",
  "Language",
  "AccountCode",
  "Context",
  "Exten",
  "Priority",
  "Uniqueid",
  "Linkedid",
] as const;

/** A live channel as its last event said it, with the bridge it is in ("" none). */
export interface LiveChannel {
  readonly fields: Record<string, string>;
  readonly since: number;
  bridge: string;
  /** Set while a DialBegin to it has had no DialEnd: the dialling channel's Uniqueid ("" for an Originate's). */
  dialledBy: string | null;
}

/** The channels alive now (created, not yet hung up), keyed by Uniqueid, in creation order. */
export class LiveChannels {
  private readonly channels = new Map<string, LiveChannel>();

  apply(frame: DemoFrame): void {
    if (frame.Event === "DialBegin" || frame.Event === "DialEnd") {
      const dest = this.channels.get(frame.DestUniqueid ?? "");
      if (dest !== undefined) dest.dialledBy = frame.Event === "DialBegin" ? (frame.Uniqueid ?? "") : null;
    }
    const id = frame.Uniqueid;
    if (id === undefined) return;
    if (frame.Event === "Hangup") {
      this.channels.delete(id);
      return;
    }
    const channel =
      this.channels.get(id) ??
      (frame.Event === "Newchannel" ? { fields: {}, since: Date.now(), bridge: "", dialledBy: null } : null);
    if (channel === null) return;
    for (const key of CHANNEL_FIELDS) if (frame[key] !== undefined) channel.fields[key] = frame[key];
    if (frame.Event === "Newexten") {
      channel.fields.Application = frame.Application ?? "";
      channel.fields.ApplicationData = frame.AppData ?? "";
    }
    if (frame.Event === "BridgeEnter") channel.bridge = frame.BridgeUniqueid ?? "";
    if (frame.Event === "BridgeLeave") channel.bridge = "";
    this.channels.set(id, channel);
  }

  get(uniqueid: string): LiveChannel | undefined {
    return this.channels.get(uniqueid);
  }

  /** The live channel named exactly `name` (`PJSIP/101-0000002a`), as Hangup's `Channel:` names it. */
  named(name: string): LiveChannel | undefined {
    for (const channel of this.channels.values()) if (channel.fields.Channel === name) return channel;
    return undefined;
  }

  /** The channels `channel` is dialling now (DialBegin to them, no DialEnd yet). */
  dialledFrom(channel: LiveChannel): LiveChannel[] {
    const id = channel.fields.Uniqueid ?? "";
    return [...this.channels.values()].filter((c) => c.dialledBy === id);
  }

  /** The other channels in `channel`'s bridge. */
  bridgedWith(channel: LiveChannel): LiveChannel[] {
    if (channel.bridge === "") return [];
    return [...this.channels.values()].filter((c) => c !== channel && c.bridge === channel.bridge);
  }

  list(): Record<string, string>[] {
    return [...this.channels.values()].map(({ fields, since, bridge }) => ({
      ...fields,
      BridgeId: bridge,
      Duration: hhmmss((Date.now() - since) / 1000),
    }));
  }
}

function hhmmss(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}
