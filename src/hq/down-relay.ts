import {
  type DownStream,
  type Envelope,
  PROTOCOL_VERSION,
  type SyncRecord,
  topics,
} from "../contract/protocol.ts";
import { startRounds } from "../lib/rounds.ts";
import type { Logger } from "../log/logger.ts";

/** Publishes one message at QoS 1; resolves when the broker took it (PUBACK), rejects otherwise. */
export type PublishDown = (topic: string, payload: string) => Promise<void>;

export interface DownRelay {
  /** Publishes what waits now (called after each stored row; a timer retries the rest). */
  kick(): void;
  readonly relayed: number;
  readonly failures: number;
  stop(): Promise<void>;
}

/** Records per envelope at most. */
export const DOWN_BATCH = 100;

/** One stored record of a down stream, with the branch it goes to and its seq there. */
export interface DownRow {
  readonly branch: string;
  readonly record: SyncRecord;
}

/** The down envelopes of rows in (branch, seq) order: per branch, runs of consecutive seqs. */
export function downEnvelopes(stream: DownStream, rows: readonly DownRow[], epoch: number): Envelope[] {
  const envelopes: Envelope[] = [];
  for (const { branch, record } of rows) {
    const last = envelopes.at(-1);
    if (
      last !== undefined &&
      last.branch === branch &&
      last.seqTo + 1 === record.seq &&
      last.records.length < DOWN_BATCH
    ) {
      last.records.push(record);
      last.seqTo = record.seq;
      continue;
    }
    envelopes.push({
      v: PROTOCOL_VERSION,
      branch,
      epoch,
      stream,
      seqFrom: record.seq,
      seqTo: record.seq,
      historical: false,
      records: [record],
    });
  }
  return envelopes;
}

/**
 * Sends what HQ stored for a down stream to its branches on `branchbox/v1/{branch}/down/{stream}`,
 * in seq order per branch: one envelope at a time, the next only after the broker's PUBACK of the
 * one before, and a row is marked published only after that PUBACK. A failure (broker out of
 * reach) stops the round; the timer tries again from the first unpublished row, so nothing is
 * skipped and a seq published twice is dropped by the box as a duplicate. `epoch` is HQ's down
 * epoch (any integer ≥ 1 that grows when HQ restarts: the start time in seconds).
 */
export function startDownRelay<R>(options: {
  readonly stream: DownStream;
  readonly unpublished: (limit: number) => Promise<readonly R[]>;
  /** The row as a record for its branch; rows come in (branch, seq) order. */
  readonly toRow: (row: R) => DownRow | null;
  readonly published: (rows: readonly R[], now: number) => Promise<void>;
  readonly publish: PublishDown;
  readonly log: Logger;
  /** The warning's code while the broker stays out of reach (both in src/domain/error-codes.ts). */
  readonly failureCode: "MANGO.RELAY_FAILED" | "HQ.ELSEWHERE_FAILED";
  readonly epoch: number;
  readonly now?: () => number;
  readonly retryMs?: number;
}): DownRelay {
  const { stream, publish, log, epoch } = options;
  const now = options.now ?? Date.now;
  let relayed = 0;
  let failures = 0;

  const round = async (): Promise<void> => {
    for (;;) {
      const waiting = await options.unpublished(DOWN_BATCH * 10);
      if (waiting.length === 0) return;
      const byRecord = new Map<SyncRecord, R>();
      const rows = waiting.flatMap((r) => {
        const row = options.toRow(r);
        if (row !== null) byRecord.set(row.record, r);
        return row === null ? [] : [row];
      });
      if (rows.length === 0) return;
      for (const envelope of downEnvelopes(stream, rows, epoch)) {
        await publish(topics.down(envelope.branch, stream), JSON.stringify(envelope));
        await options.published(
          envelope.records.map((record) => byRecord.get(record) as R),
          now(),
        );
        relayed += envelope.records.length;
      }
    }
  };
  const rounds = startRounds(round, {
    everyMs: options.retryMs ?? 1000,
    failed: (error, streak) => {
      failures++;
      // Once when it starts, then once a minute or so while the broker stays out of reach.
      if (streak % 60 === 1)
        log.warn(`${stream} down records not relayed yet; retrying`, {
          code: options.failureCode,
          failures,
          error,
        });
    },
  });
  return {
    kick: rounds.kick,
    get relayed() {
      return relayed;
    },
    get failures() {
      return failures;
    },
    stop: rounds.stop,
  };
}
