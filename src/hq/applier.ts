import { checkEnvelope } from "../contract/envelope-check.ts";
import {
  type Ack,
  type Envelope,
  PROTOCOL_VERSION,
  UP_STREAMS,
  type UpStream,
} from "../contract/protocol.ts";
import type { Logger } from "../log/logger.ts";
import { ReorderBuffer, type ReorderLimits, streamKey } from "./reorder-buffer.ts";
import type { ApplyResult, HqStore } from "./store/hq-store-port.ts";

export interface ApplierCounters {
  envelopes: number;
  /** Records written. */
  applied: number;
  /** Records that arrived again (seq <= high-water mark). */
  duplicates: number;
  badEnvelopes: number;
  /** Envelopes that arrived ahead of a gap and were held. */
  held: number;
  replays: number;
  reorderDropped: number;
  commitFailures: number;
}

/** One message as it came from `branchbox/v1/{topicBranch}/up/{topicStream}`, JSON-parsed. */
export interface UpMessage {
  readonly topicBranch: string;
  readonly topicStream: string;
  readonly payload: unknown;
}

export interface ApplierOptions {
  readonly store: HqStore;
  /** Publishes `ack` on `branchbox/v1/{branch}/down/ack`. Called only after the commit it reports. */
  readonly sendAck: (branch: string, ack: Ack) => void;
  readonly reorderTimeoutMs: number;
  readonly limits?: ReorderLimits;
  readonly now?: () => number;
  readonly log: Logger;
  /**
   * Called after each commit with the envelopes it wrote records of (never a duplicate or a gap):
   * a part of HQ that acts on records (issue 17's Mango commands) looks at the store then. It must
   * not throw; what it does is its own (the records are durable already).
   */
  readonly onApplied?: (envelopes: readonly Envelope[]) => void;
  /**
   * Told of each problem with a branch's messages as it is logged (a bad envelope, a replay
   * asked, an envelope dropped from a full reorder buffer, a failed commit), for the fleet page's
   * "last errors". It must not throw.
   */
  readonly onProblem?: (problem: {
    branch: string;
    stream: string;
    code: "HQ.BAD_ENVELOPE" | "HQ.REPLAY_REQUESTED" | "HQ.REORDER_OVERFLOW" | "HQ.COMMIT_FAILED";
    detail: string;
  }) => void;
}

/**
 * Applies up envelopes to the HQ store in seq order, MQTT-free. For each envelope: validate
 * (bad → HQ.BAD_ENVELOPE, counted, dropped); apply in one transaction that reads the high-water
 * mark from the database; after the commit send the cumulative ack. An envelope ahead of a gap
 * waits in a bounded buffer; `tick()` (called every few ms while something waits) retries it
 * against the database — another consumer sharing the subscription may have filled the gap —
 * and past the reorder timeout asks the branch to replay from hwm + 1.
 *
 * `receive`, `receiveAll` and `tick` run one at a time, in the order they were called, whatever
 * the store's latency: the reorder buffer and the acks see the commits in the order they were
 * made, as if the store answered at once.
 */
