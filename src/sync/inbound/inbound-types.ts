import type { Database } from "bun:sqlite";
import type { HqSettings, MangoEvent, MangoResult } from "../../contract/down-records.ts";
import type { DownStream } from "../../contract/protocol.ts";
import type { Elsewhere } from "../../domain/roster/elsewhere.ts";
import type { NumberRules } from "../../domain/rules/phone-number.ts";
import type { Logger } from "../../log/logger.ts";
import type { ClientDirectory } from "../../service/attribution-settings.ts";
import type { CommandPort } from "../../service/command-port.ts";
import type { StorageFaults } from "../../store/storage-faults.ts";

/** Every way a down message can be turned away; each is a log `code` and a counter. */
export const REJECT_CODES = [
  "SYNC.DOWN_BAD_JSON",
  "SYNC.DOWN_BAD_SCHEMA",
  "SYNC.DOWN_WRONG_STREAM",
  "SYNC.DOWN_WRONG_BRANCH",
  "SYNC.DOWN_BAD_RECORD",
  "SYNC.STAFF_CLEAR_PIN",
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

/**
 * What became of one down message:
 * - `applied`: its new records are committed (with their inbox rows and the stream's mark);
 * - `duplicate`: every record was at or below the mark: nothing to do;
 * - `rejected`: bad input, nothing applied (redelivery would not fix it: PUBACK it anyway);
 * - `failed`: the store failed (disk full, I/O): nothing applied, do NOT PUBACK, so a persistent
 *   session delivers it again.
 */
export type DownOutcome =
  | { kind: "applied"; applied: number; duplicates: number }
  | { kind: "duplicate"; duplicates: number }
  | { kind: "rejected"; code: RejectCode; reason: string }
  | { kind: "failed"; reason: string };

/**
 * The relay's door into the inbox. ALWAYS synchronous: when `handle` returns, the message is
 * committed or known to be bad or failed, so the relay may PUBACK at once (not on `failed`).
 */
export interface DownHandler {
  handle(stream: DownStream, payload: Uint8Array): DownOutcome;
}

export type DownStreamStatus = {
  /** The highest seq applied. */
  readonly through: number;
  /** Records applied since the box started. */
  readonly applied: number;
  readonly duplicates: number;
  /** Envelopes that started past `through + 1` (applied anyway, see the inbox's doc). */
  readonly gaps: number;
};

/** One new record of the `pbx` down stream (issue 17), as the inbox hands it on. */
export type PbxDownRecord = { readonly seq: number; readonly id: string } & (
  | { readonly type: "mango.event"; readonly event: MangoEvent }
  | { readonly type: "mango.result"; readonly event: MangoResult }
);

/**
 * Where the inbox hands the `pbx` down stream (a cloud PBX's events HQ relays: Mango Office's
 * webhooks, `mango.event`, and the results of the box's commands, `mango.result`). ALWAYS called inside the inbox's IMMEDIATE transaction on the box's
 * database, once per envelope with new `pbx` records, with exactly those records in seq order —
 * never one at or below the stream's mark (a duplicate), never an empty list. Whatever the PBX
 * source must keep it writes in that same transaction (the inbox's `db`), so a record is applied
 * with its inbox row and the mark, or not at all. It may throw only when its store fails: the
 * envelope is then rolled back whole and not acknowledged, and the broker delivers it again.
 * HQ gives one Mango event one record id (`mango:<kind>:<hash>`), however often Mango sent it.
 */
export type PbxEventsPort = (records: readonly PbxDownRecord[], now: number) => void;

/** One new record of the `presence` down stream (issue 18, R0.3d), as the inbox hands it on. */
export type PresenceDownRecord = {
  readonly seq: number;
  readonly id: string;
  readonly elsewhere: Elsewhere;
};

/**
 * Where the inbox hands the `presence` down stream: the roster (R0.3d). `applyElsewhere` ALWAYS runs inside
 * the inbox's IMMEDIATE transaction, once per envelope with new `presence` records, exactly those
 * in seq order, and writes on the inbox's `db`, so a record is applied with its inbox row and the
 * mark or not at all; it may throw only when its store fails. `elsewhereSettled` ALWAYS follows an `applyElsewhere`:
 * `true` after the commit, `false` after a rollback, so what the roster keeps in memory follows
 * the disk.
 */
export interface PresencePort {
  applyElsewhere(records: readonly PresenceDownRecord[], now: number): void;
  elsewhereSettled(committed: boolean): void;
}

export type InboundStatus = {
  readonly streams: Readonly<Record<DownStream, DownStreamStatus>>;
  /** Down messages turned away since start, by code. */
  readonly rejected: Readonly<Record<RejectCode, number>>;
  readonly lastRejection: { readonly code: RejectCode; readonly reason: string; readonly at: number } | null;
  /** Messages not committed because the store failed (not PUBACKed). */
  readonly storeFailures: number;
  readonly clients: {
    readonly version: number;
    readonly count: number;
    /** A delta did not follow the version: deltas wait for the next snapshot. */
    readonly stale: boolean;
    readonly ignoredDeltas: number;
  };
  readonly commands: {
    readonly pending: number;
    readonly done: number;
    readonly failed: number;
    readonly expired: number;
    readonly unsupported: number;
    /** Run, and refused by the service behind the port (not on shift, no such call…): nothing sent. */
    readonly refused: number;
    /** A commandId seen again (under a new seq): not run again. */
    readonly duplicates: number;
  };
  /** HQ's settings in force over the config's [calls], or null before the first. */
  readonly settings: HqSettings | null;
  readonly pbx: {
    /** `pbx` records handed to the PBX source since start. */
    readonly handed: number;
    /** `pbx` records that arrived with no PBX source to read them (kept as inbox rows only; logged). */
    readonly withoutSource: number;
  };
};

export type { ClientDirectory } from "../../service/attribution-settings.ts";

export type InboundChange = "staff" | "clients" | "settings" | "commands";

export interface Inbound extends DownHandler {
  readonly directory: ClientDirectory;
  /** HQ's settings, or null before the first `settings.update`. */
  settings(): HqSettings | null;
  status(): InboundStatus;
  /** Runs the commands left pending by the last run; prunes old inbox rows. */
  start(): void;
  /** Waits for a running command to finish. */
  stop(): Promise<void>;
  /** Called after each commit that changed something. */
  subscribe(listener: (change: InboundChange) => void): () => void;
}

export type InboundOptions = {
  readonly db: Database;
  readonly branch: string;
  readonly log: Logger;
  readonly now: () => number;
  readonly commands?: CommandPort;
  /** After a staff change is committed (the roster reloads its staff). */
  readonly onStaffChanged?: () => void;
  /** After replies were put in the outbox (the relay sends them at once). */
  readonly onReplies?: () => void;
  /** Inbox rows and finished commands older than this are pruned (default 90 days). */
  readonly keepMs?: number;
  /** Where a write that fails outside a message (pruning, running commands) is logged and counted. */
  readonly storageFaults?: StorageFaults;
  /**
   * The PBX source that reads the `pbx` down stream (issue 17: `[pbx.mango]`). Without one, each
   * such record still gets its inbox row and moves the mark, and is counted (`pbx.withoutSource`)
   * and logged (`SYNC.PBX_NO_SOURCE`).
   */
  readonly onPbxEvents?: PbxEventsPort;
  /** The roster, which reads the `presence` down stream (R0.3d). Without one, its records are inbox rows only. */
  readonly presence?: PresencePort;
  /** How the branch's PBX writes numbers (`[numbers]`), for the directory lookup; default Russia's. */
  readonly numbers?: NumberRules;
};
