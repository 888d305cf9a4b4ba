import { createHash } from "node:crypto";
import type { SQL } from "bun";
import type { MangoCommand, MangoResult, PbxCommand } from "../../../contract/down-records.ts";
import type {
  MangoCallbackResult,
  MangoCommandStore,
  MangoCommandView,
  PendingMangoCommand,
} from "../mango-command-store-port.ts";
import { pgSettler } from "./pg-errors.ts";
import { appendMangoRow, lockMangoEvents } from "./pg-mango-store.ts";

type Num = string | number;
const resultId = (commandId: string) => `mango:result:${commandId}`;

/**
 * The Mango commands' tables (`mango_commands`, `mango_command_cursor`, pg-schema.ts version 4) on
 * HQ's pool. `claim`, `answer` and `callback` each run in one transaction holding lockMangoEvents
 * (they may write a `mango.result` in a branch's `pbx` seq space): two consumers that read the same
 * `pbx.command` claim it one after the other, and the second finds it claimed ("duplicate"), so a
 * command is sent at most once across consumers.
 */
export function postgresMangoCommandStore(sql: SQL, where: string): MangoCommandStore {
  const settle = pgSettler(where);

  const moveCursor = (tx: SQL, at: { branch: string; seq: number }) =>
    tx`INSERT INTO mango_command_cursor (branch, through) VALUES (${at.branch}, ${at.seq})
       ON CONFLICT (branch) DO UPDATE SET through = greatest(mango_command_cursor.through, excluded.through)`;
  const commandOf = async (tx: SQL, commandId: string) => {
    const [row] = await tx`SELECT branch, command, state FROM mango_commands WHERE command_id = ${commandId}`;
    return row as { branch: string; command: string; state: string } | undefined;
  };
  const hasRow = async (tx: SQL, id: string) =>
    (await tx`SELECT 1 AS one FROM mango_events WHERE id = ${id}`).length > 0;

  /** ONLY inside a transaction holding lockMangoEvents. */
  const answerIn = async (tx: SQL, result: MangoResult): Promise<boolean> => {
    const command = await commandOf(tx, result.commandId);
    if (command === undefined || (await hasRow(tx, resultId(result.commandId)))) return false;
    await appendMangoRow(tx, {
      id: resultId(result.commandId),
      kind: "result",
      json: JSON.stringify(result),
      receivedAt: result.receivedAt,
      entryId: null,
      branch: command.branch,
    });
    await tx`UPDATE mango_commands SET state = 'done', settled_at = ${result.receivedAt},
               result = coalesce(${result.result}::integer, result) WHERE command_id = ${result.commandId}`;
    return true;
  };
  const locked = <R>(work: (tx: SQL) => Promise<R>) =>
    sql.begin(async (tx) => {
      await lockMangoEvents(tx);
      return work(tx);
    });

  return {
    pending: settle(async (limit: number): Promise<PendingMangoCommand[]> => {
      const rows = (await sql`
        SELECT r.branch, r.seq, r.id, r.data FROM streams s
        LEFT JOIN mango_command_cursor c ON c.branch = s.branch
        JOIN records r ON r.branch = s.branch AND r.stream = 'replies' AND r.seq > coalesce(c.through, 0)
        WHERE s.stream = 'replies' AND s.hwm > coalesce(c.through, 0) AND r.type = 'pbx.command'
        ORDER BY r.branch, r.seq LIMIT ${limit}`) as { branch: string; seq: Num; id: string; data: string }[];
      return rows.map((r) => ({ branch: r.branch, seq: Number(r.seq), id: r.id, data: JSON.parse(r.data) }));
    }),
    claim: settle(
      (
        at: { readonly branch: string; readonly seq: number },
        c: Pick<PbxCommand, "commandId" | "command"> & { readonly params: unknown },
        now: number,
        refusal: MangoResult | null,
      ) =>
        locked(async (tx) => {
          await moveCursor(tx, at);
          const claimed = await tx`
            INSERT INTO mango_commands (command_id, branch, command, params, state, claimed_at)
            VALUES (${c.commandId}, ${at.branch}, ${c.command}, ${JSON.stringify(c.params ?? null)}, 'sending', ${now})
            ON CONFLICT (command_id) DO NOTHING RETURNING 1`;
          if (claimed.length === 0) return "duplicate" as const;
          if (refusal !== null) await answerIn(tx, refusal);
          return "claimed" as const;
        }),
    ),
    skip: settle(async (at: { readonly branch: string; readonly seq: number }) => {
      await moveCursor(sql, at);
    }),
    leg: settle(async (callId: string) => {
      const rows = (await sql`
        SELECT branch, json FROM mango_events
        WHERE kind = 'call' AND ((json::jsonb) ->> 'call_id') = ${callId} ORDER BY n`) as {
        branch: string | null;
        json: string;
      }[];
      if (rows.length === 0) return null;
      const parties = new Set<string>();
      for (const row of rows) {
        const json = JSON.parse(row.json) as Record<string, Record<string, unknown> | undefined>;
        for (const side of [json.from, json.to])
          for (const value of [side?.extension, side?.number])
            if ((typeof value === "string" && value !== "") || typeof value === "number")
              parties.add(String(value));
      }
      return { branch: rows.find((r) => r.branch !== null)?.branch ?? null, parties: [...parties] };
    }),
    sent: settle(async (commandId: string, now: number) => {
      await sql`UPDATE mango_commands SET state = 'sent', settled_at = ${now}
                WHERE command_id = ${commandId} AND state = 'sending'`;
    }),
    answer: settle((result: MangoResult) => locked((tx) => answerIn(tx, result))),
    callback: settle(
      (cb: {
        readonly name: string;
        readonly raw: string;
        readonly commandId: string | null;
        readonly result: number | null;
        readonly receivedAt: number;
      }) =>
        locked(async (tx): Promise<MangoCallbackResult> => {
          const command = cb.commandId === null ? undefined : await commandOf(tx, cb.commandId);
          if (cb.commandId !== null && command !== undefined) {
            const result: MangoResult = {
              commandId: cb.commandId,
              command: command.command as MangoCommand,
              result: cb.result,
              by: "mango",
              receivedAt: cb.receivedAt,
            };
            if (await answerIn(tx, result))
              return { kind: "stored", branch: command.branch, commandId: cb.commandId };
            await tx`UPDATE mango_commands SET late_result = ${cb.result} WHERE command_id = ${cb.commandId}`;
            return { kind: "late", branch: command.branch, commandId: cb.commandId };
          }
          const hash = createHash("sha256")
            .update(`${cb.name}\n${cb.raw}`, "utf8")
            .digest("hex")
            .slice(0, 32);
          const id = `mango:result:unknown:${hash}`;
          if (await hasRow(tx, id)) return { kind: "unknown", id, duplicate: true };
          await appendMangoRow(tx, {
            id,
            kind: "result",
            json: cb.raw,
            receivedAt: cb.receivedAt,
            entryId: null,
            branch: null,
          });
          return { kind: "unknown", id, duplicate: false };
        }),
    ),
    stale: settle(async (before: number) =>
      (
        (await sql`SELECT command_id, command, branch FROM mango_commands
                   WHERE state = 'sending' AND claimed_at < ${before} ORDER BY n`) as {
          command_id: string;
          command: string;
          branch: string;
        }[]
      ).map((r) => ({ commandId: r.command_id, command: r.command as MangoCommand, branch: r.branch })),
    ),
    outcomes: settle(async () => {
      const rows = (await sql`
        SELECT CASE WHEN c.state <> 'done' THEN c.state
          WHEN (e.json::jsonb) ->> 'by' = 'hq' THEN 'refused'
          WHEN c.result BETWEEN 1000 AND 1999 THEN 'done' ELSE 'failed' END AS outcome, count(*) AS n
        FROM mango_commands c LEFT JOIN mango_events e ON e.id = 'mango:result:' || c.command_id
        GROUP BY outcome`) as { outcome: string; n: Num }[];
      return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
    }),
    recent: settle(async (limit: number): Promise<MangoCommandView[]> => {
      const rows = (await sql`
        SELECT c.command_id, c.branch, c.command, c.state, c.result, c.claimed_at, c.settled_at,
          (e.json::jsonb) ->> 'by' AS by, (e.json::jsonb) ->> 'reason' AS reason
        FROM mango_commands c LEFT JOIN mango_events e ON e.id = 'mango:result:' || c.command_id
        ORDER BY c.claimed_at DESC, c.n DESC LIMIT ${limit}`) as {
        command_id: string;
        branch: string;
        command: string;
        state: string;
        result: number | null;
        by: string | null;
        reason: string | null;
        claimed_at: Num;
        settled_at: Num | null;
      }[];
      return rows.map((r) => ({
        commandId: r.command_id,
        branch: r.branch,
        command: r.command as MangoCommand,
        state: r.state as MangoCommandView["state"],
        result: r.result,
        by: r.by as MangoCommandView["by"],
        reason: r.reason,
        claimedAt: Number(r.claimed_at),
        settledAt: r.settled_at === null ? null : Number(r.settled_at),
      }));
    }),
  };
}
