import type { Database } from "bun:sqlite";
import type { Command, CommandStatus } from "../contract/down-records.ts";

export type CommandState = "pending" | "running" | CommandStatus;

export interface StoredCommand extends Command {
  readonly state: CommandState;
  readonly receivedAt: number;
}

/**
 * Commands from headquarters, one row per commandId. The row is the at-most-once guard: a command
 * is marked `running` in a commit before it runs, and a `running` row is never run again.
 */
export interface CommandStore {
  get(commandId: string): StoredCommand | null;
  /** Inserts a new command in `state`; false when the commandId is known already. */
  insert(command: Command, state: CommandState, receivedAt: number, reason?: string): boolean;
  /** Moves `from` → `to`; false when the row was not in `from` (someone else moved it). */
  move(commandId: string, from: CommandState, to: CommandState, now: number, reason?: string): boolean;
  /** Open commands in arrival order. */
  open(state: "pending" | "running"): StoredCommand[];
  counts(): Partial<Record<CommandState, number>>;
  /** Forgets finished commands older than `before` (their ids could then run again: keep it long). */
  prune(before: number): number;
}

interface Row {
  command_id: string;
  kind: string;
  expires_at: number;
  args: string;
  state: CommandState;
  received_at: number;
}

const toCommand = (r: Row): StoredCommand => ({
  commandId: r.command_id,
  kind: r.kind,
  expiresAt: r.expires_at,
  args: JSON.parse(r.args) as Record<string, unknown>,
  state: r.state,
  receivedAt: r.received_at,
});

const COLUMNS = "command_id, kind, expires_at, args, state, received_at";

export function commandStore(db: Database): CommandStore {
  const one = db.query<Row, [string]>(`SELECT ${COLUMNS} FROM commands WHERE command_id = ?`);
  const insert = db.query(
    `INSERT INTO commands (command_id, kind, expires_at, args, state, received_at, finished_at, reason)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (command_id) DO NOTHING`,
  );
  const move = db.query(
    `UPDATE commands SET state = ?3, finished_at = ?4, reason = ?5 WHERE command_id = ?1 AND state = ?2`,
  );
  const open = db.query<Row, [string]>(
    `SELECT ${COLUMNS} FROM commands WHERE state = ? ORDER BY received_at, rowid`,
  );
  const counts = db.query<{ state: CommandState; n: number }, []>(
    "SELECT state, count(*) AS n FROM commands GROUP BY state",
  );
  const prune = db.query(
    "DELETE FROM commands WHERE state NOT IN ('pending', 'running') AND received_at < ?",
  );
  const finished = (state: CommandState) => state !== "pending" && state !== "running";
  return {
    get: (commandId) => {
      const row = one.get(commandId);
      return row === null ? null : toCommand(row);
    },
    insert: (c, state, receivedAt, reason) =>
      insert.run(
        c.commandId,
        c.kind,
        c.expiresAt,
        JSON.stringify(c.args),
        state,
        receivedAt,
        finished(state) ? receivedAt : null,
        reason ?? null,
      ).changes === 1,
    move: (commandId, from, to, now, reason) =>
      move.run(commandId, from, to, finished(to) ? now : null, reason ?? null).changes === 1,
    open: (state) => open.all(state).map(toCommand),
    counts: () => Object.fromEntries(counts.all().map((r) => [r.state, r.n])),
    prune: (before) => prune.run(before).changes,
  };
}
