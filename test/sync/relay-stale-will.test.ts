import { afterAll, beforeAll, expect, test } from "bun:test";
import mqtt from "mqtt";
import { topics } from "../../src/contract/protocol.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { makeBranch } from "../support/relay-fixture.ts";
import { eventually } from "../support/test-hq.ts";

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.stop();
});

test("an old connection's Last Will landing after the birth is answered with the birth again", async () => {
  const b = makeBranch("stalewill");
  const relay = b.relay({ url: broker.url });
  relay.start();
  const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: "stale-will-watcher" });
  const seen: { online: boolean; epoch: number }[] = [];
  watcher.on("message", (_topic, payload) => {
    if (payload.length > 0) seen.push(JSON.parse(payload.toString()));
  });
  try {
    await eventually("the relay connects", () => relay.status().state === "connected");
    await watcher.subscribeAsync(topics.state(b.id), { qos: 1 });
    await eventually("the birth is retained", () => seen.some((s) => s.online));
    const epoch = relay.status().epoch;

    // The broker delivers an earlier connection's Will late: it replaces the retained birth.
    await watcher.publishAsync(topics.state(b.id), JSON.stringify({ online: false, epoch: epoch - 1 }), {
      qos: 1,
      retain: true,
    });
    await eventually(
      "the relay says online again",
      () => seen.at(-1)?.online === true && seen.at(-1)?.epoch === epoch,
    );
    // And the retained state a late watcher reads is the live birth, not the stale Will.
    const late = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: "stale-will-late" });
    const retained = new Promise<{ online: boolean; epoch: number }>((resolve) =>
      late.on("message", (_t, p) => resolve(JSON.parse(p.toString()))),
    );
    await late.subscribeAsync(topics.state(b.id), { qos: 1 });
    expect(await retained).toMatchObject({ online: true, epoch });
    await late.endAsync();
  } finally {
    await watcher.endAsync();
    await relay.stop();
    b.close();
  }
});
