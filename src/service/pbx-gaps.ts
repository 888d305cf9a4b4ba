import type { Database } from "bun:sqlite";
import type { PbxEvent, PbxSourceStatus } from "../domain/call/pbx-event.ts";
import type { HistoryRead, HistoryWindow, PbxHistory } from "../domain/call/pbx-history.ts";
import type { Instant } from "../domain/roster/types.ts";
import type { Logger } from "../log/logger.ts";
import { type PbxGap, type PbxGapStore, pbxGapStore } from "../store/pbx-gap-store.ts";
import { type StorageFaults, storageFaults } from "../store/storage-faults.ts";

export interface PbxGapsOptions {
  readonly log: Logger;
  readonly now: () => Instant;
  /** How often a connected link's watermark is stamped (default 5 s). */
  readonly heartbeatMs?: number;
  /** Read this much before the last instant known up and after the link came back (default 60 s). */
  readonly marginMs?: number;
  /** A history that takes longer is given up for now: the gap stays unread (default 20 s). */
  readonly readTimeoutMs?: number;
  /** An unread gap is tried again this often (default 5 min), at most `maxAttempts` times. */
  readonly retryMs?: number;
  readonly maxAttempts?: number;
  readonly storageFaults?: StorageFaults;
}

/** A PBX source as the heartbeat sees it. */
export interface LinkedSource {
  readonly name: string;
  status(): PbxSourceStatus;
}

const DEFAULTS = {
  heartbeatMs: 5_000,
  marginMs: 60_000,
  readTimeoutMs: 20_000,
  retryMs: 5 * 60_000,
  maxAttempts: 6,
};

/**
 * Nothing lost while the box was down (issue 13). Every few seconds while a PBX link is up its
 * watermark is stamped durably (a crash or a power cut gives no warning). When a link comes up —
 * at start, after every reconnect — the window since the watermark is a gap: it is recorded, read
 * back from the PBX's own records when the source has them (`PbxHistory`), and the recovered
 * events are handed to the source, which delivers them before anything else of the new link (so
 * a call that ended in the gap ends as the record says, not as the resync guesses). A gap that
 * cannot be read now (the database refuses, times out) stays `unread`: it is tried again later,
 * and nothing else changes. A box that never had a link reads no history: no flood of old calls.
 */
export class PbxGaps {
  private readonly store: PbxGapStore;
  private readonly o: Required<Omit<PbxGapsOptions, "storageFaults">>;
  private readonly faults: StorageFaults;
  /** Per source: when its current link was announced (linkUp), so the heartbeat may stamp it. */
  private readonly announced = new Map<string, Instant>();
  private readonly histories = new Map<string, PbxHistory>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastRetry = 0;
  private deliver: ((events: readonly PbxEvent[]) => Promise<void>) | null = null;

  constructor(db: Database, options: PbxGapsOptions) {
    this.store = pbxGapStore(db);
    this.o = { ...DEFAULTS, ...options };
    this.faults = options.storageFaults ?? storageFaults;
  }

  /** Stamps the connected links every heartbeat; retries unread gaps through `deliver`. */
  start(
    sources: () => readonly LinkedSource[],
    deliver: (events: readonly PbxEvent[]) => Promise<void>,
  ): void {
    this.deliver = deliver;
    this.lastRetry = this.o.now();
    this.heartbeat = setInterval(() => {
      this.stamp(sources());
      if (this.o.now() - this.lastRetry >= this.o.retryMs) {
        this.lastRetry = this.o.now();
        void this.retryUnread();
      }
    }, this.o.heartbeatMs);
    this.heartbeat.unref?.();
  }

