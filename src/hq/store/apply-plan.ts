import type { Envelope, SyncRecord } from "../../contract/protocol.ts";
import type { ApplyResult } from "./hq-store-port.ts";

/** One record to write, with the envelope it came in. */
export interface PlannedWrite {
  readonly envelope: Envelope;
  readonly record: SyncRecord;
}

/** What a stream's row becomes once a batch is applied: only streams the batch changed. */
export interface PlannedStream {
  readonly branch: string;
  readonly stream: string;
  readonly hwm: number;
  /** Added to the stored count. */
  readonly duplicates: number;
  /** The batch wrote records of this stream (its last record's ts and the commit time move). */
  readonly wrote: boolean;
  /** ts of the last record written; null when none was. */
  readonly lastRecordTs: number | null;
}

export interface ApplyPlan {
  /** One per envelope, in the order given. */
  readonly results: ApplyResult[];
  /** In the order given: per stream, ascending seq. */
  readonly writes: PlannedWrite[];
  readonly streams: PlannedStream[];
  /** Streams whose mark is still 0 after the batch (every envelope of theirs was a gap). */
  readonly empty: { readonly branch: string; readonly stream: string }[];
}

export const streamId = (branch: string, stream: string) => JSON.stringify([branch, stream]);

/**
 * The port's apply rules (hq-store-port.ts) over a whole batch, as one pure step: given each
 * touched stream's mark as read under its lock (absent: 0), the envelopes in the order given, each
 * seeing the mark the previous ones left. A store that reads the marks in one statement and writes
 * the plan in a few (pg-hq-store.ts) costs round trips per batch, not per envelope.
 */
export function planApply(envelopes: readonly Envelope[], marks: ReadonlyMap<string, number>): ApplyPlan {
  const touched = new Map<string, { -readonly [K in keyof PlannedStream]: PlannedStream[K] }>();
  const results: ApplyResult[] = [];
  const writes: PlannedWrite[] = [];
  for (const e of envelopes) {
    const id = streamId(e.branch, e.stream);
    let s = touched.get(id);
    if (s === undefined) {
      s = {
        branch: e.branch,
        stream: e.stream,
        hwm: marks.get(id) ?? 0,
        duplicates: 0,
        wrote: false,
        lastRecordTs: null,
      };
      touched.set(id, s);
    }
    const mark = s.hwm;
    if (e.seqTo <= mark) {
      s.duplicates += e.records.length;
      results.push({ kind: "duplicate", through: mark, duplicates: e.records.length });
      continue;
    }
    if (e.seqFrom > mark + 1) {
      results.push({ kind: "gap", through: mark });
      continue;
    }
    const fresh = e.records.filter((r) => r.seq > mark);
    for (const record of fresh) writes.push({ envelope: e, record });
    const duplicates = e.records.length - fresh.length;
    s.hwm = e.seqTo;
    s.duplicates += duplicates;
    s.wrote = true;
    s.lastRecordTs = fresh.at(-1)?.ts ?? null;
    results.push({ kind: "applied", through: e.seqTo, applied: fresh.length, duplicates });
  }
  const all = [...touched.values()];
  return {
    results,
    writes,
    streams: all.filter((s) => s.wrote || s.duplicates > 0),
    empty: all.filter((s) => s.hwm === 0).map(({ branch, stream }) => ({ branch, stream })),
  };
}
