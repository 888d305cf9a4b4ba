/**
 * The `SequenceNumber`s one AMI link has delivered, to drop an event sent twice. Asterisk numbers
 * every event it raises from one counter, so on one link a number seen again (a repeat, or one that
 * goes backwards) is the same event again. The numbering restarts with Asterisk, so each link
 * (each login: `FullyBooted` opens it, as does the resync after it) starts with nothing seen.
 *
 * Bounded and O(1): a ring of the last `size` numbers below the highest seen (slot n % size holds
 * n once n was seen); a number older than the ring is taken as seen.
 */
export class SequenceWindow {
  private readonly slots: Float64Array;
  private high = -1;

  constructor(private readonly size = 4096) {
    this.slots = new Float64Array(size).fill(-1);
  }

  /** Whether `value` (the header's text) was delivered already on this link; records it if not. */
  repeated(value: string | undefined): boolean {
    if (value === undefined) return false;
    const n = Number(value.trim());
    if (!Number.isSafeInteger(n) || n < 0 || value.trim() === "") return false;
    if (this.high >= 0 && n <= this.high - this.size) return true;
    const slot = n % this.size;
    if (this.slots[slot] === n) return true;
    this.slots[slot] = n;
    this.high = Math.max(this.high, n);
    return false;
  }

  /** A new link: nothing seen on it yet. */
  reset(): void {
    this.slots.fill(-1);
    this.high = -1;
  }
}
