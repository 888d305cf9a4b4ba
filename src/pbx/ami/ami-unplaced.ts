import type { UnplacedEndpoint } from "../../domain/call/pbx-endpoints.ts";
import type { Instant } from "../../domain/roster/types.ts";

/** How many endpoints are remembered: the most recently seen win. */
export const UNPLACED_LIMIT = 100;

/**
 * The endpoints whose channels the translator could not place, by endpoint (`PJSIP/reception-a`),
 * the most recently seen last. O(1) per channel and bounded: a new endpoint beyond `limit` pushes
 * out the one seen longest ago, so a month of calls costs the same memory as a day.
 * `version` grows on every change, for a writer that persists only what changed.
 */
export class UnplacedEndpoints {
  private readonly byEndpoint = new Map<string, UnplacedEndpoint>();
  private changes = 0;

  constructor(private readonly limit = UNPLACED_LIMIT) {}

  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.byEndpoint.size;
  }

  seen(endpoint: string, context: string | null, callerId: string | null, at: Instant): void {
    const known = this.byEndpoint.get(endpoint);
    // Map order is insertion order: delete and set again makes it the most recent.
    if (known !== undefined) this.byEndpoint.delete(endpoint);
    this.byEndpoint.set(endpoint, {
      endpoint,
      context,
      callerId,
      seen: (known?.seen ?? 0) + 1,
      firstSeen: known?.firstSeen ?? at,
      lastSeen: Math.max(at, known?.lastSeen ?? at),
    });
    if (this.byEndpoint.size > this.limit) {
      const oldest = this.byEndpoint.keys().next().value;
      if (oldest !== undefined) this.byEndpoint.delete(oldest);
    }
    this.changes++;
  }

  /** What an earlier run kept (oldest first), under what this run has seen already. */
  restore(endpoints: readonly UnplacedEndpoint[]): void {
    const sorted = [...endpoints].sort((a, b) => a.lastSeen - b.lastSeen);
    const mine = [...this.byEndpoint.values()];
    this.byEndpoint.clear();
    for (const entry of [...sorted, ...mine].slice(-this.limit)) {
      this.byEndpoint.delete(entry.endpoint);
      this.byEndpoint.set(entry.endpoint, entry);
    }
    this.changes++;
  }

  /**
   * The endpoints still unplaced, most recent first. One that `placed` now says the box knows
   * (it was added to a desk, an employee or `[pbx.ami] handsets`) is forgotten.
   */
  list(placed: (entry: UnplacedEndpoint) => boolean): UnplacedEndpoint[] {
    const out: UnplacedEndpoint[] = [];
    for (const entry of this.byEndpoint.values()) {
      if (!placed(entry)) out.push(entry);
      else if (this.byEndpoint.delete(entry.endpoint)) this.changes++;
    }
    return out.reverse();
  }
}
