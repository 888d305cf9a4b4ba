// The HQ consumer against a real Mosquitto: shared subscription, presence, outages.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { topics } from "../../src/contract/protocol.ts";
import { startHqConsumer } from "../../src/hq/hq-consumer.ts";
import { type Hq, loadHqConfig, startHq } from "../../src/hq/index.ts";
import type { HqStore } from "../../src/hq/store/hq-store-port.ts";
import { HQ_DB_FILE, openSqliteHqStore } from "../../src/hq/store/sqlite/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { freePort, REPO_ROOT } from "../support/process.ts";
import { type BranchSim, startBranchSim } from "./hq-branch-sim.ts";
import { envelope, tempDir } from "./hq-fixtures.ts";

const TOKEN = "hq-test-token-0123456789";

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

function configText(storageDir: string, port: number, reorderMs = 500): string {
  return [
    "[mqtt]",
    `url = "${broker.url}"`,
    "[hq]",
    `listen = "127.0.0.1:${port}"`,
    `token = "${TOKEN}"`,
    `storage_dir = "${storageDir}"`,
    `reorder_timeout_ms = ${reorderMs}`,
    "",
  ].join("\n");
}

function inProcess(storageDir: string, reorderMs = 500): Promise<Hq> {
  const config = loadHqConfig({ fileText: configText(storageDir, 0, reorderMs) });
  return startHq(config, silentLogger, { consumer: { backoff: { baseMs: 100, capMs: 1000 } } });
}

