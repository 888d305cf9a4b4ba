import type { MangoEventKind } from "../../contract/down-records.ts";

/**
 * A row of the `pbx` down stream: an event (`call` … `dtmf`), or `result`, a command's one
 * `mango.result` (issue 17; mango-command-store-port.ts writes them).
 */
export type MangoStoredKind = MangoEventKind | "result";

/** One verified Mango webhook (or a command's result) as HQ keeps it. */
export interface MangoStoredEvent {
  /** `mango:<kind>:<hash>` (`mango:result:<commandId>`), the down record's id. */
  readonly id: string;
  readonly kind: MangoStoredKind;
  /**
   * An event's `json` form field exactly as Mango sent it (the text its signature covers); a
   * result's: the `mango.result` record's data, or with no branch the callback as Mango sent it.
   */
  readonly json: string;
  readonly receivedAt: number;
  /** null: no configured branch owns its lines or extensions (kept, relayed nowhere). */
  readonly branch: string | null;
  /** The branch's `pbx` down seq; null with no branch. */
  readonly seq: number | null;
  readonly publishedAt: number | null;
}

export type MangoAddResult =
  | { readonly kind: "stored"; readonly branch: string | null; readonly seq: number | null }
  /** The same id was stored before (Mango delivered it again): nothing written. */
  | { readonly kind: "duplicate"; readonly branch: string | null };

/**
 * Headquarters' Mango events (issue 17), in hq.db beside the records.
 *
 * `add` ALWAYS, in one IMMEDIATE transaction:
 * - writes an id once: a second `add` of the same id writes nothing and says "duplicate";
 * - places an event with `branch: null` by its `entryId` when an earlier event of the same call
 *   group has a branch (a recording or DTMF event names no line);
 * - gives an event with a branch the next seq of that branch's `pbx` down stream (1, 2, 3 …,
 *   without holes, never reused), read under the write lock, so several consumers sharing the
 *   file never hand out one seq twice;
 * - is durable when the promise resolves (synchronous=FULL), before anyone answers Mango 200.
 *
 * `unpublished(limit)` returns events with a branch not yet marked published, per branch in
 * ascending seq; `published` marks them (publishing twice is harmless: the box drops a seq it has).
 * `unrouted(limit)` lists the newest events with no branch. A storage failure rejects with a
 * StoreFailure (the hq store's) and writes nothing.
 */
export interface MangoStore {
  add(
    event: { id: string; kind: MangoEventKind; json: string; receivedAt: number; entryId: string | null },
    branch: string | null,
  ): Promise<MangoAddResult>;
  unpublished(limit: number): Promise<MangoStoredEvent[]>;
  published(ids: readonly string[], now: number): Promise<void>;
  unrouted(limit: number): Promise<MangoStoredEvent[]>;
  counts(): Promise<{ stored: number; unrouted: number; unpublished: number }>;
}
