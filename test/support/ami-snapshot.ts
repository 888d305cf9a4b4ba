import { CHANNEL_FIELDS } from "../../src/demo-channels.ts";
import type { AmiFrame } from "../../src/pbx/ami/ami-parser.ts";

/**
 * What `CoreShowChannels` would answer after the first `position` frames of a transcript: every
 * channel created and not yet hung up, with its latest fields. Events name a channel by its
 * Uniqueid, directly or with a prefix (Dest…, Transferer…, OrigTransferer…, SecondTransferer…).
 */
export function channelsAt(frameTexts: readonly string[], position: number): AmiFrame[] {
  const alive = new Map<string, Record<string, string>>();
  const createdAt = new Map<string, number>();
  let clock = 0;
  for (const text of frameTexts.slice(0, position)) {
    const frame = parseFrame(text);
    clock = Math.max(clock, Number(frame.Timestamp ?? 0));
    const prefixes = new Set<string>([""]);
    for (const key of Object.keys(frame))
      if (key.endsWith("Uniqueid")) prefixes.add(key.slice(0, -"Uniqueid".length));
    for (const prefix of prefixes) {
      const id = frame[`${prefix}Uniqueid`];
      if (id === undefined) continue;
      const channel = alive.get(id) ?? {};
      for (const field of CHANNEL_FIELDS) {
        const value = frame[`${prefix}${field}`];
        if (value !== undefined) channel[field] = value;
      }
      if (frame.Event === "Newexten" && prefix === "") {
        channel.Application = frame.Application ?? "";
        channel.ApplicationData = frame.AppData ?? "";
      }
      if (frame.Event === "BridgeEnter" && prefix === "") channel.BridgeId = frame.BridgeUniqueid ?? "";
      if (frame.Event === "BridgeLeave" && prefix === "") channel.BridgeId = "";
      if (frame.Event === "Newchannel") createdAt.set(id, Number(frame.Timestamp ?? clock));
      if (frame.Event === "Newchannel" || alive.has(id)) alive.set(id, channel);
      if (frame.Event === "Hangup" && prefix === "") alive.delete(id);
    }
  }
  // Asterisk reports how long each channel has existed, as HH:MM:SS, at the snapshot's moment.
  return [...alive.entries()].map(([id, channel]) => ({
    Event: "CoreShowChannel",
    ...channel,
    Duration: hhmmss(clock - (createdAt.get(id) ?? clock)),
  }));
}

function parseFrame(text: string): Record<string, string> {
  const frame: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(": ");
    if (colon > 0) frame[line.slice(0, colon)] = line.slice(colon + 2);
  }
  return frame;
}

function hhmmss(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}
