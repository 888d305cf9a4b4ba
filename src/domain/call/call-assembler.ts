import { type CallError, type CallErrorCode, callError } from "./call-errors.ts";
import { endingFor, outcomeOf } from "./call-outcome.ts";
import type { AssembledCall, AssembledLeg } from "./call-types.ts";
import { legTransition, newLeg } from "./leg-state.ts";
import type { PbxEvent } from "./pbx-event.ts";
import { learnParties, openCall, snapshot, type Tracked, validate } from "./tracked-call.ts";

/** What one event did. Calls are copies: later events never change what an update handed out. */
export interface AssemblerUpdate {
  /** Calls whose state changed with this event (a finished call is also listed here). */
  readonly changed: AssembledCall[];
  /** Calls this event finished (`call-end`): final, to be attributed and recorded. */
  readonly finished: AssembledCall[];
  /** Call ids absorbed into another call by an attended transfer: they never finish on their own. */
  readonly absorbed: string[];
  /** The event was refused and changed nothing: count it, log it, go on. */
  readonly rejected: CallError | null;
}

export interface CallAssemblerOptions {
  /** How many finished calls' ids are remembered, to refuse their late events (default 10,000). */
  readonly rememberFinished?: number;
  /** How many of the latest finished calls are kept whole, for `get` (default 100, at most `rememberFinished`). */
  readonly keepFinishedCalls?: number;
}

type Step =
  | { readonly error: CallError }
  | { readonly changed: boolean; readonly main?: Tracked; readonly absorbed?: string[] };

const NO_CHANGE: Step = { changed: false };
const CHANGED: Step = { changed: true };
const NOTHING: AssemblerUpdate = { changed: [], finished: [], absorbed: [], rejected: null };

/**
 * Folds normalized PBX events into calls: one leg state machine per handset (leg-state.ts), one
 * call per conversation attempt however many handsets it rang. Pure and deterministic: the same
 * events in the same order give the same calls, so replaying the journal into a fresh assembler
 * rebuilds exactly what was live.
 *
 * Events arrive per call in PBX order, calls interleaved. An event that cannot apply (a duplicate,
 * one out of order, one after `call-end`) is refused as a value with a code and changes nothing.
 * A call first seen mid-way (it started before the box, or its `call-start` comes late after a
 * resync) is created from what the event carries; its `call-start`, when it comes, fills it in.
 *
 * Transfers are joined through the transfer event, never through Linkedid: an attended transfer
 * names the consultation call, whose target leg moves into the main call; the consultation's id
 * then points at the main call, and its own `call-end` is no news.
 */
export class CallAssembler {
  private readonly calls = new Map<string, Tracked>();
  private readonly absorbedInto = new Map<string, string>();
  /**
   * Finished call ids (and the ids they absorbed) → the finished call's id, oldest first, bounded:
   * only ids, so that a box remembers many calls' ids for little memory (whole calls weigh KBs).
   */
  private readonly done = new Map<string, string>();
  /** The latest finished calls themselves, by id, oldest first, bounded. */
  private readonly recent = new Map<string, AssembledCall>();
  private readonly counts = new Map<CallErrorCode, number>();
  private readonly rememberFinished: number;
  private readonly keepFinishedCalls: number;

  constructor(options: CallAssemblerOptions = {}) {
    this.rememberFinished = options.rememberFinished ?? 10_000;
    this.keepFinishedCalls = Math.min(this.rememberFinished, options.keepFinishedCalls ?? 100);
  }

  apply(event: PbxEvent): AssemblerUpdate {
    const update = this.step(event);
    if (update.rejected !== null) {
      const code = update.rejected.code;
      this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
    }
    return update;
  }

  /** Calls going on now, in the order they appeared. */
  live(): AssembledCall[] {
    return [...this.calls.values()].map((tracked) => snapshot(tracked.call));
  }

  /** A live or recently finished call; an absorbed consultation's id names the call that absorbed it. */
  get(callId: string): AssembledCall | null {
    const live = this.calls.get(this.absorbedInto.get(callId) ?? callId);
    if (live !== undefined) return snapshot(live.call);
    const done = this.recent.get(this.done.get(callId) ?? "");
    return done === undefined ? null : snapshot(done);
  }

  /** Entries held per table: live calls, absorbed ids, finished ids and whole finished calls (bounded). */
  sizes(): {
    readonly live: number;
    readonly absorbed: number;
    readonly finished: number;
    readonly recent: number;
  } {
    return {
      live: this.calls.size,
      absorbed: this.absorbedInto.size,
      finished: this.done.size,
      recent: this.recent.size,
    };
  }

  /** Refused events so far, in all and by code. */
  rejections(): {
    readonly total: number;
    readonly byCode: Readonly<Partial<Record<CallErrorCode, number>>>;
  } {
    const byCode = Object.fromEntries(this.counts) as Partial<Record<CallErrorCode, number>>;
    return { total: [...this.counts.values()].reduce((a, b) => a + b, 0), byCode };
  }

