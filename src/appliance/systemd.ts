import type { Logger } from "../log/logger.ts";
import { type Notifier, systemdNotifier, watchdogIntervalMs } from "./sd-notify.ts";

export interface SystemdOptions {
  readonly log: Logger;
  /** What READY's STATUS line says, e.g. "serving on http://0.0.0.0:8080/". */
  readonly status: string;
  /**
   * Asked on every watchdog tick: null when the box can go on, else why not. The tick itself
   * proves the event loop turns; this proves what the loop depends on (the database) answers.
   */
  readonly check: (budgetMs: number) => string | null;
  readonly env?: Record<string, string | undefined>;
  readonly pid?: number;
}

export interface SystemdLink {
  /** Says STOPPING=1 and stops feeding the watchdog; the process is about to exit. */
  stopping(): void;
}

/**
 * Tells systemd (Type=notify) that the box is ready, then feeds its watchdog every
 * WatchdogSec/2 while `check` passes. A stuck event loop sends nothing because the timer does
 * not fire; a stuck database sends nothing because the check fails; either way systemd kills
 * and restarts the box after WatchdogSec. Without `$NOTIFY_SOCKET` it does nothing.
 */
export function notifySystemd(options: SystemdOptions): SystemdLink {
  const env = options.env ?? process.env;
  let notifier: Notifier | null;
  try {
    notifier = systemdNotifier(env);
  } catch (error) {
    options.log.error("cannot reach systemd's notify socket", { error });
    notifier = null;
  }
  if (notifier === null) return { stopping() {} };
  const link = notifier;
  link.send(`READY=1\nSTATUS=${oneLine(options.status)}`);
  const intervalMs = watchdogIntervalMs(env, options.pid ?? process.pid);
  options.log.info("told systemd the box is ready", { watchdogMs: intervalMs });
  let timer: ReturnType<typeof setInterval> | null = null;
  if (intervalMs !== null) {
    let problem: string | null = null;
    const tick = () => {
      const found = options.check(Math.min(intervalMs / 2, 5000));
      if (found === null) link.send("WATCHDOG=1");
      if (found !== problem) {
        // Logged when it starts and when it ends, not every tick.
        if (found === null) options.log.info("watchdog fed again", { was: problem });
        else options.log.error("not feeding the watchdog: systemd will restart the box", { problem: found });
        link.send(`STATUS=${oneLine(found === null ? options.status : `unhealthy: ${found}`)}`);
        problem = found;
      }
    };
    tick();
    timer = setInterval(tick, intervalMs);
  }
  return {
    stopping() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      link.send("STOPPING=1");
      link.close();
    },
  };
}

/** A newline would start another KEY=value assignment in the datagram. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}
