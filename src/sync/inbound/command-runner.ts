import type { Database } from "bun:sqlite";
import type { Logger } from "../../log/logger.ts";
import type { CommandStore, StoredCommand } from "../../store/command-store.ts";
import type { OutboxStore } from "../../store/outbox-store.ts";
import type { CommandPort, CommandResult } from "./command-port.ts";
import type { CommandReply, CommandStatus } from "./down-records.ts";

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
 *   pending ─commit─► running ─port.run─► done | failed
 *   running (found at start: the box died while it ran) ─► failed, never run again
 *
 * Each move and its reply share one transaction, so HQ hears exactly one answer per command.
 */
export class CommandRunner {
  private draining: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly db: Database,
    private readonly store: CommandStore,
    private readonly outbox: OutboxStore,
    private readonly port: CommandPort,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly onReplies: () => void,
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
    if (this.draining !== null) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = this.store.open("pending")[0];
      if (next === undefined) return;
      if (!this.begin(next)) continue;
      let result: CommandResult;
      try {
        result = await this.port.run(next);
      } catch (error) {
        result = { ok: false, reason: String(error) };
      }
      this.finish(next, result);
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
    const status = result.ok ? "done" : "failed";
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
