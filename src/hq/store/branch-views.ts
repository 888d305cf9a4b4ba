import type { BranchView } from "./hq-store-port.ts";

/** A `branches` row (the branch's last presence), as each store reads it. */
export interface PresenceRow {
  readonly branch: string;
  readonly online: boolean;
  readonly epoch: number;
  readonly version: string | null;
  readonly backlog: number | null;
  readonly stateAt: number;
}

/** A `streams` row, as each store reads it. */
export interface StreamRow {
  readonly branch: string;
  readonly stream: string;
  readonly through: number;
  readonly duplicates: number;
  readonly lastRecordTs: number | null;
  readonly lastAppliedAt: number | null;
}

/**
 * HqStore's `branches()` from its two tables, read in one snapshot by the store: every branch
 * with a presence or a stream (one with records and no presence yet shows nulls), its streams, and
 * its newest record's `ts` over them; sorted by branch id. Pure: both stores share it.
 */
export function branchViews(presences: readonly PresenceRow[], streams: readonly StreamRow[]): BranchView[] {
  const views = new Map<string, BranchView>();
  const view = (branch: string) => {
    let v = views.get(branch);
    if (v === undefined) {
      v = {
        branch,
        online: null,
        epoch: null,
        version: null,
        backlog: null,
        stateAt: null,
        lastRecordTs: null,
        streams: {},
      };
      views.set(branch, v);
    }
    return v;
  };
  for (const p of presences)
    Object.assign(view(p.branch), {
      online: p.online,
      epoch: p.epoch,
      version: p.version,
      backlog: p.backlog,
      stateAt: p.stateAt,
    });
  for (const s of streams) {
    const v = view(s.branch);
    v.streams[s.stream] = {
      through: s.through,
      duplicates: s.duplicates,
      lastRecordTs: s.lastRecordTs,
      lastAppliedAt: s.lastAppliedAt,
    };
    if (s.lastRecordTs !== null && (v.lastRecordTs ?? 0) < s.lastRecordTs)
      Object.assign(v, { lastRecordTs: s.lastRecordTs });
  }
  return [...views.values()].sort((a, b) => a.branch.localeCompare(b.branch));
}
