import type { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import type { MangoCommand, MangoResult, PbxCommand } from "../../../contract/down-records.ts";
import type {
  MangoCallbackResult,
  MangoCommandStore,
  MangoCommandView,
  PendingMangoCommand,
} from "../mango-command-store-port.ts";
import { mangoRowAppender, settler } from "./sqlite-mango-store.ts";

const resultId = (commandId: string) => `mango:result:${commandId}`;

/** The Mango commands' tables (`mango_commands`, `mango_command_cursor`, hq-schema.ts) on HQ's connection. */
export function sqliteMangoCommandStore(db: Database): MangoCommandStore {
  const append = mangoRowAppender(db);
  const pending = db.query<{ branch: string; seq: number; id: string; data: string }, [number]>(
    `SELECT r.branch, r.seq, r.id, r.data FROM streams s
     LEFT JOIN mango_command_cursor c ON c.branch = s.branch
     JOIN records r ON r.branch = s.branch AND r.stream = 'replies' AND r.seq > coalesce(c.through, 0)
     WHERE s.stream = 'replies' AND s.hwm > coalesce(c.through, 0) AND r.type = 'pbx.command'
     ORDER BY r.branch, r.seq LIMIT ?`,
  );
  const moveCursor = db.query(
    `INSERT INTO mango_command_cursor (branch, through) VALUES (?1, ?2)
     ON CONFLICT (branch) DO UPDATE SET through = max(through, ?2)`,
  );
  const commandOf = db.query<{ branch: string; command: string; state: string }, [string]>(
    "SELECT branch, command, state FROM mango_commands WHERE command_id = ?",
  );
  const insertCommand = db.query(
    `INSERT INTO mango_commands (command_id, branch, command, params, state, claimed_at, settled_at, result)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const settle = db.query(
    "UPDATE mango_commands SET state = ?, settled_at = ?, result = coalesce(?, result) WHERE command_id = ?",
  );
  const markSent = db.query(
    "UPDATE mango_commands SET state = 'sent', settled_at = ? WHERE command_id = ? AND state = 'sending'",
  );
  const late = db.query("UPDATE mango_commands SET late_result = ? WHERE command_id = ?");
  const hasRow = db.query<{ one: number }, [string]>("SELECT 1 AS one FROM mango_events WHERE id = ?");
  const legRows = db.query<{ branch: string | null; json: string }, [string]>(
    "SELECT branch, json FROM mango_events WHERE kind = 'call' AND json_extract(json, '$.call_id') = ?",
  );
  const staleRows = db.query<{ command_id: string; command: string; branch: string }, [number]>(
    "SELECT command_id, command, branch FROM mango_commands WHERE state = 'sending' AND claimed_at < ?",
  );
  const outcomeRows = db.query<{ outcome: string; n: number }, []>(
    `SELECT CASE WHEN c.state != 'done' THEN c.state
       WHEN json_extract(e.json, '$.by') = 'hq' THEN 'refused'
       WHEN c.result BETWEEN 1000 AND 1999 THEN 'done' ELSE 'failed' END AS outcome, count(*) AS n
     FROM mango_commands c LEFT JOIN mango_events e ON e.id = 'mango:result:' || c.command_id
     GROUP BY outcome`,
  );
  const recentRows = db.query<
    {
      command_id: string;
      branch: string;
      command: string;
      state: string;
      result: number | null;
      by: string | null;
      reason: string | null;
      claimed_at: number;
      settled_at: number | null;
    },
    [number]
  >(
    `SELECT c.command_id, c.branch, c.command, c.state, c.result, c.claimed_at, c.settled_at,
       json_extract(e.json, '$.by') AS by, json_extract(e.json, '$.reason') AS reason
     FROM mango_commands c LEFT JOIN mango_events e ON e.id = 'mango:result:' || c.command_id
     ORDER BY c.claimed_at DESC, c.rowid DESC LIMIT ?`,
  );

  const answerNow = (result: MangoResult): boolean => {
    const command = commandOf.get(result.commandId);
    if (command === null || hasRow.get(resultId(result.commandId)) !== null) return false;
    append({
      id: resultId(result.commandId),
      kind: "result",
      json: JSON.stringify(result),
      receivedAt: result.receivedAt,
      entryId: null,
      branch: command.branch,
    });
    settle.run("done", result.receivedAt, result.result, result.commandId);
    return true;
  };
  const claimTx = db.transaction(
    (
      at: { branch: string; seq: number },
      c: Pick<PbxCommand, "commandId" | "command"> & { params: unknown },
      now: number,
      refusal: MangoResult | null,
    ) => {
      moveCursor.run(at.branch, at.seq);
      if (commandOf.get(c.commandId) !== null) return "duplicate" as const;
      insertCommand.run(
        c.commandId,
        at.branch,
        c.command,
        JSON.stringify(c.params ?? null),
        "sending",
        now,
        null,
        null,
      );
      if (refusal !== null) answerNow(refusal);
      return "claimed" as const;
    },
  );
  const answerTx = db.transaction(answerNow);
  const callbackTx = db.transaction(
    (cb: {
      name: string;
      raw: string;
      commandId: string | null;
      result: number | null;
      receivedAt: number;
    }): MangoCallbackResult => {
      const command = cb.commandId === null ? null : commandOf.get(cb.commandId);
      if (cb.commandId !== null && command !== null) {
        const result: MangoResult = {
          commandId: cb.commandId,
          command: command.command as MangoCommand,
          result: cb.result,
          by: "mango",
          receivedAt: cb.receivedAt,
        };
        if (answerNow(result)) return { kind: "stored", branch: command.branch, commandId: cb.commandId };
        late.run(cb.result, cb.commandId);
        return { kind: "late", branch: command.branch, commandId: cb.commandId };
      }
      const hash = createHash("sha256").update(`${cb.name}\n${cb.raw}`, "utf8").digest("hex").slice(0, 32);
      const id = `mango:result:unknown:${hash}`;
      if (hasRow.get(id) !== null) return { kind: "unknown", id, duplicate: true };
      append({ id, kind: "result", json: cb.raw, receivedAt: cb.receivedAt, entryId: null, branch: null });
      return { kind: "unknown", id, duplicate: false };
    },
  );

  const run = settler(db);
  return {
    pending: run((limit: number): PendingMangoCommand[] =>
      pending.all(limit).map((r) => ({ branch: r.branch, seq: r.seq, id: r.id, data: JSON.parse(r.data) })),
    ),
    claim: run((at, command, now, refusal) => claimTx.immediate(at, command, now, refusal)),
    skip: run((at: { branch: string; seq: number }) => {
      moveCursor.run(at.branch, at.seq);
    }),
    leg: run((callId: string) => {
      const rows = legRows.all(callId);
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
    sent: run((commandId: string, now: number) => {
      markSent.run(now, commandId);
    }),
    answer: run((result: MangoResult) => answerTx.immediate(result)),
    callback: run((cb) => callbackTx.immediate(cb)),
    stale: run((before: number) =>
      staleRows
        .all(before)
        .map((r) => ({ commandId: r.command_id, command: r.command as MangoCommand, branch: r.branch })),
    ),
    outcomes: run(() => Object.fromEntries(outcomeRows.all().map((r) => [r.outcome, r.n]))),
    recent: run((limit: number): MangoCommandView[] =>
      recentRows.all(limit).map((r) => ({
        commandId: r.command_id,
        branch: r.branch,
        command: r.command as MangoCommand,
        state: r.state as MangoCommandView["state"],
        result: r.result,
        by: r.by as MangoCommandView["by"],
        reason: r.reason,
        claimedAt: r.claimed_at,
        settledAt: r.settled_at,
      })),
    ),
  };
}
