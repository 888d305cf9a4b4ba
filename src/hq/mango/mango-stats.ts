/**
 * Mango Office's call statistics (`stats/request` → `stats/result`, VPBX API "API Статистика";
 * control-rules §3.6): what HQ asks for to recover the webhooks it missed, and how it reads the
 * answer. Pure.
 */

/**
 * The fields HQ asks for, in this order: the API's default list plus `entry_id` (the call group,
 * what HQ reconciles by). Sent as one comma-separated string, as a live request of 2026 did
 * (test/fixtures/mango/real/README.md); the answer's columns come in this order, with no header.
 */
export const MANGO_STATS_FIELDS = [
  "records",
  "start",
  "finish",
  "answer",
  "from_extension",
  "from_number",
  "to_extension",
  "to_number",
  "disconnect_reason",
  "line_number",
  "location",
  "entry_id",
] as const;

/** One row of the answer: each asked field's text, "" when Mango left it empty. */
export type MangoStatsRow = Readonly<Record<string, string>>;

export interface MangoStatsTable {
  readonly rows: MangoStatsRow[];
  /** Lines that are not one value per asked field: counted and shown, never guessed at. */
  readonly bad: { readonly line: number; readonly reason: string }[];
}

/**
 * `stats/result`'s 200 body: "CSV, `;` between fields, `\n` between rows, no escaping (values
 * cannot hold `"`, `,`, `;` or a newline)", the columns in the order of `fields`. A trailing `\r`
 * and blank lines are ignored; a line with another number of values is bad (its number kept).
 */
export function parseMangoStatsCsv(text: string, fields: readonly string[]): MangoStatsTable {
  const rows: MangoStatsRow[] = [];
  const bad: { line: number; reason: string }[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    const values = line.split(";");
    if (values.length !== fields.length) {
      bad.push({ line: i + 1, reason: `${values.length} values, ${fields.length} fields asked` });
      continue;
    }
    rows.push(Object.fromEntries(fields.map((field, j) => [field, values[j]?.trim() ?? ""])));
  }
  return { rows, bad };
}

/** The API's limit on one request: date_to − date_from "may not exceed a month"; HQ keeps to 28 days. */
export const MANGO_STATS_MAX_SPAN_S = 28 * 24 * 3600;

/** A window of Mango time, Unix seconds, both ends included (as the API reads date_from/date_to). */
export interface MangoStatsWindow {
  readonly from: number;
  readonly to: number;
}

/** `[from, to]` cut into windows of at most MANGO_STATS_MAX_SPAN_S, oldest first. */
export function splitMangoWindow(window: MangoStatsWindow): MangoStatsWindow[] {
  const windows: MangoStatsWindow[] = [];
  for (let from = window.from; from <= window.to; from += MANGO_STATS_MAX_SPAN_S + 1)
    windows.push({ from, to: Math.min(window.to, from + MANGO_STATS_MAX_SPAN_S) });
  return windows;
}

/**
 * The window HQ could have missed webhooks in because it was not running: from its last
 * heartbeat to its start, each widened by `marginS` (a beat is written every few seconds, and
 * Mango's clock is not HQ's). ALWAYS a window after any earlier run, however short the restart:
 * Mango resends nothing. null when HQ never ran before (no heartbeat: nothing to recover).
 */
export function downtimeWindow(
  lastBeatMs: number | null,
  startedMs: number,
  marginS: number,
): MangoStatsWindow | null {
  if (lastBeatMs === null) return null;
  return { from: Math.floor(lastBeatMs / 1000) - marginS, to: Math.ceil(startedMs / 1000) + marginS };
}
