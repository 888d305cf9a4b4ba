import type { Logger } from "../log/logger.ts";
import { type StorageFaults, storageFaults } from "../store/storage-faults.ts";

export interface LastResortOptions {
  readonly log: Logger;
  readonly faults?: StorageFaults;
  /** The process (tests pass an emitter). */
  readonly target?: Pick<NodeJS.EventEmitter, "on">;
  readonly exit?: (code: number) => void;
}

/**
 * What the box does with an exception nobody caught (a throw on a timer, in a callback) or a
 * rejection nobody handled; without this, Bun prints it and ends the process.
 *
 * - A storage error (a full disk, a read-only one, an I/O error): the write's transaction rolled
 *   back, so the database is whole, and a restart would meet the same disk with the kiosk dark
 *   meanwhile. It goes to `faults` (logged once with its stack, then counted) and the box goes on.
 *   Every writer outside a request handles its own (they retry); this is the net for one that
 *   does not, and the log line names it.
 * - Anything else is a bug whose damage nobody knows: logged at error with its stack
 *   (BOX.UNCAUGHT), then exit(1) as without this handler, so systemd starts the box again from
 *   what is on disk rather than letting it run on with memory half updated.
 */
export function installLastResort(options: LastResortOptions): void {
  const { log } = options;
  const faults = options.faults ?? storageFaults;
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const handle = (how: "uncaught exception" | "unhandled rejection", error: unknown) => {
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    // Logged once per place it came from: the first frame of ours (not bun:sqlite's, node:'s).
    const origin =
      stack
        .split("\n")
        .map((line) => line.trim())
        .find((line) => line.startsWith("at ") && !/\((bun|node):|\(native/.test(line)) ?? "unknown";
    if (faults.unattended(`uncaught ${origin}`, error, log, { how, stack }) !== null) return;
    log.error(`${how}: a bug; stopping so that the box starts again from what is on disk`, {
      code: "BOX.UNCAUGHT",
      error,
      stack,
    });
    exit(1);
  };
  target.on("uncaughtException", (error: unknown) => handle("uncaught exception", error));
  target.on("unhandledRejection", (reason: unknown) => handle("unhandled rejection", reason));
}
