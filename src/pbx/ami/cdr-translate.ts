import type { PbxEvent, Recovery } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { AmiTranslatorOptions } from "./ami-channels.ts";
import type { AmiFrame } from "./ami-fields.ts";
import { AmiTranslator } from "./ami-translate.ts";

/** One row of Asterisk's CDR (FreePBX's `asteriskcdrdb.cdr`): one per channel pair a call made. */
export interface CdrRow {
  /** When this CDR began (`calldate`, or cdr_csv's `start`). */
  readonly start: Instant;
  readonly src: string;
  readonly dst: string;
  readonly dcontext: string;
  readonly channel: string;
  readonly dstchannel: string;
  /** Seconds from start to end, and of them talking. */
  readonly duration: number;
  readonly billsec: number;
  /** ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION. */
  readonly disposition: string;
  readonly uniqueid: string;
  /** Absent on older tables: the call is then its first channel's uniqueid. */
  readonly linkedid: string | null;
}

export interface CdrTranslation {
  readonly events: PbxEvent[];
  readonly calls: number;
  readonly skipped: number;
}

const DIAL_STATUS: Readonly<Record<string, string>> = {
  ANSWERED: "ANSWER",
  "NO ANSWER": "NOANSWER",
  BUSY: "BUSY",
  FAILED: "CHANUNAVAIL",
  CONGESTION: "CONGESTION",
};

/** A leg that stops ringing within this of another's answer was answered elsewhere (cause 26). */
const ELSEWHERE_MS = 1500;

const timestamp = (at: number): string =>
  `${Math.floor(at / 1000)}.${String(((at % 1000) + 1000) % 1000).padStart(3, "0")}`;

/**
 * CDR rows → the events of the calls they summarise, where CEL is off: less detail than CEL (no
 * ring times but the start, one leg per destination channel, its end from the duration), said so
 * on each record (`recovered.via = "cdr"`). The rows are read as the AMI events the same moments
 * would have given and go through the one AmiTranslator, so handsets and trunks are judged by the
 * same rules. CDR knows no destination channel's uniqueid: a leg is named `<uniqueid>:dst<n>`, so
 * its events never meet the live stream's; the caller (PbxGaps) keeps only calls the box never saw.
 */
export function translateCdr(
  rows: readonly CdrRow[],
  options: AmiTranslatorOptions & { readonly recovered: Recovery },
): CdrTranslation {
  const valid = rows.filter((row) => row.uniqueid !== "" && row.channel !== "" && Number.isFinite(row.start));
  const calls = new Map<string, CdrRow[]>();
  for (const row of [...valid].sort((a, b) => a.start - b.start)) {
    const id = row.linkedid || row.uniqueid;
    calls.set(id, [...(calls.get(id) ?? []), row]);
  }
  const translator = new AmiTranslator(options);
  const events: PbxEvent[] = [];
  const send = (frame: AmiFrame) => events.push(...translator.translate(frame));
  for (const [callId, parts] of calls) {
    const first = parts[0];
    if (first === undefined) continue;
    const origin = { Channel: first.channel, Uniqueid: callId, Linkedid: callId };
    send({
      Event: "Newchannel",
      ...origin,
      ChannelState: "4",
      CallerIDNum: first.src,
      Exten: first.dst,
      Context: first.dcontext,
      Timestamp: timestamp(first.start),
    });
    let end = first.start;
    // A ring group's other phones stop when one answers; their CDR still says NO ANSWER.
    const answers = parts
      .filter((part) => part.dstchannel !== "" && part.disposition.toUpperCase() === "ANSWERED")
      .map((part) => part.start + (part.duration - part.billsec) * 1000);
    const hangups: { at: number; frame: AmiFrame }[] = [];
    parts.forEach((part, n) => {
      const partEnd = part.start + part.duration * 1000;
      end = Math.max(end, partEnd);
      if (part.dstchannel === "") return;
      const dest = { Channel: part.dstchannel, Uniqueid: `${part.uniqueid}:dst${n}`, Linkedid: callId };
      const stoppedByAnswer =
        part.disposition.toUpperCase() !== "ANSWERED" &&
        answers.some((at) => Math.abs(partEnd - at) <= ELSEWHERE_MS);
      const status = stoppedByAnswer ? "CANCEL" : (DIAL_STATUS[part.disposition.toUpperCase()] ?? "NOANSWER");
      const dial = {
        Channel: first.channel,
        Uniqueid: callId,
        DestChannel: dest.Channel,
        DestUniqueid: dest.Uniqueid,
        DestLinkedid: callId,
      };
      // The CDR says nothing of the destination's own context: only its device places it.
      send({ Event: "Newchannel", ...dest, ChannelState: "0", Timestamp: timestamp(part.start) });
      send({ Event: "DialBegin", ...dial, Timestamp: timestamp(part.start) });
      if (status === "ANSWER") {
        const answered = partEnd - part.billsec * 1000;
        send({ Event: "Newstate", ...dest, ChannelState: "6", Timestamp: timestamp(answered) });
        send({ Event: "DialEnd", ...dial, DialStatus: status, Timestamp: timestamp(answered) });
      } else {
        send({ Event: "DialEnd", ...dial, DialStatus: status, Timestamp: timestamp(partEnd) });
      }
      hangups.push({
        at: partEnd,
        frame: { Event: "Hangup", ...dest, Cause: status === "ANSWER" ? "16" : stoppedByAnswer ? "26" : "0" },
      });
    });
    for (const { at, frame } of hangups.sort((a, b) => a.at - b.at))
      send({ ...frame, Timestamp: timestamp(at) });
    send({ Event: "Hangup", ...origin, Cause: "16", Timestamp: timestamp(end) });
  }
  return {
    events: events.map((event) => ({ ...event, recovered: options.recovered })),
    calls: calls.size,
    skipped: rows.length - valid.length,
  };
}
