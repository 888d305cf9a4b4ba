/**
 * Why HQ asked Mango's statistics for a window (issue 17 gaps): HQ was not running, the regular
 * look back, or webhooks it could not store (answered 503).
 */
export type MangoSweepReason = "downtime" | "periodic" | "unstored";

/**
 * One `stats/request` HQ owes or made. `pending`: to ask; `requested`: asked, Mango's `key`
 * kept, `stats/result` polled; `done`: its rows reconciled (`rows`, `newEntries`, `badLines`);
 * `failed`: Mango refused it (coded, kept for the page), never retried by itself.
 */
export interface MangoSweep {
  readonly id: number;
  readonly reason: MangoSweepReason;
  /** Mango's window, Unix seconds, both ends included. */
  readonly from: number;
  readonly to: number;
  readonly state: "pending" | "requested" | "done" | "failed";
  readonly key: string | null;
  /** ms: not acted on before this. */
  readonly nextAt: number;
  readonly attempts: number;
  readonly rows: number | null;
  readonly newEntries: number | null;
  readonly badLines: number | null;
  readonly lastCode: string | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

/** A statistics entry HQ may relay: one `stats` event, placed like a webhook. */
export interface MangoStatsEvent {
  readonly id: string;
  readonly json: string;
  readonly entryId: string;
  readonly branch: string | null;
}

/**
 * Headquarters' gap recovery state in hq.db (issue 17): its heartbeat and its sweeps.
 *
 * - `beat(now)` records that HQ runs (several consumers on one file keep the newest beat);
 *   `lastBeat()` is read at start BEFORE the first beat: the end of the last run.
 * - `complete` ALWAYS, in one IMMEDIATE transaction: adds each entry's event only when hq.db holds
 *   NO event of that `entry_id` (webhook or stats: the reconciliation, read under the write lock),
 *   through the same `add` as webhooks (a branch's next `pbx` seq, or none), and marks the sweep
 *   done with its figures. A failure writes nothing: the sweep stays as it was, to run again.
 * - A storage failure rejects with a StoreFailure and writes nothing.
 */
export interface MangoSweepStore {
  lastBeat(): Promise<number | null>;
  beat(now: number): Promise<void>;
  /** The `to` of the newest periodic sweep: where the next one starts. */
  lastPeriodicTo(): Promise<number | null>;
  plan(
    sweeps: readonly { reason: MangoSweepReason; from: number; to: number; nextAt: number }[],
    now: number,
  ): Promise<void>;
  /** The oldest pending or requested sweep whose `nextAt` has come. */
  due(now: number): Promise<MangoSweep | null>;
  update(
    id: number,
    change: {
      state: "pending" | "requested" | "failed";
      key: string | null;
      nextAt: number;
      attempts: number;
      code: string | null;
      error: string | null;
      now: number;
    },
  ): Promise<void>;
  complete(
    id: number,
    result: { rows: number; badLines: number; events: readonly MangoStatsEvent[]; now: number },
  ): Promise<{ newEntries: number }>;
  recent(limit: number): Promise<MangoSweep[]>;
  /**
   * Deletes the done and failed sweeps finished before `before` (ms), ALWAYS keeping the newest
   * periodic one (where the next periodic sweep starts); pending and requested ones are never
   * deleted. Returns how many went.
   */
  prune(before: number): Promise<number>;
}
