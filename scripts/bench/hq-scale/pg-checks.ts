import type { SQL } from "bun";
import { type Latency, percentiles } from "../lib/stats.ts";
import { type BenchStream, streamCounts } from "../sync/record-gen.ts";

/**
 * What the bench reads from HQ's PostgreSQL itself (never from a consumer's memory): how far the
 * high-water marks are, the lag of a window of records, and the final count of every branch's
 * stream against what the branch committed.
 */

const STREAMS: readonly BenchStream[] = ["calls", "roster"];

/** Every stream's committed high-water mark, by `branch/stream`. */
export async function marks(sql: SQL): Promise<Map<string, number>> {
  const rows = await sql`SELECT branch, stream, hwm FROM streams`;
  return new Map(
    (rows as { branch: string; stream: string; hwm: string }[]).map((r) => [
      `${r.branch}/${r.stream}`,
      Number(r.hwm),
    ]),
  );
}

/** Records still to commit for HQ to hold every branch's `made` records (0: all there). */
export async function behind(sql: SQL, made: ReadonlyMap<string, number>): Promise<number> {
  const hwm = await marks(sql);
  let n = 0;
  for (const [branch, count] of made) {
    const want = streamCounts(count);
    for (const s of STREAMS) n += Math.max(0, want[s] - (hwm.get(`${branch}/${s}`) ?? 0));
  }
  return n;
}

/** Record ts → HQ's applied_at (both Date.now() of this machine), of records with ts in [from, to). */
export async function lag(sql: SQL, from: number, to: number): Promise<Latency> {
  const rows = await sql`SELECT applied_at - ts AS ms FROM records WHERE ts >= ${from} AND ts < ${to}`;
  return percentiles((rows as { ms: string }[]).map((r) => Number(r.ms)));
}

/** Rows applied at or after `since`: how many, in how many transactions, first and last applied_at. */
export async function appliedSince(sql: SQL, since: number) {
  const [row] = await sql`
    SELECT count(*) AS n, count(DISTINCT xmin::text) AS tx, min(applied_at) AS first, max(applied_at) AS last
    FROM records WHERE applied_at >= ${since}`;
  return {
    rows: Number(row?.n ?? 0),
    transactions: Number(row?.tx ?? 0),
    first: Number(row?.first ?? 0),
    last: Number(row?.last ?? 0),
  };
}

export interface Verdict {
  readonly expected: number;
  readonly stored: number;
  /** Records a branch committed that HQ does not hold. */
  readonly lost: number;
  /** Rows beyond what the branches committed, or a seq stored twice. */
  readonly doubled: number;
  /** `branch/stream: …` for each stream whose rows are not exactly seq 1..n once with the mark at n. */
  readonly wrong: readonly string[];
}

/**
 * Every (branch, stream) of the fleet in PostgreSQL against what the branch committed: n rows,
 * n distinct seqs, seq 1..n, the high-water mark at n, and no other branch of the fleet's prefix.
 */
export async function verify(sql: SQL, made: ReadonlyMap<string, number>, prefix: string): Promise<Verdict> {
  const rows = (await sql`
    SELECT r.branch, r.stream, count(*) AS n, count(DISTINCT r.seq) AS d, min(r.seq) AS lo,
      max(r.seq) AS hi, max(s.hwm) AS hwm
    FROM records r LEFT JOIN streams s ON s.branch = r.branch AND s.stream = r.stream
    WHERE r.branch LIKE ${`${prefix}%`}
    GROUP BY r.branch, r.stream`) as Record<string, string>[];
  const seen = new Map(rows.map((r) => [`${r.branch}/${r.stream}`, r]));
  let expected = 0;
  let stored = 0;
  let lost = 0;
  let doubled = 0;
  const wrong: string[] = [];
  for (const [branch, count] of made) {
    const want = streamCounts(count);
    for (const s of STREAMS) {
      const key = `${branch}/${s}`;
      const r = seen.get(key);
      seen.delete(key);
      const n = Number(r?.n ?? 0);
      const distinct = Number(r?.d ?? 0);
      expected += want[s];
      stored += n;
      lost += Math.max(0, want[s] - distinct);
      doubled += n - distinct + Math.max(0, distinct - want[s]);
      const ok =
        n === want[s] &&
        distinct === n &&
        (n === 0 || (Number(r?.lo) === 1 && Number(r?.hi) === n && Number(r?.hwm) === n));
      if (!ok)
        wrong.push(
          `${key}: ${n} rows, ${distinct} distinct, seq ${r?.lo ?? "-"}..${r?.hi ?? "-"}, hwm ${r?.hwm ?? "-"}, want 1..${want[s]}`,
        );
    }
  }
  for (const [key, r] of seen) {
    stored += Number(r.n);
    doubled += Number(r.n);
    wrong.push(`${key}: ${r.n} rows of a branch the fleet does not have`);
  }
  return { expected, stored, lost, doubled, wrong };
}
