// firmware-config/mosquitto/ is an example integrators copy: here it runs. A real Mosquitto starts
// with that mosquitto.conf and a copy of that dynamic-security.json, changed only where a test
// must (the listener's port and address, the certificate, persistence and plugin file paths, the
// log destination, and `user root` when the tests run as root), with certificates made by openssl;
// the branches and headquarters consumers are added with that dynsec.sh, as an operator would.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { DOWN_STREAMS, topics } from "../../src/contract/protocol.ts";
import { connectOptions } from "../../src/sync/relay/connect-options.ts";
import { DEFAULT_TUNING, type MqttSection } from "../../src/sync/relay/relay-types.ts";
import { pluginPath, runDynsec } from "../support/example-broker.ts";
import { MOSQUITTO } from "../support/mosquitto.ts";
import { freePort, makeTestDir, REPO_ROOT } from "../support/process.ts";
import { makeTestPki, type TestPki } from "../support/tls-certs.ts";

const EXAMPLE = join(REPO_ROOT, "firmware-config/mosquitto");
const NOT_AUTHORIZED = 0x87;
const SHIPPED_PLUGIN = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";

/** The keys a test copy may change; every other line of the example stays as it is. */
const ADAPTED = new Set([
  "listener",
  "cafile",
  "certfile",
  "keyfile",
  "persistence_location",
  "plugin",
  "plugin_opt_config_file",
  "log_dest",
]);

