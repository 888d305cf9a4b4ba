import type { UpStream } from "../../contract/protocol.ts";
import type { OutboxStore } from "../../store/outbox-store.ts";
import type { AckCoalescer } from "./ack-coalescer.ts";
import { type BuiltEnvelope, buildEnvelope, type EnvelopeHead } from "./envelope-builder.ts";
import type { RelayTuning } from "./relay-types.ts";

/**
 * Where one up stream stands in the current connection. Seqs of the stream fall in three ranges:
 *
 *   (… acked]  (acked … liveFrom)        [liveFrom …)
 *    deleted    backlog: historical       live: committed after this connect
 *               `backlogNext` walks it    `liveNext` walks it
 *
 * Both cursors only say what was *published*; nothing is forgotten until HQ's ack moves `acked`.
 * A reconnect builds a new cursor from SQLite (acked + 1 onward), so whatever the broker or
 * mqtt.js lost in between is simply sent again.
 */
export class StreamCursor {
  private acked: number;
  /** The highest seq known to exist: an ack beyond it acknowledges what was never sent. */
  private known: number;
  private readonly liveFrom: number;
  private backlogNext: number;
  private liveNext: number;
  private turn = 0;
  inflight = 0;
  sentThrough = 0;
  /** When the ack last moved forward (or sending restarted): the ack timeout counts from here. */
  lastProgressAt: number;

  constructor(
    readonly stream: UpStream,
    private readonly outbox: OutboxStore,
    private readonly acks: AckCoalescer,
    now: number,
  ) {
    // On a full disk the acks may not reach the outbox: start after what HQ acked all the same.
    acks.flush();
    this.acked = acks.ackedThrough(stream);
    const last = this.lastSeq();
    this.known = last;
    this.liveFrom = last + 1;
    this.backlogNext = this.acked + 1;
    this.liveNext = this.liveFrom;
    this.lastProgressAt = now;
  }

  get ackedThrough(): number {
    return this.acked;
  }

  /** Records HQ has not acknowledged, as far as this cursor has seen. */
  get backlog(): number {
    return this.known - this.acked;
  }

  /** Outstanding: published in this connection and not yet acknowledged by HQ. */
  get outstanding(): boolean {
    return this.sentThrough > this.acked;
  }

  /** HQ's cumulative ack. False when `through` is beyond any seq that exists (a broken peer). */
  acknowledge(through: number, now: number): boolean {
    if (through > this.known) this.known = this.lastSeq();
    if (through > this.known) return false;
    if (through > this.acked) {
      this.acks.ack(this.stream, through);
      this.acked = through;
      this.lastProgressAt = now;
    }
    this.backlogNext = Math.max(this.backlogNext, Math.min(this.acked + 1, this.liveFrom));
    this.liveNext = Math.max(this.liveNext, this.acked + 1);
    return true;
  }

  /** The last seq handed out, from the outbox (its acked_through may lag ours: see AckCoalescer). */
  private lastSeq(): number {
    return this.outbox.ackedThrough(this.stream) + (this.outbox.backlog()[this.stream] ?? 0);
  }

  /** Send again from `from` (HQ's replay request, or no ack in time). */
  rewind(from: number, now: number): void {
    const start = Math.max(from, this.acked + 1);
    this.backlogNext = Math.min(start, this.liveFrom);
    this.liveNext = Math.max(start, this.liveFrom);
    this.sentThrough = Math.min(this.sentThrough, start - 1);
    this.lastProgressAt = now;
  }

  /**
   * The next envelope to publish, or null. Live records go first; while both ranges have records,
   * every `historicalEvery`-th envelope is historical, so a week of backlog drains at a fixed share
   * without holding back today's calls.
   */
  next(head: Omit<EnvelopeHead, "stream" | "historical">, tuning: RelayTuning, now: number) {
    const historicalTurn = this.turn % tuning.historicalEvery === tuning.historicalEvery - 1;
    const order = historicalTurn ? [true, false] : [false, true];
    for (const historical of order) {
      const built = historical ? this.nextBacklog(head, tuning) : this.nextLive(head, tuning);
      if (built === null) continue;
      if (!this.outstanding) this.lastProgressAt = now;
      if (historical) this.backlogNext = built.seqTo + 1;
      else this.liveNext = built.seqTo + 1;
      this.known = Math.max(this.known, built.seqTo);
      this.sentThrough = Math.max(this.sentThrough, built.seqTo);
      this.turn++;
      return { ...built, historical };
    }
    return null;
  }

  private nextBacklog(head: Omit<EnvelopeHead, "stream" | "historical">, tuning: RelayTuning) {
    const room = Math.min(tuning.maxRecords, this.liveFrom - this.backlogNext);
    if (room <= 0 || this.backlogNext - 1 - this.acked >= tuning.maxUnacked) return null;
    const full = { ...head, stream: this.stream, historical: true };
    return buildEnvelope(this.outbox, full, this.backlogNext - 1, room, tuning.maxBytes);
  }

  private nextLive(
    head: Omit<EnvelopeHead, "stream" | "historical">,
    tuning: RelayTuning,
  ): BuiltEnvelope | null {
    const full = { ...head, stream: this.stream, historical: false };
    return buildEnvelope(this.outbox, full, this.liveNext - 1, tuning.maxRecords, tuning.maxBytes);
  }
}
