import type { PartyNumber, PbxEvent } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import { type LegRef, PbxEventFactory } from "../pbx-events.ts";
import { mangoLegId, resultDone } from "./mango-commands.ts";
import { causeOfDisconnect } from "./mango-disconnect.ts";
import {
  type MangoCallEvent,
  type MangoParty,
  type MangoStatsEntry,
  readCallEvent,
  readRecording,
  readStatsEntry,
  readSummary,
} from "./mango-payload.ts";

/** A `mango.event` record of the `pbx` down stream, as HQ relays it (docs/contract.md). */
export interface MangoRecordData {
  readonly kind: "call" | "summary" | "recording" | "dtmf" | "stats";
  readonly json: Readonly<Record<string, unknown>>;
  /** When HQ received it (HQ's clock, ms). */
  readonly receivedAt: number;
}

export interface MangoTranslatorOptions {
  readonly source: string;
  /** How long an event waits for the lower `seq` of its leg before it is applied anyway (ms). */
  readonly reorderMs?: number;
  /** How long after its last leg ended a call with no `events/summary` ends anyway (ms, ≤ 30 s). */
  readonly graceMs?: number;
  /** How many ended entries are remembered, so that their late events are no news. */
  readonly rememberEnded?: number;
}

/** Why events were not turned into anything; each is counted, nothing is invented for it. */
export type MangoUnplaced =
  | "invalid-call"
  | "invalid-summary"
  | "invalid-recording"
  | "stale-seq"
  | "seq-gap"
  | "after-end"
  | "summary-unknown-entry"
  | "recording-unknown-entry"
  | "recording-not-saved"
  | "invalid-stats"
  | "stats-after-end"
  | "dtmf";

export interface MangoTranslatorStats {
  readonly records: number;
  readonly unplaced: Readonly<Partial<Record<MangoUnplaced, number>>>;
  /** Entries (calls) held in memory: live ones only. */
  readonly liveEntries: number;
}

interface BoxLeg extends LegRef {
  readonly extension: string;
  readonly placing: boolean;
  rang: boolean;
  answered: boolean;
  ended: boolean;
}

/** One Mango `call_id`: a leg of the VPBX (IVR, queue, or an employee's phone ringing). */
interface MangoLeg {
  readonly callId: string;
  /** The box's call it belongs to: the entry, or a consultation of its own until a transfer joins it. */
  boxCallId: string;
  applied: number;
  readonly pending: Map<number, { readonly event: MangoCallEvent; readonly receivedAt: number }>;
  seen: boolean;
  ended: boolean;
  placer: BoxLeg | null;
  target: BoxLeg | null;
  /** A consultation: the answered leg of the employee who placed it from inside the entry. */
  consultOf: BoxLeg | null;
  /**
   * A callback's first leg (`commands/callback`, R2.1): the employee's own phone ringing for the
   * call they place. Its answer is not the call's; its normal end hands the placer to the leg
   * Mango then dials the number in (`taken_from_call_id` = this leg).
   */
  callback: boolean;
}

interface Entry {
  readonly id: string;
  started: boolean;
  readonly legs: Map<string, MangoLeg>;
  /** When the last Mango leg ended: Mango's time, and HQ's receipt time for the grace period. */
  lastEnd: { readonly at: Instant; readonly receivedAt: number } | null;
  summary: { readonly at: Instant | null; readonly receivedAt: number } | null;
  recording: "open" | "done" | null;
  recordingUrl: string | null;
  /** The latest Mango time seen in it: the end of a call whose summary gives none. */
  lastAt: Instant;
  /** A callback's placer, between its first leg's end and the dialled leg: that leg carries it on. */
  handedOver: { readonly fromCallId: string; readonly placer: BoxLeg } | null;
}

/** Mango's outside numbers are international digits without "+" (79161234567): made E.164. */
export function mangoNumber(number: string | null): string | null {
  if (number === null) return null;
  return /^\d{11,15}$/.test(number) ? `+${number}` : number;
}

const partyOf = (p: MangoParty): PartyNumber => ({ number: mangoNumber(p.number), extension: p.extension });

