import type { SQL } from "bun";
import type { MangoEventKind } from "../../../contract/down-records.ts";
import type { MangoAddResult, MangoStore, MangoStoredEvent, MangoStoredKind } from "../mango-store-port.ts";
import { pgSettler } from "./pg-errors.ts";

type Num = string | number;
type MangoDbRow = {
  id: string;
  kind: string;
  json: string;
  received_at: Num;
  branch: string | null;
  seq: Num | null;
  published_at: Num | null;
};

const toEvent = (r: MangoDbRow): MangoStoredEvent => ({
  id: r.id,
  kind: r.kind as MangoStoredKind,
  json: r.json,
  receivedAt: Number(r.received_at),
  branch: r.branch,
  seq: r.seq === null ? null : Number(r.seq),
  publishedAt: r.published_at === null ? null : Number(r.published_at),
});

const COLUMNS = "id, kind, json, received_at, branch, seq, published_at";

/**
 * Takes the lock every writer of `mango_events` holds for the rest of its transaction: ONE writer
 * at a time across all consumers (plain reads go on). A branch's `pbx` seq is max + 1 read under
 * it, so the events and the commands' results share one seq space without holes or a seq handed
 * out twice, and "is this id or entry known" is answered under it too. Mango's webhooks are a few
 * a second per company: one writer costs nothing.
 */
export async function lockMangoEvents(tx: SQL): Promise<void> {
  await tx`LOCK TABLE mango_events IN EXCLUSIVE MODE`;
}

/**
 * Writes one row of `mango_events`, a row with a branch at the next seq of that branch's `pbx`
 * down stream. ONLY inside a transaction that took lockMangoEvents. Returns the seq (null: no branch).
 */
export async function appendMangoRow(
  tx: SQL,
  row: {
    id: string;
    kind: MangoStoredKind;
    json: string;
    receivedAt: number;
    entryId: string | null;
    branch: string | null;
  },
): Promise<number | null> {
  const [inserted] = await tx`
    INSERT INTO mango_events (id, kind, json, received_at, entry_id, branch, seq)
    SELECT ${row.id}, ${row.kind}, ${row.json}, ${row.receivedAt}, ${row.entryId}, ${row.branch}::text,
      CASE WHEN ${row.branch}::text IS NULL THEN NULL ELSE coalesce(max(seq), 0) + 1 END
    FROM mango_events WHERE branch = ${row.branch}::text
    RETURNING seq`;
  return inserted?.seq === null || inserted?.seq === undefined ? null : Number(inserted.seq);
}

/**
 * MangoStore's `add` inside `tx` (which took lockMangoEvents): the one place an event gets its
 * branch (by its fields, else its entry's earlier events) and its `pbx` seq.
 */
export async function addMangoEvent(
  tx: SQL,
  e: { id: string; kind: MangoEventKind; json: string; receivedAt: number; entryId: string | null },
  byFields: string | null,
): Promise<MangoAddResult> {
  const [before] = await tx`SELECT branch FROM mango_events WHERE id = ${e.id}`;
  if (before !== undefined) return { kind: "duplicate", branch: before.branch as string | null };
  const [ofEntry] =
    byFields !== null || e.entryId === null
      ? []
      : await tx`SELECT branch FROM mango_events WHERE entry_id = ${e.entryId} AND branch IS NOT NULL
                 ORDER BY n DESC LIMIT 1`;
  const branch = byFields ?? (ofEntry?.branch as string | undefined) ?? null;
  return { kind: "stored", branch, seq: await appendMangoRow(tx, { ...e, branch }) };
}

/** The Mango events' table (`mango_events`, pg-schema.ts version 3) on HQ's pool. */
export function postgresMangoStore(sql: SQL, where: string): MangoStore {
  const settle = pgSettler(where);
  return {
    add: settle((event, branch) =>
      sql.begin(async (tx) => {
        await lockMangoEvents(tx);
        return addMangoEvent(tx, event, branch);
      }),
    ),
    unpublished: settle(async (limit: number) =>
      (
        (await sql.unsafe(
          `SELECT ${COLUMNS} FROM mango_events WHERE branch IS NOT NULL AND published_at IS NULL
         ORDER BY branch, seq LIMIT $1`,
          [limit],
        )) as MangoDbRow[]
      ).map(toEvent),
    ),
    published: settle(async (ids: readonly string[], now: number) => {
      if (ids.length === 0) return;
      await sql`UPDATE mango_events SET published_at = ${now} WHERE id IN ${sql(ids as string[])}`;
    }),
    unrouted: settle(async (limit: number) =>
      (
        (await sql.unsafe(
          `SELECT ${COLUMNS} FROM mango_events WHERE branch IS NULL ORDER BY received_at DESC, n DESC LIMIT $1`,
          [limit],
        )) as MangoDbRow[]
      ).map(toEvent),
    ),
    counts: settle(async () => {
      const [row] = await sql`
        SELECT count(*) AS stored, count(*) FILTER (WHERE branch IS NULL) AS unrouted,
          count(*) FILTER (WHERE branch IS NOT NULL AND published_at IS NULL) AS unpublished
        FROM mango_events`;
      return {
        stored: Number(row?.stored ?? 0),
        unrouted: Number(row?.unrouted ?? 0),
        unpublished: Number(row?.unpublished ?? 0),
      };
    }),
  };
}
