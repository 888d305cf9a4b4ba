import type { Instant } from "../roster/types.ts";
import type { PbxEvent } from "./pbx-event.ts";

/**
 * A PBX's own record of its calls, read back for a window the box did not see live (it was down,
 * or its link was): Asterisk's CEL or CDR tables or files. The port a source's folder implements
 * when its PBX keeps such a record (`[pbx.ami] cel_url`, `cel_csv`); a source without one (SIP
 * dialog subscriptions) leaves its gaps listed as "calls may be missing".
 *
 * ALWAYS:
 * - returns every call that had any event in `window`, whole (its events before and after the
 *   window too, up to the time of reading), as the PbxEvents the live source would have given,
 *   under the same keys, so the journal drops what the live stream already delivered;
 * - marks each event `recovered` (via, and the instant of reading);
 * - reads only: it never writes to the PBX's records.
 * NEVER:
 * - invents a call: a row it cannot place (a channel of no known call, a malformed line) is
 *   counted in `skipped`, not guessed at;
 * - reports a call-end for a call the record does not show over.
 * A failure (unreachable, refused, timed out, a missing table) rejects with an Error whose message
 * says which, without secrets (no password from a URL).
 */
export interface PbxHistory {
  /** What it reads, for /admin and doctor: `CEL in mysql://pbx/asteriskcdrdb`, `CEL CSV /var/log/…`. */
  readonly describe: string;
  read(window: HistoryWindow, at: Instant): Promise<HistoryRead>;
}

export interface HistoryWindow {
  readonly from: Instant;
  readonly to: Instant;
}

export interface HistoryRead {
  readonly events: readonly PbxEvent[];
  /** Calls found in the window (whole calls, live ones included). */
  readonly calls: number;
  /** Which record answered: CEL, or CDR where CEL is off (less detail). */
  readonly via: "cel" | "cdr";
  /** Rows read but not placed (see NEVER above). */
  readonly skipped: number;
}
