// firmware-config/mosquitto/ is an example integrators copy: here it runs. A real Mosquitto starts
// with that mosquitto.conf and that acl, changed only where a test must (the listener's port and
// address, the certificate and persistence paths, the log destination, and `user root` when the
// tests run as root), with certificates made by openssl for two branches and headquarters.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { MOSQUITTO } from "../support/mosquitto.ts";
import { freePort, makeTestDir, REPO_ROOT } from "../support/process.ts";
import { makeTestPki, type TestPki } from "../support/tls-certs.ts";

const EXAMPLE = join(REPO_ROOT, "firmware-config/mosquitto");
const NOT_AUTHORIZED = 0x87;

/** The keys a test copy may change; every other line of the example stays as it is. */
const ADAPTED = new Set([
  "listener",
  "cafile",
  "certfile",
  "keyfile",
  "persistence_location",
  "acl_file",
  "log_dest",
]);

function adaptedConfig(dir: string, port: number, pki: TestPki): string {
  const paths: Record<string, string> = {
    listener: `${port} 127.0.0.1`,
    cafile: pki.ca,
    certfile: pki.server.cert,
    keyfile: pki.server.key,
    persistence_location: `${join(dir, "persistence")}/`,
    acl_file: join(dir, "acl"),
    log_dest: `file ${join(dir, "mosquitto.log")}`,
  };
  const lines = readFileSync(join(EXAMPLE, "mosquitto.conf"), "utf8")
    .split("\n")
    .map((line) => {
      const key = line.split(" ")[0] ?? "";
      return ADAPTED.has(key) ? `${key} ${paths[key]}` : line;
    });
  // As root Mosquitto would drop to the `mosquitto` user, who cannot read the test's temp dir.
  if (process.getuid?.() === 0) lines.unshift("user root");
  return lines.join("\n");
}

let broker: ChildProcess | undefined;
let url = "";
let pki: TestPki;
let dir = "";
const clients: MqttClient[] = [];

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });

const brokerLog = () => {
  try {
    return readFileSync(join(dir, "mosquitto.log"), "utf8").slice(-3000);
  } catch {
    return "";
  }
};

beforeAll(async () => {
  dir = makeTestDir("mosquitto-example");
  mkdirSync(join(dir, "persistence"));
  pki = makeTestPki(dir, ["branch-a", "branch-b", "hq"]);
  const port = await freePort();
  copyFileSync(join(EXAMPLE, "acl"), join(dir, "acl"));
  writeFileSync(join(dir, "mosquitto.conf"), adaptedConfig(dir, port, pki));
  const out = openSync(join(dir, "stdout.log"), "a");
  broker = spawn(MOSQUITTO, ["-c", join(dir, "mosquitto.conf")], { cwd: dir, stdio: ["ignore", out, out] });
  closeSync(out);
  url = `mqtts://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (broker.exitCode !== null || Date.now() > deadline) {
      const stdout = readFileSync(join(dir, "stdout.log"), "utf8");
      throw new Error(
        `the example config did not start (exit ${broker.exitCode}):\n${stdout}\n${brokerLog()}`,
      );
    }
    await Bun.sleep(25);
  }
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  if (broker !== undefined && broker.exitCode === null) {
    const exited = new Promise((resolve) => broker?.once("exit", resolve));
    broker.kill("SIGTERM");
    await exited;
  }
});

async function as(name: string, options: IClientOptions = {}): Promise<MqttClient> {
  const pair = pki.clients[name];
  if (pair === undefined) throw new Error(`no certificate for ${name}`);
  const c = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `${name}-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ca: readFileSync(pki.ca),
    cert: readFileSync(pair.cert),
    key: readFileSync(pair.key),
    ...options,
  });
  clients.push(c);
  return c;
}