  private step(event: PbxEvent): AssemblerUpdate {
    const invalid = validate(event);
    if (invalid !== null) return refused(invalid);
    const id = this.absorbedInto.get(event.callId) ?? event.callId;
    const done = this.done.get(id);
    // An absorbed consultation's own end, before or after the main call's end, is no news.
    if (event.kind === "call-end" && (id !== event.callId || (done !== undefined && done !== id)))
      return NOTHING;
    if (done !== undefined) {
      return refused(callError("CALL.AFTER_END", `call ${event.callId}: ${event.kind} after call-end`));
    }
    const existing = this.calls.get(id);
    const tracked = existing ?? this.track(openCall(id, event));
    if (event.legId !== null && tracked.dropped.has(event.legId)) return NOTHING;
    // R2.5: a recording may come with any event, often the last: it is in the call before it finishes.
    const recordingBefore = tracked.call.recordingUrl;
    if (event.recordingUrl) tracked.call.recordingUrl = event.recordingUrl;
    const step = this.dispatch(tracked, event);
    if ("error" in step) {
      tracked.call.recordingUrl = recordingBefore;
      if (existing === undefined) this.calls.delete(id);
      return refused(step.error);
    }
    const call = snapshot((step.main ?? tracked).call);
    const changed = step.changed || existing === undefined || Boolean(event.recordingUrl);
    return {
      changed: changed ? [call] : [],
      finished: event.kind === "call-end" ? [call] : [],
      absorbed: step.absorbed ?? [],
      rejected: null,
    };
  }

  private dispatch(tracked: Tracked, event: PbxEvent): Step {
    switch (event.kind) {
      case "call-start":
        if (tracked.startSeen)
          return { error: callError("CALL.DUPLICATE_START", `call ${event.callId}: second call-start`) };
        tracked.startSeen = true;
        learnParties(tracked, event);
        return CHANGED;
      case "queued":
        if (tracked.call.queuedAt !== null) return NO_CHANGE;
        tracked.call.queuedAt = event.at;
        return CHANGED;
      case "ringing":
        return this.move(tracked, event, (leg) => legTransition(leg, { to: "ringing", at: event.at }));
      case "answered":
        return this.answer(tracked, event);
      case "leg-ended":
        return this.endLeg(tracked, event);
      case "voicemail":
        return this.voicemail(tracked, event);
      case "transfer":
        return this.transfer(tracked, event);
      case "call-end":
        return this.end(tracked, event);
    }
  }

  private track(tracked: Tracked): Tracked {
    this.calls.set(tracked.call.id, tracked);
    return tracked;
  }

  /** The event's leg, created from its extension when new; then `change` moves it through the guard. */
  private move(tracked: Tracked, event: PbxEvent, change: (leg: AssembledLeg) => CallError | null): Step {
    const legId = event.legId ?? "";
    let leg = tracked.call.legs.find((l) => l.id === legId);
    if (leg === undefined) {
      if (event.extension === null) {
        return {
          error: callError(
            "CALL.UNKNOWN_LEG",
            `call ${event.callId}: ${event.kind} for unknown leg ${legId}`,
          ),
        };
      }
      leg = newLeg(legId, event.extension, false, tracked.transferFrom);
      tracked.call.legs.push(leg);
    }
    const error = change(leg);
    return error === null ? CHANGED : { error };
  }

  private answer(tracked: Tracked, event: PbxEvent): Step {
    const call = tracked.call;
    if (event.legId !== null && tracked.impliedAnswers.delete(event.legId)) return NO_CHANGE;
    const step = this.move(tracked, event, (leg) => legTransition(leg, { to: "answered", at: event.at }));
    if ("error" in step) return step;
    call.answeredAt ??= event.at;
    const answered = call.legs.find((leg) => leg.id === event.legId);
    if (answered?.placedCall === false) {
      // The far end of a placed call answered: the placing leg is talking too.
      for (const placer of call.legs.filter((leg) => leg.placedCall && leg.answeredAt === null)) {
        if (legTransition(placer, { to: "answered", at: event.at }) === null)
          tracked.impliedAnswers.add(placer.id);
      }
    }
    return step;
  }

  private endLeg(tracked: Tracked, event: PbxEvent): Step {
    const found = tracked.call.legs.find((leg) => leg.id === event.legId);
    // The transferer's channel hangs up after its transfer: the leg already ended `transferred`.
    if (found?.ending === "transferred") return NO_CHANGE;
    const cause = event.cause ?? "normal";
    return this.move(tracked, event, (leg) => {
      const byAnother = tracked.call.legs.some((other) => other !== leg && other.answeredAt !== null);
      return legTransition(leg, {
        to: "ended",
        at: event.at,
        ending: endingFor(leg, cause, byAnother),
        cause,
      });
    });
  }