/** `branchbox hq --config FILE` as a separate process: a second consumer with its own SQLite connection. */
async function child(storageDir: string, reorderMs = 500) {
  const port = await freePort();
  const file = join(tempDir("hq-conf"), "hq.toml");
  writeFileSync(file, configText(storageDir, port, reorderMs));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BRANCHBOX_")));
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "hq", "--config", file], {
    cwd: REPO_ROOT,
    env,
    stdout: "ignore",
    stderr: "pipe",
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`hq child did not start: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(50);
  }
  const counters = async () => {
    const r = await fetch(`${base}/api/v1/branches`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return ((await r.json()) as { consumer: { applied: number } }).consumer;
  };
  const kill9 = async () => {
    proc.kill(9);
    await proc.exited;
  };
  return { proc, counters, kill9 };
}

function storedSeqs(storageDir: string, branch: string, stream: string) {
  const db = new Database(join(storageDir, HQ_DB_FILE), { readonly: true });
  try {
    return db
      .query<{ seq: number; applied_at: number }, [string, string]>(
        "SELECT seq, applied_at FROM records WHERE branch = ? AND stream = ? ORDER BY seq",
      )
      .all(branch, stream);
  } finally {
    db.close();
  }
}

function expectExactlyOnceInOrder(storageDir: string, branch: string, stream: string, total: number) {
  const rows = storedSeqs(storageDir, branch, stream);
  expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  // Applied in seq order: commit times never go back as seq grows (one clock, one host).
  const times = rows.map((r) => r.applied_at);
  expect(times).toEqual(times.toSorted((x, y) => x - y));
}

/** Watches the retained `branchbox/v1/hq/state`: every value seen, in order. */
async function watchHqState() {
  const seen: boolean[] = [];
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  client.on("message", (_t, payload) => {
    if (payload.length > 0) seen.push((JSON.parse(payload.toString()) as { online: boolean }).online);
  });
  await client.subscribeAsync(topics.hqState, { qos: 1 });
  return { seen, close: () => client.endAsync() };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe("HQ consumer over Mosquitto", () => {
  test("group commit: what arrives while a commit runs is the next commit, in one store call, in order; nothing is acknowledged before its commit", async () => {
    const dir = tempDir("hq-group");
    const inner = openSqliteHqStore(dir, { forward: false });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: number[] = [];
    // The first commit takes as long as the test wants: a slow database under load.
    const store: HqStore = {
      ...inner,
      apply: async (envelopes, now) => {
        calls.push(envelopes.length);
        if (calls.length === 1) await held;
        return inner.apply(envelopes, now);
      },
    };
    const config = loadHqConfig({ fileText: configText(dir, 0) });
    const consumer = startHqConsumer({ config, store, log: silentLogger });
    const acks: number[] = [];
    const branch = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    branch.on("message", (_t, payload) =>
      acks.push((JSON.parse(payload.toString()) as { through: number }).through),
    );
    try {
      await branch.subscribeAsync(topics.ack("grp-01"), { qos: 1 });
      await until("connected", () => consumer.connected());
      const up = (seq: number) =>
        branch.publishAsync(
          "branchbox/v1/grp-01/up/calls",
          JSON.stringify(envelope("grp-01", "calls", seq, seq)),
          {
            qos: 1,
          },
        );
      await up(1);
      await until("the first commit started", () => calls.length === 1);
      // 30 more while that commit is held (it waits for release(), not for a time): the old 3 ms
      // timer made a store call of each.
      for (let seq = 2; seq <= 31; seq++) await up(seq);
      expect(acks).toEqual([]);
      release();
      await until("all acknowledged", () => acks.at(-1) === 31);
      expect(calls[0]).toBe(1);
      expect(calls.reduce((a, b) => a + b, 0)).toBe(31);
      // The 30 waited together (a straggler the broker had not handed over yet may make one more).
      expect(calls.length).toBeLessThanOrEqual(3);
      expect((await inner.records("grp-01", "calls", 0, 100)).map((r) => r.seq)).toEqual(
        Array.from({ length: 31 }, (_, i) => i + 1),
      );
    } finally {
      release();
      await branch.endAsync();
      await consumer.stop();
      await inner.close();
    }
  });

  test("two consumers at once on the shared subscription: every seq exactly once, in order; HQ stays online while one lives", async () => {
    const dir = tempDir("hq-two");
    const a = await inProcess(dir);
    const b = await child(dir);
    const state = await watchHqState();
    const sims: BranchSim[] = [];
    try {
      await until("a connected", () => a.consumer.connected());
      const total = 2500;
      for (const branch of ["msk-01", "spb-02"]) {
        for (const stream of ["calls", "roster"]) {
          sims.push(
            await startBranchSim({
              url: broker.url,
              branch,
              stream,
              batch: 50,
              window: 8,
              resendAfterMs: 3000,
            }),
          );
        }
      }
      for (const sim of sims) sim.produce(total);
      await Promise.all(sims.map((sim) => sim.drained(30_000)));
      for (const branch of ["msk-01", "spb-02"])
        for (const stream of ["calls", "roster"]) expectExactlyOnceInOrder(dir, branch, stream, total);
      // Both consumers did part of the work, and together wrote each record once.
      const appliedA = a.consumer.applier.counters.applied;
      const appliedB = (await b.counters()).applied;
      expect(appliedA).toBeGreaterThan(0);
      expect(appliedB).toBeGreaterThan(0);
      expect(appliedA + appliedB).toBe(4 * total);

      // One consumer dies: its Last Will says offline, the live one puts online back.
      await b.kill9();
      await until(
        "online again after the will",
        () => state.seen.lastIndexOf(false) >= 0 && state.seen.at(-1) === true,
      );
      const late = await watchHqState();
      await until("retained online", () => late.seen.length > 0);
      expect(late.seen).toEqual([true]);
      await late.close();
    } finally {
      for (const sim of sims) await sim.close();
      await state.close();
      await b.kill9().catch(() => {});
      await a.close();
    }
    // The last one gone: offline stays.
    const after = await watchHqState();
    await until("retained offline", () => after.seen.length > 0);
    expect(after.seen).toEqual([false]);
    await after.close();
  }, 45_000);

  test("consumer down for a while, then up: the branch's resend of unacknowledged ranges completes the stream", async () => {
    const dir = tempDir("hq-down");
    let b = await child(dir);
    const sim = await startBranchSim({
      url: broker.url,
      branch: "nsk-03",
      stream: "calls",
      batch: 20,
      window: 5,
      resendAfterMs: 800,
    });
    try {
      sim.produce(600);
      await until("some acked", () => sim.acked >= 200);
      await b.kill9(); // mid-stream: whatever it held is lost with it
      sim.produce(400); // records keep coming while HQ is down; the broker has no one to give them to
      await Bun.sleep(1500);
      const ackedWhileDown = sim.acked;
      expect(ackedWhileDown).toBeLessThan(1000);
      b = await child(dir);
      await sim.drained(20_000);
      expectExactlyOnceInOrder(dir, "nsk-03", "calls", 1000);
    } finally {
      await sim.close();
      await b.kill9();
    }
  }, 40_000);

  test("a lost envelope: HQ waits the reorder timeout, asks for a replay, and the gap fills", async () => {
    const dir = tempDir("hq-gap");
    const hq = await inProcess(dir, 300);
    const sim = await startBranchSim({
      url: broker.url,
      branch: "ekb-04",
      stream: "intents",
      batch: 10,
      window: 4,
      resendAfterMs: 20_000, // so only HQ's replay request can bring 21..30 back
      loseOnce: 21,
    });
    try {
      await until("connected", () => hq.consumer.connected());
      sim.produce(60);
      await sim.drained(10_000);
      expect(sim.replays).toBeGreaterThanOrEqual(1);
      expect(hq.consumer.applier.counters.replays).toBeGreaterThanOrEqual(1);
      expectExactlyOnceInOrder(dir, "ekb-04", "intents", 60);
    } finally {
      await sim.close();
      await hq.close();
    }
  }, 20_000);

  test("the broker restarts (forgetting everything): the consumer reconnects with backoff, says HQ online again, and the stream completes", async () => {
    const dir = tempDir("hq-restart");
    const hq = await inProcess(dir);
    const sim = await startBranchSim({
      url: broker.url,
      branch: "oms-06",
      stream: "roster",
      batch: 25,
      window: 4,
      resendAfterMs: 800,
    });
    try {
      await until("connected", () => hq.consumer.connected());
      sim.produce(300);
      await until("some acked", () => sim.acked >= 100);
      await broker.restart();
      sim.produce(300);
      await sim.drained(20_000);
      expect(hq.consumer.reconnects).toBeGreaterThanOrEqual(1);
      expectExactlyOnceInOrder(dir, "oms-06", "roster", 600);
      const state = await watchHqState();
      await until("retained online", () => state.seen.length > 0);
      expect(state.seen).toEqual([true]);
      await state.close();
    } finally {
      await sim.close();
      await hq.close();
    }
  }, 30_000);

  test("branch presence: a stale Last Will of an older epoch does not mark the branch offline", async () => {
    const dir = tempDir("hq-presence");
    const hq = await inProcess(dir);
    const connectBranch = (epoch: number) =>
      mqtt.connectAsync(broker.url, {
        protocolVersion: 5,
        clientId: `branch-kzn-05-${epoch}`,
        reconnectPeriod: 0,
        will: {
          topic: topics.state("kzn-05"),
          payload: Buffer.from(JSON.stringify({ online: false, epoch })),
          qos: 1,
          retain: true,
        },
      });
    const view = async () => {
      const r = await fetch(new URL("/api/v1/branches", hq.url), {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const body = (await r.json()) as {
        branches: { branch: string; online: boolean; epoch: number; backlog: number }[];
      };
      return body.branches.find((x) => x.branch === "kzn-05");
    };
    try {
      await until("connected", () => hq.consumer.connected());
      const old = await connectBranch(1);
      await old.publishAsync(topics.state("kzn-05"), JSON.stringify({ online: true, epoch: 1, backlog: 5 }), {
        qos: 1,
        retain: true,
      });
      await until("epoch 1 online", async () => (await view())?.epoch === 1);
      const fresh = await connectBranch(2);
      await fresh.publishAsync(
        topics.state("kzn-05"),
        JSON.stringify({ online: true, epoch: 2, version: "0.2.0", backlog: 40 }),
        { qos: 1, retain: true },
      );
      await until("epoch 2 online", async () => (await view())?.epoch === 2);
      // The old connection dies only now: the broker publishes its (stale) Will.
      old.stream.destroy();
      await Bun.sleep(500);
      expect(await view()).toMatchObject({ online: true, epoch: 2, backlog: 40 });
      // The current connection's own Will does mark it offline.
      fresh.stream.destroy();
      await until("offline", async () => (await view())?.online === false);
      expect(await view()).toMatchObject({ online: false, epoch: 2, backlog: 40 });
      await old.endAsync(true);
      await fresh.endAsync(true);
    } finally {
      await hq.close();
    }
  }, 20_000);
});
