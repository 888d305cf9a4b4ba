import type { Envelope, Presence } from "../../contract/protocol.ts";

/** What one envelope did to the store. `through` is the stream's high-water mark after the commit. */
export type ApplyResult =
  | {
      readonly kind: "applied";
      readonly through: number;
      readonly applied: number;
      readonly duplicates: number;
    }
  | { readonly kind: "duplicate"; readonly through: number; readonly duplicates: number }
  /** seqFrom > hwm + 1: nothing written; the envelope waits for the missing seqs. */
  | { readonly kind: "gap"; readonly through: number };

export interface StoredRecord {
  readonly seq: number;
  readonly id: string;
  readonly ts: number;
  readonly type: string;
  readonly data: unknown;
  readonly epoch: number;
  readonly historical: boolean;
  /** When HQ committed it (the `now` of `apply`), ms. */
  readonly appliedAt: number;
}

export interface StreamView {
  readonly through: number;
  readonly duplicates: number;
  readonly lastRecordTs: number | null;
  readonly lastAppliedAt: number | null;
}

export interface BranchView {
  readonly branch: string;
  /** null: HQ has records of this branch but never saw its presence. */
  readonly online: boolean | null;
  readonly epoch: number | null;
  readonly version: string | null;
  readonly backlog: number | null;
  readonly stateAt: number | null;
  readonly lastRecordTs: number | null;
  readonly streams: Record<string, StreamView>;
}

export interface ForwardItem {
  readonly queueId: number;
  readonly branch: string;
  readonly stream: string;
  readonly attempts: number;
  readonly record: StoredRecord;
}

/** How a store is built: with `forward`, every record it writes is also queued for the CRM. */
export interface HqStoreOptions {
  readonly forward: boolean;
}

/**
 * What a store rejects with when its storage fails: a stable `code` — STORAGE.DISK_FULL,
 * STORAGE.READ_ONLY, STORAGE.IO, STORAGE.CORRUPT, STORAGE.CANNOT_OPEN, or STORAGE.FAILED for
 * anything else — and a sentence for the operator.
 */
export interface StoreFailure extends Error {
  readonly code: `STORAGE.${string}`;
}

/**
 * Headquarters' store: the records every branch sent, per (branch, stream), with the high-water
 * mark (hwm) of each stream, the branches' presence, and the queue of records for the CRM. Any
 * number of consumers, in any number of processes, may share one store at once.
 *
 * `apply(envelopes, now)` ALWAYS:
 * - reads each stream's hwm in the same transaction that writes the stream's records, never from
 *   memory or an earlier read, because another consumer may have moved it;
 * - writes a record only as the next seq: with hwm h, an envelope whose `seqFrom > h + 1` is a
 *   "gap" and writes nothing; otherwise its records above h are written and the hwm becomes its
 *   `seqTo`; the result says which;
 * - never writes a record twice: a record at or below the hwm is a duplicate, counted in the
 *   stream's `duplicates`, not written again; `(branch, stream, seq)` is unique in the store, and
 *   a write that would break that is a failure, never a silent skip or an overwrite;
 * - applies the envelopes in the order given, each seeing the hwm the previous ones left, all in
 *   ONE commit: every envelope's records, marks, counts and (with `forward`) forward rows are
 *   durable together when the promise resolves, or none of them is;
 * - with `forward`, writes one forward row per written record in that same commit, never one for
 *   a duplicate;
 * - calls `now` once, after it holds the right to write: `appliedAt` follows commit order.
 *
 * Reads (`hwm`, `records`, `branches`, `forwardDepth`) ALWAYS see only committed state, and
 * `records(branch, stream, after, limit)` returns the records with seq > after in ascending seq
 * order, at most `limit` of them. `branches()` lists every branch with presence or records, by
 * name (presence null until one is stored).
 *
 * `presence` keeps the newest epoch: a presence of an older epoch than the stored one is "stale"
 * and changes nothing; a missing `version` or `backlog` keeps the stored one.
 *
 * The forward queue: `claimForward` returns only the oldest unsent row of each (branch, stream),
 * due at `now`, and leases it for `leaseMs` (nobody else claims it meanwhile); a row leaves the
 * queue only by `forwarded`; `forwardFailed` counts an attempt and sets when it is next due.
 *
 * A storage failure NEVER leaves part of a call written: the promise rejects with a StoreFailure
 * and the store holds what it held before the call.
 */
export interface HqStore {
  apply(envelopes: readonly Envelope[], now: () => number): Promise<ApplyResult[]>;
  hwm(branch: string, stream: string): Promise<number>;
  /** "stale": an older epoch than the one HQ already has (e.g. a late Last Will); not stored. */
  presence(branch: string, presence: Presence, now: number): Promise<"stored" | "stale">;
  branches(): Promise<BranchView[]>;
  records(branch: string, stream: string, after: number, limit: number): Promise<StoredRecord[]>;
  claimForward(now: number, leaseMs: number, limit: number): Promise<ForwardItem[]>;
  forwarded(queueId: number): Promise<void>;
  forwardFailed(queueId: number, nextAt: number, error: string): Promise<void>;
  forwardDepth(): Promise<number>;
  close(): Promise<void>;
}
