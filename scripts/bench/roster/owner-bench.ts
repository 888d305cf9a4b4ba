import { Database } from "bun:sqlite";
import { join } from "node:path";
import { RosterTimeline } from "../../../src/domain/roster/roster-timeline.ts";
import type { HolderSpan, RosterFact } from "../../../src/domain/roster/types.ts";
import { mulberry32 } from "../lib/prng.ts";
import { branch, HistoryGenerator, MAX_SHIFT_MS } from "./roster-gen.ts";

/**
 * `ownerOf(extension, t)` on the real RosterTimeline, built from generated facts, against the bare
 * indexed SQLite point query over the same holder spans. Both answer the same random points.
 */

const DESKS = 100;
const TARGET_SPANS = 1_000_000;
/** What this generator yields per desk and day (measured); only sizes the first build. */
const SPANS_PER_DESK_DAY = 7.69;
const SEED = 0x5eed;
const POINTS = 1 << 18;
const SAMPLE = 100_000;

export interface OwnerBenchResult {
  readonly facts: number;
  readonly spans: number;
  readonly days: number;
  readonly generateMs: number;
  readonly timelineBuildMs: number;
  readonly sqliteBuildMs: number;
  readonly ownerOfPerSec: number;
  readonly sqlitePerSec: number;
  readonly sample: number;
  readonly agree: number;
  readonly mapped: number;
}

interface Point {
  readonly extension: string;
  readonly t: number;
}

export function runOwnerBench(dir: string, seconds: number): OwnerBenchResult {
  const { desks, staff } = branch(DESKS);
  const generator = new HistoryGenerator(desks, SEED);
  let started = performance.now();
  const facts: RosterFact[] = [];
  const days = Math.ceil(TARGET_SPANS / (DESKS * SPANS_PER_DESK_DAY));
  for (let d = 0; d < days; d++) for (const fact of generator.nextDay()) facts.push(fact);
  const generateMs = performance.now() - started;

  // The box's start-up path: the constructor sorts the stored facts and folds them all.
  started = performance.now();
  const timeline = new RosterTimeline({ desks, staff, maxShiftMs: MAX_SHIFT_MS }, facts);
  const timelineBuildMs = performance.now() - started;
  let extraDays = 0;
  // Top up in time order (the running box's path) if this seed fell short of the target.
  while (countSpans(timeline.spans()) < TARGET_SPANS) {
    for (const fact of generator.nextDay()) {
      timeline.add(fact);
      facts.push(fact);
    }
    extraDays++;
  }
  const spans = countSpans(timeline.spans());

  started = performance.now();
  const db = sqliteSpans(join(dir, "spans.db"), timeline.spans(), desks);
  const sqliteBuildMs = performance.now() - started;
  const query = db.query<{ employee_id: string; to_ms: number }, [string, number]>(
    "SELECT employee_id, to_ms FROM spans WHERE extension = ? AND from_ms <= ? ORDER BY from_ms DESC LIMIT 1",
  );
  const sqliteOwner = (extension: string, t: number): string | null => {
    const row = query.get(extension, t);
    return row !== null && t < row.to_ms ? row.employee_id : null;
  };
  const timelineOwner = (extension: string, t: number): string | null =>
    timeline.ownerOf(extension, t).employeeId;

  const first = facts[0]?.at ?? 0;
  const last = facts.at(-1)?.at ?? 0;
  const random = mulberry32(SEED + 1);
  const points: Point[] = Array.from({ length: POINTS }, () => ({
    extension: (desks[Math.floor(random() * desks.length)] ?? { extension: "101" }).extension,
    t: first + Math.floor(random() * (last - first)),
  }));

  let agree = 0;
  let mapped = 0;
  for (let i = 0; i < SAMPLE; i++) {
    const { extension, t } = points[i] as Point;
    const a = timelineOwner(extension, t);
    if (a === sqliteOwner(extension, t)) agree++;
    if (a !== null) mapped++;
  }

  const ownerOfPerSec = rate(points, timelineOwner, seconds);
  const sqlitePerSec = rate(points, sqliteOwner, seconds);
  db.close();
  return {
    facts: facts.length,
    spans,
    days: days + extraDays,
    generateMs,
    timelineBuildMs,
    sqliteBuildMs,
    ownerOfPerSec,
    sqlitePerSec,
    sample: SAMPLE,
    agree,
    mapped,
  };
}

function countSpans(spans: ReadonlyMap<string, readonly HolderSpan[]>): number {
  let n = 0;
  for (const list of spans.values()) n += list.length;
  return n;
}

/** The same spans as a table with the index a hand-written query would use (covering, to be fair to it). */
function sqliteSpans(
  path: string,
  spans: ReadonlyMap<string, readonly HolderSpan[]>,
  desks: readonly { id: string; extension: string }[],
): Database {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run(
    "CREATE TABLE spans (extension TEXT NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL, employee_id TEXT NOT NULL) STRICT",
  );
  const insert = db.query("INSERT INTO spans (extension, from_ms, to_ms, employee_id) VALUES (?, ?, ?, ?)");
  const extensionOf = new Map(desks.map((d) => [d.id, d.extension]));
  db.transaction(() => {
    for (const [deskId, list] of spans) {
      const extension = extensionOf.get(deskId) ?? deskId;
      // An open span still ends at its shift's cap.
      for (const s of list) insert.run(extension, s.from, s.to ?? s.shiftCap, s.employeeId);
    }
  })();
  db.run("CREATE INDEX spans_by_extension ON spans (extension, from_ms, to_ms, employee_id)");
  db.run("ANALYZE");
  return db;
}

/** Queries per second over the points, cycling, after a short warm-up; the sink keeps the work alive. */
function rate(
  points: readonly Point[],
  owner: (extension: string, t: number) => string | null,
  seconds: number,
) {
  const mask = points.length - 1;
  let sink = 0;
  const loop = (ms: number) => {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let i = 0; i < 4096; i++, n++) {
        const p = points[n & mask] as Point;
        if (owner(p.extension, p.t) !== null) sink++;
      }
      elapsed = performance.now() - start;
    }
    return (n / elapsed) * 1000;
  };
  loop(Math.min(500, seconds * 250));
  const perSec = loop(seconds * 1000);
  if (sink < 0) throw new Error("unreachable");
  return perSec;
}
