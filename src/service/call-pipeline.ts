import type { Database } from "bun:sqlite";
import {
  type AttributionSettings,
  attribute,
  type OwnershipLookup,
} from "../domain/attribution/attribute.ts";
import { liveCard } from "../domain/attribution/live-card.ts";
import { CallAssembler } from "../domain/call/call-assembler.ts";
import type { AssembledCall, CallRecord } from "../domain/call/call-types.ts";
import type { PbxEvent } from "../domain/call/pbx-event.ts";
import type { Intent, IntentFacts } from "../domain/rules/intent-types.ts";
import { decideIntents, decideStartIntents } from "../domain/rules/intents.ts";
import type { Logger } from "../log/logger.ts";
import { type CallIntents, type CallIntentsStore, callIntentsStore } from "../store/call-intents-store.ts";
import { type CallStore, callStore } from "../store/call-store.ts";
import { type JournalStore, journalStore } from "../store/journal-store.ts";
import { type OutboxStore, outboxStore } from "../store/outbox-store.ts";
import { STORAGE_RETRY_MS, type StorageFaults, storageFaults } from "../store/storage-faults.ts";
import type { CallCard, CallsListener, CallsPort } from "./calls-port.ts";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How long a missed call's card stays up for the managers (R3.3). */
const MISSED_CARD_MS = 30 * MINUTE;

export interface CallPipelineOptions {
  readonly roster: OwnershipLookup;
  /** The client's name from headquarters' directory, for the cards; null when unknown. */
  readonly clientName?: (number: string | null) => string | null;
  /** Read at each attribution: staff and settings may change while the box runs. */
  readonly settings: () => AttributionSettings;
  readonly log: Logger;
  readonly now: () => number;
  /** How long events wait to share a commit; a few ms buys throughput for little latency. */
  readonly commitWindowMs?: number;
  /** Journal events older than this are pruned at start (their calls are long recorded). */
  readonly retentionMs?: number;
  /** Where a write that fails outside a delivery (pruning, re-attribution) is logged and counted. */
  readonly storageFaults?: StorageFaults;
  /**
   * What the CRM intents read (R3.4–R3.10, R2.7): the settings and HQ's directory, read once per
   * commit. Without it the box sends no intents (a replay, a test of the calls alone).
   */
  readonly crm?: () => IntentFacts;
}

export interface PipelineStats {
  readonly received: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly recorded: number;
  /** CRM intents written for HQ (R3.4–R3.10, R2.7). */
  readonly intents: number;
  /** Calls whose client's number has no E.164 form: no intents (nothing invented). */
  readonly unnumbered: number;
  readonly lastRejection: string | null;
}

