// A lab process (Kamailio, a baresip phone): spawned in its own process group, output into a log
// file, stopped by its PID only. If the test process dies without stopping it (a crash, a timeout,
// a failed hook that skipped the clean-up; `bun test` runs no "exit" handlers), a watchdog shell
// started with the first lab process kills the groups still listed in its PID file.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LabProcess {
  readonly pid: number;
  readonly logPath: string;
  alive(): boolean;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /**
   * SIGTERM to its group, SIGKILL after `graceMs`; resolves once it has exited: true if it ended
   * on SIGTERM (its own shutdown ran), false if it had to be killed.
   */
  stop(graceMs?: number): Promise<boolean>;
  /** The end of its log, for failure messages. */
  log(bytes?: number): string;
}

const running = new Set<number>();
const pidFile = join(tmpdir(), `branchbox-lab-pids-${process.pid}`);
let watchdog = false;

/** Waits for this process to end, then SIGKILLs the process groups listed in the PID file. */
const WATCHDOG = `parent=$1; list=$2
while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
if [ -f "$list" ]; then for pid in $(cat "$list"); do kill -9 -"$pid" 2>/dev/null; done; fi
rm -f "$list"`;

function listRunning(): void {
  if (!watchdog) {
    watchdog = true;
    const dog = spawn("/bin/sh", ["-c", WATCHDOG, "lab-watchdog", String(process.pid), pidFile], {
      stdio: "ignore",
      detached: true,
    });
    dog.unref();
  }
  if (running.size > 0) writeFileSync(pidFile, `${[...running].join("\n")}\n`);
  else rmSync(pidFile, { force: true });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function spawnLabProcess(program: string, args: string[], cwd: string, logPath: string): LabProcess {
  const out = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    // detached: its own process group, so Kamailio's forked workers go with it.
    child = spawn(program, args, { cwd, stdio: ["ignore", out, out], detached: true });
  } finally {
    closeSync(out);
  }
  child.once("error", () => {});
  const pid = child.pid ?? -1;
  if (pid > 0) {
    running.add(pid);
    listRunning();
  }
  const exited = new Promise<void>((resolve) => {
    const gone = () => {
      running.delete(pid);
      listRunning();
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null || pid < 0) gone();
    else child.once("exit", gone);
  });
  const alive = () => pid > 0 && child.exitCode === null && child.signalCode === null;
  return {
    pid,
    logPath,
    alive,
    exited,
    async stop(graceMs = 1000) {
      if (!alive()) return true;
      killGroup(pid, "SIGTERM");
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        killGroup(pid, "SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
      // Workers that outlived their parent (Kamailio's) go too: same group.
      killGroup(pid, "SIGKILL");
      return !killed;
    },
    log: (bytes = 3000) => tail(logPath, bytes),
  };
}

export function tail(path: string, bytes = 3000): string {
  try {
    const text = readFileSync(path, "utf8");
    return text.length > bytes ? `…${text.slice(-bytes)}` : text;
  } catch {
    return "";
  }
}
