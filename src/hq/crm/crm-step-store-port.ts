import type { ForwardItem } from "../store/hq-store-port.ts";
import type { CrmStep, CrmStepPlan } from "./crm-port.ts";

/**
 * A step's life (one row of `crm_steps`):
 *
 * ```
 *   plan ──► pending ──done──► done
 *             │  ▲ ▲
 *       retry └──┘ └─unpark── parked ◄──park── pending
 * ```
 *
 * `pending` rows are due at `nextAt`; a claim leases one by moving `nextAt` on, so a consumer that
 * dies mid-step leaves it to be claimed again when the lease ends (the CRM's dedupe key makes
 * that second run harmless). `done` and `parked` change only by the moves drawn.
 */
export type CrmStepState = "pending" | "done" | "parked";

/** A parked step as the fleet page lists it. */
export interface ParkedCrmStep {
  readonly id: number;
  readonly recordKey: string;
  readonly branch: string;
  readonly recordId: string;
  readonly name: string;
  readonly attempts: number;
  readonly code: string;
  readonly reason: string;
  readonly parkedAt: number;
}

export type CrmStepCounts = Readonly<Record<CrmStepState, number>>;

/**
 * HQ's durable CRM steps (issue 19) and the OAuth tokens its connectors rotate. Any number of
 * consumers, in any number of processes, may share one store. ALWAYS:
 *
 * - `plan(item, steps, now)` writes the record's steps AND takes its row off the forward queue in
 *   ONE transaction: "planned" when it did both, "gone" (nothing written) when the row had already
 *   left the queue (another consumer planned it). So a crash never plans a record twice nor loses
 *   one; `[]` only takes the row off the queue.
 * - `claim(now, leaseMs, limit)` returns only steps that are pending, due at `now`, the oldest
 *   not-done step of their `orderKey` AND the oldest not-done step of their record (a parked step
 *   holds back the later ones of its client until it is retried: call order is kept, nothing
 *   skipped), oldest first, each with the results of its record's done steps in `earlier`; it
 *   leases them for `leaseMs`, so two consumers never run one step at once.
 * - `done`, `retry` and `park` move a pending step (a step no longer pending is left as it is):
 *   `retry` counts an attempt and sets when it is next due; `park` keeps the code and the reason.
 * - `unpark` (the fleet page's retry button) makes a parked step pending and due at `now`; false
 *   when it was not parked.
 *
 * A storage failure rejects with a StoreFailure and changes nothing.
 */
export interface CrmStepStore {
  plan(item: ForwardItem, steps: readonly CrmStepPlan[], now: number): Promise<"planned" | "gone">;
  claim(now: number, leaseMs: number, limit: number): Promise<CrmStep[]>;
  done(id: number, result: Readonly<Record<string, unknown>>, now: number): Promise<void>;
  retry(id: number, nextAt: number, reason: string, now: number): Promise<void>;
  park(id: number, code: string, reason: string, now: number): Promise<void>;
  parked(limit: number): Promise<ParkedCrmStep[]>;
  unpark(id: number, now: number): Promise<boolean>;
  counts(): Promise<CrmStepCounts>;
}

/** `${branch}:${stream}:${seq}`: a step's record, as the forwarder's Idempotency-Key names it. */
export function crmRecordKey(item: Pick<ForwardItem, "branch" | "stream" | "record">): string {
  return `${item.branch}:${item.stream}:${item.record.seq}`;
}