interface Pending {
  readonly events: readonly PbxEvent[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A call read back from the PBX's records (issue 13) gets its CRM intents only if it ended within
 * this long: a box that was down an hour still hands the missed calls out (R3.7), while `branchbox
 * backfill` of old weeks records the calls without sending the CRM tasks for them.
 */
export const RECOVERED_FOR_CRM_MS = 24 * 3_600_000;
const TOO_OLD_FOR_CRM =
  "read back from the PBX's records more than a day after it ended: no CRM tasks for it";

/**
 * PBX events in, call records out. Every event is journaled (durable, deduplicated) before
 * anything acts on it; the journal, the assembler's finished calls and their attributed records
 * are committed in one transaction, in small groups; a source hears "delivered" only after that
 * commit. The assembler is rebuilt from the journal at start, so a crash anywhere replays to the
 * same records, and nothing is recorded twice (records are saved by id, unchanged ones untouched).
 */
export class CallPipeline implements CallsPort {
  private readonly journal: JournalStore;
  private readonly calls: CallStore;
  private readonly outbox: OutboxStore;
  private readonly intents: CallIntentsStore;
  private readonly faults: StorageFaults;
  private assembler = new CallAssembler();
  private pending: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pruneTimer: ReturnType<typeof setInterval> | null = null;
  /** A re-attribution the storage refused: from when, and the timer that tries it again. */
  private reattributeFrom: number | null = null;
  private reattributeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<CallsListener>();
  /** Missed calls whose cards are still up, newest last. */
  private recentMissed: AssembledCall[] = [];
  private stats = {
    received: 0,
    duplicates: 0,
    rejected: 0,
    recorded: 0,
    intents: 0,
    unnumbered: 0,
    lastRejection: null as string | null,
  };
  /**
   * The CRM facts of the commit under way (read once per commit, not per event); undefined until
   * read, null when intents are off: while the journal is replayed at start nothing is decided
   * (what those calls made was sent in the commit that recorded them).
   */
  private crmFacts: IntentFacts | null | undefined = null;
  /** R3.10: live calls whose start was looked at (each once), forgotten when they finish. */
  private readonly startSeen = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly options: CallPipelineOptions,
  ) {
    this.journal = journalStore(db);
    this.calls = callStore(db);
    this.outbox = outboxStore(db);
    this.intents = callIntentsStore(db);
    this.faults = options.storageFaults ?? storageFaults;
  }

  /** Prunes old journal events and replays the rest: live calls come back, missing records are written. */
  start(): void {
    const now = this.options.now();
    const pruned = this.pruneOrPostpone();
    // A box runs for months between restarts: keep the journal to its retention meanwhile too.
    this.pruneTimer = setInterval(() => this.pruneOrPostpone(), HOUR);
    this.pruneTimer.unref?.();
    const events = this.journal.all();
    this.db.transaction(() => {
      this.assembler = new CallAssembler();
      for (const { event } of events) this.process(event, now);
    })();
    this.options.log.info("call journal replayed", {
      events: events.length,
      pruned,
      live: this.assembler.live().length,
    });
  }

  stop(): void {
    if (this.pruneTimer !== null) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    clearTimeout(this.reattributeTimer);
    this.reattributeTimer = undefined;
  }

  /** Forgets the journal's calls older than the retention; returns how many events went. */
  prune(): number {
    return this.journal.prune(this.options.now() - (this.options.retentionMs ?? 3 * DAY));
  }

  /** `prune()` at start and on its timer, where a full disk only postpones it to the next hour. */
  private pruneOrPostpone(): number {
    try {
      const pruned = this.prune();
      this.faults.worked("calls.prune", this.options.log);
      return pruned;
    } catch (error) {
      if (this.faults.failed("calls.prune", error, this.options.log) === null) throw error;
      return 0;
    }
  }

  /** Resolves once the events are durable (and everything they finished is recorded). */
  deliver(incoming: readonly PbxEvent[]): Promise<void> {
    const events = incoming.flatMap((event) => this.admit(event));
    if (events.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ events, resolve, reject });
      this.timer ??= setTimeout(() => this.flush(), this.options.commitWindowMs ?? 2);
    });
  }

  live(): AssembledCall[] {
    return this.assembler.live();
  }

  /** The cards of the live calls and of the missed calls of the last half hour; none for nobody (R1.4). */
  cards(now: number): CallCard[] {
    this.forgetOldMissed(now);
    const settings = this.options.settings();
    const cards: CallCard[] = [];
    for (const call of [...this.assembler.live(), ...this.recentMissed]) {
      const card = liveCard(call, this.options.roster, settings);
      if (card.targets !== "everyone" && card.targets.length === 0) continue;
      cards.push({
        callId: card.callId,
        state: card.state,
        direction: card.direction,
        number: card.clientNumber,
        clientName: this.options.clientName?.(card.clientNumber) ?? null,
        did: card.did,
        extension: card.extension,
        ownerEmployeeId: card.ownerEmployeeId,
        audience: card.targets,
        since: card.since,
      });
    }
    return cards;
  }

  list(query: Parameters<CallStore["list"]>[0]): CallRecord[] {
    return this.calls.list(query);
  }

  get(id: string): CallRecord | null {
    return this.calls.get(id);
  }

  intentsOf(callId: string): CallIntents | null {
    return this.intents.get(callId);
  }

  status(): PipelineStats {
    return { ...this.stats };
  }

  /**
   * Entries of every table the pipeline keeps in memory (the assembler's, the missed cards', the
   * batches waiting for their commit): each bounded by the live calls or a cap, never by the
   * calls of the box's life. For /metrics and the soak benchmark.
   */
  tables(): Readonly<Record<string, number>> {
    const assembler = this.assembler.sizes();
    return {
      assembler_live: assembler.live,
      assembler_absorbed: assembler.absorbed,
      assembler_finished: assembler.finished,
      assembler_recent: assembler.recent,
      recent_missed: this.recentMissed.length,
      intents_start_seen: this.startSeen.size,
      commit_batches: this.pending.length,
    };
  }

  /** Called after each commit with the live calls that changed and the records written. */
  subscribe(listener: CallsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Roster facts were committed (the roster's listener, after its commit: no caller to tell).
   * `reattributeSince(from)`, and if the storage refuses it (a full disk), again every
   * STORAGE_RETRY_MS from the earliest such fact until it is written; other errors go on up.
   */
  rosterChanged(from: number): void {
    clearTimeout(this.reattributeTimer);
    this.reattributeTimer = undefined;
    const since = Math.min(from, this.reattributeFrom ?? from);
    try {
      this.reattributeSince(since);
    } catch (error) {
      if (this.faults.failed("calls.reattribute", error, this.options.log, { from: since }) === null)
        throw error;
      this.reattributeFrom = since;
      this.reattributeTimer = setTimeout(() => this.rosterChanged(since), STORAGE_RETRY_MS);
      return;
    }
    this.reattributeFrom = null;
    this.faults.worked("calls.reattribute", this.options.log);
  }

  /**
   * A roster fact at `from` (a manager's late correction) may change who owned calls since then:
   * attribute them again and save what changed.
   */
  reattributeSince(from: number): CallRecord[] {
    const now = this.options.now();
    const changed = this.db.transaction(() => {
      const saved = this.calls
        .endedSince(from)
        .flatMap((call) => this.calls.save(call, this.attribute(call), now));
      this.toHeadquarters(saved, now);
      return saved;
    })();
    if (changed.length > 0) {
      this.options.log.info("calls re-attributed", {
        from: new Date(from).toISOString(),
        records: changed.length,
      });
      this.notify([], changed);
    }
    return changed;
  }

  private flush(): void {
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    const now = this.options.now();
    const changed = new Map<string, AssembledCall>();
    const recorded: CallRecord[] = [];
    const intentsBefore = this.stats.intents;
    this.crmFacts = undefined;
    try {
      this.db.transaction(() => {
        const fresh = this.journal.append(
          batch.flatMap((p) => p.events),
          now,
        );
        const total = batch.reduce((n, p) => n + p.events.length, 0);
        this.stats.received += total;
        this.stats.duplicates += total - fresh.length;
        for (const { event } of fresh) {
          const result = this.process(event, now);
          for (const call of result.changed) changed.set(call.id, call);
          recorded.push(...result.recorded);
        }
      })();
    } catch (error) {
      this.crmFacts = null;
      for (const p of batch) p.reject(error);
      // The source retries (AMI resyncs, SIP is not answered 200): log a full disk once, count it.
      if (this.faults.failed("calls.journal", error, this.options.log) === null)
        this.options.log.error("call events not committed; rebuilding from the journal", { error });
      this.rebuild();
      return;
    }
    this.crmFacts = null;
    this.faults.worked("calls.journal", this.options.log);
    for (const p of batch) p.resolve();
    this.notify([...changed.values()], recorded, this.stats.intents - intentsBefore);
  }

  /**
   * A source's event, checked at the door: instants become whole milliseconds, and an event
   * without what every event needs is refused alone (counted, logged) so it cannot poison the
   * commit it would share with good ones.
   */
  private admit(event: PbxEvent): PbxEvent[] {
    const ok =
      typeof event.source === "string" &&
      event.source !== "" &&
      typeof event.key === "string" &&
      event.key !== "" &&
      typeof event.callId === "string" &&
      event.callId !== "" &&
      Number.isFinite(event.at);
    if (!ok) {
      this.stats.rejected++;
      this.stats.lastRejection = "PBX.EVENT_INVALID: an event without source, key, callId or a finite time";
      this.options.log.warn("pbx event refused", {
        code: "PBX.EVENT_INVALID",
        key: String(event.key),
        kind: String(event.kind),
      });
      return [];
    }
    return [Number.isInteger(event.at) ? event : { ...event, at: Math.round(event.at) }];
  }

  /** One event through the assembler; a finished call is attributed and saved in the same transaction. */
  private process(event: PbxEvent, now: number): { changed: AssembledCall[]; recorded: CallRecord[] } {
    const update = this.assembler.apply(event);
    if (update.rejected !== null) {
      this.stats.rejected++;
      this.stats.lastRejection = `${update.rejected.code}: ${update.rejected.message}`;
      this.options.log.warn("pbx event rejected", {
        code: update.rejected.code,
        key: event.key,
        kind: event.kind,
      });
    }
    for (const call of update.changed) this.startIntents(call, now);
    for (const id of update.absorbed) this.startSeen.delete(id);
    const recorded = update.finished.flatMap((call) => {
      const records = this.attribute(call);
      const saved = this.calls.save(call, records, now);
      this.endIntents(call, records, now);
      return saved;
    });
    this.toHeadquarters(recorded, now);
    // Pruned here too, not only when a screen asks for cards: a box nobody looks at runs for months.
    this.forgetOldMissed(now);
    for (const call of update.finished) if (call.outcome !== "answered") this.recentMissed.push(call);
    this.stats.recorded += recorded.length;
    return { changed: update.changed, recorded };
  }

  /**
   * Missed calls whose card is down by `now` are no longer kept. A card is up for half an hour from
   * the call's end, or from when the box read it back after a gap (issue 13): a call missed while
   * the box was down still reaches the managers (R3.3).
   */
  private forgetOldMissed(now: number): void {
    if (this.recentMissed.length === 0) return;
    this.recentMissed = this.recentMissed.filter(
      (call) => Math.max(call.endedAt ?? call.startedAt, call.recovered?.at ?? 0) > now - MISSED_CARD_MS,
    );
  }

  /** The CRM facts for this commit: read at its first use, null when intents are off. */
  private crm(): IntentFacts | null {
    if (this.crmFacts === undefined) this.crmFacts = this.options.crm?.() ?? null;
    return this.crmFacts;
  }

  /**
   * R3.10: the first time a live inbound call is seen (its first event, or the first after a
   * restart), in "create before pickup" mode, a new number's client and order go to HQ at once.
   */
  private startIntents(call: AssembledCall, now: number): void {
    if (call.finished) {
      this.startSeen.delete(call.id);
      return;
    }
    if (this.startSeen.has(call.id) || call.direction !== "inbound" || call.from.number === null) return;
    const facts = this.crm();
    if (facts === null || facts.settings.mode !== "create-before-pickup") return;
    this.startSeen.add(call.id);
    const intents = decideStartIntents(call, facts);
    if (intents.length === 0 || this.intents.get(call.id) !== null) return;
    this.intents.started(call.id, intents, now);
    this.sendIntents(intents, now);
  }

  /**
   * The CRM's intents of a call recorded for the first time, from its last part (who had the client
   * at the end), in the same transaction. A call already decided is not decided again: after a
   * re-attribution HQ gets the corrected `call.record`, never a second set of intents.
   */
  private endIntents(call: AssembledCall, records: readonly CallRecord[], now: number): void {
    const last = records.at(-1);
    const facts = last === undefined ? null : this.crm();
    if (last === undefined || facts === null) return;
    const before = this.intents.get(call.id);
    if (before?.decided) return;
    if (last.recovered !== null && now - (last.endedAt ?? last.startedAt) > RECOVERED_FOR_CRM_MS) {
      // A backfill of old weeks must not hand the CRM tasks for calls long dealt with.
      this.intents.decided(call.id, before, [], TOO_OLD_FOR_CRM, now);
      return;
    }
    const decision = decideIntents(last, facts, before?.started ?? false);
    if (decision.unnumbered) this.stats.unnumbered++;
    this.intents.decided(call.id, before, decision.intents, decision.none, now);
    this.sendIntents(decision.intents, now);
  }

  private sendIntents(intents: readonly Intent[], now: number): void {
    if (intents.length === 0) return;
    this.outbox.add("intents", intents, now);
    this.stats.intents += intents.length;
  }

  /** New and changed records go to headquarters in the transaction that saved them (HQ upserts by id). */
  private toHeadquarters(records: readonly CallRecord[], now: number): void {
    this.outbox.add(
      "calls",
      records.map((record) => ({ id: record.id, type: "call.record", data: record })),
      now,
    );
  }

  private attribute(call: AssembledCall): CallRecord[] {
    return attribute(call, this.options.roster, this.options.settings());
  }

  private rebuild(): void {
    this.startSeen.clear();
    try {
      this.assembler = new CallAssembler();
      for (const { event } of this.journal.all()) this.assembler.apply(event);
    } catch (error) {
      this.options.log.error("cannot rebuild live calls from the journal", { error });
    }
  }

  private notify(changed: readonly AssembledCall[], recorded: readonly CallRecord[], intents = 0): void {
    for (const listener of this.listeners) listener(changed, recorded, intents);
  }
}
