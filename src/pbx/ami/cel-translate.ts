import type { PbxEvent, Recovery } from "../../domain/call/pbx-event.ts";
import type { AmiTranslatorOptions } from "./ami-channels.ts";
import type { AmiFrame } from "./ami-fields.ts";
import { AmiTranslator } from "./ami-translate.ts";
import { type CelRow, hangupExtra } from "./cel-rows.ts";

export interface CelTranslation {
  readonly events: PbxEvent[];
  /** Calls the rows gave (whole calls, finished or not). */
  readonly calls: number;
  /** Rows that name no channel (no uniqueid, channel or event type): counted, not guessed at. */
  readonly skipped: number;
}

/** Causes that say nothing of why a rung phone stopped (Asterisk tore it down itself). */
const SILENT_CAUSES: ReadonlySet<number | null> = new Set([null, 0, 16]);

/**
 * CEL rows → the PbxEvents the live AMI stream would have given for the same calls, under the
 * same keys (they are named by Uniqueid and Linkedid, which CEL carries), so the journal drops
 * what the live stream already delivered. The rows are read as the AMI events Asterisk sent at
 * the same moments and go through the one AmiTranslator, so a call read back is placed by the
 * same rules as a live one (handsets, Local chains, pickups, queues). CEL differs from AMI in ways
 * this bridges:
 * - no ringing is logged: a channel created for a call it did not start (a dialled phone) rings
 *   from its CHAN_START;
 * - the far end answering is an ANSWER of another channel of the call: the call's first channel
 *   hears it as its Dial's ANSWER (a placing phone is then talking);
 * - a phone that picks up a call ringing elsewhere starts as a call of its own and later shows
 *   the ringing call's linkedid: it was that call's pickup;
 * - why a rung phone stopped: its own HANGUP's cause, else the Dial status the call's first
 *   channel logged (BUSY, NOANSWER, CANCEL).
 * Event types it does not know (a platform's own `CELGenUserEvent`s, BRIDGE_*, CHAN_END) change
 * nothing. Pure: rows in, events out; every event carries `recovered`.
 */
