import type { Presence } from "../../contract/protocol.ts";

/** Something that went wrong with one branch's messages, as this HQ process saw it. */
export interface BranchProblem {
  readonly at: number;
  readonly branch: string;
  readonly stream: string | null;
  /** A stable code: HQ.BAD_ENVELOPE, HQ.REPLAY_REQUESTED, HQ.REORDER_OVERFLOW, HQ.COMMIT_FAILED… */
  readonly code: string;
  readonly detail: string;
}

/** The largest backlog a branch reported since it last came online, and since when. */
export interface BacklogPeak {
  readonly epoch: number;
  readonly peak: number;
}

/**
 * What the fleet page knows beyond the store, kept in this process's memory: each branch's
 * backlog peak since it came online (every consumer sees every presence, so each one's peak is
 * the same once it has run through a drain) and the newest problems per branch (only those this
 * consumer met: several consumers share the up streams). It also tells the live pages when
 * anything they show may have changed. NEVER stored: a restart starts both afresh.
 */
export interface FleetWatch {
  /** A presence HQ stored. */
  presence(branch: string, presence: Presence): void;
  /** Records were committed (the Applier's `onApplied`). */
  applied(): void;
  problem(problem: BranchProblem): void;
  peak(branch: string): BacklogPeak | undefined;
  /** The newest first, at most `limit`. */
  problems(branch: string, limit: number): BranchProblem[];
  /** Called after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Problems kept per branch: enough for "its last errors", bounded whatever a branch sends. */
const PROBLEMS_PER_BRANCH = 50;
/** Branches tracked at most (a hostile topic name per message must not grow memory). */
const MAX_BRANCHES = 10_000;

export function createFleetWatch(): FleetWatch {
  const peaks = new Map<string, BacklogPeak>();
  const problems = new Map<string, BranchProblem[]>();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  return {
    presence(branch, presence) {
      const before = peaks.get(branch);
      if (!presence.online) peaks.delete(branch);
      else if (before === undefined || before.epoch !== presence.epoch) {
        if (peaks.size < MAX_BRANCHES || before !== undefined)
          peaks.set(branch, { epoch: presence.epoch, peak: presence.backlog ?? 0 });
      } else if ((presence.backlog ?? 0) > before.peak)
        peaks.set(branch, { epoch: presence.epoch, peak: presence.backlog ?? 0 });
      changed();
    },
    applied: changed,
    problem(problem) {
      const list = problems.get(problem.branch);
      if (list === undefined) {
        if (problems.size >= MAX_BRANCHES) return;
        problems.set(problem.branch, [problem]);
      } else {
        list.push(problem);
        if (list.length > PROBLEMS_PER_BRANCH) list.shift();
      }
      changed();
    },
    peak: (branch) => peaks.get(branch),
    problems: (branch, limit) => [...(problems.get(branch) ?? [])].reverse().slice(0, limit),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