  /** The caller reached voicemail: handsets still ringing stop ringing because of it. */
  private voicemail(tracked: Tracked, event: PbxEvent): Step {
    const call = tracked.call;
    const before = call.voicemail;
    call.voicemail = {
      at: before?.at ?? event.at,
      extension: event.extension ?? before?.extension ?? null,
      leftMessage: before?.leftMessage === true || event.leftMessage === true,
    };
    for (const leg of call.legs) {
      if (leg.placedCall || leg.state === "answered" || leg.state === "ended") continue;
      legTransition(leg, { to: "ended", at: event.at, ending: "voicemail", cause: "no-answer" });
    }
    return CHANGED;
  }

  /**
   * Blind (R2.3): the transferer's leg ends `transferred`; legs that appear next come from it.
   * Attended (R2.4): the same, and the consultation call is absorbed: its target leg moves into
   * this call, the transferer's consultation leg is dropped. No transfer event (the colleague
   * declined) leaves both calls as they are: the consultation is an ordinary internal call.
   */
  private transfer(tracked: Tracked, event: PbxEvent): Step {
    const info = event.transfer;
    if (info === undefined) return NO_CHANGE;
    const main = this.holderOf(info.fromLegId, tracked);
    const from = main?.call.legs.find((leg) => leg.id === info.fromLegId);
    if (main === undefined || from === undefined) {
      return {
        error: callError(
          "CALL.UNKNOWN_LEG",
          `call ${event.callId}: transfer from unknown leg ${info.fromLegId}`,
        ),
      };
    }
    if (from.state === "ended" && from.ending === "completed") {
      // The transfer reported after the transferer's own hangup (another PBX's order, or a
      // resync): the talk it ended was a transfer, and the legs that came after it are its.
      from.ending = "transferred";
      const after = main.call.legs.slice(main.call.legs.indexOf(from) + 1);
      for (const leg of after)
        if (leg.transferredFrom === null && !leg.placedCall) leg.transferredFrom = from.id;
    } else {
      const error = legTransition(from, {
        to: "ended",
        at: event.at,
        ending: "transferred",
        cause: "normal",
      });
      if (error !== null) return { error };
    }
    main.transferFrom = from.id;
    const consultId = info.consultCallId;
    if (info.kind !== "attended" || consultId === null || consultId === main.call.id)
      return { changed: true, main };
    this.absorb(main, consultId, info.toLegId, from.id);
    return { changed: true, main, absorbed: [consultId] };
  }

  private absorb(main: Tracked, consultId: string, toLegId: string | null, fromLegId: string): void {
    const consult = this.calls.get(consultId);
    this.calls.delete(consultId);
    const ids = [consultId, ...(consult?.call.absorbed ?? [])];
    for (const id of ids) this.absorbedInto.set(id, main.call.id);
    main.call.absorbed.push(...ids);
    if (consult === undefined) return;
    for (const leg of consult.call.legs) {
      if (leg.id === toLegId) main.call.legs.push({ ...leg, transferredFrom: fromLegId });
      else main.dropped.add(leg.id);
    }
    for (const id of consult.dropped) main.dropped.add(id);
  }

  private end(tracked: Tracked, event: PbxEvent): Step {
    const call = tracked.call;
    const answered = call.legs.some((leg) => leg.answeredAt !== null);
    for (const leg of call.legs) {
      if (leg.state === "ended") continue;
      const cause = leg.state === "answered" ? "normal" : answered ? "answered-elsewhere" : "cancelled";
      legTransition(leg, { to: "ended", at: event.at, ending: endingFor(leg, cause, answered), cause });
    }
    call.endedAt = event.at;
    call.finished = true;
    call.outcome = outcomeOf(call.legs, call.voicemail);
    this.calls.delete(call.id);
    const final = snapshot(call);
    const doneId = ownCopy(call.id);
    for (const id of [call.id, ...call.absorbed]) {
      this.absorbedInto.delete(id);
      this.done.set(id === call.id ? doneId : ownCopy(id), doneId);
    }
    this.recent.set(call.id, final);
    for (const id of this.recent.keys()) {
      if (this.recent.size <= this.keepFinishedCalls) break;
      this.recent.delete(id);
    }
    for (const id of this.done.keys()) {
      if (this.done.size <= this.rememberFinished) break;
      this.done.delete(id);
    }
    return CHANGED;
  }

  /** The live call holding `legId`: the event's own call first (a transfer names its main call). */
  private holderOf(legId: string, first: Tracked): Tracked | undefined {
    if (first.call.legs.some((leg) => leg.id === legId)) return first;
    return [...this.calls.values()].find((t) => t.call.legs.some((leg) => leg.id === legId));
  }
}

const refused = (error: CallError): AssemblerUpdate => ({ ...NOTHING, rejected: error });

/**
 * A copy of `id` that shares no memory with the text it was cut from. An id a source sliced out of
 * what it read (an AMI header of a 64 KB socket read, a SIP NOTIFY body) is a substring, and Bun's
 * engine keeps the whole text alive as long as the substring lives: 10,000 remembered ids held
 * ~1.4 KB each, tens of MB over a month. JSON text is parsed into new strings.
 */
const ownCopy = (id: string): string => JSON.parse(JSON.stringify(id)) as string;
