import type { Database } from "bun:sqlite";

export type GapState = "reading" | "recovered" | "unread" | "no-history";

/** One window a PBX source's link was down, and what reading it back gave. */
export interface PbxGap {
  readonly id: number;
  readonly source: string;
  /** The last instant the link was known up. */
  readonly lostAt: number;
  /** When it came back. */
  readonly backAt: number;
  readonly state: GapState;
  readonly via: "cel" | "cdr" | null;
  readonly calls: number;
  readonly events: number;
  readonly skipped: number;
  readonly attempts: number;
  /** Why it could not be read, or what read it. */
  readonly detail: string | null;
  readonly readAt: number | null;
}

export interface GapOutcome {
  readonly state: Exclude<GapState, "reading">;
  readonly via?: "cel" | "cdr" | null;
  readonly calls?: number;
  readonly events?: number;
  readonly skipped?: number;
  readonly detail?: string | null;
  readonly readAt: number;
}

/** The PBX links' watermarks and gaps (migration 6). */
export interface PbxGapStore {
  /** The last instant `source`'s link was known up; null: it never was (a new box reads no history). */
  lastUp(source: string): number | null;
  /** Stamps `source`'s link up at `at` (never moves the watermark back). */
  markUp(source: string, at: number): void;
  /** Opens a gap (state `reading`) and returns its id. */
  open(source: string, lostAt: number, backAt: number): number;
  /** Records how reading a gap ended; counts the attempt. */
  settle(id: number, outcome: GapOutcome): void;
  /** The newest gaps first. */
  recent(limit: number): PbxGap[];
  /** Gaps left unread (a history that refused or timed out), oldest first, to try again. */
  unread(limit: number): PbxGap[];
  /** Whether the box has seen call `callId` of `source` (its start is journaled, or it is recorded). */
  knowsCall(source: string, callId: string): boolean;
}

interface GapRow {
  id: number;
  source: string;
  lost_at: number;
  back_at: number;
  state: GapState;
  via: "cel" | "cdr" | null;
  calls: number;
  events: number;
  skipped: number;
  attempts: number;
  detail: string | null;
  read_at: number | null;
}

const toGap = (row: GapRow): PbxGap => ({
  id: row.id,
  source: row.source,
  lostAt: row.lost_at,
  backAt: row.back_at,
  state: row.state,
  via: row.via,
  calls: row.calls,
  events: row.events,
  skipped: row.skipped,
  attempts: row.attempts,
  detail: row.detail,
  readAt: row.read_at,
});

/** Gaps older than this are forgotten as new ones open. */
const KEEP_GAPS_MS = 90 * 24 * 3600 * 1000;

export function pbxGapStore(db: Database): PbxGapStore {
  const selectUp = db.query<{ up_at: number }, [string]>("SELECT up_at FROM pbx_links WHERE source = ?");
  const upsertUp = db.query(
    `INSERT INTO pbx_links (source, up_at) VALUES (?1, ?2)
     ON CONFLICT (source) DO UPDATE SET up_at = max(up_at, excluded.up_at)`,
  );
  const insertGap = db.query<{ id: number }, [string, number, number]>(
    "INSERT INTO pbx_gaps (source, lost_at, back_at, state) VALUES (?, ?, ?, 'reading') RETURNING id",
  );
  const pruneGaps = db.query("DELETE FROM pbx_gaps WHERE back_at < ?");
  const updateGap = db.query(
    `UPDATE pbx_gaps SET state = $state, via = $via, calls = $calls, events = $events, skipped = $skipped,
       detail = $detail, read_at = $readAt, attempts = attempts + 1 WHERE id = $id`,
  );
  const selectRecent = db.query<GapRow, [number]>(
    "SELECT * FROM pbx_gaps ORDER BY back_at DESC, id DESC LIMIT ?",
  );
  const selectUnread = db.query<GapRow, [number]>(
    "SELECT * FROM pbx_gaps WHERE state IN ('unread', 'reading') ORDER BY back_at, id LIMIT ?",
  );
  const journaled = db.query<{ n: number }, [string, string]>(
    "SELECT 1 AS n FROM pbx_journal WHERE source = ? AND key = ?",
  );
  const recorded = db.query<{ n: number }, [string]>("SELECT 1 AS n FROM calls WHERE id = ?");
  return {
    knowsCall: (source, callId) =>
      journaled.get(source, `${callId}:start`) !== null || recorded.get(callId) !== null,
    lastUp: (source) => selectUp.get(source)?.up_at ?? null,
    markUp: (source, at) => void upsertUp.run(source, at),
    open(source, lostAt, backAt) {
      return db.transaction(() => {
        pruneGaps.run(backAt - KEEP_GAPS_MS);
        return insertGap.get(source, lostAt, backAt)?.id ?? 0;
      })();
    },
    settle(id, outcome) {
      updateGap.run({
        id,
        state: outcome.state,
        via: outcome.via ?? null,
        calls: outcome.calls ?? 0,
        events: outcome.events ?? 0,
        skipped: outcome.skipped ?? 0,
        detail: outcome.detail ?? null,
        readAt: outcome.readAt,
      });
    },
    recent: (limit) => selectRecent.all(limit).map(toGap),
    unread: (limit) => selectUnread.all(limit).map(toGap),
  };
}
