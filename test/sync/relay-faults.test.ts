import { afterEach, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Relay } from "../../src/sync/relay/index.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { makeTestDir, REPO_ROOT } from "../support/process.ts";
import { makeBranch, type TestBranch } from "../support/relay-fixture.ts";
import { eventually, startTestHq, type TestHq } from "../support/test-hq.ts";
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
function branch(id: string): TestBranch {
  const b = makeBranch(id);
  cleanups.push(() => b.close());
  return b;
}
function started(relay: Relay): Relay {
  relay.start();
  cleanups.push(() => relay.stop());
  return relay;
}
async function hq(url: string, options: Parameters<typeof startTestHq>[1] = {}): Promise<TestHq> {
  const h = await startTestHq(url, options);
  cleanups.push(() => h.close());
  return h;
}
const seqs = (records: { seq: number }[]) => records.map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Commits `perTick` records every `tickMs` until stopped; returns how many were written. */
function burst(b: TestBranch, relay: Relay, perTick: number, tickMs: number) {
  let written = 0;
  const timer = setInterval(() => {
    written += b.write("calls", perTick).length;
    relay.wake();
  }, tickMs);
  cleanups.push(() => clearInterval(timer));
  return {
    stop: () => {
      clearInterval(timer);
      return written;
    },
  };
}

test("broker stopped for 10 s during a burst and started again on the same port: HQ gets every seq once, in order", async () => {
  const m = await broker({ persistence: true });
  const b = branch("outage");
  const h = await hq(m.url);
  const relay = started(b.relay({ url: m.url }));
  const writer = burst(b, relay, 20, 50);
  await h.waitApplied(b.id, "calls", 200);
  await m.stop();
  const downAt = Date.now();
  await Bun.sleep(10_000);
  await m.start();
  await h.reconnect();
  await Bun.sleep(1000);
  const total = writer.stop();
  expect(Date.now() - downAt).toBeGreaterThanOrEqual(10_000);
  await h.waitApplied(b.id, "calls", total, 15_000);
  expect(seqs(h.applied(b.id, "calls"))).toEqual(range(1, total));
  await eventually("outbox empty", () => Object.keys(b.outbox.backlog()).length === 0);
  expect(relay.status().reconnects).toBeGreaterThanOrEqual(1);
}, 40_000);

test("broker restarted with persistence off (forgets sessions and retained state): still complete, rows go only on HQ's ack", async () => {
  const m = await broker({ persistence: false });
  const b = branch("amnesia");
  const h = await hq(m.url);
  const relay = started(b.relay({ url: m.url }));
  const writer = burst(b, relay, 20, 20);
  await h.waitApplied(b.id, "calls", 300);
  await m.kill9();
  await Bun.sleep(500);
  await m.start();
  await Bun.sleep(300);
  // The new broker knows no HQ state: the relay must hold everything until HQ says so again.
  expect(relay.status().hqOnline).toBe(false);
  await h.reconnect();
  await Bun.sleep(500);
  const total = writer.stop();
  await h.waitApplied(b.id, "calls", total, 15_000);
  expect(seqs(h.applied(b.id, "calls"))).toEqual(range(1, total));
  await eventually("outbox empty", () => Object.keys(b.outbox.backlog()).length === 0);
}, 30_000);