  /** A clean stop: the links are stamped one last time. */
  stop(sources: readonly LinkedSource[]): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.stamp(sources);
  }

  /**
   * `source`'s link came up at `at`. Returns the events read back for the gap since it was last
   * known up (none when it never was, when the source keeps no history, or when the read fails).
   * Never rejects.
   */
  async linkUp(source: string, at: Instant, history: PbxHistory | null): Promise<readonly PbxEvent[]> {
    if (history !== null) this.histories.set(source, history);
    let lostAt: Instant | null;
    let gap: number;
    try {
      lostAt = this.store.lastUp(source);
      this.store.markUp(source, at);
      this.announced.set(source, at);
      if (lostAt === null) {
        this.o.log.info("PBX link up for the first time: no history to read", { source });
        return [];
      }
      gap = this.store.open(source, lostAt, at);
      this.faults.worked("pbx.gaps", this.o.log);
    } catch (error) {
      if (this.faults.failed("pbx.gaps", error, this.o.log, { source }) === null) throw error;
      // The disk refuses: the link goes on; the gap will be seen from the old watermark next time.
      return [];
    }
    if (history === null) {
      this.settle(gap, { state: "no-history", readAt: this.o.now() });
      this.o.log.warn(
        "PBX link was down: calls in this window may be missing (the source keeps no history)",
        {
          source,
          lostAt: new Date(lostAt).toISOString(),
          backAt: new Date(at).toISOString(),
        },
      );
      return [];
    }
    return this.read(
      gap,
      source,
      { from: lostAt - this.o.marginMs, to: at + this.o.marginMs },
      history,
      "gap",
    );
  }

  /** `source` keeps a history (its adapter's): gaps it leaves are read back, a backfill reads it. */
  register(source: string, history: PbxHistory): void {
    this.histories.set(source, history);
  }

  /**
   * `branchbox backfill`: reads `window` back from every source's history and delivers what it
   * gives (the journal drops what the box already has), listed like a gap. For a branch that
   * installs the box mid-month. Empty when no source keeps a history.
   */
  async backfill(window: HistoryWindow): Promise<PbxGap[]> {
    const deliver = this.deliver;
    const done: PbxGap[] = [];
    for (const [source, history] of this.histories) {
      const gap = this.store.open(source, window.from, window.to);
      const events = await this.read(gap, source, window, history, "backfill");
      if (events.length > 0 && deliver !== null) await deliver(events);
      const listed = this.store.recent(50).find((g) => g.id === gap);
      if (listed !== undefined) done.push(listed);
    }
    return done;
  }

  /** The newest gaps first, for /admin. */
  recent(limit = 20): PbxGap[] {
    return this.store.recent(limit);
  }

  private async read(
    gap: number,
    source: string,
    window: HistoryWindow,
    history: PbxHistory,
    what: "gap" | "backfill",
  ): Promise<readonly PbxEvent[]> {
    let result: HistoryRead;
    try {
      result = await withTimeout(history.read(window, this.o.now()), this.o.readTimeoutMs);
    } catch (error) {
      const detail = `${history.describe}: ${error instanceof Error ? error.message : String(error)}`;
      this.settle(gap, { state: "unread", detail, readAt: this.o.now() });
      this.o.log.error(`PBX history not read: the ${what} stays unread and is tried again later`, {
        source,
        detail,
      });
      return [];
    }
    // A CDR names no destination channel: its legs would not meet the live stream's under the same
    // keys, so only the calls the box never saw are taken from it.
    if (result.via === "cdr") {
      const events = result.events.filter((event) => !this.store.knowsCall(event.source, event.callId));
      result = { ...result, events, calls: new Set(events.map((event) => event.callId)).size };
    }
    this.settle(gap, {
      state: "recovered",
      via: result.via,
      calls: result.calls,
      events: result.events.length,
      skipped: result.skipped,
      detail: what === "backfill" ? `backfill: ${history.describe}` : history.describe,
      readAt: this.o.now(),
    });
    this.o.log.info(`PBX ${what} read back`, {
      source,
      via: result.via,
      calls: result.calls,
      events: result.events.length,
      skipped: result.skipped,
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
    });
    return result.events;
  }

  private async retryUnread(): Promise<void> {
    const deliver = this.deliver;
    if (deliver === null) return;
    let gaps: PbxGap[];
    try {
      gaps = this.store.unread(20);
    } catch (error) {
      if (this.faults.failed("pbx.gaps", error, this.o.log) === null) throw error;
      return;
    }
    for (const gap of gaps) {
      const history = this.histories.get(gap.source);
      if (history === undefined || gap.attempts >= this.o.maxAttempts) continue;
      const window = { from: gap.lostAt - this.o.marginMs, to: gap.backAt + this.o.marginMs };
      const events = await this.read(gap.id, gap.source, window, history, "gap");
      if (events.length > 0)
        await deliver(events).catch((error) => this.o.log.error("recovered events not stored", { error }));
    }
  }

  private stamp(sources: readonly LinkedSource[]): void {
    const now = this.o.now();
    for (const source of sources) {
      const announced = this.announced.get(source.name);
      const status = source.status();
      // Only a link whose gap was read: stamping a new link first would hide its gap.
      if (announced === undefined || status.state !== "connected" || status.since > announced) continue;
      try {
        this.store.markUp(source.name, now);
        this.faults.worked("pbx.watermark", this.o.log);
      } catch (error) {
        if (this.faults.failed("pbx.watermark", error, this.o.log) === null) throw error;
      }
    }
  }

  private settle(gap: number, outcome: Parameters<PbxGapStore["settle"]>[1]): void {
    try {
      this.store.settle(gap, outcome);
    } catch (error) {
      if (this.faults.failed("pbx.gaps", error, this.o.log) === null) throw error;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
