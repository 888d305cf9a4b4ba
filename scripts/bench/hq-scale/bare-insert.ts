import { SQL } from "bun";

/**
 * The baseline: a bare PostgreSQL insert loop of the very rows HQ committed, on the same server
 * (same durability settings), in the same transactions. Rows that one HQ transaction wrote share
 * its `xmin`; the loop replays each such transaction as one transaction of its own, inserting the
 * same rows into a copy of the records table (`LIKE records INCLUDING ALL`: the same columns and
 * primary key) with the same multi-row INSERTs of at most 1000 rows (pg-hq-store.ts), on as many
 * connections as HQ had consumers, each taking the next transaction. What it leaves out is what
 * HQ's correctness costs: the stream row locked and read, the mark moved, the envelope parsed and
 * checked, MQTT, the acks.
 *
 * The rows are read into memory before the clock starts (a snapshot table, indexed by xmin).
 */

/** Rows per INSERT statement, as HQ's PostgreSQL store writes them. */
const ROWS_PER_INSERT = 1000;
/** Rows read per query while loading (untimed). */
const LOAD_PAGE = 50_000;

export interface BareInsert {
  readonly rows: number;
  readonly transactions: number;
  readonly ms: number;
  /** Rows in the copy table after the loop (must equal `rows`). */
  readonly stored: number;
}

type Row = Record<string, unknown>;

export async function runBareInsert(options: {
  readonly url: string;
  /** The transactions HQ began at or after this instant (applied_at) are replayed. */
  readonly since: number;
  readonly connections: number;
}): Promise<BareInsert> {
  const sql = new SQL(options.url, { max: options.connections });
  try {
    await sql`DROP TABLE IF EXISTS bare_source, records_bare`;
    await sql`CREATE UNLOGGED TABLE bare_source AS
      SELECT xmin::text::bigint AS tx, branch, stream, seq, id, ts, type, data, epoch, historical, applied_at
      FROM records WHERE applied_at >= ${options.since}`;
    await sql`CREATE INDEX ON bare_source (tx)`;
    await sql`CREATE TABLE records_bare (LIKE records INCLUDING ALL)`;
    const groups = (await sql`SELECT tx, count(*) AS n FROM bare_source GROUP BY tx ORDER BY tx`) as {
      tx: string;
      n: string;
    }[];
    const transactions: Row[][] = [];
    for (let i = 0; i < groups.length; ) {
      let j = i;
      let rows = 0;
      while (j < groups.length && (rows === 0 || rows + Number(groups[j]?.n) <= LOAD_PAGE))
        rows += Number(groups[j++]?.n);
      const page = (await sql`
        SELECT tx, branch, stream, seq, id, ts, type, data, epoch, historical, applied_at FROM bare_source
        WHERE tx BETWEEN ${groups[i]?.tx} AND ${groups[j - 1]?.tx} ORDER BY tx, branch, stream, seq`) as Row[];
      let current: Row[] = [];
      let tx: unknown;
      for (const { tx: t, ...row } of page) {
        if (t !== tx && current.length > 0) {
          transactions.push(current);
          current = [];
        }
        tx = t;
        current.push(row);
      }
      if (current.length > 0) transactions.push(current);
      i = j;
    }
    await sql`DROP TABLE bare_source`;

    let next = 0;
    const started = performance.now();
    const worker = async () => {
      for (let rows = transactions[next++]; rows !== undefined; rows = transactions[next++]) {
        const batch = rows;
        await sql.begin(async (tx) => {
          for (let from = 0; from < batch.length; from += ROWS_PER_INSERT)
            await tx`INSERT INTO records_bare ${tx(batch.slice(from, from + ROWS_PER_INSERT))}`;
        });
      }
    };
    await Promise.all(Array.from({ length: options.connections }, worker));
    const ms = performance.now() - started;
    const [row] = await sql`SELECT count(*) AS n FROM records_bare`;
    await sql`DROP TABLE records_bare`;
    return {
      rows: transactions.reduce((n, t) => n + t.length, 0),
      transactions: transactions.length,
      ms,
      stored: Number(row?.n ?? 0),
    };
  } finally {
    await sql.close();
  }
}
