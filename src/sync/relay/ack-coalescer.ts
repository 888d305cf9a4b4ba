import type { UpStream } from "../../contract/protocol.ts";
import type { Logger } from "../../log/logger.ts";
import type { OutboxStore } from "../../store/outbox-store.ts";
import { STORAGE_RETRY_MS, type StorageFaults, storageFaults } from "../../store/storage-faults.ts";

const SITE = "sync.acks";

/**
 * HQ's cumulative acks, written to the outbox (acked_through + DELETE, one fsync) at most every
 * `everyMs` instead of once per ack; the cursor moves on at once. Why a late write is safe: an ack
 * only ever lets rows go, and HQ sent it after its commit. If the box dies before the write, the
 * rows are still there, the relay starts from the older acked_through and sends them again, and
 * HQ drops them as duplicates (seq <= its high-water mark) and acks again. Nothing can be lost:
 * a row is still deleted only after HQ's ack. `flush()` writes at once (stop, reconnect).
 *
 * The same reasoning covers a write that fails (a full disk): the acks stay here, are tried again
 * every STORAGE_RETRY_MS until there is room, and the failure goes to `faults` (logged once,
 * counted). It never throws a storage error: this runs on a timer and in MQTT callbacks, where
 * one would end the process.
 */
export class AckCoalescer {
  private readonly waiting = new Map<UpStream, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly everyMs: number,
    private readonly log: Logger,
    private readonly faults: StorageFaults = storageFaults,
  ) {}

  ack(stream: UpStream, through: number): void {
    if (through <= (this.waiting.get(stream) ?? 0)) return;
    this.waiting.set(stream, through);
    this.timer ??= setTimeout(() => this.flush(), this.everyMs);
  }

  /** The highest seq HQ acknowledged, written to the outbox or still waiting here. */
  ackedThrough(stream: UpStream): number {
    return Math.max(this.waiting.get(stream) ?? 0, this.outbox.ackedThrough(stream));
  }

  /** Acked in memory, not yet in the outbox: how many of the stream's backlog rows are gone. */
  unwritten(stream: UpStream): number {
    const through = this.waiting.get(stream);
    return through === undefined ? 0 : Math.max(0, through - this.outbox.ackedThrough(stream));
  }

  /** Writes the waiting acks now; false if the storage failed (they wait, and are tried again). */
  flush(): boolean {
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      for (const [stream, through] of this.waiting) {
        this.outbox.ack(stream, through);
        this.waiting.delete(stream);
      }
    } catch (error) {
      if (this.faults.failed(SITE, error, this.log, { waiting: Object.fromEntries(this.waiting) }) === null)
        throw error;
      this.timer = setTimeout(() => this.flush(), STORAGE_RETRY_MS);
      return false;
    }
    this.faults.worked(SITE, this.log);
    return true;
  }

  /** A last flush, no retry after it: what cannot be written now HQ acks again after the restart. */
  close(): void {
    this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
