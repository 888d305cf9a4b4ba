import type { StaffElsewhere } from "../../contract/down-records.ts";

/** A check-in (or a handover) of an employee at a branch, as that branch's roster fact says. */
export interface Sighting {
  readonly employeeId: string;
  readonly at: number;
}

/** One `staff.elsewhere` record of a branch's `presence` down stream. */
export interface PresenceDownRow {
  /** The receiving branch. */
  readonly branch: string;
  readonly seq: number;
  /** `elsewhere:<branch seen>:<employeeId>:<at>`. */
  readonly id: string;
  readonly data: StaffElsewhere;
  readonly createdAt: number;
}

/**
 * Headquarters' side of R0.3d (issue 18): where it has seen each employee check in, how far it has
 * read each branch's `roster` stream, and the `presence` down stream it sends.
 *
 * `ingest(branch, from, through, sightings, now)` ALWAYS, in ONE transaction:
 * - does nothing and answers "moved" when the branch's cursor is no longer `from` (another
 *   consumer read the same facts first);
 * - for each sighting of employee E at `branch` at t, in order: queues `staff.elsewhere
 *   {E, branch, at: t}` for every OTHER branch with a sighting of E, and queues for `branch` the
 *   newest sighting of E at another branch when it is later than t (that branch's facts arrived
 *   first); then keeps t as E's newest sighting at `branch` if it is newer;
 * - queues a record id once per receiving branch (a second time writes nothing), with the next
 *   seq of that branch's `presence` stream (1, 2, 3 …, no holes, never reused), read under the
 *   write lock;
 * - moves the cursor to `through`.
 *
 * `unpublished(limit)` returns queued rows not yet marked published, per branch in ascending seq;
 * `published` marks them. A storage failure rejects with a StoreFailure and writes nothing.
 */
export interface PresenceStore {
  cursor(branch: string): Promise<number>;
  ingest(
    branch: string,
    from: number,
    through: number,
    sightings: readonly Sighting[],
    now: number,
  ): Promise<"done" | "moved">;
  unpublished(limit: number): Promise<PresenceDownRow[]>;
  published(rows: readonly { readonly branch: string; readonly seq: number }[], now: number): Promise<void>;
}