/** The link the box keeps for a Mango recording: HQ fetches it with `queries/recording/post` (R2.5). */
export const mangoRecordingUrl = (recordingId: string): string => `mango:recording:${recordingId}`;

/**
 * Mango Office webhooks (relayed by HQ as `mango.event` records) → normalized PbxEvents. Pure: no
 * I/O and no clock; `tick(now)` is how time passes (the source calls it on its own timer).
 *
 * - The box's call is Mango's `entry_id` ("assigned on arrival, never changes": IVR, queue,
 *   forwards and transfers keep it). A Mango `call_id` is a VPBX leg; one at `location: abonent`
 *   with `to.extension` is an employee's phone ringing: a box leg `${call_id}:${extension}`. IVR
 *   and queue legs are no box legs: the first gives `call-start` and `queued` (R0.1).
 * - Per `call_id`, events apply in `seq` order ("notifications may be sent in parallel"): a lower
 *   or repeated seq is dropped and counted; a higher one waits up to `reorderMs` for the missing
 *   one, then applies and the gap is counted.
 * - `Appeared` → `ringing`, `Connected` → `answered`, `OnHold` → nothing (the talk goes on),
 *   `Disconnected` → `leg-ended` with the cause read from `disconnect_reason` (mango-disconnect.ts).
 *   An employee who places a call (`from.extension`) is its first leg (outbound, internal).
 * - A leg placed from inside the entry by an employee who is talking in it (the API's transfer
 *   examples: the held call's employee calls a colleague) is a consultation: a call of its own,
 *   as Asterisk shows it. When the employee hangs up the client while it is live, Mango joins the
 *   client to it (`from.taken_from_call_id` names the employee's leg): a `transfer` that absorbs
 *   the consultation. Mango's blind transfer rings the colleague from the employee first too, so
 *   both methods read the same; a consultation that ends first was declined (an internal call).
 *   A later leg that came from an unanswered one (`taken_from_call_id`) is a forward or a route:
 *   just the next leg.
 * - A callback (`commands/callback`, R2.1; the API document's "Инициирование исходящего вызова"):
 *   the entry's first leg carries a `command_id`, rings the employee (`to`) and shows whom it will
 *   dial (`from`). It is the employee placing a call: their answer there is not the call's answer.
 *   When it ends normally (10xx), Mango dials in a new leg taken from it, which carries the
 *   employee's placing leg on; the call is answered when that leg is (never by the employee alone).
 * - `events/summary` ends the call (`call-end`); without one, `graceMs` after its last leg ended.
 *   A recording started and not completed holds the end until it completes (or the grace
 *   passes), so that its link is in the call (R2.5): `events/recording` Completed gives it.
 * - A `stats` record (HQ found the entry in Mango's statistics for a gap in which it could have
 *   missed the webhooks, docs/contract.md) of an entry it never saw is one finished call, as the
 *   statistics tell it and no more: started at the first row's start, each row an employee's leg
 *   (`to_extension`) that rang, was answered at `answer` (0: never) and ended at `finish` with
 *   its `disconnect_reason`; the caller, the line, the recording of its `records`. For an entry
 *   with legs and no summary it is the last word: the call ends at its finish. For an entry
 *   already ended it changes nothing (the summary wins): counted `stats-after-end`.
 * - An event it cannot place (no entry or leg, a summary or recording of an entry it never saw, a
 *   late one) creates nothing and is counted by reason (`stats().unplaced`).
 */
export class MangoTranslator {
  readonly source: string;
  private readonly make: PbxEventFactory;
  private readonly reorderMs: number;
  private readonly graceMs: number;
  private readonly remember: number;
  private readonly entries = new Map<string, Entry>();
  private readonly ended = new Set<string>();
  private readonly unplaced = new Map<MangoUnplaced, number>();
  private records = 0;

  constructor(options: MangoTranslatorOptions) {
    this.source = options.source;
    this.make = new PbxEventFactory(options.source);
    this.reorderMs = options.reorderMs ?? 2_000;
    this.graceMs = Math.min(options.graceMs ?? 30_000, 30_000);
    this.remember = options.rememberEnded ?? 10_000;
  }

  stats(): MangoTranslatorStats {
    return {
      records: this.records,
      unplaced: Object.fromEntries(this.unplaced),
      liveEntries: this.entries.size,
    };
  }

