// A real Mosquitto broker for the sync tests, on a free loopback port, configured on purpose.
// Only node: APIs, so the same harness serves `bun test` and Node-driven scripts.
//
// Queue limits are explicit: Mosquitto's default `max_queued_messages 1000` silently drops QoS 1
// messages to a slow consumer (3–18% of a burst, measured); the harness defaults to no limit.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acceptsTcp, freePort, makeTestDir } from "./process.ts";

export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? "/usr/sbin/mosquitto";
export const MOSQUITTO_PASSWD = process.env.MOSQUITTO_PASSWD_BIN ?? "/usr/bin/mosquitto_passwd";

export type MosquittoUser = { username: string; password: string };

export type MosquittoTls = {
  /** PEM file paths. */
  ca: string;
  cert: string;
  key: string;
  /** Clients must present a certificate signed by `ca` (mutual TLS). */
  requireCertificate?: boolean;
  /** The client certificate's CN becomes the username (so ACL `%u` patterns apply to it). */
  useIdentityAsUsername?: boolean;
};

export type MosquittoOptions = {
  /** Keep sessions, queued messages and retained messages across a graceful stop (default false). */
  persistence?: boolean;
  /** Where conf, password file, ACL, log and persistence live; a fresh temp dir by default. */
  dir?: string;
  /** With users, anonymous clients are refused; without, anyone may connect. */
  users?: MosquittoUser[];
  /** ACL file text (`user …`, `topic …`, `pattern …` lines). */
  acl?: string;
  tls?: MosquittoTls;
  /** `max_queued_messages` per client; 0 = no limit (default 0, see the note at the top). */
  maxQueued?: number;
  /** `max_inflight_messages` per client (broker → client QoS 1/2 in flight); default 100. */
  maxInflight?: number;
  /** Extra mosquitto.conf lines, appended verbatim. */
  extraConfig?: string;
  /** A fixed port (default: a free one, chosen once and kept across restarts). */
  port?: number;
  readyTimeoutMs?: number;
};

export type Mosquitto = {
  /** `mqtt://127.0.0.1:PORT`, or `mqtts://…` with TLS. */
  readonly url: string;
  readonly port: number;
  /** PID of the current broker process (-1 while stopped). */
  readonly pid: number;
  readonly running: boolean;
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** SIGTERM (Mosquitto saves its persistence file), SIGKILL after `graceMs`; waits for the exit. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: nothing saved since the last autosave. */
  kill9(): Promise<void>;
  /** Starts again after stop()/kill9(): same port, same config, same persistence dir. */
  start(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** The broker's log so far (tail), for failure messages. */
  log(bytes?: number): string;
};

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = options.dir ?? makeTestDir("mosquitto");
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const configPath = join(dir, "mosquitto.conf");
  const logPath = join(dir, "mosquitto.log");
  writeFileSync(configPath, mosquittoConfig(dir, port, options));
  const url = `${options.tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`;

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const log = (bytes = 4000) => {
    try {
      const text = readFileSync(logPath, "utf8");
      return text.length > bytes ? `…${text.slice(-bytes)}` : text;
    } catch {
      return "";
    }
  };

  const start = async () => {
    if (alive()) return;
    const out = openSync(logPath, "a");
    let proc: ChildProcess;
    try {
      proc = spawn(MOSQUITTO, ["-c", configPath], { cwd: dir, stdio: ["ignore", out, out] });
    } finally {
      closeSync(out);
    }
    child = proc;
    proc.once("error", () => {});
    exited = new Promise<void>((resolveExit) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolveExit();
      else proc.once("exit", () => resolveExit());
    });
    const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
    for (;;) {
      if (!alive()) {
        await exited;
        throw new Error(`mosquitto exited (${proc.exitCode ?? proc.signalCode}) before listening\n${log()}`);
      }
      if (await acceptsTcp(port)) return;
      if (Date.now() > deadline) {
        await broker.kill9();
        throw new Error(`mosquitto did not listen on 127.0.0.1:${port} in time\n${log()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const broker: Mosquitto = {
    url,
    port,
    dir,
    configPath,
    logPath,
    get pid() {
      return alive() ? (child?.pid ?? -1) : -1;
    },
    get running() {
      return alive();
    },
    async stop(graceMs = 5000) {
      if (!alive()) return;
      child?.kill("SIGTERM");
      const timer = setTimeout(() => child?.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (!alive()) return;
      child?.kill("SIGKILL");
      await exited;
    },
    start,
    async restart() {
      await broker.stop();
      await start();
    },
    log,
  };
  await start();
  return broker;
}

function mosquittoConfig(dir: string, port: number, options: MosquittoOptions): string {
  const lines = [
    "# written by test/support/mosquitto.ts",
    // As root Mosquitto would drop to the `mosquitto` user, who cannot read a 0700 temp dir.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    `listener ${port} 127.0.0.1`,
    "log_dest stdout",
    "log_type error",
    "log_type warning",
    "log_type notice",
    "log_type information",
    "connection_messages true",
    "log_timestamp_format %H:%M:%S",
    "set_tcp_nodelay true",
    `max_queued_messages ${options.maxQueued ?? 0}`,
    "max_queued_bytes 0",
    `max_inflight_messages ${options.maxInflight ?? 100}`,
  ];
  if (options.persistence) {
    const store = join(dir, "persistence");
    mkdirSync(store, { recursive: true });
    lines.push("persistence true", `persistence_location ${store}/`, "autosave_interval 1");
  } else {
    lines.push("persistence false");
  }
  if (options.users && options.users.length > 0) {
    const passwordFile = join(dir, "passwords");
    writeFileSync(passwordFile, "");
    for (const user of options.users) {
      const result = spawnSync(MOSQUITTO_PASSWD, ["-b", passwordFile, user.username, user.password], {
        encoding: "utf8",
      });
      if (result.status !== 0) {
        throw new Error(`mosquitto_passwd failed for ${user.username}: ${result.stderr || result.error}`);
      }
    }
    lines.push("allow_anonymous false", `password_file ${passwordFile}`);
  } else {
    lines.push(options.tls?.useIdentityAsUsername ? "allow_anonymous false" : "allow_anonymous true");
  }
  if (options.acl !== undefined) {
    const aclFile = join(dir, "acl");
    writeFileSync(aclFile, options.acl.endsWith("\n") ? options.acl : `${options.acl}\n`);
    lines.push(`acl_file ${aclFile}`);
  }
  if (options.tls) {
    lines.push(
      `cafile ${options.tls.ca}`,
      `certfile ${options.tls.cert}`,
      `keyfile ${options.tls.key}`,
      `require_certificate ${options.tls.requireCertificate ? "true" : "false"}`,
    );
    if (options.tls.useIdentityAsUsername) lines.push("use_identity_as_username true");
  }
  if (options.extraConfig) lines.push(options.extraConfig);
  return `${lines.join("\n")}\n`;
}
