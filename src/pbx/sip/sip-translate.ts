import type { LegEndCause, PbxEvent } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import { PbxEventFactory } from "../pbx-events.ts";
import { type Dialog, type DialogInfo, type DialogState, stateRank } from "./dialog-info.ts";
import { identityUser, partyOf } from "./sip-party.ts";

export interface SipTranslatorOptions {
  readonly source: string;
  /** The watched extensions: their dialogs are legs, and a party that is one is "an extension". */
  readonly extensions: readonly string[];
  /** How many ended calls are remembered, so that their lingering dialogs are not news. */
  readonly rememberEnded?: number;
  /**
   * The box's own SIP user: a dialog whose remote party is it is the box's click-to-call leg
   * (sip-control.ts), not a call; the call the phone then places is.
   */
  readonly ownUser?: string;
}

export interface SipTranslatorStats {
  readonly notifies: number;
  /** NOTIFYs whose version was not newer than the last one of the same subscription. */
  readonly staleDocuments: number;
  /** Dialog states that went backwards (a reordered NOTIFY): dropped. */
  readonly staleStates: number;
  /** Legs held in memory (live calls' legs only: an ended call's are forgotten). */
  readonly trackedLegs: number;
}

/** One watched extension's part in one SIP dialog. */
interface Leg {
  readonly legId: string;
  /** Changes once: an attended transfer's consultation leg moves into the main call. */
  callId: string;
  readonly extension: string;
  /** The party at the other end (user part of the remote identity), for transfer matching. */
  readonly remote: string | null;
  /** The extension placed this call (the call's first leg). */
  readonly placing: boolean;
  /** False for the transferee's own new dialog after a transfer: the party stays, no leg of its own. */
  readonly counted: boolean;
  rank: number;
  answered: boolean;
  ended: boolean;
}

interface Call {
  readonly id: string;
  readonly live: Set<string>;
  readonly transferred: Set<string>;
  started: boolean;
}

/**
 * RFC 4235 dialog states of watched extensions → normalized PbxEvents (pure: no I/O, no clock;
 * `at` is when the NOTIFY arrived, dialog-info carries no time).
 *
 * - A SIP dialog is a call, named by its Call-ID; a proxy (Kamailio) keeps one Call-ID end to end,
 *   so an internal call shows on both extensions under the same id. Each watched extension's part
 *   is a leg `${callId}:${extension}`.
 * - The first sight of a call gives `call-start`: a `recipient` dialog is an inbound call to the
 *   extension (from the remote identity, or from another watched extension: internal, placed by
 *   it); an `initiator` dialog is placed by the extension, which is the call's first leg.
 * - Per leg, states only move forward (trying < proceeding < early < confirmed < terminated); a
 *   state that goes backwards (servers reorder NOTIFYs) is dropped and counted.
 * - `early` → `ringing` (not for the placing leg, which waits for the far end), `confirmed` →
 *   `answered`, `terminated` → `leg-ended` (cause from the state's `event` attribute, else
 *   `normal`: an unanswered leg then ends `missed`); the call ends (`call-end`) when no leg is left.
 * - A full-state document lists every dialog: a live leg missing from it ended while the watcher
 *   could not see it, now. A dialog first seen already terminated is not invented into a call.
 * - Blind transfer: REFER makes the transferee place a NEW call (new Call-ID) to the target, and
 *   Kamailio's pua_dialoginfo publishes no Referred-By or Replaces, so it is inferred: a new call
 *   from party P to watched extension B while P is in an answered call with another watched
 *   extension A that has not ended yet → `transfer` from A's leg to B, and the new Call-ID joins
 *   the original call. A phone that hangs up before P's new INVITE reaches the server leaves
 *   nothing to join: the target's call is then a call of its own (each leg still attributed on
 *   its own, R1.3).
 * - Attended transfer (RFC 5589): the same, while B talks to A in a call of its own (the
 *   consultation): P's new call replaces B's consultation dialog, so B's consultation leg goes on
 *   under the new Call-ID and the consultation joins the original call (`transfer` attended).
 *   Inferred from the order Kamailio reports (the new dialog before the replaced one ends); not
 *   seen with real phones (the lab's baresip 1.0 only transfers blind).
 * - The box's own click-to-call leg (its remote party is `ownUser`) is no call and no leg: the
 *   phone's call to the number, placed when it follows the box's REFER, is the call.
 * Keys name the fact (`${legId}:answered`), so a resubscribe's full state repeats keys, never facts.
 */
export class SipTranslator {
  readonly source: string;
  private readonly make: PbxEventFactory;
  private readonly watched: ReadonlySet<string>;
  private readonly remember: number;
  private readonly ownUser: string | null;
  /** `${extension}|${sipCallId}` → leg (ended legs stay until a full state no longer lists them). */
  private readonly legs = new Map<string, Leg>();
  private readonly calls = new Map<string, Call>();
  /** A SIP Call-ID that joined another call by a transfer → that call. */
  private readonly alias = new Map<string, string>();
  private readonly ended = new Set<string>();
  /** Per extension: the subscription (its SIP dialog's Call-ID) and the last version it sent. */
  private readonly versions = new Map<string, { subscription: string; version: number }>();
  private counts = { notifies: 0, staleDocuments: 0, staleStates: 0 };