test("kill -9 of the branch during a burst of 10,000 records, restart: HQ has every seq exactly once in effect, in order", async () => {
  const m = await broker();
  const dir = makeTestDir("relay-kill9");
  const h = await hq(m.url);
  const run = (burstSize: number) => {
    const child = spawn(process.execPath, ["test/support/relay-branch-process.ts"], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        RELAY_DIR: dir,
        RELAY_BRANCH: "killed",
        RELAY_URL: m.url,
        RELAY_BURST: String(burstSize),
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    cleanups.push(async () => {
      child.kill("SIGKILL");
      await exited;
    });
    return { child, exited };
  };
  const first = run(10_000);
  await h.waitApplied("killed", "calls", 2000, 15_000);
  first.child.kill("SIGKILL");
  await first.exited;
  const b2 = makeBranch("killed", dir);
  cleanups.push(() => b2.close());
  const committed = b2.outbox.ackedThrough("calls") + (b2.outbox.backlog().calls ?? 0);
  expect(committed).toBeGreaterThanOrEqual(2000);
  const second = run(0);
  await h.waitApplied("killed", "calls", committed, 15_000);
  expect(seqs(h.applied("killed", "calls"))).toEqual(range(1, committed));
  await eventually("outbox empty after the restart", () => Object.keys(b2.outbox.backlog()).length === 0);
  second.child.kill("SIGTERM");
  await second.exited;
}, 40_000);

test("link flapping: the broker stops and starts every 1.5 s for 12 s while records flow; nothing lost, in order", async () => {
  const m = await broker({ persistence: true });
  const b = branch("flap");
  const h = await hq(m.url);
  const relay = started(b.relay({ url: m.url }));
  const writer = burst(b, relay, 10, 25);
  const until = Date.now() + 12_000;
  while (Date.now() < until) {
    await Bun.sleep(1500);
    await m.stop();
    await Bun.sleep(300);
    await m.start();
    await h.reconnect();
  }
  const total = writer.stop();
  await h.waitApplied(b.id, "calls", total, 15_000);
  expect(seqs(h.applied(b.id, "calls"))).toEqual(range(1, total));
  expect(relay.status().reconnects).toBeGreaterThanOrEqual(5);
}, 45_000);

test("per-branch credentials and the DESIGN ACL: the relay works within its topics; the password never reaches a log line", async () => {
  const password = "s3cret-Branch-Pw";
  const m = await broker({
    users: [
      { username: "acl1", password },
      { username: "hq", password: "hq-pw" },
    ],
    acl: [
      "user hq",
      "topic readwrite branchbox/#",
      "pattern write branchbox/v1/%u/up/#",
      "pattern read branchbox/v1/%u/down/#",
      "pattern readwrite branchbox/v1/%u/state",
      "pattern read branchbox/v1/hq/state",
    ].join("\n"),
  });
  const h = await hq(m.url, { clientOptions: { username: "hq", password: "hq-pw" } });
  const b = branch("acl1");
  b.write("roster", 25);
  const wrong = b.relay({ url: m.url, username: "acl1", password: "not-it" });
  wrong.start();
  await eventually("refused and retrying", () => wrong.status().reconnects >= 2);
  await wrong.stop();
  const relay = started(b.relay({ url: m.url, username: "acl1", password }));
  await h.waitApplied(b.id, "roster", 25);
  await eventually("acked", () => Object.keys(b.outbox.backlog()).length === 0);
  expect(relay.status().state).toBe("connected");
  expect(JSON.stringify(b.logs)).not.toContain(password);
  expect(b.logs.some((l) => l.code === "SYNC.LINK_DOWN")).toBe(true);
});

test("TLS with a client certificate made by openssl: the relay reads ca/cert/key from files", async () => {
  const pki = makeTestPki(makeTestDir("relay-pki"), ["tls1", "hq"]);
  const m = await broker({ tls: { ca: pki.ca, ...pki.server, requireCertificate: true } });
  const hqCert = pki.clients.hq;
  const mine = pki.clients.tls1;
  if (hqCert === undefined || mine === undefined) throw new Error("certificates missing");
  const h = await hq(m.url, {
    clientOptions: {
      ca: readFileSync(pki.ca),
      cert: readFileSync(hqCert.cert),
      key: readFileSync(hqCert.key),
    },
  });
  const b = branch("tls1");
  b.write("roster", 5);
  started(b.relay({ url: m.url, ca: pki.ca, cert: mine.cert, key: mine.key }));
  await h.waitApplied(b.id, "roster", 5);
  expect(seqs(h.applied(b.id, "roster"))).toEqual(range(1, 5));
});