export class Applier {
  readonly counters: ApplierCounters = {
    envelopes: 0,
    applied: 0,
    duplicates: 0,
    badEnvelopes: 0,
    held: 0,
    replays: 0,
    reorderDropped: 0,
    commitFailures: 0,
  };
  private readonly buffer: ReorderBuffer;
  private readonly now: () => number;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ApplierOptions) {
    this.buffer = new ReorderBuffer(options.limits ?? { perStream: 512, records: 200_000 });
    this.now = options.now ?? Date.now;
  }

  /** One message from `branchbox/v1/{topicBranch}/up/{topicStream}`. */
  receive(topicBranch: string, topicStream: string, payload: unknown): Promise<void> {
    return this.receiveAll([{ topicBranch, topicStream, payload }]);
  }

  /**
   * Messages that arrived together, applied in ONE transaction (group commit: one fsync for all),
   * then acked: per (branch, stream) the cumulative ack of the highest mark the commit reached.
   * An envelope ahead of a gap waits in the reorder buffer as with `receive`.
   */
  receiveAll(messages: readonly UpMessage[]): Promise<void> {
    return this.inTurn(() => this.receiveNow(messages));
  }

  private async receiveNow(messages: readonly UpMessage[]): Promise<void> {
    const envelopes = messages.flatMap((m) => this.validate(m));
    if (envelopes.length === 0) return;
    this.counters.envelopes += envelopes.length;
    const results = await this.applyAll(envelopes);
    if (results === undefined) return;
    const ready = new Set<string>();
    envelopes.forEach((envelope, i) => {
      const key = streamKey(envelope.branch, envelope.stream);
      if (results[i]?.kind !== "gap") {
        ready.add(key);
        return;
      }
      this.counters.held++;
      for (const dropped of this.buffer.add(envelope, this.now())) {
        this.counters.reorderDropped++;
        this.options.log.warn("reorder buffer full: envelope dropped (the branch resends it)", {
          code: "HQ.REORDER_OVERFLOW",
          branch: dropped.branch,
          stream: dropped.stream,
          seqFrom: dropped.seqFrom,
        });
        this.options.onProblem?.({
          branch: dropped.branch,
          stream: dropped.stream,
          code: "HQ.REORDER_OVERFLOW",
          detail: `seq ${dropped.seqFrom}–${dropped.seqTo} dropped from a full reorder buffer`,
        });
      }
    });
    for (const key of ready) await this.drain(key);
  }

  /** Runs `job` after every job called before it has settled. */
  private inTurn(job: () => Promise<void>): Promise<void> {
    const run = this.turn.then(job);
    this.turn = run.catch(() => {});
    return run;
  }

  private validate({ topicBranch, topicStream, payload }: UpMessage): Envelope[] {
    const checked = checkEnvelope(payload);
    const problem = !checked.ok
      ? checked.problem
      : checked.envelope.branch !== topicBranch || checked.envelope.stream !== topicStream
        ? "branch/stream differ from the topic's"
        : !(UP_STREAMS as readonly string[]).includes(checked.envelope.stream)
          ? `unknown stream "${checked.envelope.stream}"`
          : undefined;
    if (checked.ok && problem === undefined) return [checked.envelope];
    this.counters.badEnvelopes++;
    this.options.log.warn("bad envelope dropped", {
      code: "HQ.BAD_ENVELOPE",
      branch: topicBranch,
      stream: topicStream,
      problem: problem?.slice(0, 500),
    });
    this.options.onProblem?.({
      branch: topicBranch,
      stream: topicStream,
      code: "HQ.BAD_ENVELOPE",
      detail: (problem ?? "").slice(0, 500),
    });
    return [];
  }

  /** Retries what waits; asks for a replay where a gap outlived the reorder timeout. */
  tick(): Promise<void> {
    return this.inTurn(() => this.tickNow());
  }

  private async tickNow(): Promise<void> {
    const now = this.now();
    for (const key of this.buffer.keys()) {
      const through = await this.drain(key);
      const since = this.buffer.waitedSince(key);
      const head = this.buffer.peek(key);
      if (since === undefined || head === undefined || through === undefined) continue;
      if (now - since < this.options.reorderTimeoutMs) continue;
      this.counters.replays++;
      this.options.log.info("gap not filled: asking the branch to replay", {
        code: "HQ.REPLAY_REQUESTED",
        branch: head.branch,
        stream: head.stream,
        through,
        waitingFrom: head.seqFrom,
      });
      this.options.onProblem?.({
        branch: head.branch,
        stream: head.stream,
        code: "HQ.REPLAY_REQUESTED",
        detail: `seq ${through + 1}–${head.seqFrom - 1} never came; replay asked from ${through + 1}`,
      });
      this.options.sendAck(head.branch, {
        v: PROTOCOL_VERSION,
        stream: head.stream as UpStream,
        through,
        replay: true,
      });
      this.buffer.restartClock(key, now);
    }
  }

  /** Resolves once every call made so far has finished. */
  settled(): Promise<void> {
    return this.inTurn(async () => {});
  }

  get waiting(): { streams: number; records: number } {
    return this.buffer.size;
  }

  /**
   * Records held ahead of a gap, per stream of `branch`: this consumer's buffer only (several
   * consumers share the up streams, each holds what it was given).
   */
  waitingIn(branch: string): Map<string, number> {
    const held = new Map<string, number>();
    for (const key of this.buffer.keys())
      if (key.startsWith(`${branch}/`)) held.set(key.slice(branch.length + 1), this.buffer.recordsOf(key));
    return held;
  }

  /** Applies waiting envelopes of `key` while they fit; returns the hwm where it stopped. */
  private async drain(key: string): Promise<number | undefined> {
    let through: number | undefined;
    for (let head = this.buffer.peek(key); head !== undefined; head = this.buffer.peek(key)) {
      const result = (await this.applyAll([head]))?.[0];
      if (result === undefined) return undefined;
      through = result.through;
      if (result.kind === "gap") break;
      this.buffer.shift(key, this.now());
    }
    return through;
  }

  /**
   * One transaction; after its commit, the acks. undefined: the commit failed (nothing applied,
   * nothing acked: the branch resends).
   */
  private async applyAll(envelopes: readonly Envelope[]): Promise<ApplyResult[] | undefined> {
    let results: ApplyResult[];
    try {
      results = await this.options.store.apply(envelopes, this.now);
    } catch (error) {
      this.counters.commitFailures++;
      for (const envelope of envelopes)
        this.options.log.error("commit failed: envelope not acknowledged (the branch resends it)", {
          code: "HQ.COMMIT_FAILED",
          branch: envelope.branch,
          stream: envelope.stream,
          seqFrom: envelope.seqFrom,
          seqTo: envelope.seqTo,
          error: error instanceof Error ? error : String(error),
        });
      for (const envelope of envelopes)
        this.options.onProblem?.({
          branch: envelope.branch,
          stream: envelope.stream,
          code: "HQ.COMMIT_FAILED",
          detail: `seq ${envelope.seqFrom}–${envelope.seqTo} not stored: ${(error as { code?: string })?.code ?? "STORAGE.FAILED"}`,
        });
      return undefined;
    }
    const acks = new Map<string, { branch: string; ack: Ack }>();
    envelopes.forEach((envelope, i) => {
      const result = results[i] as ApplyResult;
      if (result.kind === "gap") return;
      this.counters.duplicates += result.duplicates;
      if (result.kind === "applied") this.counters.applied += result.applied;
      const key = streamKey(envelope.branch, envelope.stream);
      const through = Math.max(result.through, acks.get(key)?.ack.through ?? 0);
      acks.set(key, {
        branch: envelope.branch,
        ack: { v: PROTOCOL_VERSION, stream: envelope.stream as UpStream, through },
      });
    });
    for (const { branch, ack } of acks.values()) this.options.sendAck(branch, ack);
    const wrote = envelopes.filter((_, i) => results[i]?.kind === "applied");
    if (wrote.length > 0) this.options.onApplied?.(wrote);
    return results;
  }
}