/** The PUBACK's reason code for a QoS 1 publish: 0 accepted, 0x87 not authorized. */
async function pubackCode(c: MqttClient, topic: string, payload: string, retain = false): Promise<number> {
  try {
    await c.publishAsync(topic, payload, { qos: 1, retain });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

/** Messages `c` receives on `filter` within `ms` after `action`. */
async function received(c: MqttClient, filter: string, action: () => Promise<unknown>, ms = 300) {
  const seen: { topic: string; payload: string }[] = [];
  const onMessage = (topic: string, payload: Buffer) => seen.push({ topic, payload: payload.toString() });
  c.on("message", onMessage);
  const granted = await c.subscribeAsync(filter, { qos: 1 });
  await action();
  await Bun.sleep(ms);
  c.off("message", onMessage);
  await c.unsubscribeAsync(filter);
  return { granted: granted.map((g) => g.qos), seen };
}

describe("the Mosquitto example (firmware-config/mosquitto) on a real broker", () => {
  test("the test copy differs from the example only in ports, paths and log destination", () => {
    const example = readFileSync(join(EXAMPLE, "mosquitto.conf"), "utf8").split("\n");
    const copy = readFileSync(join(dir, "mosquitto.conf"), "utf8")
      .split("\n")
      .filter((l) => l !== "user root");
    const changed = example.filter((line, i) => line !== copy[i]).map((line) => line.split(" ")[0]);
    expect(new Set(changed)).toEqual(ADAPTED);
    expect(example).toContain("allow_anonymous false");
    expect(example).toContain("require_certificate true");
    expect(example).toContain("use_identity_as_username true");
    expect(example.some((l) => /^max_queued_messages [1-9]/.test(l))).toBe(true);
    expect(example.some((l) => /^max_queued_bytes [1-9]/.test(l))).toBe(true);
  });

  test("a client without a certificate is refused", async () => {
    await expect(
      mqtt.connectAsync(url, {
        protocolVersion: 5,
        reconnectPeriod: 0,
        connectTimeout: 2000,
        ca: readFileSync(pki.ca),
      }),
    ).rejects.toThrow();
  });

  test("branch A publishes its up streams and its retained state; HQ reads them through the shared subscription", async () => {
    const a = await as("branch-a");
    const hq = await as("hq");
    const up = await received(hq, "$share/hq/branchbox/v1/+/up/#", async () => {
      expect(await pubackCode(a, "branchbox/v1/branch-a/up/calls", "calls-1")).toBe(0);
      expect(await pubackCode(a, "branchbox/v1/branch-a/up/roster", "roster-1")).toBe(0);
    });
    expect(up.granted).toEqual([1]);
    expect(up.seen.map((m) => m.topic).sort()).toEqual([
      "branchbox/v1/branch-a/up/calls",
      "branchbox/v1/branch-a/up/roster",
    ]);
    const state = await received(hq, "branchbox/v1/+/state", async () => {
      expect(await pubackCode(a, "branchbox/v1/branch-a/state", '{"online":true,"epoch":1}', true)).toBe(0);
    });
    expect(state.seen).toContainEqual({
      topic: "branchbox/v1/branch-a/state",
      payload: '{"online":true,"epoch":1}',
    });
  });

  test("branch A is refused (PUBACK 0x87) on branch B's up and state topics and on HQ's state", async () => {
    const a = await as("branch-a");
    const hq = await as("hq");
    const up = await received(hq, "branchbox/v1/branch-b/#", async () => {
      expect(await pubackCode(a, "branchbox/v1/branch-b/up/calls", "forged")).toBe(NOT_AUTHORIZED);
      expect(await pubackCode(a, "branchbox/v1/branch-b/state", '{"online":false,"epoch":99}')).toBe(
        NOT_AUTHORIZED,
      );
      expect(await pubackCode(a, "branchbox/v1/branch-b/down/commands", "forged")).toBe(NOT_AUTHORIZED);
    });
    expect(up.seen).toEqual([]);
    expect(await pubackCode(a, "branchbox/v1/hq/state", '{"online":true}', true)).toBe(NOT_AUTHORIZED);
  });

  test("branch A reads its own down topics and HQ's state, never branch B's down or up", async () => {
    const a = await as("branch-a");
    const b = await as("branch-b");
    const hq = await as("hq");
    const own = await received(a, "branchbox/v1/branch-a/down/#", async () => {
      expect(
        await pubackCode(hq, "branchbox/v1/branch-a/down/ack", '{"v":1,"stream":"calls","through":1}'),
      ).toBe(0);
    });
    expect(own.seen.map((m) => m.topic)).toEqual(["branchbox/v1/branch-a/down/ack"]);

    const hqState = await received(a, "branchbox/v1/hq/state", async () => {
      expect(await pubackCode(hq, "branchbox/v1/hq/state", '{"online":true}', true)).toBe(0);
    });
    expect(hqState.seen.at(-1)).toEqual({ topic: "branchbox/v1/hq/state", payload: '{"online":true}' });

    const othersDown = await received(a, "branchbox/v1/branch-b/down/#", async () => {
      expect(await pubackCode(hq, "branchbox/v1/branch-b/down/commands", "for B only")).toBe(0);
    });
    // Mosquitto 2.0 grants the subscription and applies the read ACL to every message it would deliver.
    expect(othersDown.seen).toEqual([]);

    const othersUp = await received(a, "branchbox/v1/+/up/#", async () => {
      expect(await pubackCode(b, "branchbox/v1/branch-b/up/calls", "B's calls")).toBe(0);
    });
    expect(othersUp.seen).toEqual([]);
  });

  test("HQ cannot publish into a branch's up stream (only branches write up)", async () => {
    const hq = await as("hq");
    expect(await pubackCode(hq, "branchbox/v1/branch-a/up/calls", "forged")).toBe(NOT_AUTHORIZED);
  });
});
