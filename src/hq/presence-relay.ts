import { rosterFactDataSchema } from "../contract/up-records.ts";
import type { Logger } from "../log/logger.ts";
import { type DownRelay, type PublishDown, startDownRelay } from "./down-relay.ts";
import type { HqStore } from "./store/hq-store-port.ts";
import type { PresenceStore, Sighting } from "./store/presence-store-port.ts";

/** Roster records read per branch and transaction. */
const PAGE = 500;

/** The facts that put an employee at a branch from an instant: a check-in, or taking a desk's phone. */
export function sightingsOf(
  records: readonly { readonly type: string; readonly data: unknown }[],
): Sighting[] {
  return records.flatMap((r) => {
    if (r.type !== "roster.fact") return [];
    const fact = rosterFactDataSchema.safeParse(r.data);
    if (!fact.success || (fact.data.kind !== "check-in" && fact.data.kind !== "handover")) return [];
    return [{ employeeId: fact.data.employeeId, at: fact.data.at }];
  });
}

/**
 * R0.3d at headquarters (issue 18): reads every branch's committed `roster` stream from a cursor
 * of its own (the PresenceStore's, moved in the transaction that queues what it found, so a
 * restart or a second consumer neither skips nor repeats a fact), turns each check-in into
 * `staff.elsewhere` records for the employee's other branches (presence-store-port.ts says which),
 * and publishes them on `branchbox/v1/{branch}/down/presence` like any stored down stream. Each
 * round reads first, then publishes; `kick()` after a roster commit, and a timer, start one.
 */
export function startPresenceRelay(options: {
  readonly records: HqStore;
  readonly store: PresenceStore;
  readonly publish: PublishDown;
  readonly log: Logger;
  readonly epoch: number;
  readonly now?: () => number;
  readonly retryMs?: number;
}): DownRelay {
  const { records, store } = options;
  const now = options.now ?? Date.now;
  const readAll = async () => {
    for (const branch of await records.branches()) {
      const through = branch.streams.roster?.through ?? 0;
      for (let cursor = await store.cursor(branch.branch); cursor < through; ) {
        const page = await records.records(branch.branch, "roster", cursor, PAGE);
        const last = page.at(-1);
        if (last === undefined) break;
        if ((await store.ingest(branch.branch, cursor, last.seq, sightingsOf(page), now())) === "moved")
          cursor = await store.cursor(branch.branch);
        else cursor = last.seq;
      }
    }
  };
  return startDownRelay({
    ...options,
    stream: "presence",
    unpublished: async (limit) => {
      await readAll();
      return store.unpublished(limit);
    },
    toRow: (row) => ({
      branch: row.branch,
      record: { id: row.id, seq: row.seq, ts: row.createdAt, type: "staff.elsewhere", data: row.data },
    }),
    published: (rows, at) => store.published(rows, at),
    failureCode: "HQ.ELSEWHERE_FAILED",
  });
}
