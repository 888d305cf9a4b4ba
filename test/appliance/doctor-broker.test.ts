// `branchbox doctor`'s broker check against the shipped broker set-up (firmware-config/mosquitto:
// the client id is the certificate's name, so a connection with the box's certificate IS the box's
// client). The doctor must neither discard the box's persistent session, with what HQ queued in it,
// nor take the link from a running box.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { DOWN_STREAMS, topics } from "../../src/contract/protocol.ts";
import { connectOptions } from "../../src/sync/relay/connect-options.ts";
import { DEFAULT_TUNING } from "../../src/sync/relay/relay-types.ts";
import { type ExampleBroker, startExampleBroker } from "../support/example-broker.ts";
import { freePort, makeTestDir, REPO_ROOT, type Running, startBranchbox } from "../support/process.ts";

const MAIN = join(REPO_ROOT, "src/main.ts");
const TOKEN = "doctor-broker-token-0123456789";

let broker: ExampleBroker;
let dir = "";
const clients: MqttClient[] = [];
const boxes: Running[] = [];

beforeAll(async () => {
  dir = makeTestDir("doctor-broker");
  broker = await startExampleBroker({
    dir: join(dir, "broker"),
    branches: ["msk-01", "msk-02"],
    hqs: ["hq.1"],
    // Its box never reaches this broker: it has a certificate for its config, nothing more.
    strangers: ["msk-03"],
  });
}, 60_000);

afterAll(async () => {
  for (const box of boxes) await box.stop(3000);
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The branch's config file as branch IT would write it: its certificate, its port, its storage. */
async function boxConfig(branch: string, mqttUrl = broker.url): Promise<{ path: string; port: number }> {
  const port = await freePort();
  const path = join(dir, `${branch}.toml`);
  const cert = broker.certificate(branch);
  writeFileSync(
    path,
    [
      `[branch]\nid = "${branch}"\nname = "${branch}"`,
      `[http]\nlisten = "127.0.0.1:${port}"\nadmin_token = "${TOKEN}"`,
      `[storage]\ndir = "${join(dir, branch, "data")}"`,
      `[mqtt]\nurl = "${mqttUrl}"\nca = "${broker.pki.ca}"\ncert = "${cert.cert}"\nkey = "${cert.key}"`,
      "",
    ].join("\n\n"),
  );
  return { path, port };
}

/** `branchbox doctor --config FILE` from the source, with no BRANCHBOX_* from this process. */
async function doctor(configPath: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, MAIN, "doctor", "--config", configPath], {
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  return { out, err };
}

/** `branchbox serve --config FILE` from the source: the relay connects as the box does. */
async function serve(branch: string, config: { path: string; port: number }): Promise<Running> {
  const box = await startBranchbox({
    // From source, as the doctor runs here: the check is about the two talking, not the packaging.
    command: [process.execPath, "--tsconfig-override", join(REPO_ROOT, "tsconfig.json"), MAIN],
    args: ["serve", "--config", config.path],
    dir: join(dir, branch),
    port: config.port,
    name: branch,
  });
  boxes.push(box);
  return box;
}

/** One sample of the box's /metrics, e.g. `branchbox_sync_down_applied_total{stream="settings"}`. */
async function metric(box: Running, sample: string): Promise<number> {
  const response = await fetch(`${box.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await response.text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? Number.NaN : Number(line.slice(sample.length + 1));
}

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}\n${broker.log(2000)}`);
    await Bun.sleep(25);
  }
}

/** A client with `name`'s certificate, its message listener on before the CONNACK. */
async function client(
  name: string,
  options: IClientOptions,
  onMessage: (topic: string, payload: string, dup: boolean) => void = () => {},
): Promise<{ client: MqttClient; sessionPresent: boolean }> {
  const pair = broker.certificate(name);
  const c = mqtt.connect(broker.url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ca: readFileSync(broker.pki.ca),
    cert: readFileSync(pair.cert),
    key: readFileSync(pair.key),
    ...options,
  });
  clients.push(c);
  c.on("error", () => {});
  c.on("message", (topic, payload, packet) => onMessage(topic, payload.toString(), packet.dup));
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    c.once("connect", resolve);
    c.once("error", reject);
    c.once("close", () => reject(new Error(`${name}: closed before CONNACK\n${broker.log(2000)}`)));
  });
  return { client: c, sessionPresent: connack.sessionPresent };
}

/** The relay's own connect options (src/sync/relay/connect-options.ts, with its down streams). */
function relayOptions(branch: string, epoch: number): IClientOptions {
  const pair = broker.certificate(branch);
  return connectOptions(
    { url: broker.url, username: "", password: "", ca: broker.pki.ca, cert: pair.cert, key: pair.key },
    branch,
    epoch,
    DEFAULT_TUNING,
    true,
  );
}

/** How `branchbox hq` connects: clean, its own certificate (the broker names the client after it). */
const hqOptions: IClientOptions = { clean: true, properties: { sessionExpiryInterval: 0 } };

