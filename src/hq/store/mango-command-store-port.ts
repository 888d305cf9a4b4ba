import type { MangoCommand, MangoResult, PbxCommand } from "../../contract/down-records.ts";

/** A `pbx.command` record a branch sent up on `replies` that the commander has not looked at yet. */
export interface PendingMangoCommand {
  readonly branch: string;
  /** Its seq on the branch's `replies` stream (the commander's cursor). */
  readonly seq: number;
  /** The record's id (= its commandId, by the contract). */
  readonly id: string;
  /** The record's data as the branch sent it, not yet checked. */
  readonly data: unknown;
}

/** One Mango call leg (`call_id`) as HQ saw it in `events/call`. */
export interface MangoLeg {
  /** The branch HQ relayed it to; null: kept at HQ, relayed to nobody. */
  readonly branch: string | null;
  /** Every `from`/`to` `extension` and `number` its events named. */
  readonly parties: readonly string[];
}

/** What became of one callback `POST /mango/result/<name>`. */
export type MangoCallbackResult =
  /** Correlated to a command HQ sent: its `mango.result` is written for `branch`. */
  | { readonly kind: "stored"; readonly branch: string; readonly commandId: string }
  /** The command had its result already (the first wins): kept on the command as `late_result`. */
  | { readonly kind: "late"; readonly branch: string; readonly commandId: string }
  /** No command HQ sent has this command_id (Mango's web UI, stats, …): kept with no branch. */
  | { readonly kind: "unknown"; readonly id: string; readonly duplicate: boolean };

export interface MangoCommandView {
  readonly commandId: string;
  readonly branch: string;
  readonly command: MangoCommand;
  readonly state: "sending" | "sent" | "done";
  readonly result: number | null;
  readonly by: "mango" | "hq" | null;
  readonly reason: string | null;
  readonly claimedAt: number;
  readonly settledAt: number | null;
}

/**
 * Headquarters' Mango commands (issue 17), in hq.db beside the records and the Mango events.
 *
 * ALWAYS, each method one IMMEDIATE transaction:
 * - `pending` reads the `pbx.command` records above each branch's cursor, in seq order per branch;
 * - `claim` moves the branch's cursor to the record's seq and, unless the commandId was claimed
 *   before (any branch: "duplicate", nothing else written), writes the command — state `sending`,
 *   or with a `refusal` state `done` and the refusal as its `mango.result` row. A command is
 *   claimed BEFORE it is sent, so a command is sent at most once whatever restarts;
 * - `skip` moves the cursor past a record that cannot be answered (no usable commandId);
 * - `sent` marks a claimed command `sent` (Mango answered 200; its callback is awaited);
 * - `answer` writes a command's one `mango.result` (state `done`) in the branch's `pbx` down seq
 *   space (`mango_events`, kind `result`, id `mango:result:<commandId>`); when the command has its
 *   result already it writes nothing and says false: the first result wins;
 * - `callback` does the same for Mango's own callback by its `command_id`, or keeps a callback of
 *   an unknown command with no branch (once per text);
 * - `stale(before)` lists commands still `sending` that were claimed before `before` (HQ stopped
 *   between the claim and Mango's answer: they may or may not have run).
 * A storage failure rejects with a StoreFailure and writes nothing.
 */
export interface MangoCommandStore {
  pending(limit: number): Promise<PendingMangoCommand[]>;
  claim(
    at: { readonly branch: string; readonly seq: number },
    command: Pick<PbxCommand, "commandId" | "command"> & { readonly params: unknown },
    now: number,
    refusal: MangoResult | null,
  ): Promise<"claimed" | "duplicate">;
  skip(at: { readonly branch: string; readonly seq: number }): Promise<void>;
  leg(callId: string): Promise<MangoLeg | null>;
  sent(commandId: string, now: number): Promise<void>;
  answer(result: MangoResult): Promise<boolean>;
  callback(callback: {
    readonly name: string;
    readonly raw: string;
    readonly commandId: string | null;
    readonly result: number | null;
    readonly receivedAt: number;
  }): Promise<MangoCallbackResult>;
  stale(before: number): Promise<{ commandId: string; command: MangoCommand; branch: string }[]>;
  /** Commands by outcome: sending, sent, done (Mango 1xxx), failed (Mango's other codes), refused (by HQ). */
  outcomes(): Promise<Record<string, number>>;
  recent(limit: number): Promise<MangoCommandView[]>;
}