  /** One relayed record; what it makes known now (an early `seq` may wait for `tick`). */
  accept(record: MangoRecordData): PbxEvent[] {
    this.records++;
    switch (record.kind) {
      case "call":
        return this.call(record);
      case "summary":
        return this.summary(record);
      case "recording":
        return this.recording(record);
      case "dtmf":
        return this.count("dtmf");
      case "stats":
        return this.statsEntry(record);
    }
  }

  /** Time passed: events that waited for a missing `seq`, and calls whose grace period is over. */
  tick(now: number): PbxEvent[] {
    const events: PbxEvent[] = [];
    for (const entry of [...this.entries.values()]) {
      for (const leg of entry.legs.values()) {
        const waited = [...leg.pending.values()].some((p) => p.receivedAt + this.reorderMs <= now);
        if (waited) events.push(...this.flush(entry, leg, true));
      }
      const since = entry.summary?.receivedAt ?? entry.lastEnd?.receivedAt ?? null;
      const quiet = [...entry.legs.values()].every((leg) => leg.ended || !leg.seen);
      if (since !== null && quiet && since + this.graceMs <= now) events.push(...this.end(entry));
    }
    return events;
  }

  private count(reason: MangoUnplaced): [] {
    this.unplaced.set(reason, (this.unplaced.get(reason) ?? 0) + 1);
    return [];
  }

  private call(record: MangoRecordData): PbxEvent[] {
    const event = readCallEvent(record.json);
    if (event === null) return this.count("invalid-call");
    if (this.ended.has(event.entryId)) return this.count("after-end");
    const entry = this.entries.get(event.entryId) ?? this.open(event.entryId);
    const leg = entry.legs.get(event.callId) ?? this.openLeg(entry, event.callId);
    if (event.seq <= leg.applied || leg.pending.has(event.seq)) return this.count("stale-seq");
    leg.pending.set(event.seq, { event, receivedAt: record.receivedAt });
    return this.flush(entry, leg, false);
  }

  private open(id: string): Entry {
    const entry: Entry = {
      id,
      started: false,
      legs: new Map(),
      lastEnd: null,
      summary: null,
      recording: null,
      recordingUrl: null,
      lastAt: 0,
      handedOver: null,
    };
    this.entries.set(id, entry);
    return entry;
  }

  private openLeg(entry: Entry, callId: string): MangoLeg {
    const leg: MangoLeg = {
      callId,
      boxCallId: entry.id,
      applied: 0,
      pending: new Map(),
      seen: false,
      ended: false,
      placer: null,
      target: null,
      consultOf: null,
      callback: false,
    };
    entry.legs.set(callId, leg);
    return leg;
  }

  /** Applies the leg's waiting events in `seq` order: the next ones, or (`force`) all of them. */
  private flush(entry: Entry, leg: MangoLeg, force: boolean): PbxEvent[] {
    const events: PbxEvent[] = [];
    for (const seq of [...leg.pending.keys()].sort((a, b) => a - b)) {
      const waiting = leg.pending.get(seq);
      if (waiting === undefined) continue;
      if (seq !== leg.applied + 1) {
        if (!force) break;
        this.count("seq-gap");
      }
      leg.pending.delete(seq);
      leg.applied = seq;
      if (this.entries.get(entry.id) !== entry) {
        this.count("after-end");
        continue;
      }
      events.push(...this.apply(entry, leg, waiting.event, waiting.receivedAt));
    }
    return events;
  }

  private apply(entry: Entry, leg: MangoLeg, event: MangoCallEvent, receivedAt: number): PbxEvent[] {
    const events: PbxEvent[] = [];
    entry.lastAt = Math.max(entry.lastAt, event.at);
    if (!leg.seen) {
      leg.seen = true;
      events.push(...this.place(entry, leg, event));
    }
    if (leg.ended) return events;
    switch (event.state) {
      case "Appeared":
        // Mango repeats Appeared when it puts the client in a leg that already rang (a transfer).
        if (leg.target !== null && !leg.target.rang && !leg.target.answered) {
          leg.target.rang = true;
          events.push(this.make.leg("ringing", leg.target, event.at));
        }
        break;
      case "Connected": {
        // The employee picked up their own phone to place the call: the call is not answered yet.
        if (leg.callback) break;
        const talking = leg.target ?? leg.placer;
        if (talking !== null && !talking.answered) {
          talking.answered = true;
          events.push(this.make.leg("answered", talking, event.at));
        }
        break;
      }
      case "OnHold":
        break;
      case "Disconnected":
        events.push(...this.disconnect(entry, leg, event, receivedAt));
        break;
    }
    return events;
  }

