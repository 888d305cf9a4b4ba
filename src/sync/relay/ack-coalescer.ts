import type { OutboxStore } from "../../store/outbox-store.ts";
import type { UpStream } from "../protocol.ts";

/**
 * HQ's cumulative acks, written to the outbox (acked_through + DELETE, one fsync) at most every
 * `everyMs` instead of once per ack; the cursor moves on at once. Why a late write is safe: an ack
 * only ever lets rows go, and HQ sent it after its commit. If the box dies before the write, the
 * rows are still there, the relay starts from the older acked_through and sends them again, and
 * HQ drops them as duplicates (seq <= its high-water mark) and acks again. Nothing can be lost:
 * a row is still deleted only after HQ's ack. `flush()` writes at once (stop, reconnect).
 */
export class AckCoalescer {
  private readonly waiting = new Map<UpStream, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly everyMs: number,
  ) {}

  ack(stream: UpStream, through: number): void {
    if (through <= (this.waiting.get(stream) ?? 0)) return;
    this.waiting.set(stream, through);
    this.timer ??= setTimeout(() => this.flush(), this.everyMs);
  }

  /** Acked in memory, not yet in the outbox: how many of the stream's backlog rows are gone. */
  unwritten(stream: UpStream): number {
    const through = this.waiting.get(stream);
    return through === undefined ? 0 : Math.max(0, through - this.outbox.ackedThrough(stream));
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [stream, through] of this.waiting) {
      this.outbox.ack(stream, through);
      this.waiting.delete(stream);
    }
  }
}