/** A down envelope of one settings record, as HQ sends it. */
const settingsEnvelope = (branch: string, seq: number) =>
  JSON.stringify({
    v: 1,
    branch,
    epoch: 1,
    stream: "settings",
    seqFrom: seq,
    seqTo: seq,
    historical: false,
    records: [
      {
        id: `settings-${seq}`,
        seq,
        ts: 1_000,
        type: "settings.update",
        data: { assignResponsibleForMissedGroupCalls: seq % 2 === 1 },
      },
    ],
  });

describe("doctor and headquarters' broker (the shipped Mosquitto set-up)", () => {
  test("with the box stopped, the doctor's probe leaves its session: what HQ queued for it meanwhile reaches the relay afterwards", async () => {
    const branch = "msk-01";
    // The relay was here once: its persistent session holds its subscriptions.
    const first = await client(branch, relayOptions(branch, 1));
    await first.client.subscribeAsync(
      DOWN_STREAMS.map((s) => topics.down(branch, s)),
      { qos: 1 },
    );
    await first.client.endAsync();

    // While the box is away, HQ sends it two down messages (QoS 1): the broker queues them.
    const hq = (await client("hq.1", hqOptions)).client;
    await hq.publishAsync(topics.down(branch, "staff"), "staff while away", { qos: 1 });
    await hq.publishAsync(topics.down(branch, "commands"), "command while away", { qos: 1 });

    const config = await boxConfig(branch);
    const { out } = await doctor(config.path);
    expect(out).toMatch(
      /^OK +hq +mqtts:\/\/127\.0\.0\.1:\d+\/?: connected over TLS, broker certificate verified; the broker holds the box's session, left as it was$/m,
    );

    // The relay comes back as it always connects (clean start 0): its session, both messages in it.
    const received: string[] = [];
    const again: string[] = [];
    const back = await client(branch, relayOptions(branch, 2), (_topic, payload, dup) => {
      received.push(payload);
      if (dup) again.push(payload);
    });
    expect(back.sessionPresent).toBe(true);
    await until("the relay gets both queued messages", () => received.length >= 2);
    expect(received.sort()).toEqual(["command while away", "staff while away"]);
    // The doctor was handed the first one (Receive Maximum 1) and left it unacknowledged.
    expect(again).toEqual(["staff while away"]);
    await back.client.endAsync();
  }, 60_000);

  test("with the box running, the doctor reports the link from the box and never connects: the relay is not disconnected", async () => {
    const branch = "msk-02";
    const config = await boxConfig(branch);
    const box = await serve(branch, config);
    // At once, as install.sh does after `systemctl start`: the doctor waits for the first connect.
    const quiet = await doctor(config.path);
    expect(quiet.out).toMatch(/^OK +kiosk +branchbox \S+ is serving on 127\.0\.0\.1:\d+$/m);
    expect(quiet.out).toMatch(
      /^WARN +hq +connected; headquarters is offline, \d+ record\(s\) waiting \(reported by the running box\)$/m,
    );

    const hq = (await client("hq.1", hqOptions)).client;
    await hq.publishAsync(topics.hqState, JSON.stringify({ online: true }), { qos: 1, retain: true });
    await until("the box sees HQ online", async () => (await metric(box, "branchbox_sync_hq_online")) === 1);
    const epoch = await metric(box, "branchbox_sync_epoch");

    const { out } = await doctor(config.path);
    expect(out).toMatch(
      /^OK +hq +connected, headquarters online, \d+ record\(s\) waiting \(reported by the running box\)$/m,
    );
    // A round trip through the relay's link after the doctor: had the doctor connected with the
    // box's certificate, the broker would have closed that link before the doctor's CONNACK.
    await hq.publishAsync(topics.down(branch, "settings"), settingsEnvelope(branch, 1), { qos: 1 });
    const applied = 'branchbox_sync_down_applied_total{stream="settings"}';
    await until("the box applies HQ's settings", async () => (await metric(box, applied)) === 1);
    // One connect since the box started, and still that one: neither doctor run took the link.
    expect(await metric(box, "branchbox_sync_reconnects_total")).toBe(0);
    expect(await metric(box, "branchbox_sync_epoch")).toBe(epoch);
    expect(await metric(box, "branchbox_sync_connected")).toBe(1);
  }, 60_000);

  test("with the box running but off the broker, or on another admin token, the doctor FAILs and says where to look, still without connecting", async () => {
    const branch = "msk-03";
    const config = await boxConfig(branch, `mqtt://127.0.0.1:${await freePort()}`);
    await serve(branch, config);
    const off = await doctor(config.path);
    expect(off.out).toMatch(
      /^FAIL +hq +the running box is not connected to the broker: see \/admin \(reported by the running box\)\n +-> \/admin shows the broker's last error/m,
    );
    const stranger = await doctor(config.path, { BRANCHBOX_HTTP_ADMIN_TOKEN: "another-token-0123456789abc" });
    expect(stranger.out).toMatch(/^FAIL +hq +the running box refused this config's admin token/m);
    expect(stranger.out).toContain("--config");
  }, 60_000);
});
