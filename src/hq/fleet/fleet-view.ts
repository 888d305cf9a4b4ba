import type { BranchView } from "../store/hq-store-port.ts";
import type { BacklogPeak } from "./fleet-watch.ts";

export interface StreamLag {
  readonly stream: string;
  /** The stream's high-water mark at HQ. */
  readonly through: number;
  /** now − the newest record's own ts; null: no record yet. */
  readonly lagMs: number | null;
  /** Records the serving consumer holds ahead of a gap in the stream (0: none). */
  readonly waiting: number;
}

/** One line of the fleet table. */
export interface FleetRow {
  readonly branch: string;
  /** "unknown": HQ has the branch's records but never its presence. */
  readonly state: "online" | "offline" | "unknown";
  /** Since when the state holds (the presence HQ stored), ms. */
  readonly since: number | null;
  /** Offline longer than `[hq] offline_alert_minutes`. */
  readonly alert: boolean;
  readonly version: string | null;
  readonly backlog: number | null;
  /** While the backlog drains: the largest seen since the branch came online (the bar's 100 %). */
  readonly backlogPeak: number | null;
  readonly lastRecordTs: number | null;
  readonly streams: readonly StreamLag[];
}

/**
 * The fleet as the page shows it, at `now`: branches offline past the alert first (longest
 * first), then the rest by name. Pure: the store's views, the backlog peaks and the records held
 * ahead of a gap per stream go in; a stream with records held and none stored yet is listed too.
 */
export function fleetRows(
  branches: readonly BranchView[],
  peak: (branch: string) => BacklogPeak | undefined,
  now: number,
  alertMs: number,
  waiting: (branch: string) => ReadonlyMap<string, number> = () => new Map(),
): FleetRow[] {
  const rows = branches.map((b): FleetRow => {
    const state = b.online === null ? "unknown" : b.online ? "online" : "offline";
    const seen = peak(b.branch);
    const draining = state === "online" && b.backlog !== null && b.backlog > 0;
    const held = waiting(b.branch);
    const stored = Object.entries(b.streams).map(([stream, s]) => ({
      stream,
      through: s.through,
      lagMs: s.lastRecordTs === null ? null : Math.max(0, now - s.lastRecordTs),
      waiting: held.get(stream) ?? 0,
    }));
    const heldOnly = [...held]
      .filter(([stream]) => !Object.hasOwn(b.streams, stream))
      .map(([stream, records]) => ({ stream, through: 0, lagMs: null, waiting: records }));
    return {
      branch: b.branch,
      state,
      since: b.stateAt,
      alert: state === "offline" && b.stateAt !== null && now - b.stateAt > alertMs,
      version: b.version,
      backlog: b.backlog,
      backlogPeak: draining ? Math.max(b.backlog ?? 0, seen?.epoch === b.epoch ? seen.peak : 0) : null,
      lastRecordTs: b.lastRecordTs,
      streams: [...stored, ...heldOnly].sort((x, y) => x.stream.localeCompare(y.stream)),
    };
  });
  return rows.sort(
    (a, b) =>
      Number(b.alert) - Number(a.alert) ||
      (a.alert && b.alert ? (a.since ?? 0) - (b.since ?? 0) : 0) ||
      a.branch.localeCompare(b.branch),
  );
}
