// A lab process (Kamailio, a baresip phone): spawned in its own process group, output into a log
// file, stopped by its PID only. If the test process exits without stopping it (a crash, a
// failed assertion that skipped the clean-up), an exit hook kills what is still running.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface LabProcess {
  readonly pid: number;
  readonly logPath: string;
  alive(): boolean;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM to its group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The end of its log, for failure messages. */
  log(bytes?: number): string;
}

const running = new Set<number>();
let hooked = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function spawnLabProcess(program: string, args: string[], cwd: string, logPath: string): LabProcess {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const pid of running) killGroup(pid, "SIGKILL");
    });
  }
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
  if (pid > 0) running.add(pid);
  const exited = new Promise<void>((resolve) => {
    const gone = () => {
      running.delete(pid);
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
      if (!alive()) return;
      killGroup(pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(pid, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // Workers that outlived their parent (Kamailio's) go too: same group.
      killGroup(pid, "SIGKILL");
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
