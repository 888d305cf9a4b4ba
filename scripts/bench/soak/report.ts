import { goal, int, mb, pad } from "../lib/stats.ts";
import type { SoakStatus } from "./box.ts";

/** What the soak measured at one day's end (day -1: before the first call). */
export interface Sample {
  readonly day: number;
  readonly calls: number;
  readonly frames: number;
  /** The soaked box: VmRSS and JS heap after a full GC, MB. */
  readonly rss: number;
  readonly heap: number;
  /** The idle box beside it, the same way. */
  readonly idleRss: number;
  readonly idleHeap: number;
  /** Per-call tables in memory, from /metrics (`source:` for the AMI source's). */
  readonly tables: Readonly<Record<string, number>>;
  /** Per-call SQLite tables, rows. */
  readonly rows: Readonly<Record<string, number>>;
}

export interface Report {
  readonly machine: string;
  readonly seed: number;
  readonly days: number;
  readonly minCalls: number;
  readonly maxCalls: number;
  readonly warmup: number;
  readonly seconds: number;
  readonly totals: {
    readonly calls: number;
    readonly frames: number;
    readonly bytes: number;
    readonly events: number;
    readonly expectedEvents: number;
    readonly problems: readonly string[];
  };
  readonly last: SoakStatus;
  readonly samples: readonly Sample[];
}

/** Rows kept by design (the history a branch keeps), not bounded by the live calls. */
const BY_DESIGN: Readonly<Record<string, string>> = {
  assembler_finished: "ids of finished calls, to refuse their late events: capped at 10,000",
  "rows calls": "the call history: kept by design",
  "rows roster": "shift facts: kept by design",
};