function adaptedConfig(dir: string, port: number, pki: TestPki): string {
  const paths: Record<string, string> = {
    listener: `${port} 127.0.0.1`,
    cafile: pki.ca,
    certfile: pki.server.cert,
    keyfile: pki.server.key,
    persistence_location: `${join(dir, "persistence")}/`,
    plugin: pluginPath(),
    plugin_opt_config_file: join(dir, "dynamic-security.json"),
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

/** The shipped dynsec.sh against this file's broker. */
const dynsec = (...args: string[]) => runDynsec(dir, args);

beforeAll(async () => {
  dir = makeTestDir("mosquitto-example");
  mkdirSync(join(dir, "persistence"));
  pki = makeTestPki(dir, ["branch-a", "branch-b", "branch-c", "hq.1", "hq.2", "hq.admin"]);
  const port = await freePort();
  copyFileSync(join(EXAMPLE, "dynamic-security.json"), join(dir, "dynamic-security.json"));
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
  const admin = pki.clients["hq.admin"];
  if (admin === undefined) throw new Error("no admin certificate");
  mkdirSync(join(dir, "xdg"));
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
  // branch-c has a certificate from the same CA but is never added.
  for (const args of [
    ["add-branch", "branch-a"],
    ["add-branch", "branch-b"],
    ["add-hq", "hq.1"],
    ["add-hq", "hq.2"],
  ]) {
    const result = await dynsec(...args);
    if (result.code !== 0) throw new Error(`dynsec.sh ${args.join(" ")}: ${result.output}\n${brokerLog()}`);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  if (broker !== undefined && broker.exitCode === null) {
    const exited = new Promise((resolve) => broker?.once("exit", resolve));
    broker.kill("SIGTERM");
    await exited;
  }
});

function tlsFiles(name: string) {
  const pair = pki.clients[name];
  if (pair === undefined) throw new Error(`no certificate for ${name}`);
  return { ca: readFileSync(pki.ca), cert: readFileSync(pair.cert), key: readFileSync(pair.key) };
}

/** Connects as the certificate `name`; the options may name any client id (the broker replaces it). */
async function as(name: string, options: IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `${name}-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...tlsFiles(name),
    ...options,
  });
  clients.push(c);
  // A connection the broker drops says so with "close" (and a failed publish or subscribe).
  c.on("error", () => {});
  return c;
}

/**
 * Like `as`, but the caller's message listener is on before the CONNACK: a resumed session's
 * queued messages may follow it at once. Resolves with the CONNACK's session-present flag.
 */
async function resume(
  name: string,
  options: IClientOptions,
  onMessage: (topic: string, payload: string) => void,
): Promise<{ client: MqttClient; sessionPresent: boolean }> {
  const c = mqtt.connect(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...tlsFiles(name),
    ...options,
  });
  clients.push(c);
  c.on("error", () => {});
  c.on("message", (topic, payload) => onMessage(topic, payload.toString()));
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    c.once("connect", resolve);
    c.once("error", reject);
    c.once("close", () => reject(new Error(`${name}: closed before CONNACK`)));
  });
  return { client: c, sessionPresent: connack.sessionPresent };
}

/** What pubackCode and subackCode answer when the broker closed the connection instead. */
const CLOSED = -2;

/** Calls `send` unless `c` is closed; CLOSED if it is, or closes before the answer. */
function answer(c: MqttClient, send: (done: (code: number) => void) => void): Promise<number> {
  return new Promise((resolve) => {
    if (!c.connected) return resolve(CLOSED);
    const onClose = () => resolve(CLOSED);
    c.once("close", onClose);
    send((code) => {
      c.off("close", onClose);
      resolve(code);
    });
  });
}

/** The PUBACK's reason code for a QoS 1 publish: 0 accepted, 0x87 not authorized. */
function pubackCode(c: MqttClient, topic: string, payload: string, retain = false): Promise<number> {
  return answer(c, (done) =>
    c.publish(topic, payload, { qos: 1, retain }, (error) =>
      done(error ? ((error as { code?: number }).code ?? -1) : 0),
    ),
  );
}

/** The SUBACK's code for one filter: the granted QoS (1), or 0x87 not authorized. */
function subackCode(c: MqttClient, filter: string): Promise<number> {
  return answer(c, (done) =>
    c.subscribe(filter, { qos: 1 }, (error, granted, packet) => {
      const code = error ? packet?.granted[0] : granted?.[0]?.qos;
      done(typeof code === "number" ? code : -1);
    }),
  );
}

type Seen = { topic: string; payload: string }[];

/**
 * What `c` receives from now on, less the retained messages a new subscription brings (each
 * test's publishes reach it live; presence left retained by earlier tests and Wills does not count).
 */
function collect(c: MqttClient): Seen {
  const seen: Seen = [];
  c.on("message", (topic, payload, packet) => {
    if (!packet.retain) seen.push({ topic, payload: payload.toString() });
  });
  return seen;
}

async function until(condition: () => boolean, what: () => string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await Bun.sleep(10);
  }
}

/** What the relay subscribes to (src/sync/relay/relay.ts, with inbound down streams). */
const relaySubscriptions = (branch: string) => [
  topics.ack(branch),
  topics.hqState,
  topics.state(branch),
  ...DOWN_STREAMS.map((s) => topics.down(branch, s)),
];

/** The relay's own connect options (persistent session, Last Will, `branchbox-{branch}`). */
function relayOptions(branch: string, epoch: number): IClientOptions {
  const pair = pki.clients[branch];
  if (pair === undefined) throw new Error(`no certificate for ${branch}`);
  const config: MqttSection = { url, username: "", password: "", ca: pki.ca, cert: pair.cert, key: pair.key };
  return connectOptions(config, branch, epoch, DEFAULT_TUNING, true);
}

/** How `branchbox hq` connects (src/hq/hq-consumer.ts): its own client id, clean, a Will. */
const hqOptions = (): IClientOptions => ({
  clientId: `branchbox-hq-${Math.random().toString(16).slice(2, 10)}`,
  clean: true,
  properties: { sessionExpiryInterval: 0 },
  will: { topic: topics.hqState, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
});

describe("the Mosquitto example (firmware-config/mosquitto) on a real broker", () => {
  test("the test copy differs from the example only in ports, paths and log destination", () => {
    const example = readFileSync(join(EXAMPLE, "mosquitto.conf"), "utf8").split("\n");
    const copy = readFileSync(join(dir, "mosquitto.conf"), "utf8")
      .split("\n")
      .filter((l) => l !== "user root");
    const changed = new Set(example.filter((line, i) => line !== copy[i]).map((line) => line.split(" ")[0]));
    for (const key of changed) expect(ADAPTED).toContain(key ?? "");
    for (const key of ADAPTED) if (key !== "plugin") expect(changed).toContain(key);
    expect(example).toContain("allow_anonymous false");
    expect(example).toContain("require_certificate true");
    expect(example).toContain("use_identity_as_username true");
    expect(example).toContain("use_username_as_clientid true");
    expect(example).toContain(`plugin ${SHIPPED_PLUGIN}`);
    // Beside the plugin these would answer for every name it does not know (SUBSCRIBE: "yes").
    expect(example.filter((l) => /^(acl_file|password_file)\b/.test(l))).toEqual([]);
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
    const hq = await as("hq.1", hqOptions());
    const seen = collect(hq);
    expect(await subackCode(hq, topics.hqSubscription)).toBe(1);
    expect(await subackCode(hq, "branchbox/v1/+/state")).toBe(1);
    expect(await pubackCode(a, "branchbox/v1/branch-a/up/calls", "calls-1")).toBe(0);
    expect(await pubackCode(a, "branchbox/v1/branch-a/up/roster", "roster-1")).toBe(0);
    expect(await pubackCode(a, "branchbox/v1/branch-a/state", '{"online":true,"epoch":1}', true)).toBe(0);
    await until(
      () => seen.length >= 3,
      () => JSON.stringify(seen),
    );
    expect(seen).toEqual([
      { topic: "branchbox/v1/branch-a/up/calls", payload: "calls-1" },
      { topic: "branchbox/v1/branch-a/up/roster", payload: "roster-1" },
      { topic: "branchbox/v1/branch-a/state", payload: '{"online":true,"epoch":1}' },
    ]);
  });

  test("branch A is refused (PUBACK 0x87) on branch B's up, state and down topics and on HQ's state", async () => {
    const a = await as("branch-a");
    const b = await as("branch-b");
    const hq = await as("hq.1", hqOptions());
    const seen = collect(hq);
    expect(await subackCode(hq, topics.hqSubscription)).toBe(1);
    expect(await subackCode(hq, "branchbox/v1/+/state")).toBe(1);
    expect(await pubackCode(a, "branchbox/v1/branch-b/up/calls", "forged")).toBe(NOT_AUTHORIZED);
    expect(await pubackCode(a, "branchbox/v1/branch-b/state", '{"online":false,"epoch":99}')).toBe(
      NOT_AUTHORIZED,
    );
    expect(await pubackCode(a, "branchbox/v1/branch-b/down/commands", "forged")).toBe(NOT_AUTHORIZED);
    expect(await pubackCode(a, "branchbox/v1/hq/state", '{"online":true}', true)).toBe(NOT_AUTHORIZED);
    // B's own envelope, published after the refusals, is the last thing HQ gets: nothing else came.
    expect(await pubackCode(b, "branchbox/v1/branch-b/up/calls", "B's own")).toBe(0);
    await until(
      () => seen.some((m) => m.payload === "B's own"),
      () => JSON.stringify(seen),
    );
    expect(seen).toEqual([{ topic: "branchbox/v1/branch-b/up/calls", payload: "B's own" }]);
  });

  test("branch A may subscribe to what the relay does (its ack, down streams and state, HQ's state) and gets it; to branch B's down or any up topic it is refused (SUBACK 0x87)", async () => {
    const a = await as("branch-a");
    const hq = await as("hq.1", hqOptions());
    const seen = collect(a);
    for (const filter of relaySubscriptions("branch-a"))
      expect([filter, await subackCode(a, filter)]).toEqual([filter, 1]);
    expect(await pubackCode(hq, topics.ack("branch-a"), '{"v":1,"stream":"calls","through":1}')).toBe(0);
    expect(await pubackCode(hq, topics.down("branch-a", "staff"), "staff for A")).toBe(0);
    expect(await pubackCode(hq, topics.hqState, '{"online":true}', true)).toBe(0);
    await until(
      () => seen.length >= 3,
      () => JSON.stringify(seen),
    );
    expect(seen).toEqual([
      { topic: "branchbox/v1/branch-a/down/ack", payload: '{"v":1,"stream":"calls","through":1}' },
      { topic: "branchbox/v1/branch-a/down/staff", payload: "staff for A" },
      { topic: "branchbox/v1/hq/state", payload: '{"online":true}' },
    ]);
    for (const filter of [
      "branchbox/v1/branch-b/down/#",
      "branchbox/v1/branch-b/state",
      "branchbox/v1/branch-a/up/#",
      "branchbox/v1/+/up/#",
      "branchbox/v1/#",
      "#",
    ]) {
      expect([filter, await subackCode(a, filter)]).toEqual([filter, NOT_AUTHORIZED]);
    }
  });

  test("HQ cannot publish into a branch's up stream (only branches write up)", async () => {
    const hq = await as("hq.1", hqOptions());
    expect(await pubackCode(hq, "branchbox/v1/branch-a/up/calls", "forged")).toBe(NOT_AUTHORIZED);
  });

  test("branch B connecting with branch A's client id neither disconnects A nor gets A's persistent session: what HQ queued for A while it was away reaches A", async () => {
    // Online: the relay's own options, client id `branchbox-branch-a`, persistent session.
    const first = await resume("branch-a", relayOptions("branch-a", 1), () => {});
    expect(first.sessionPresent).toBe(false);
    const a = first.client;
    let aClosed = false;
    a.on("close", () => {
      aClosed = true;
    });
    for (const filter of relaySubscriptions("branch-a")) expect(await subackCode(a, filter)).toBe(1);
    const intruder = await as("branch-b", { clientId: "branchbox-branch-a", clean: true });
    // The broker handles B's CONNECT (and would drop A's socket then) before B's CONNACK: a
    // PUBACK to A after it proves A still holds its connection.
    expect(await pubackCode(a, topics.state("branch-a"), '{"online":true,"epoch":1}', true)).toBe(0);
    expect(aClosed).toBe(false);
    await intruder.endAsync();

    // Offline: A leaves (its session stays, 7 days), HQ sends it staff, B tries to take the session.
    await a.endAsync();
    const hq = await as("hq.1", hqOptions());
    expect(await pubackCode(hq, topics.down("branch-a", "staff"), "queued for A")).toBe(0);
    const stolen: string[] = [];
    const takeover = await resume(
      "branch-b",
      {
        protocolVersion: 5,
        clientId: "branchbox-branch-a",
        clean: false,
        properties: { sessionExpiryInterval: 3600 },
      },
      (_topic, payload) => stolen.push(payload),
    );
    expect(takeover.sessionPresent).toBe(false);
    await takeover.client.endAsync();
    const wipe = await as("branch-b", { clientId: "branchbox-branch-a", clean: true });
    await wipe.endAsync();

    const received: string[] = [];
    // (Also queued: the Will of the hq.1 connection this test's hq.1 replaced, on HQ's state.)
    const back = await resume("branch-a", relayOptions("branch-a", 2), (topic, payload) => {
      if (topic === topics.down("branch-a", "staff")) received.push(payload);
    });
    expect(back.sessionPresent).toBe(true);
    await until(
      () => received.length > 0,
      () => `A got nothing back; B got ${JSON.stringify(stolen)}\n${brokerLog()}`,
    );
    expect(received).toEqual(["queued for A"]);
    expect(stolen).toEqual([]);
  });

  test("a branch cannot join HQ's shared subscription or read up topics (SUBACK 0x87): HQ's consumers still get every envelope", async () => {
    const hq1 = await as("hq.1", hqOptions());
    const hq2 = await as("hq.2", hqOptions());
    const got1 = collect(hq1);
    const got2 = collect(hq2);
    expect(await subackCode(hq1, topics.hqSubscription)).toBe(1);
    expect(await subackCode(hq2, topics.hqSubscription)).toBe(1);

    const b = await as("branch-b");
    const bSeen = collect(b);
    const codes: Record<string, number> = {};
    for (const filter of [
      topics.hqSubscription,
      "$share/hq/branchbox/v1/branch-a/up/#",
      "branchbox/v1/+/up/#",
      "branchbox/v1/branch-a/up/#",
    ]) {
      codes[filter] = await subackCode(b, filter);
    }

    const a = await as("branch-a");
    const sent: string[] = [];
    for (let i = 1; i <= 30; i++) {
      const stream = i % 2 === 0 ? "calls" : "roster";
      expect(await pubackCode(a, topics.up("branch-a", stream), `envelope-${i}`)).toBe(0);
      sent.push(`envelope-${i}`);
    }
    const got = () => [...got1, ...got2].map((m) => m.payload);
    // Had B joined the group, the broker would hand it every third envelope and drop it at B's read check.
    await until(
      () => got().length >= sent.length,
      () => `HQ got ${got().length} of ${sent.length}; B's SUBACKs ${JSON.stringify(codes)}`,
    );
    expect(got().sort()).toEqual([...sent].sort());
    expect(got1.length).toBeGreaterThan(0);
    expect(got2.length).toBeGreaterThan(0);
    expect(codes).toEqual({
      [topics.hqSubscription]: NOT_AUTHORIZED,
      "$share/hq/branchbox/v1/branch-a/up/#": NOT_AUTHORIZED,
      "branchbox/v1/+/up/#": NOT_AUTHORIZED,
      "branchbox/v1/branch-a/up/#": NOT_AUTHORIZED,
    });
    // A SUBACK to B after HQ had everything: anything meant for B would have come before it.
    expect(await subackCode(b, topics.hqState)).toBe(1);
    expect(bSeen.filter((m) => m.topic !== topics.hqState)).toEqual([]);
  });

  test("two HQ consumers (one certificate each) stay connected side by side and both write down streams and HQ's state; a second connection with one certificate replaces the first", async () => {
    const hq1 = await as("hq.1", hqOptions());
    const hq2 = await as("hq.2", hqOptions());
    const a = await as("branch-a");
    const seen = collect(a);
    expect(await subackCode(a, topics.ack("branch-a"))).toBe(1);
    for (const hq of [hq1, hq2]) {
      expect(await subackCode(hq, "branchbox/v1/+/state")).toBe(1);
      expect(await pubackCode(hq, topics.hqState, '{"online":true}', true)).toBe(0);
    }
    expect(await pubackCode(hq1, topics.ack("branch-a"), "ack from hq.1")).toBe(0);
    expect(await pubackCode(hq2, topics.ack("branch-a"), "ack from hq.2")).toBe(0);
    await until(
      () => seen.length >= 2,
      () => JSON.stringify(seen),
    );
    expect(seen.map((m) => m.payload).sort()).toEqual(["ack from hq.1", "ack from hq.2"]);
    expect([hq1.connected, hq2.connected]).toEqual([true, true]);

    // The client id is the certificate's name: hq.1 twice is one client, the newer one wins.
    let hq1Closed = false;
    hq1.on("close", () => {
      hq1Closed = true;
    });
    const hq1Again = await as("hq.1", hqOptions());
    await until(
      () => hq1Closed,
      () => "the first hq.1 connection is still open",
    );
    expect(await pubackCode(hq1Again, topics.hqState, '{"online":true}', true)).toBe(0);
    expect(hq2.connected).toBe(true);
  });

  test("a certificate the plugin does not know (never added, or removed with dynsec.sh) connects but may publish and subscribe to nothing", async () => {
    const c = await as("branch-c");
    expect(await pubackCode(c, topics.up("branch-c", "calls"), "unknown")).toBe(NOT_AUTHORIZED);
    expect(await subackCode(c, topics.down("branch-c", "staff"))).toBe(NOT_AUTHORIZED);

    const b = await as("branch-b");
    let bClosed = false;
    b.on("close", () => {
      bClosed = true;
    });
    expect(await pubackCode(b, topics.up("branch-b", "calls"), "still known")).toBe(0);
    const removed = await dynsec("remove", "branch-b");
    expect(removed).toEqual({ code: 0, output: "branch-b removed\n" });
    await until(
      () => bClosed,
      () => "removing branch-b did not disconnect it",
    );
    const again = await as("branch-b");
    expect(await pubackCode(again, topics.up("branch-b", "calls"), "removed")).toBe(NOT_AUTHORIZED);
    expect(await subackCode(again, topics.down("branch-b", "staff"))).toBe(NOT_AUTHORIZED);
  });

  test("dynsec.sh takes no name that could widen a topic or pose as HQ", async () => {
    for (const [command, name] of [
      ["add-branch", "+"],
      ["add-branch", "a/#"],
      ["add-branch", "hq"],
      ["add-branch", "Branch"],
      ["add-branch", "ok\n#"],
      ["add-hq", "hq"],
      ["add-hq", "hq.admin"],
      ["add-hq", "branch-d"],
      ["remove", "hq.admin"],
    ] as const) {
      const result = await dynsec(command, name);
      expect([command, name, result.code]).toEqual([command, name, 2]);
    }
    // A name the plugin already has: mosquitto_ctrl exits 0 and says so on stderr; the script fails.
    const twice = await dynsec("add-hq", "hq.1");
    expect(twice.code).toBe(1);
    expect(twice.output).toContain("Client already exists");
  });
});
