import { afterEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { connectMqtt, connectMqttAsync, parseBrokerUrl } from "../../src/lib/mqtt-transport.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { makeTestDir, REPO_ROOT } from "../support/process.ts";
import { makeTestPki } from "../support/tls-certs.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function broker(options: Parameters<typeof startMosquitto>[0] = {}): Promise<Mosquitto> {
  const b = await startMosquitto(options);
  cleanups.push(() => b.stop());
  return b;
}
function closing(client: MqttClient): MqttClient {
  cleanups.push(() => client.endAsync(true));
  return client;
}

test("broker URLs: mqtt and mqtts with their default ports, user info decoded, anything else refused by name", () => {
  expect(parseBrokerUrl("mqtt://127.0.0.1")).toEqual({ tls: false, host: "127.0.0.1", port: 1883 });
  expect(parseBrokerUrl("mqtts://mqtt.example.ru")).toEqual({
    tls: true,
    host: "mqtt.example.ru",
    port: 8883,
  });
  expect(parseBrokerUrl("mqtts://box%2D1:p%40ss@[::1]:18883")).toEqual({
    tls: true,
    host: "::1",
    port: 18883,
    username: "box-1",
    password: "p@ss",
  });
  expect(() => parseBrokerUrl("wss://mqtt.example.ru/mqtt")).toThrow("scheme wss: is not supported");
  expect(() => parseBrokerUrl("mqtt.example.ru:8883")).toThrow("not supported");
  expect(() => parseBrokerUrl("not a url")).toThrow("not a URL");
});

test("messages far larger than the socket's buffer arrive whole and in order, both ways (back-pressure path)", async () => {
  const m = await broker();
  const sub = closing(await connectMqttAsync(m.url, { protocolVersion: 5, clientId: "transport-sub" }));
  const pub = closing(await connectMqttAsync(m.url, { protocolVersion: 5, clientId: "transport-pub" }));
  const sizes = [1, 300, 70_000, 1_500_000, 5, 4_000_000, 256 * 1024];
  const sent = sizes.map((n, i) => Buffer.alloc(n, i + 1).fill(`${i}:`, 0, Math.min(n, 3)));
  const got: Buffer[] = [];
  sub.on("message", (_topic, payload) => got.push(payload));
  await sub.subscribeAsync("transport/#", { qos: 1 });
  await Promise.all(sent.map((payload) => pub.publishAsync("transport/big", payload, { qos: 1 })));
  const deadline = Date.now() + 10_000;
  while (got.length < sent.length && Date.now() < deadline) await Bun.sleep(10);
  expect(got.map((b) => b.length)).toEqual(sizes);
  expect(got.map((payload, i) => payload.equals(sent[i] as Buffer))).toEqual(sizes.map(() => true));
});

test("TLS: the broker's certificate is verified against the configured CA, and a client certificate is presented", async () => {
  const pki = makeTestPki(makeTestDir("transport-pki"), ["box1"]);
  const other = makeTestPki(makeTestDir("transport-other-pki"), ["box1"]);
  const m = await broker({ tls: { ca: pki.ca, ...pki.server, requireCertificate: true } });
  const mine = pki.clients.box1;
  const stranger = other.clients.box1;
  if (mine === undefined || stranger === undefined) throw new Error("certificates missing");
  const files = (ca: string, pair: { cert: string; key: string }) => ({
    ca: readFileSync(ca),
    cert: readFileSync(pair.cert),
    key: readFileSync(pair.key),
  });
  const options = { protocolVersion: 5 as const, connectTimeout: 3000 };

  const ok = closing(
    await connectMqttAsync(m.url, { ...options, clientId: "tls-ok", ...files(pki.ca, mine) }),
  );
  expect(ok.connected).toBe(true);
  // A broker whose certificate the CA we trust did not sign: no connection.
  await expect(
    connectMqttAsync(m.url, { ...options, clientId: "tls-wrong-ca", ...files(other.ca, mine) }),
  ).rejects.toThrow();
  // Our CA, but a client certificate the broker does not trust: refused by the broker.
  await expect(
    connectMqttAsync(m.url, { ...options, clientId: "tls-stranger", ...files(pki.ca, stranger) }),
  ).rejects.toThrow();
});

test("no url.parse() deprecation warning (DEP0169): mqtt.js never sees the URL string", async () => {
  const m = await broker();
  // Bundled as the compiled binary is: Node-style deprecations stay quiet for code under
  // node_modules/, which is where mqtt.js sits when run from the source tree.
  const dir = makeTestDir("url-probe");
  const built = await Bun.build({
    entrypoints: [join(REPO_ROOT, "test/support/relay-url-probe.ts")],
    target: "bun",
    outdir: dir,
  });
  expect(built.success).toBe(true);
  const run = (how: "ours" | "stock") =>
    spawnSync(process.execPath, [join(dir, "relay-url-probe.js"), how, m.url], {
      encoding: "utf8",
      timeout: 15_000,
    });
  const ours = run("ours");
  expect(ours.status).toBe(0);
  expect(ours.stderr).not.toContain("DEP0169");
  // The same connection through mqtt.connectAsync does warn: the check above can fail.
  const stock = run("stock");
  expect(stock.status).toBe(0);
  expect(stock.stderr).toContain("DEP0169");
});

test("a broker that goes away: the client emits close, and reconnect() opens a new socket", async () => {
  const m = await broker();
  const client = closing(
    connectMqtt(m.url, { protocolVersion: 5, clientId: "transport-re", reconnectPeriod: 0 }),
  );
  let connects = 0;
  let closes = 0;
  client.on("connect", () => connects++);
  client.on("close", () => closes++);
  const until = async (check: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!check() && Date.now() < deadline) await Bun.sleep(10);
    expect(check()).toBe(true);
  };
  await until(() => connects === 1);
  await m.kill9();
  await until(() => closes >= 1);
  await m.start();
  client.reconnect();
  await until(() => connects === 2);
  expect(client.connected).toBe(true);
});
