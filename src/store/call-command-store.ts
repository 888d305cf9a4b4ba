import type { Database } from "bun:sqlite";
import { type CallCommandState, COMMAND_MOVES_FROM, OPEN_STATES } from "../domain/call/call-command-state.ts";

/** Who asked, as stored: the desk screen (its phone holder), the API, or headquarters. */
export type StoredOrigin =
  | { readonly via: "desk"; readonly deskId: string; readonly employeeId: string }
  | { readonly via: "api" }
  | { readonly via: "hq" };

export interface CallCommandRow {
  readonly commandId: string;
  readonly kind: "click-to-call" | "hangup" | "transfer" | "cancel-transfer";
  /** The command as asked (canonical JSON): a repeat must match it, or the id was reused. */
  readonly input: string;
  /**
   * What the command acts on, resolved: the extension that rings first, the leg's extension, the
   * transfer's destination, the commandId of the attended transfer a cancel-transfer cancels.
   */
  readonly target: string;
  /** The leg acted on (hang up, transfer); null for click-to-call. */
  readonly legId: string | null;
  readonly state: CallCommandState;
  readonly callId: string | null;
  readonly reason: string | null;
  readonly origin: StoredOrigin;
  /** The answer is due by then; an open command is failed at its deadline. */
  readonly deadline: number;
  /** Never sent at or after this; null: no expiry but the deadline. */
  readonly expiresAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Commands acting on calls (issue 15), one row per commandId, in `call_commands`. Each write is one
 * statement, hence its own transaction. The row is the at-most-once guard: `insert` never
 * replaces a row, and `move` is a conditional UPDATE that only goes forward
 * (src/domain/call/call-command-state.ts), so a settled command never changes again.
 */
export interface CallCommandStore {
  get(commandId: string): CallCommandRow | null;
  /** Writes a new command; false when its commandId is known already (nothing changed). */
  insert(row: CallCommandRow): boolean;
  /**
   * Moves the command to `to` if its state now may move there; false otherwise (someone else
   * moved it, or it is settled). `callId`/`reason`, when given, are written with the move.
   */
  move(
    commandId: string,
    to: CallCommandState,
    now: number,
    detail?: { readonly callId?: string; readonly reason?: string },
  ): boolean;
  /** Records the call an open command made, once: false when it is known or the command settled. */
  attachCall(commandId: string, callId: string, now: number): boolean;
  /** Moves an open command's deadline later (never earlier): false when settled or not later. */
  extendDeadline(commandId: string, deadline: number, now: number): boolean;
  /** Commands not settled yet, oldest first. */
  open(): CallCommandRow[];
  /** Deletes the commands settled before `before` (an open one is never deleted); how many. */
  prune(before: number): number;
}

interface Row {
  command_id: string;
  kind: CallCommandRow["kind"];
  input: string;
  target: string;
  leg_id: string | null;
  state: CallCommandState;
  call_id: string | null;
  reason: string | null;
  origin: string;
  deadline: number;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

const toRow = (r: Row): CallCommandRow => ({
  commandId: r.command_id,
  kind: r.kind,
  input: r.input,
  target: r.target,
  legId: r.leg_id,
  state: r.state,
  callId: r.call_id,
  reason: r.reason,
  origin: JSON.parse(r.origin) as StoredOrigin,
  deadline: r.deadline,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const COLUMNS =
  "command_id, kind, input, target, leg_id, state, call_id, reason, origin, deadline, expires_at, created_at, updated_at";
const OPEN_LIST = OPEN_STATES.map((s) => `'${s}'`).join(", ");

export function callCommandStore(db: Database): CallCommandStore {
  const one = db.query<Row, [string]>(`SELECT ${COLUMNS} FROM call_commands WHERE command_id = ?`);
  const insert = db.query(
    `INSERT INTO call_commands (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
     ON CONFLICT (command_id) DO NOTHING`,
  );
  // One statement per target state: its allowed predecessors are part of the WHERE.
  const moves = new Map(
    Object.entries(COMMAND_MOVES_FROM).map(([to, from]) => [
      to,
      db.query(
        `UPDATE call_commands SET state = ?2, updated_at = ?3, call_id = coalesce(?4, call_id),
           reason = coalesce(?5, reason)
         WHERE command_id = ?1 AND state IN (${from.map((s) => `'${s}'`).join(", ") || "NULL"})`,
      ),
    ]),
  );
  const attach = db.query(
    `UPDATE call_commands SET call_id = ?2, updated_at = ?3
     WHERE command_id = ?1 AND call_id IS NULL AND state IN (${OPEN_LIST})`,
  );
  const extend = db.query(
    `UPDATE call_commands SET deadline = ?2, updated_at = ?3
     WHERE command_id = ?1 AND deadline < ?2 AND state IN (${OPEN_LIST})`,
  );
  const open = db.query<Row, []>(
    `SELECT ${COLUMNS} FROM call_commands WHERE state IN (${OPEN_LIST}) ORDER BY created_at, rowid`,
  );
  const prune = db.query(`DELETE FROM call_commands WHERE state NOT IN (${OPEN_LIST}) AND updated_at < ?`);
  return {
    prune: (before) => prune.run(before).changes,
    get: (commandId) => {
      const row = one.get(commandId);
      return row === null ? null : toRow(row);
    },
    insert: (r) =>
      insert.run(
        r.commandId,
        r.kind,
        r.input,
        r.target,
        r.legId,
        r.state,
        r.callId,
        r.reason,
        JSON.stringify(r.origin),
        r.deadline,
        r.expiresAt,
        r.createdAt,
        r.updatedAt,
      ).changes === 1,
    move: (commandId, to, now, detail = {}) =>
      (moves.get(to)?.run(commandId, to, now, detail.callId ?? null, detail.reason ?? null).changes ?? 0) ===
      1,
    attachCall: (commandId, callId, now) => attach.run(commandId, callId, now).changes === 1,
    extendDeadline: (commandId, deadline, now) => extend.run(commandId, deadline, now).changes === 1,
    open: () => open.all().map(toRow),
  };
}
