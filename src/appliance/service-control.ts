import { localUrl } from "../lib/listen-address.ts";
import type { Logger } from "../log/logger.ts";

export type ServiceAction = "restart" | "stop" | "start";

/**
 * Runs `[upgrade] service_command` with {action} filled in (no shell: split on spaces), e.g.
 * `systemctl restart branchbox`. Resolves with its exit code; its output goes to ours.
 */
export async function runService(template: string, action: ServiceAction, log: Logger): Promise<number> {
  return startService(template, action, log).exited;
}

/**
 * Starts (or restarts) the service and waits until /healthz reports `version` (any when null),
 * at most `timeoutMs`. Returns null when healthy, else why not. It does not wait for the command
 * itself: `systemctl restart` of a Type=notify unit blocks until READY=1, up to the unit's
 * TimeoutStartSec (minutes), and a binary that hangs before READY must be rolled back within
 * our limit. A command that fails ends the wait at once; one still running at the end is left
 * to the service manager (its job is replaced by the next command).
 */
export async function startAndWaitHealthy(
  template: string,
  action: "restart" | "start",
  health: { url: string; version: string | null; timeoutMs: number },
  log: Logger,
): Promise<string | null> {
  const command = startService(template, action, log);
  const healthy = waitHealthy(health.url, health.version, health.timeoutMs);
  const failed = command.exited.then((code) => (code === 0 ? healthy : `${action} exited ${code}`));
  const problem = await Promise.race([healthy, failed]);
  command.detach();
  return problem;
}

function startService(
  template: string,
  action: ServiceAction,
  log: Logger,
): { exited: Promise<number>; detach(): void } {
  const argv = template
    .trim()
    .split(/\s+/)
    .map((part) => part.replaceAll("{action}", action));
  log.info("service", { action, command: argv.join(" ") });
  try {
    const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
    const exited = proc.exited.then((code) => {
      if (code !== 0) log.error("service command failed", { action, exitCode: code });
      return code;
    });
    // Still waiting on the service manager after we decided: it no longer keeps us alive.
    return { exited, detach: () => proc.unref() };
  } catch (error) {
    log.error("service command did not run", { action, error });
    return { exited: Promise.resolve(127), detach() {} };
  }
}

/** The URL of the box's /healthz from `http.listen` (a wildcard address is asked on loopback). */
export function healthUrl(listen: string): string {
  return localUrl(listen, "/healthz");
}

/**
 * Polls /healthz until it answers 200 with `version` (any version when null) or `timeoutMs`
 * passes. Returns null when healthy, else what it saw last.
 */
export async function waitHealthy(
  url: string,
  version: string | null,
  timeoutMs: number,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(2000, timeoutMs)) });
      const body = (await response.json().catch(() => ({}))) as { version?: unknown };
      if (response.status === 200 && (version === null || body.version === version)) return null;
      last = `HTTP ${response.status}, version ${String(body.version)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) return last;
    await Bun.sleep(Math.min(200, Math.max(0, deadline - Date.now())));
  }
}
