import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import mqtt, { type MqttClient } from "mqtt";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { makeTestDir } from "../support/process.ts";
import { makeTestPki } from "../support/tls-certs.ts";

const brokers: Mosquitto[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  for (const b of brokers.splice(0)) await b.stop();
});

async function broker(options: Parameters<typeof startMosquitto>[0] = {}): Promise<Mosquitto> {
  const b = await startMosquitto(options);
  brokers.push(b);
  return b;
}

async function client(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 3000,
    ...options,
  });
  clients.push(c);
  return c;
}

async function retained(
  url: string,
  topic: string,
  options: mqtt.IClientOptions = {},
): Promise<string | null> {
  const c = await client(url, options);
  const got = new Promise<string | null>((resolveGot) => {
    c.on("message", (_t, payload) => resolveGot(payload.toString()));
    setTimeout(() => resolveGot(null), 300);
  });
  await c.subscribeAsync(topic, { qos: 1 });
  return got;
}

test("harness: the queue limits are written on purpose and retained messages survive a restart with persistence", async () => {
  const b = await broker({ persistence: true });
  const conf = readFileSync(b.configPath, "utf8");
  expect(conf).toContain("max_queued_messages 0");
  expect(conf).toContain("max_inflight_messages 100");
  const c = await client(b.url);
  await c.publishAsync("t/retained", "kept", { qos: 1, retain: true });
  c.end(true);
  const port = b.port;
  await b.restart();
  expect(b.port).toBe(port);
  expect(b.pid).toBeGreaterThan(0);
  expect(await retained(b.url, "t/retained")).toBe("kept");
});

test("harness: without persistence a restart forgets retained messages; kill9 then start works on the same port", async () => {
  const b = await broker();
  const c = await client(b.url);
  await c.publishAsync("t/retained", "lost", { qos: 1, retain: true });
  c.end(true);
  await b.kill9();
  expect(b.running).toBe(false);
  await b.start();
  expect(await retained(b.url, "t/retained")).toBeNull();
});

test("harness: users and an ACL; a client cannot write another branch's topic", async () => {
  const b = await broker({
    users: [
      { username: "b1", password: "pw-one" },
      { username: "b2", password: "pw-two" },
    ],
    acl: "pattern write branchbox/v1/%u/up/#\npattern read branchbox/v1/%u/up/#\n",
  });
  await expect(client(b.url, { username: "b1", password: "wrong" })).rejects.toThrow();
  const b1 = await client(b.url, { username: "b1", password: "pw-one" });
  await b1.subscribeAsync("branchbox/v1/b1/up/#", { qos: 1 });
  const seen: string[] = [];
  b1.on("message", (topic) => seen.push(topic));
  const b2 = await client(b.url, { username: "b2", password: "pw-two" });
  // Mosquitto answers a denied QoS 1 publish with PUBACK reason 0x87 (not authorized) under MQTT 5.
  await expect(b2.publishAsync("branchbox/v1/b1/up/calls", "x", { qos: 1 })).rejects.toThrow();
  await b1.publishAsync("branchbox/v1/b1/up/calls", "y", { qos: 1 });
  await new Promise((r) => setTimeout(r, 200));
  expect(seen).toEqual(["branchbox/v1/b1/up/calls"]);
});

test("harness: TLS with client certificates made by openssl", async () => {
  const dir = makeTestDir("pki");
  const pki = makeTestPki(dir, ["b1"]);
  const b = await broker({
    tls: { ca: pki.ca, ...pki.server, requireCertificate: true, useIdentityAsUsername: true },
  });
  expect(b.url.startsWith("mqtts://")).toBe(true);
  const ca = readFileSync(pki.ca);
  const cert = pki.clients.b1;
  if (cert === undefined) throw new Error("no client certificate");
  const c = await client(b.url, { ca, cert: readFileSync(cert.cert), key: readFileSync(cert.key) });
  await c.publishAsync("t/tls", "ok", { qos: 1 });
  await expect(client(b.url, { ca, connectTimeout: 2000 })).rejects.toThrow();
});