  /** A `call_id` seen for the first time: which call it is in, which box legs it has. */
  private place(entry: Entry, leg: MangoLeg, event: MangoCallEvent): PbxEvent[] {
    const employeeLeg = event.location === null || event.location === "abonent";
    const fromExt = event.from.extension;
    const toExt = employeeLeg ? event.to.extension : null;
    const handedOver = entry.handedOver;
    if (handedOver !== null && event.from.takenFromCallId === handedOver.fromCallId) {
      // The callback dials the number: the placer's leg goes on in this one.
      entry.handedOver = null;
      leg.placer = handedOver.placer;
      if (toExt !== null && toExt !== handedOver.placer.extension)
        leg.target = this.boxLeg(leg, toExt, false);
      return [];
    }
    if (!entry.started && event.commandId !== null && event.from.takenFromCallId === null && toExt !== null) {
      // A callback's first leg rings the employee, showing the number it will dial (`from`).
      entry.started = true;
      leg.callback = true;
      leg.placer = this.boxLeg(leg, toExt, true);
      return [
        this.make.callStart(entry.id, event.at, {
          legId: leg.placer.legId,
          extension: toExt,
          from: { number: null, extension: toExt },
          to: partyOf(event.from),
          did: null,
        }),
      ];
    }
    const consultOf = fromExt === null ? null : this.talkingLeg(entry, fromExt);
    if (consultOf !== null && fromExt !== null && toExt !== null && toExt !== fromExt) {
      leg.boxCallId = `${entry.id}:${leg.callId}`;
      leg.consultOf = consultOf;
      leg.placer = this.boxLeg(leg, fromExt, true);
      leg.target = this.boxLeg(leg, toExt, false);
      const start = this.make.callStart(leg.boxCallId, event.at, {
        legId: leg.placer.legId,
        extension: fromExt,
        from: partyOf(event.from),
        to: partyOf(event.to),
        did: null,
      });
      return [start];
    }
    const events: PbxEvent[] = [];
    if (!entry.started) {
      entry.started = true;
      if (fromExt !== null) leg.placer = this.boxLeg(leg, fromExt, true);
      events.push(
        this.make.callStart(entry.id, event.at, {
          ...(leg.placer === null ? {} : { legId: leg.placer.legId, extension: fromExt }),
          from: partyOf(event.from),
          to: partyOf(event.to),
          did: fromExt === null ? event.to.lineNumber : null,
        }),
      );
      if (event.location === "ivr" || event.location === "queue")
        events.push(this.make.event("queued", `${entry.id}:queued`, entry.id, event.at));
    }
    if (toExt !== null && toExt !== fromExt) leg.target = this.boxLeg(leg, toExt, false);
    return events;
  }

  private boxLeg(leg: MangoLeg, extension: string, placing: boolean): BoxLeg {
    return {
      legId: mangoLegId(leg.callId, extension),
      callId: leg.boxCallId,
      extension,
      placing,
      rang: false,
      answered: false,
      ended: false,
    };
  }

  /** `extension`'s answered, live leg in the entry's own call (not in a consultation). */
  private talkingLeg(entry: Entry, extension: string): BoxLeg | null {
    for (const leg of entry.legs.values()) {
      if (leg.boxCallId !== entry.id || leg.ended) continue;
      for (const box of [leg.target, leg.placer]) {
        if (box !== null && box.extension === extension && box.answered && !box.ended) return box;
      }
    }
    return null;
  }

