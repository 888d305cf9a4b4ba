// Issue 4's fault tests with every real part at once, each its own process on loopback: the
// compiled branch binary (`serve --demo`, [mqtt] from BRANCHBOX_MQTT_*), the compiled
// `branchbox hq` consumer on its own config file and store, and a real Mosquitto. Records are
// roster facts made through the branch's API; the verdict is HQ's API (seq 1..N exactly once, in
// the order applied) and the branch's SQLite file (N facts, an empty outbox).
import { expect, test } from "bun:test";
import mqtt from "mqtt";
import { startMosquitto } from "../support/mosquitto.ts";
import { expectComplete, RosterBurst, SyncSystem, withSystem } from "../support/sync-system.ts";

test("kill -9 of the branch at about half of a 10,000-record burst, restart on the same storage: HQ has every seq exactly once, in order, and the outbox empties", async () => {
  const sys = new SyncSystem();
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto());
    const hq = await sys.startHq({ url: broker.url });
    const branch = await sys.startBranch({ url: broker.url });
    const burst = new RosterBurst(() => branch.baseUrl, 10_000);
    await burst.untilAccepted(5_000, 30_000);
    await branch.kill9();
    const atKill = sys.branchCounts();
    // The cut came mid-burst with records still unacknowledged: the restart has work to do.
    expect(atKill.facts).toBeGreaterThanOrEqual(5_000);
    expect(atKill.facts).toBeLessThan(10_000);

    const restarted = await sys.startBranch({ url: broker.url });
    expect(restarted.baseUrl).toBe(branch.baseUrl);
    await burst.done;
    expect(burst.accepted).toBeGreaterThanOrEqual(10_000);
    const n = await expectComplete(sys, hq, burst.accepted, 60_000);
    expect(n).toBeGreaterThanOrEqual(10_000);
  });
}, 120_000);

/** Paced bursts (4 employees, each a fact every ~20 ms plus the round trip): records keep flowing through a fault. */
const PACE_MS = 20;

test("broker stopped for 10 s during a burst and started again: complete, in order, exactly once", async () => {
  const sys = new SyncSystem();
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto({ persistence: true }));
    const hq = await sys.startHq({ url: broker.url });
    const branch = await sys.startBranch({ url: broker.url });
    const burst = new RosterBurst(() => branch.baseUrl, 3_000, PACE_MS);
    await burst.untilAccepted(300, 20_000);
    await broker.stop();
    const atStop = burst.accepted;
    await Bun.sleep(10_000);
    // The branch kept taking facts while headquarters was out of reach.
    expect(burst.accepted).toBeGreaterThan(atStop + 100);
    expect(sys.branchCounts().outbox).toBeGreaterThan(100);
    await broker.start();
    await burst.done;
    await expectComplete(sys, hq, burst.accepted, 90_000);
  });
}, 150_000);

test("broker killed with messages queued for a hung HQ and restarted with persistence off (sessions, queues and retained state forgotten): complete, because rows go only on HQ's ack", async () => {
  const sys = new SyncSystem();
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto({ persistence: false }));
    const hq = await sys.startHq({ url: broker.url });
    const branch = await sys.startBranch({ url: broker.url });
    const burst = new RosterBurst(() => branch.baseUrl, 2_000, PACE_MS);
    await burst.untilAccepted(300, 20_000);
    // HQ's consumer hangs with its connection open: the broker PUBACKs the branch's envelopes and
    // queues them for HQ; then it dies (kill -9) and forgets them. A branch that deleted rows on
    // the broker's PUBACK would have lost these records for good.
    hq.pause();
    const atPause = burst.accepted;
    await burst.untilAccepted(atPause + 300, 20_000);
    await broker.kill9();
    hq.resume();
    await Bun.sleep(1_000);
    await broker.start();
    await burst.done;
    await expectComplete(sys, hq, burst.accepted, 90_000);
    // The broker forgot the retained HQ state; HQ's consumer put it back on its reconnect.
    const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const retained = new Promise<{ payload: string; retain: boolean }>((resolve) =>
        watcher.on("message", (_topic, payload, packet) =>
          resolve({ payload: payload.toString(), retain: packet.retain }),
        ),
      );
      await watcher.subscribeAsync("branchbox/v1/hq/state", { qos: 1 });
      const state = await Promise.race([retained, Bun.sleep(5_000).then(() => null)]);
      expect(state).toEqual({ payload: JSON.stringify({ online: true }), retain: true });
    } finally {
      await watcher.endAsync(true);
    }
  });
}, 150_000);

test("HQ consumer killed (-9) for 5 s during a burst, then a new one on the same store: complete, in order, exactly once", async () => {
  const sys = new SyncSystem();
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto());
    const first = await sys.startHq({ url: broker.url });
    const branch = await sys.startBranch({ url: broker.url });
    const burst = new RosterBurst(() => branch.baseUrl, 2_000, PACE_MS);
    await burst.untilAccepted(300, 20_000);
    await first.kill9();
    const atKill = burst.accepted;
    await Bun.sleep(5_000);
    expect(burst.accepted).toBeGreaterThan(atKill + 100);
    const second = await sys.startHq({ url: broker.url });
    await burst.done;
    await expectComplete(sys, second, burst.accepted, 90_000);
  });
}, 150_000);

type Consumer = { consumer: { applied: number; mqtt: string } };

test("two HQ consumers at once on one store (shared subscription), one killed (-9) mid-burst: complete, in order, exactly once", async () => {
  const sys = new SyncSystem();
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto());
    const one = await sys.startHq({ url: broker.url });
    const two = await sys.startHq({ url: broker.url });
    const branch = await sys.startBranch({ url: broker.url });
    const burst = new RosterBurst(() => branch.baseUrl, 3_000, PACE_MS);
    await burst.untilAccepted(500, 20_000);
    // Both consumers take a share of the stream before one dies.
    for (const hq of [one, two]) {
      const { consumer } = await sys.hqGet<Consumer>(hq, "/api/v1/branches");
      expect(consumer.applied).toBeGreaterThan(0);
    }
    await one.kill9();
    await burst.done;
    await expectComplete(sys, two, burst.accepted, 90_000);
  });
}, 150_000);