export function report(r: Report): string {
  const { samples, totals } = r;
  const warmDays = Math.max(1, Math.round(r.days * r.warmup));
  const warm = samples.find((s) => s.day === warmDays - 1) ?? (samples[0] as Sample);
  const last = samples.at(-1) as Sample;
  // RSS moves by several MB from one day's end to the next (allocator, SQLite's cache): the growth
  // is judged on the median of the first and of the last five days after warm-up.
  const post = samples.filter((s) => s.day >= warmDays - 1);
  const median5 = (list: readonly Sample[], of: (s: Sample) => number) => {
    const sorted = list.map(of).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const trend = (of: (s: Sample) => number) => median5(post.slice(-5), of) - median5(post.slice(0, 5), of);
  const growth = trend((s) => s.rss);
  const idleGrowth = trend((s) => s.idleRss);
  const tableNames = Object.keys(last.tables);
  const rowNames = Object.keys(last.rows);
  const every = Math.max(1, Math.ceil(r.days / 15));
  const shown = samples.filter((s) => s.day < 0 || (s.day + 1) % every === 0 || s === last);
  const head = [
    "day",
    "calls",
    "rss",
    "heap",
    "idle rss",
    "idle heap",
    ...tableNames,
    ...rowNames.map((n) => `${n} rows`),
  ];
  const rows = shown.map((s) => [
    s.day < 0 ? "start" : String(s.day + 1),
    int(s.calls),
    s.rss.toFixed(1),
    s.heap.toFixed(1),
    s.idleRss.toFixed(1),
    s.idleHeap.toFixed(1),
    ...tableNames.map((n) => int(s.tables[n] ?? Number.NaN)),
    ...rowNames.map((n) => int(s.rows[n] ?? Number.NaN)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join("  ")}`;

  const after = samples.filter((s) => s.day >= warmDays - 1);
  const before = samples.filter((s) => s.day < warmDays);
  const verdicts = [
    ...tableNames.map((n) =>
      verdict(
        n,
        before.map((s) => s.tables[n] ?? 0),
        after.map((s) => s.tables[n] ?? 0),
      ),
    ),
    ...rowNames.map((n) =>
      verdict(
        `rows ${n}`,
        before.map((s) => s.rows[n] ?? 0),
        after.map((s) => s.rows[n] ?? 0),
      ),
    ),
  ];
  const lost = totals.events !== totals.expectedEvents || totals.problems.length > 0;
  return [
    `branchbox soak benchmark: ${r.machine}`,
    "",
    `a month of a busy branch: ${r.days} days of ${r.minCalls}-${r.maxCalls} calls (09:00-19:00), seed ${r.seed}: ${int(totals.calls)} calls, copies of the ${20} finished real captures with fresh names, ${int(totals.frames)} AMI frames (${(totals.bytes / 2 ** 20).toFixed(0)} MB) over loopback into the box (own process, real createBox, [pbx.ami]), an hour at a time, in ${(r.seconds / 60).toFixed(1)} min`,
    `  nothing lost: ${int(totals.events)} PbxEvents journaled of ${int(totals.expectedEvents)} expected; calls per day by direction/outcome (GET /api/v1/calls) ${totals.problems.length === 0 ? "all as expected" : `DIFFER:\n    ${totals.problems.slice(0, 10).join("\n    ")}`}; rejected ${int(r.last.pipeline.rejected)}; duplicates ${int(r.last.pipeline.duplicates)}; bad frames ${int(r.last.badFrames)}; orphans ${int(r.last.orphans)}${lost ? "  LOST OR INVENTED" : ""}`,
    "",
    `at each day's end, after a full GC in each box: RSS and JS heap (MB) of the box and of an idle box beside it (baseline: same config, clock and roster, no calls), per-call tables in memory (/metrics branchbox_memory_table_entries; source: the AMI source's), per-call SQLite rows (HQ's ack simulated hourly)`,
    line(head),
    ...rows.map(line),
    "",
    `growth after warm-up (median of the last 5 days - median of the 5 days from day ${warmDays}): box RSS ${signed(growth)}, JS heap ${signed(trend((s) => s.heap))} | idle box RSS ${signed(idleGrowth)}, heap ${signed(trend((s) => s.idleHeap))} | goal < 10 MB: ${goal(growth < 10)}`,
    `  raw, day ${warmDays} -> day ${r.days}: box RSS ${mb(warm.rss)} -> ${mb(last.rss)} (${signed(last.rss - warm.rss)}; ${mb(Math.min(...post.map((s) => s.rss)))}-${mb(Math.max(...post.map((s) => s.rss)))} after warm-up), JS heap ${signed(last.heap - warm.heap)} | idle box RSS ${signed(last.idleRss - warm.idleRss)}`,
    `  before: the ingest benchmark ended at 246 MB RSS; the SIP benchmark grew from about 104 to 150-200 MB over 600 calls (issue 12)`,
    `tables (max during warm-up | max in the first third after warm-up -> in the last third, last):`,
    ...verdicts.map((v) => `  ${v}`),
  ].join("\n");
}

/**
 * `flat`: after warm-up, the last third's highest value is within 10% (+1) of the first third's,
 * so a table that goes up and down with the day's traffic (the journal's three days, missed cards
 * of the last half hour) is flat and one that climbs is not.
 */
function verdict(name: string, before: readonly number[], after: readonly number[]): string {
  const third = Math.max(1, Math.floor(after.length / 3));
  const early = Math.max(0, ...after.slice(0, third));
  const late = Math.max(0, ...after.slice(-third));
  const flat = late <= early * 1.1 + 1;
  // The journal holds the last three days (its retention): it follows their traffic (300-600 calls a day).
  const journal = name === "rows journal" && late <= early * 1.5;
  const note =
    BY_DESIGN[name] ??
    (flat ? "flat" : journal ? "pruned to its 3-day retention: follows the traffic" : "GROWS");
  const range = `${int(Math.max(0, ...before))} | ${int(early)} -> ${int(late)}, ${int(after.at(-1) ?? 0)}`;
  return `${pad(name, 26)} ${pad(range, 34)} ${note}`;
}

const signed = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(1)} MB`;
