import type { MangoEvent, MangoResult } from "../../contract/down-records.ts";
import type { Envelope, SyncRecord } from "../../contract/protocol.ts";
import type { Logger } from "../../log/logger.ts";
import {
  type DownRelay,
  type DownRow,
  downEnvelopes,
  type PublishDown,
  startDownRelay,
} from "../down-relay.ts";
import type { MangoStore, MangoStoredEvent } from "../store/mango-store-port.ts";

export type { PublishDown } from "../down-relay.ts";
export type MangoRelay = DownRelay;

/** A stored row as its `pbx` record: an event is a `mango.event`, a command's result a `mango.result`. */
function mangoRow(e: MangoStoredEvent): DownRow | null {
  if (e.branch === null || e.seq === null) return null;
  const record: SyncRecord =
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
  return { branch: e.branch, record };
}

/** The down envelopes of a list of stored rows: per branch, runs of consecutive seqs. */
export function mangoEnvelopes(events: readonly MangoStoredEvent[], epoch: number): Envelope[] {
  return downEnvelopes(
    "pbx",
    events.flatMap((e) => mangoRow(e) ?? []),
    epoch,
  );
}

/**
 * Sends the stored Mango events to their branches on `branchbox/v1/{branch}/down/pbx` (the
 * generic down relay: in seq order per branch, marked published only after the broker's PUBACK).
 */
export function startMangoRelay(options: {
  readonly store: MangoStore;
  readonly publish: PublishDown;
  readonly log: Logger;
  readonly epoch: number;
  readonly now?: () => number;
  readonly retryMs?: number;
}): MangoRelay {
  const { store, ...rest } = options;
  return startDownRelay({
    ...rest,
    stream: "pbx",
    unpublished: (limit) => store.unpublished(limit),
    toRow: mangoRow,
    published: (events, now) =>
      store.published(
        events.map((e) => e.id),
        now,
      ),
    failureCode: "MANGO.RELAY_FAILED",
  });
}
