// A compiled `branchbox hq` consumer on its own config file, started and stopped by PID. Only
// node: APIs, so the same helper serves `bun test` (test/support/sync-system.ts) and the
// Node-driven browser test of the fleet page (test/e2e/hq-fleet.browser.ts).
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BINARY, freePort } from "./process.ts";

export const HQ_TOKEN = "sync-system-hq-token-0123456789";

export type HqProcess = {
  readonly name: string;
  readonly pid: number;
  readonly baseUrl: string;
  kill9(): Promise<void>;
  stop(graceMs?: number): Promise<void>;
  /** SIGSTOP: the process stops reading, its connections stay open (a hung consumer). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  output(): string;
};

/**
 * `branchbox hq --config <dir>/<name>.toml` (the compiled binary): `[mqtt]` from `mqtt`, `[hq]` on a
 * free loopback port with HQ_TOKEN and the store in `storage`, then the `extra` lines (more `[hq]`
 * keys, `[hq.mango]`…). No BRANCHBOX_ variable reaches it (any but the MQTT and HQ ones stops it); its
 * output goes to `<dir>/logs/<name>.log`. Resolves once /healthz answers 200 (on the broker).
 */
export async function startHqProcess(options: {
  dir: string;
  storage: string;
  mqtt: Record<string, string>;
  name: string;
  extra?: readonly string[];
}): Promise<HqProcess> {
  const port = await freePort();
  const logDir = join(options.dir, "logs");
  mkdirSync(logDir, { recursive: true });
  const configPath = join(options.dir, `${options.name}.toml`);
  const mqttLines = Object.entries(options.mqtt).map(([key, value]) => `${key} = ${JSON.stringify(value)}`);
  writeFileSync(
    configPath,
    [
      "[mqtt]",
      ...mqttLines,
      "[hq]",
      `listen = "127.0.0.1:${port}"`,
      `token = "${HQ_TOKEN}"`,
      `storage_dir = ${JSON.stringify(options.storage)}`,
      "reorder_timeout_ms = 1000",
      ...(options.extra ?? []),
      "",
    ].join("\n"),
  );
  const logPath = join(logDir, `${options.name}.log`);
  const out = openSync(logPath, "a");
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("BRANCHBOX_")),
  );
  let child: ChildProcess;
  try {
    child = spawn(BINARY, ["hq", "--config", configPath], {
      cwd: options.dir,
      env,
      stdio: ["ignore", out, out],
    });
  } finally {
    closeSync(out);
  }
  child.once("error", () => {});
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const output = () => {
    try {
      const text = readFileSync(logPath, "utf8");
      return text.length > 4000 ? `…${text.slice(-4000)}` : text;
    } catch {
      return "";
    }
  };
  const hq: HqProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    baseUrl: `http://127.0.0.1:${port}`,
    output,
    async kill9() {
      if (!alive()) return;
      child.kill("SIGKILL");
      await exited;
    },
    pause() {
      if (alive()) child.kill("SIGSTOP");
    },
    resume() {
      if (alive()) child.kill("SIGCONT");
    },
    async stop(graceMs = 5000) {
      if (!alive()) return;
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  // /healthz answers 200 once the consumer is connected to the broker.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (!alive()) throw new Error(`${options.name} exited before it was ready\n${output()}`);
    const ok = await fetch(`${hq.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return hq;
    if (Date.now() > deadline) {
      await hq.kill9();
      throw new Error(`${options.name} was not healthy in time\n${output()}`);
    }
    await sleep(50);
  }
}