  constructor(options: SipTranslatorOptions) {
    this.source = options.source;
    this.make = new PbxEventFactory(options.source);
    this.watched = new Set(options.extensions);
    this.remember = options.rememberEnded ?? 10_000;
    this.ownUser = options.ownUser ?? null;
  }

  stats(): SipTranslatorStats {
    return { ...this.counts, trackedLegs: this.legs.size };
  }

  /** The calls with a live leg, for the source's resync of calls the box holds live. */
  liveCalls(): string[] {
    return [...this.calls.keys()];
  }

  /**
   * One NOTIFY of `extension`'s subscription `subscription` (the subscription's own Call-ID: a
   * new subscription, after a resubscribe, numbers its documents from scratch, RFC 4235 §4.1).
   */
  notify(extension: string, info: DialogInfo, at: Instant, subscription = ""): PbxEvent[] {
    this.counts.notifies++;
    if (info.version !== null) {
      const last = this.versions.get(extension);
      if (last !== undefined && last.subscription === subscription && info.version <= last.version) {
        this.counts.staleDocuments++;
        return [];
      }
      this.versions.set(extension, { subscription, version: info.version });
    }
    const events: PbxEvent[] = [];
    const listed = new Set<string>();
    for (const dialog of info.dialogs) {
      if (this.ownUser !== null && identityUser(dialog.remote?.identity) === this.ownUser) continue;
      const sipCallId = dialog.callId ?? `${extension}:${dialog.id}`;
      listed.add(sipCallId);
      events.push(...this.dialog(extension, sipCallId, dialog, at));
    }
    if (info.state === "full") {
      for (const [key, leg] of this.legs) {
        if (leg.extension !== extension || listed.has(key.slice(extension.length + 1))) continue;
        if (!leg.ended) events.push(...this.endLeg(leg, null, at));
        this.legs.delete(key);
      }
    }
    return events;
  }

  private dialog(extension: string, sipCallId: string, dialog: Dialog, at: Instant): PbxEvent[] {
    const key = `${extension}|${sipCallId}`;
    const known = this.legs.get(key);
    if (known !== undefined) return this.advance(known, dialog.state, dialog.stateEvent, at);
    const callId = this.alias.get(sipCallId) ?? sipCallId;
    if (dialog.state === "terminated" || this.ended.has(callId)) return [];
    const recipient = (dialog.direction ?? "recipient") === "recipient";
    const remote = identityUser(dialog.remote?.identity);
    const caller = recipient ? remote : extension;
    const callee = recipient ? extension : remote;
    const events: PbxEvent[] = [];
    // Only a Call-ID never seen can be a transferee's new call; a known one is that call's.
    const fresh = !this.alias.has(sipCallId) && !this.calls.has(callId);
    const transfer = fresh ? this.transferOrigin(sipCallId, caller, callee, at) : null;
    if (transfer !== null) {
      this.alias.set(sipCallId, transfer.callId);
      events.push(transfer.event);
    }
    const call = this.calls.get(this.alias.get(sipCallId) ?? callId) ?? this.openCall(callId);
    if (!call.started) {
      call.started = true;
      events.push(this.callStart(call, sipCallId, caller, callee, at));
    }
    // After a transfer the transferee places the new call: that party stays, it is no new leg.
    const counted = !(this.alias.has(sipCallId) && caller === extension);
    const leg = this.addLeg(call, sipCallId, extension, remote, !recipient, counted);
    events.push(...this.advance(leg, dialog.state, dialog.stateEvent, at));
    return events;
  }

  private addLeg(
    call: Call,
    sipCallId: string,
    extension: string,
    remote: string | null,
    placing: boolean,
    counted: boolean,
  ): Leg {
    const key = `${extension}|${sipCallId}`;
    const existing = this.legs.get(key);
    if (existing !== undefined) return existing;
    const leg: Leg = {
      legId: `${sipCallId}:${extension}`,
      callId: call.id,
      extension,
      remote,
      placing,
      counted,
      rank: -1,
      answered: false,
      ended: false,
    };
    this.legs.set(key, leg);
    if (counted) call.live.add(leg.legId);
    return leg;
  }

  private openCall(callId: string): Call {
    const call: Call = { id: callId, live: new Set(), transferred: new Set(), started: false };
    this.calls.set(callId, call);
    return call;
  }

  private callStart(
    call: Call,
    sipCallId: string,
    caller: string | null,
    callee: string | null,
    at: Instant,
  ) {
    const isExtension = (user: string) => this.watched.has(user);
    const from = partyOf(caller, isExtension);
    const to = partyOf(callee, isExtension);
    if (from.extension === null) {
      return this.make.callStart(call.id, at, { from, to, did: null });
    }
    // Placed by a watched extension: its leg is the call's first; its own dialog reports on it, and
    // a full state of that extension ends it if it never does.
    const placer = this.addLeg(call, sipCallId, from.extension, callee, true, true);
    return this.make.callStart(call.id, at, {
      legId: placer.legId,
      extension: placer.extension,
      from,
      to,
      did: null,
    });
  }

