import type { Database } from "bun:sqlite";
import type { CommandReply, CommandStatus } from "../../contract/down-records.ts";
import type { Logger } from "../../log/logger.ts";
import type { CommandPort, CommandResult } from "../../service/command-port.ts";
import type { CommandStore, StoredCommand } from "../../store/command-store.ts";
import type { OutboxStore } from "../../store/outbox-store.ts";
import { STORAGE_RETRY_MS, type StorageFaults, storageFaults } from "../../store/storage-faults.ts";

const SITE = "sync.commands";

/** Puts the one reply to a command in the outbox (`up/replies`); call inside the deciding transaction. */
export function writeReply(
  outbox: OutboxStore,
  commandId: string,
  status: CommandStatus,
  now: number,
  reason?: string,
): void {
  const data: CommandReply = reason === undefined ? { commandId, status } : { commandId, status, reason };
  outbox.add("replies", [{ id: commandId, type: "command.reply", data }], now);
}

/**
 * Runs pending commands one at a time, in arrival order, after their commit:
 *
 *   pending ─(expiresAt passed)─► expired
 *   pending ─commit─► running ─port.run─► done | failed | expired | refused
 *   running (found at start: the box died while it ran) ─► failed, never run again
 *
 * Each move and its reply share one transaction, so HQ hears exactly one answer per command.
 *
 * It runs after the inbox's commit, outside any caller: a move that the storage refuses (a full
 * disk) goes to `faults` and the run is tried again after STORAGE_RETRY_MS. A command that ran
 * keeps its result in memory until `running → done | failed` is written, so it is answered for
 * what happened and never run twice.
 */
export class CommandRunner {
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** A command that ran and whose end could not be written yet. */
  private unfinished: { readonly command: StoredCommand; readonly result: CommandResult } | null = null;

  constructor(
    private readonly db: Database,
    private readonly store: CommandStore,
    private readonly outbox: OutboxStore,
    private readonly port: CommandPort,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly onReplies: () => void,
    private readonly faults: StorageFaults = storageFaults,
  ) {}

  /** At start: a command left `running` may or may not have happened; it is answered `failed`. */
  recoverInterrupted(): void {
    const interrupted = this.store.open("running");
    if (interrupted.length === 0) return;
    const reason = "interrupted: the box stopped while it ran; not run again";
    this.db.transaction(() => {
      for (const c of interrupted) {
        if (this.store.move(c.commandId, "running", "failed", this.now(), reason))
          writeReply(this.outbox, c.commandId, "failed", this.now(), reason);
      }
    })();
    this.log.warn("commands interrupted by a restart answered failed", {
      code: "SYNC.COMMAND_INTERRUPTED",
      commandIds: interrupted.map((c) => c.commandId),
    });
    this.onReplies();
  }

  /** New pending commands were committed: run them (again, if a run is under way). */
  kick(): void {
    if (this.stopped) return;
    if (this.draining !== null) {
      this.again = true;
      return;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.draining = this.drain()
      .catch((error: unknown) => this.storageFailed(error))
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** No run starts after this (a retry waiting for room included); `idle()` waits for the current one. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  private async drain(): Promise<void> {
    if (this.unfinished !== null) {
      this.finish(this.unfinished.command, this.unfinished.result);
      this.unfinished = null;
    }
    for (;;) {
      const next = this.store.open("pending")[0];
      if (next === undefined) break;
      if (!this.begin(next)) continue;
      let result: CommandResult;
      try {
        result = await this.port.run(next);
      } catch (error) {
        result = { ok: false, reason: String(error) };
      }
      this.unfinished = { command: next, result };
      this.finish(next, result);
      this.unfinished = null;
    }
    this.faults.worked(SITE, this.log);
  }

  /** A storage error: counted, and the run tried again later. Anything else is a bug and goes on up. */
  private storageFailed(error: unknown): void {
    const commandId = this.unfinished?.command.commandId;
    if (this.faults.failed(SITE, error, this.log, commandId === undefined ? {} : { commandId }) === null)
      throw error;
    if (!this.stopped) this.retryTimer = setTimeout(() => this.kick(), STORAGE_RETRY_MS);
  }

  /** pending → running, or → expired when it is too late: one commit either way. */
  private begin(c: StoredCommand): boolean {
    const t = this.now();
    const expired = c.expiresAt <= t;
    const moved = this.db
      .transaction(() => {
        if (!expired) return this.store.move(c.commandId, "pending", "running", t);
        const ok = this.store.move(c.commandId, "pending", "expired", t, "expired before it could run");
        if (ok) writeReply(this.outbox, c.commandId, "expired", t);
        return ok;
      })
      .immediate();
    if (expired && moved) {
      this.log.warn("command expired before it could run: not run", {
        code: "SYNC.COMMAND_EXPIRED",
        commandId: c.commandId,
        kind: c.kind,
        expiresAt: c.expiresAt,
        lateMs: t - c.expiresAt,
      });
      this.onReplies();
    }
    return moved && !expired;
  }

  private finish(c: StoredCommand, result: CommandResult): void {
    const t = this.now();
    const status = result.ok ? "done" : (result.status ?? "failed");
    const reason = result.ok ? undefined : result.reason;
    this.db.transaction(() => {
      if (this.store.move(c.commandId, "running", status, t, reason))
        writeReply(this.outbox, c.commandId, status, t, reason);
    })();
    if (result.ok) this.log.info("command done", { commandId: c.commandId, kind: c.kind });
    else
      this.log.warn("command failed", {
        code: "SYNC.COMMAND_FAILED",
        commandId: c.commandId,
        kind: c.kind,
        reason,
      });
    this.onReplies();
  }
}