  private disconnect(entry: Entry, leg: MangoLeg, event: MangoCallEvent, receivedAt: number): PbxEvent[] {
    const events: PbxEvent[] = [];
    leg.ended = true;
    const placer = leg.placer;
    if (
      leg.callback &&
      placer !== null &&
      event.disconnectReason !== null &&
      resultDone(event.disconnectReason)
    ) {
      // The employee answered and Mango now dials the number in a new leg: the placer lives on.
      entry.handedOver = { fromCallId: leg.callId, placer };
      entry.lastEnd = { at: event.at, receivedAt };
      return events;
    }
    for (const box of [leg.target, leg.placer]) {
      if (box === null || box.ended) continue;
      events.push(...this.joinConsultation(entry, box, event.at));
      box.ended = true;
      const cause = causeOfDisconnect(event.disconnectReason, box.answered);
      events.push(this.make.leg("leg-ended", box, event.at, { cause }));
    }
    if (leg.boxCallId !== entry.id) {
      // A consultation that ended before the employee hung up the client: declined, a call of its own.
      events.push(this.make.callEnd(leg.boxCallId, event.at));
      return events;
    }
    const live = [...entry.legs.values()].some((l) => l.seen && !l.ended && l.boxCallId === entry.id);
    if (!live) entry.lastEnd = { at: event.at, receivedAt };
    if (!live && entry.summary !== null && entry.recording !== "open") events.push(...this.end(entry));
    return events;
  }

  /**
   * `from` (an employee talking in the entry) hangs up while a consultation it placed is live:
   * Mango joins the client to the colleague. The consultation's legs move into the entry.
   */
  private joinConsultation(entry: Entry, from: BoxLeg, at: Instant): PbxEvent[] {
    if (!from.answered) return [];
    for (const consult of entry.legs.values()) {
      if (consult.consultOf !== from || consult.ended || consult.target === null) continue;
      const consultCallId = consult.boxCallId;
      const event = this.make.transfer(from, at, {
        kind: "attended",
        fromLegId: from.legId,
        toExtension: consult.target.extension,
        consultCallId,
        toLegId: consult.target.legId,
      });
      consult.boxCallId = entry.id;
      consult.consultOf = null;
      consult.target = { ...consult.target, callId: entry.id };
      if (consult.placer !== null) consult.placer.ended = true;
      return [event];
    }
    return [];
  }

  private summary(record: MangoRecordData): PbxEvent[] {
    const summary = readSummary(record.json);
    if (summary === null) return this.count("invalid-summary");
    const entry = this.entries.get(summary.entryId);
    if (entry === undefined)
      return this.count(this.ended.has(summary.entryId) ? "after-end" : "summary-unknown-entry");
    entry.summary = { at: summary.endAt, receivedAt: record.receivedAt };
    // The summary is Mango's last word on the entry: a leg still waiting for a missing seq will
    // not get it; its events apply now (the gap counted), before the call ends.
    const waiting = [...entry.legs.values()].flatMap((leg) => this.flush(entry, leg, true));
    return entry.recording === "open" ? waiting : [...waiting, ...this.end(entry)];
  }

  private recording(record: MangoRecordData): PbxEvent[] {
    const recording = readRecording(record.json);
    if (recording === null) return this.count("invalid-recording");
    const entry = this.entries.get(recording.entryId);
    if (entry === undefined)
      return this.count(this.ended.has(recording.entryId) ? "after-end" : "recording-unknown-entry");
    if (recording.state !== "Completed") {
      entry.recording = "open";
      return [];
    }
    entry.recording = "done";
    // 1000 saved; 22xx (billing) and 4002 (too short) were not saved: no link to a file that is not there.
    const saved = recording.completionCode === null || recording.completionCode === 1000;
    if (saved) entry.recordingUrl = mangoRecordingUrl(recording.recordingId);
    else this.count("recording-not-saved");
    const quiet = [...entry.legs.values()].every((leg) => leg.ended || !leg.seen);
    return entry.summary !== null && quiet ? this.end(entry) : [];
  }

  private statsEntry(record: MangoRecordData): PbxEvent[] {
    const stats = readStatsEntry(record.json);
    if (stats === null) return this.count("invalid-stats");
    if (this.ended.has(stats.entryId)) return this.count("stats-after-end");
    const finish = Math.max(...stats.rows.map((row) => row.finish));
    const open = this.entries.get(stats.entryId);
    if (open === undefined) return this.statsCall(stats, finish);
    // Legs seen, no summary: the statistics are Mango's last word, as a summary would be.
    open.summary = { at: finish, receivedAt: record.receivedAt };
    const waiting = [...open.legs.values()].flatMap((leg) => this.flush(open, leg, true));
    return [...waiting, ...this.end(open)];
  }