export function translateCel(
  rows: readonly CelRow[],
  options: AmiTranslatorOptions & { readonly recovered: Recovery },
): CelTranslation {
  const valid = rows.filter((row) => row.uniqueid !== "" && row.channame !== "" && row.eventtype !== "");
  const ordered = valid
    .map((row, index) => ({ row, index }))
    .sort((a, b) => a.row.eventtime - b.row.eventtime || (a.row.id ?? a.index) - (b.row.id ?? b.index))
    .map(({ row }) => row);
  const originStatus = new Map<string, string>();
  for (const row of ordered)
    if (row.eventtype === "HANGUP" && row.uniqueid === row.linkedid) {
      const status = hangupExtra(row.extra).dialstatus;
      if (status !== null) originStatus.set(row.linkedid, status);
    }
  const translator = new AmiTranslator(options);
  const channels = new Map<string, { name: string; linkedid: string; answered: boolean }>();
  const origins = new Map<string, string>();
  const events: PbxEvent[] = [];
  const send = (frame: AmiFrame) => events.push(...translator.translate(frame));
  /**
   * A channel of one call bridged with a phone whose own call never got further (its start still
   * waits: it dialled a pickup code such as `*8` or `*88001`): the phone picked this call up and
   * is talking in it from now. Asterisk logs the phone under its own linkedid until much later.
   */
  const pickupByBridge = (row: CelRow, linkedid: string) => {
    const peer = [...channels.entries()].find(([, channel]) => channel.name === row.peer);
    const origin = origins.get(linkedid);
    if (peer === undefined || origin === undefined || peer[1].linkedid === linkedid) return;
    const [uniqueid, channel] = peer;
    const dest = { DestChannel: channel.name, DestUniqueid: uniqueid, DestLinkedid: linkedid };
    const at = timestamp(row.eventtime);
    send({
      Event: "DialBegin",
      Channel: origin,
      Uniqueid: linkedid,
      Linkedid: linkedid,
      ...dest,
      Timestamp: at,
    });
    if (translator.table.get(uniqueid)?.callId !== linkedid) return;
    channel.linkedid = linkedid;
    channel.answered = true;
    send({
      Event: "Newstate",
      Channel: channel.name,
      Uniqueid: uniqueid,
      Linkedid: linkedid,
      ChannelState: "6",
      Timestamp: at,
    });
  };
  for (const row of ordered) {
    const base = {
      Channel: row.channame,
      Uniqueid: row.uniqueid,
      Linkedid: row.linkedid,
      Timestamp: timestamp(row.eventtime),
    };
    const known = channels.get(row.uniqueid);
    if (row.eventtype === "CHAN_START" && known === undefined) {
      channels.set(row.uniqueid, { name: row.channame, linkedid: row.linkedid, answered: false });
      if (row.uniqueid === row.linkedid) origins.set(row.linkedid, row.channame);
      send({
        Event: "Newchannel",
        ...base,
        ChannelState: "0",
        CallerIDNum: row.cidNum,
        Exten: row.exten,
        Context: row.context,
      });
      if (row.uniqueid !== row.linkedid) send({ Event: "Newstate", ...base, ChannelState: "5" });
      continue;
    }
    if (known === undefined) continue;
    const origin = origins.get(row.linkedid);
    /** What the call's first channel's Dial did with this channel (AMI's DialBegin / DialEnd). */
    const dial = (event: "DialBegin" | "DialEnd", status?: string) => {
      if (origin === undefined) return;
      send({
        Event: event,
        Channel: origin,
        Uniqueid: row.linkedid,
        Linkedid: row.linkedid,
        DestChannel: row.channame,
        DestUniqueid: row.uniqueid,
        DestLinkedid: row.linkedid,
        ...(status === undefined ? {} : { DialStatus: status }),
        Timestamp: base.Timestamp,
      });
    };
    if (known.linkedid !== row.linkedid) {
      // A phone that began as a call of its own now belongs to another call: it picked it up.
      known.linkedid = row.linkedid;
      dial("DialBegin");
    }
    switch (row.eventtype) {
      case "BRIDGE_ENTER":
        pickupByBridge(row, known.linkedid);
        break;
      case "ANSWER":
        send({ Event: "Newstate", ...base, ChannelState: "6" });
        if (row.uniqueid !== row.linkedid && !row.channame.startsWith("Local/") && !known.answered)
          dial("DialEnd", "ANSWER");
        known.answered = true;
        break;
      case "HANGUP": {
        const { cause, dialstatus } = hangupExtra(row.extra);
        const status = dialstatus ?? (SILENT_CAUSES.has(cause) ? originStatus.get(row.linkedid) : undefined);
        if (row.uniqueid !== row.linkedid && !known.answered && status !== undefined && status !== "ANSWER")
          dial("DialEnd", status);
        send({ Event: "Hangup", ...base, ...(cause === null ? {} : { Cause: String(cause) }) });
        channels.delete(row.uniqueid);
        break;
      }
      case "APP_START":
        if (row.appname === "Queue")
          send({ Event: "QueueCallerJoin", ...base, Queue: row.appdata.split(",")[0] ?? "" });
        else if (row.appname === "VoiceMail")
          send({ Event: "Newexten", ...base, Application: "VoiceMail", AppData: row.appdata });
        break;
    }
  }
  const calls = new Set(events.map((event) => event.callId)).size;
  return {
    events: events.map((event) => ({ ...event, recovered: options.recovered })),
    calls,
    skipped: rows.length - valid.length,
  };
}

/** An instant as AMI's `Timestamp` (seconds with a fraction), which the translator reads. */
const timestamp = (at: number): string =>
  `${Math.floor(at / 1000)}.${String(((at % 1000) + 1000) % 1000).padStart(3, "0")}`;
