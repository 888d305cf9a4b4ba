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

/** How many commands run at once: each may wait for its call (a click-to-call up to two minutes). */
export const MAX_RUNNING = 8;

/**
 * Starts pending commands in arrival order, up to MAX_RUNNING at once, after their commit, so a
 * click-to-call that waits for its client does not hold the next command (a `cancel-transfer`
 * behind the `transfer` it cancels above all):
 *
 *   pending ─(expiresAt passed)─► expired
 *   pending ─commit─► running ─port.run─► done | failed | expired | refused
 *   running (found at start: the box stopped while it ran) ─port.resume─► the same answers
 *                                          (a port without resume: failed, never run again)
 *
 * Each move and its reply share one transaction, so HQ hears exactly one answer per command.
 * After `stop` nothing more is written: a run's answer that comes later leaves its row `running`
 * for the restart's `resume`, which answers for what the PBX did (a click-to-call sent before the
 * stop is settled by its call), never by running it again.
 *
 * It runs after the inbox's commit, outside any caller: a move that the storage refuses (a full
 * disk) goes to `faults` and is tried again after STORAGE_RETRY_MS. A command that ran keeps its
 * result in memory until `running → done | failed` is written, so it is answered for what
 * happened and never run twice.
 */
export class CommandRunner {
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs under way, by commandId: their ends are awaited by `idle`. */
  private readonly running = new Map<string, Promise<void>>();
  /** Commands that ran and whose end could not be written yet. */
  private readonly unfinished = new Map<
    string,
    { readonly command: StoredCommand; readonly result: CommandResult }
  >();

  constructor(
    private readonly db: Database,
    private readonly store: CommandStore,
    private readonly outbox: OutboxStore,
    private readonly port: CommandPort,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly onReplies: () => void,
    private readonly faults: StorageFaults = storageFaults,
    private readonly maxRunning = MAX_RUNNING,
  ) {}

  /**
   * At start: a command left `running` may or may not have reached the PBX. The port's `resume`
   * answers for it (awaited like a run); without one it is answered `failed` at once.
   */
  recoverInterrupted(): void {
    const interrupted = this.store.open("running");
    if (interrupted.length === 0) return;
    const resume = this.port.resume?.bind(this.port);
    if (resume !== undefined) {
      this.log.warn("commands interrupted by a restart: answered for what they did, not run again", {
        code: "SYNC.COMMAND_INTERRUPTED",
        commandIds: interrupted.map((c) => c.commandId),
      });
      for (const c of interrupted) this.launch(c, () => resume(c));
      return;
    }
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

  /** New pending commands were committed, or a run ended: start what may start. */
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

  /** No run starts and no answer is written after this; `idle()` waits for the runs to let go. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  async idle(): Promise<void> {
    while (this.draining !== null || this.running.size > 0)
      await Promise.allSettled([this.draining, ...this.running.values()]);
  }

  private async drain(): Promise<void> {
    for (const { command, result } of [...this.unfinished.values()]) {
      this.finish(command, result);
      this.unfinished.delete(command.commandId);
    }
    while (this.running.size < this.maxRunning) {
      const next = this.store.open("pending")[0];
      if (next === undefined) break;
      if (this.begin(next)) this.launch(next, () => this.port.run(next));
    }
    this.faults.worked(SITE, this.log);
  }

  /** Runs one command beside the others; its end is written (or kept for a retry) when it comes. */
  private launch(command: StoredCommand, run: () => Promise<CommandResult>): void {
    const { commandId } = command;
    const ended = (async () => {
      let result: CommandResult;
      try {
        result = await run();
      } catch (error) {
        result = { ok: false, reason: String(error) };
      }
      if (this.stopped) return;
      this.unfinished.set(commandId, { command, result });
      try {
        this.finish(command, result);
        this.unfinished.delete(commandId);
      } catch (error) {
        this.storageFailed(error);
      }
    })().finally(() => {
      this.running.delete(commandId);
      this.kick();
    });
    this.running.set(commandId, ended);
  }

  /** A storage error: counted, and the run tried again later. Anything else is a bug and goes on up. */
  private storageFailed(error: unknown): void {
    const ids = [...this.unfinished.keys()];
    const fields = ids.length === 0 ? {} : ids.length === 1 ? { commandId: ids[0] } : { commandIds: ids };
    if (this.faults.failed(SITE, error, this.log, fields) === null) throw error;
    if (!this.stopped) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.kick(), STORAGE_RETRY_MS);
    }
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
