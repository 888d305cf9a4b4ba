// The shipped broker set-up (firmware-config/mosquitto/) running, for tests whose box or HQ must
// meet the broker integrators install: that mosquitto.conf with only the listener, the certificate,
// persistence and plugin file paths and the log destination changed (as
// test/docs/mosquitto-example.test.ts checks line by line), a copy of that dynamic-security.json,
// certificates from a test CA, and branches and consumers added with that dynsec.sh.
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { MOSQUITTO, type Mosquitto } from "./mosquitto.ts";
import { acceptsTcp, freePort, makeTestDir, REPO_ROOT } from "./process.ts";
import { type CertPair, makeTestPki, type TestPki } from "./tls-certs.ts";

export const EXAMPLE_DIR = join(REPO_ROOT, "firmware-config/mosquitto");

export type ExampleBroker = Mosquitto & {
  readonly pki: TestPki;
  /** The client certificate made for `name` (a branch id, `hq.1`, …). */
  certificate(name: string): CertPair;
  /** The shipped dynsec.sh against this broker, as `hq.admin`; throws unless it exits 0. */
  dynsec(...args: string[]): Promise<string>;
};

export type ExampleBrokerOptions = {
  /** Branch ids: a certificate each, added with `dynsec.sh add-branch`. */
  branches: readonly string[];
  /** Headquarters consumers (`hq.1`, …): a certificate each, added with `dynsec.sh add-hq`. */
  hqs: readonly string[];
  /** Certificates from the same CA that are never added. */
  strangers?: readonly string[];
  dir?: string;
};

export async function startExampleBroker(options: ExampleBrokerOptions): Promise<ExampleBroker> {
  const dir = options.dir ?? makeTestDir("example-broker");
  mkdirSync(join(dir, "persistence"), { recursive: true });
  mkdirSync(join(dir, "xdg"), { recursive: true });
  const pki = makeTestPki(dir, [
    ...options.branches,
    ...options.hqs,
    ...(options.strangers ?? []),
    "hq.admin",
  ]);
  const port = await freePort();
  const configPath = join(dir, "mosquitto.conf");
  const logPath = join(dir, "mosquitto.log");
  copyFileSync(join(EXAMPLE_DIR, "dynamic-security.json"), join(dir, "dynamic-security.json"));
  writeFileSync(configPath, adaptedConfig(dir, port, pki));
  const certificate = (name: string): CertPair => {
    const pair = pki.clients[name];
    if (pair === undefined) throw new Error(`no test certificate for ${name}`);
    return pair;
  };
  const admin = certificate("hq.admin");
  writeFileSync(
    join(dir, "xdg/mosquitto_ctrl"),
    [
      "-h 127.0.0.1",
      `-p ${port}`,
      `--cafile ${pki.ca}`,
      `--cert ${admin.cert}`,
      `--key ${admin.key}`,
      "",
    ].join("\n"),
  );

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
    exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once("exit", () => resolve());
    });
    const deadline = Date.now() + 10_000;
    while (!(await acceptsTcp(port))) {
      if (!alive() || Date.now() > deadline) {
        await broker.kill9();
        throw new Error(`the example mosquitto.conf did not start (exit ${proc.exitCode})\n${log()}`);
      }
      await Bun.sleep(25);
    }
  };
  const stopWith = async (signal: NodeJS.Signals, graceMs: number) => {
    if (!alive()) return;
    child?.kill(signal);
    const timer = setTimeout(() => child?.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const broker: ExampleBroker = {
    url: `mqtts://127.0.0.1:${port}`,
    port,
    dir,
    configPath,
    logPath,
    pki,
    get pid() {
      return alive() ? (child?.pid ?? -1) : -1;
    },
    get running() {
      return alive();
    },
    stop: (graceMs = 5000) => stopWith("SIGTERM", graceMs),
    kill9: () => stopWith("SIGKILL", 0),
    start,
    async restart() {
      await broker.stop();
      await start();
    },
    log,
    certificate,
    async dynsec(...args: string[]) {
      const result = await runDynsec(dir, args);
      if (result.code !== 0) throw new Error(`dynsec.sh ${args.join(" ")}: ${result.output}\n${log()}`);
      return result.output;
    },
  };
  await start();
  try {
    for (const id of options.branches) await broker.dynsec("add-branch", id);
    for (const name of options.hqs) await broker.dynsec("add-hq", name);
  } catch (error) {
    await broker.stop();
    throw error;
  }
  return broker;
}

/** The keys a test copy changes; test/docs/mosquitto-example.test.ts checks nothing else differs. */
function adaptedConfig(dir: string, port: number, pki: TestPki): string {
  const values: Record<string, string> = {
    listener: `${port} 127.0.0.1`,
    cafile: pki.ca,
    certfile: pki.server.cert,
    keyfile: pki.server.key,
    persistence_location: `${join(dir, "persistence")}/`,
    plugin: pluginPath(),
    plugin_opt_config_file: join(dir, "dynamic-security.json"),
    // The process's output goes to mosquitto.log (see start()).
    log_dest: "stdout",
  };
  const lines = readFileSync(join(EXAMPLE_DIR, "mosquitto.conf"), "utf8")
    .split("\n")
    .map((line) => {
      const key = line.split(" ")[0] ?? "";
      return values[key] === undefined ? line : `${key} ${values[key]}`;
    });
  // As root Mosquitto would drop to the `mosquitto` user, who cannot read the test's temp dir.
  if (process.getuid?.() === 0) lines.unshift("user root");
  return lines.join("\n");
}

/** Debian's plugin for this machine's architecture (the example names x86-64's). */
export function pluginPath(): string {
  for (const triplet of readdirSync("/usr/lib")) {
    const candidate = join("/usr/lib", triplet, "mosquitto_dynamic_security.so");
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("no mosquitto_dynamic_security.so under /usr/lib/*/ (Debian's mosquitto package)");
}

/** The shipped dynsec.sh, reaching a test broker in `dir` through mosquitto_ctrl's options file. */
export function runDynsec(
  dir: string,
  args: readonly string[],
): Promise<{ code: number | null; output: string }> {
  const child = spawn(join(EXAMPLE_DIR, "dynsec.sh"), args, {
    env: { ...process.env, XDG_CONFIG_HOME: join(dir, "xdg") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output })));
}