  /** One finished call from the statistics of an entry the box never saw (nothing more is made up). */
  private statsCall(stats: MangoStatsEntry, finish: Instant): PbxEvent[] {
    const callId = stats.entryId;
    const [first] = stats.rows;
    if (first === undefined) return [];
    const fromExt = first.from.extension;
    const placer: LegRef | null =
      fromExt === null ? null : { legId: `${callId}:${fromExt}`, callId, extension: fromExt };
    const events: PbxEvent[] = [
      this.make.callStart(callId, first.start, {
        ...(placer === null ? {} : { legId: placer.legId, extension: fromExt }),
        from: partyOf(first.from),
        to: partyOf(first.to),
        did: fromExt === null ? first.from.lineNumber : null,
      }),
    ];
    let answeredAt: Instant | null = null;
    for (const [i, row] of stats.rows.entries()) {
      const toExt = row.to.extension;
      answeredAt ??= row.answer;
      if (toExt === null || toExt === fromExt) continue;
      const target: LegRef = { legId: `${callId}:${i + 1}:${toExt}`, callId, extension: toExt };
      events.push(this.make.leg("ringing", target, row.start));
      if (row.answer !== null) events.push(this.make.leg("answered", target, row.answer));
      const cause = causeOfDisconnect(row.disconnectReason, row.answer !== null);
      events.push(this.make.leg("leg-ended", target, row.finish, { cause }));
    }
    if (placer !== null) {
      if (answeredAt !== null) events.push(this.make.leg("answered", placer, answeredAt));
      const cause = causeOfDisconnect(first.disconnectReason, answeredAt !== null);
      events.push(this.make.leg("leg-ended", placer, finish, { cause }));
    }
    const recordingId = stats.rows.flatMap((row) => row.recordingIds)[0];
    const recording = recordingId === undefined ? {} : { recordingUrl: mangoRecordingUrl(recordingId) };
    events.push(this.make.callEnd(callId, finish, recording));
    this.forget(callId);
    return events;
  }

  /** The entry is over: its open consultations and itself end (`call-end`), and it is forgotten. */
  private end(entry: Entry): PbxEvent[] {
    const at = entry.summary?.at ?? entry.lastEnd?.at ?? entry.lastAt;
    const events: PbxEvent[] = [];
    const orphan = entry.handedOver?.placer;
    if (orphan !== undefined && !orphan.ended) {
      // A callback whose number was never dialled (no leg came from its first one).
      orphan.ended = true;
      events.push(this.make.leg("leg-ended", orphan, at, { cause: "normal" }));
    }
    for (const leg of entry.legs.values()) {
      if (leg.boxCallId !== entry.id && !leg.ended) events.push(this.make.callEnd(leg.boxCallId, at));
    }
    if (entry.started) {
      const recording = entry.recordingUrl === null ? {} : { recordingUrl: entry.recordingUrl };
      events.push(this.make.callEnd(entry.id, at, recording));
    }
    this.forget(entry.id);
    return events;
  }

  /** An ended entry: its late events are no news. */
  private forget(entryId: string): void {
    this.entries.delete(entryId);
    this.ended.add(entryId);
    while (this.ended.size > this.remember) this.ended.delete(this.ended.values().next().value as string);
  }
}

/**
 * The pure translation of a whole sequence of records, in arrival order, then `tick(now)`: for
 * tests and replays. A live source keeps one MangoTranslator and ticks it on a timer.
 */
export function mangoToPbxEvents(
  records: readonly MangoRecordData[],
  now: number,
  options: MangoTranslatorOptions = { source: "mango" },
): { readonly events: PbxEvent[]; readonly stats: MangoTranslatorStats } {
  const translator = new MangoTranslator(options);
  const events = records.flatMap((record) => translator.accept(record));
  events.push(...translator.tick(now));
  return { events, stats: translator.stats() };
}
