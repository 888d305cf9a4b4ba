import type { Envelope } from "../contract/protocol.ts";

export interface ReorderLimits {
  /** Envelopes waiting per (branch, stream). */
  readonly perStream: number;
  /** Records waiting over all streams. */
  readonly records: number;
}

interface Waiting {
  /** Sorted by seqFrom, one envelope per seqFrom. */
  envelopes: Envelope[];
  /** When the stream began waiting, or last made progress; the reorder timeout runs from here. */
  since: number;
}

export const streamKey = (branch: string, stream: string) => `${branch}/${stream}`;

/**
 * Envelopes that arrived ahead of a gap, per (branch, stream), bounded. Pure: time is passed in.
 * Over a bound the envelope furthest ahead is dropped, which is safe: it is not acknowledged, so
 * the branch sends it again.
 */
export class ReorderBuffer {
  private readonly waiting = new Map<string, Waiting>();
  private records = 0;

  constructor(private readonly limits: ReorderLimits) {}

  /** Holds `envelope`; returns the envelopes dropped to stay within the bounds. */
  add(envelope: Envelope, now: number): Envelope[] {
    const key = streamKey(envelope.branch, envelope.stream);
    let w = this.waiting.get(key);
    if (w === undefined) {
      w = { envelopes: [], since: now };
      this.waiting.set(key, w);
    }
    const same = w.envelopes.findIndex((e) => e.seqFrom === envelope.seqFrom);
    if (same >= 0) {
      const held = w.envelopes[same] as Envelope;
      if (held.seqTo >= envelope.seqTo) return [];
      this.records -= held.records.length;
      w.envelopes.splice(same, 1);
    }
    w.envelopes.push(envelope);
    w.envelopes.sort((a, b) => a.seqFrom - b.seqFrom);
    this.records += envelope.records.length;
    const dropped: Envelope[] = [];
    while (
      w.envelopes.length > 0 &&
      (w.envelopes.length > this.limits.perStream || this.records > this.limits.records)
    ) {
      const last = w.envelopes.pop() as Envelope;
      this.records -= last.records.length;
      dropped.push(last);
    }
    if (w.envelopes.length === 0) this.waiting.delete(key);
    return dropped;
  }

  /** The first envelope waiting on `key`, without removing it. */
  peek(key: string): Envelope | undefined {
    return this.waiting.get(key)?.envelopes[0];
  }

  /** Removes the first envelope of `key` (it was applied or found duplicate); `now` restarts the clock. */
  shift(key: string, now: number): void {
    const w = this.waiting.get(key);
    const first = w?.envelopes.shift();
    if (w === undefined || first === undefined) return;
    this.records -= first.records.length;
    w.since = now;
    if (w.envelopes.length === 0) this.waiting.delete(key);
  }

  /** How long `key` has waited without progress. */
  waitedSince(key: string): number | undefined {
    return this.waiting.get(key)?.since;
  }

  restartClock(key: string, now: number): void {
    const w = this.waiting.get(key);
    if (w !== undefined) w.since = now;
  }

  /** Records held for `key`. */
  recordsOf(key: string): number {
    return this.waiting.get(key)?.envelopes.reduce((n, e) => n + e.records.length, 0) ?? 0;
  }

  keys(): string[] {
    return [...this.waiting.keys()];
  }

  get size(): { streams: number; records: number } {
    return { streams: this.waiting.size, records: this.records };
  }
}
