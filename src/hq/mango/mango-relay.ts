import type { MangoEvent, MangoResult } from "../../contract/down-records.ts";
import { type Envelope, PROTOCOL_VERSION, topics } from "../../contract/protocol.ts";
import { startRounds } from "../../lib/rounds.ts";
import type { Logger } from "../../log/logger.ts";
import type { MangoStore, MangoStoredEvent } from "../store/mango-store-port.ts";

/** Publishes one message at QoS 1; resolves when the broker took it (PUBACK), rejects otherwise. */
export type PublishDown = (topic: string, payload: string) => Promise<void>;

export interface MangoRelay {
  /** Publishes what waits now (called after each stored event; a timer retries the rest). */
  kick(): void;
  readonly relayed: number;
  readonly failures: number;
  stop(): Promise<void>;
}

/** Records per envelope at most. */
const BATCH = 100;

/**
 * The down envelopes of a list of stored rows: per branch, runs of consecutive seqs; an event is a
 * `mango.event`, a command's result a `mango.result` (its data stored as the record's).
 */
export function mangoEnvelopes(events: readonly MangoStoredEvent[], epoch: number): Envelope[] {
  const envelopes: Envelope[] = [];
  for (const e of events) {
    if (e.branch === null || e.seq === null) continue;
    const record =
      e.kind === "result"
        ? {
            id: e.id,
            seq: e.seq,
            ts: e.receivedAt,
            type: "mango.result",
            data: JSON.parse(e.json) as MangoResult,
          }
        : {
            id: e.id,
            seq: e.seq,
            ts: e.receivedAt,
            type: "mango.event",
            data: { kind: e.kind, json: JSON.parse(e.json), receivedAt: e.receivedAt } satisfies MangoEvent,
          };
    const last = envelopes.at(-1);
    if (
      last !== undefined &&
      last.branch === e.branch &&
      last.seqTo + 1 === e.seq &&
      last.records.length < BATCH
    ) {
      last.records.push(record);
      last.seqTo = e.seq;
      continue;
    }
    envelopes.push({
      v: PROTOCOL_VERSION,
      branch: e.branch,
      epoch,
      stream: "pbx",
      seqFrom: e.seq,
      seqTo: e.seq,
      historical: false,
      records: [record],
    });
  }
  return envelopes;
}

/**
 * Sends the stored Mango events to their branches on `branchbox/v1/{branch}/down/pbx`, in seq
 * order per branch: one envelope at a time, the next only after the broker's PUBACK of the one
 * before, and an event is marked published only after that PUBACK. A failure (broker out of
 * reach) stops the round; the timer tries again from the first unpublished event, so nothing is
 * skipped and a seq published twice is dropped by the box as a duplicate. `epoch` is HQ's down
 * epoch (any integer ≥ 1 that grows when HQ restarts: the start time in seconds).
 */
export function startMangoRelay(options: {
  readonly store: MangoStore;
  readonly publish: PublishDown;
  readonly log: Logger;
  readonly epoch: number;
  readonly now?: () => number;
  readonly retryMs?: number;
}): MangoRelay {
  const { store, publish, log, epoch } = options;
  const now = options.now ?? Date.now;
  let relayed = 0;
  let failures = 0;

  const round = async (): Promise<void> => {
    for (;;) {
      const waiting = await store.unpublished(BATCH * 10);
      if (waiting.length === 0) return;
      for (const envelope of mangoEnvelopes(waiting, epoch)) {
        await publish(topics.down(envelope.branch, "pbx"), JSON.stringify(envelope));
        await store.published(
          envelope.records.map((r) => r.id),
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
        log.warn("Mango events not relayed yet; retrying", { code: "MANGO.RELAY_FAILED", failures, error });
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