  /**
   * A new call from `caller` to watched `callee` continues a call of `caller`'s with another
   * watched extension A that answered and has not ended: A transferred it. Attended when the
   * callee is talking to A in a call of its own (the consultation): the new dialog replaces the
   * callee's consultation dialog (SIP Replaces, RFC 3891), so the callee's consultation leg goes
   * on under the new Call-ID and the consultation joins the main call. Otherwise blind.
   */
  private transferOrigin(sipCallId: string, caller: string | null, callee: string | null, at: Instant) {
    if (caller === null || callee === null || !this.watched.has(callee)) return null;
    for (const leg of this.legs.values()) {
      if (!leg.counted || !leg.answered || leg.remote !== caller) continue;
      if (leg.extension === callee || leg.extension === caller) continue;
      const call = this.calls.get(leg.callId);
      if (call === undefined || call.transferred.has(leg.legId)) continue;
      call.transferred.add(leg.legId);
      const consult = this.consultation(leg.extension, callee, call.id);
      const consultCallId = consult?.callId ?? null;
      if (consult !== null) this.joinConsultation(consult, call, sipCallId);
      const event = this.make.transfer(leg, at, {
        kind: consult === null ? "blind" : "attended",
        fromLegId: leg.legId,
        toExtension: callee,
        consultCallId,
        toLegId: consult?.legId ?? null,
      });
      return { callId: call.id, event };
    }
    return null;
  }

  /** `target`'s answered, live leg in a call with `transferer` other than `mainId`, if any. */
  private consultation(transferer: string, target: string, mainId: string): Leg | null {
    for (const leg of this.legs.values()) {
      if (leg.extension !== target || leg.remote !== transferer || leg.callId === mainId) continue;
      if (leg.counted && leg.answered && !leg.ended) return leg;
    }
    return null;
  }

  /**
   * The consultation's legs move into the main call (the transferer's is dropped there by the
   * assembler); the target's leg goes on under the new dialog, and its replaced consultation
   * dialog ends with no news.
   */
  private joinConsultation(target: Leg, main: Call, sipCallId: string): void {
    const consult = this.calls.get(target.callId);
    if (consult === undefined) return;
    for (const [key, leg] of this.legs) {
      if (leg.callId !== consult.id) continue;
      leg.callId = main.id;
      if (leg === target) this.legs.set(key, { ...leg, legId: `${leg.legId}:replaced`, counted: false });
    }
    for (const legId of consult.live) main.live.add(legId);
    this.legs.set(`${target.extension}|${sipCallId}`, target);
    this.calls.delete(consult.id);
    this.alias.set(consult.id, main.id);
    this.ended.add(consult.id);
  }

  private advance(leg: Leg, state: DialogState, stateEvent: string | null, at: Instant): PbxEvent[] {
    const rank = stateRank(state);
    if (rank <= leg.rank) {
      if (rank < leg.rank) this.counts.staleStates++;
      return [];
    }
    leg.rank = rank;
    if (!leg.counted) return [];
    if (state === "early" && !leg.placing) return [this.make.leg("ringing", leg, at)];
    if (state === "confirmed") {
      leg.answered = true;
      return [this.make.leg("answered", leg, at)];
    }
    if (state === "terminated") return this.endLeg(leg, stateEvent, at);
    return [];
  }

  private endLeg(leg: Leg, stateEvent: string | null, at: Instant): PbxEvent[] {
    leg.ended = true;
    leg.rank = stateRank("terminated");
    if (!leg.counted) return [];
    const events = [this.make.leg("leg-ended", leg, at, { cause: causeOf(stateEvent, leg.answered) })];
    const call = this.calls.get(leg.callId);
    call?.live.delete(leg.legId);
    if (call !== undefined && call.live.size === 0) {
      this.calls.delete(call.id);
      this.forget(call.id);
      events.push(this.make.callEnd(call.id, at));
    }
    return events;
  }

  /**
   * An ended call's legs and aliases go; its id is remembered (up to `rememberEnded`), so that a
   * lingering or reordered dialog of it is no news.
   */
  private forget(callId: string): void {
    for (const [key, leg] of this.legs) if (leg.callId === callId) this.legs.delete(key);
    const ids = [callId];
    for (const [sipCallId, target] of this.alias) {
      if (target !== callId) continue;
      this.alias.delete(sipCallId);
      ids.push(sipCallId);
    }
    for (const id of ids) this.ended.add(id);
    while (this.ended.size > this.remember) this.ended.delete(this.ended.values().next().value as string);
  }
}

/** RFC 4235 §4.1.2 `event` values; without one, an ended leg's own history says it all. */
function causeOf(stateEvent: string | null, answered: boolean): LegEndCause {
  if (answered) return "normal";
  switch (stateEvent) {
    case "rejected":
      return "busy";
    case "cancelled":
      return "cancelled";
    case "timeout":
      return "no-answer";
    case "error":
      return "failed";
    default:
      return "normal";
  }
}
