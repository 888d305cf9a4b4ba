// Issue 4's link tests with every real part at once (compiled branch, compiled `branchbox hq`,
// real Mosquitto, all on loopback): a minute of a flapping broker while records flow, and TLS
// with per-branch client certificates under the shipped broker set-up (firmware-config/mosquitto:
// the dynamic security plugin, branches and consumers added with dynsec.sh), where a branch's
// certificate cannot publish into another branch's topics. The verdict is HQ's API and the
// branch's SQLite file.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { startExampleBroker } from "../support/example-broker.ts";
import { startMosquitto } from "../support/mosquitto.ts";
import { expectComplete, RosterBurst, SyncSystem, withSystem } from "../support/sync-system.ts";

const FLAP_FOR_MS = 60_000;

test("link flapping: the broker stopped and started every few seconds for a minute while records flow: complete, in order, exactly once", async () => {
  const sys = new SyncSystem();
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto({ persistence: true }));
    const hq = await sys.startHq({ url: broker.url });
    const branch = await sys.startBranch({ url: broker.url });
    const burst = new RosterBurst(() => branch.baseUrl, Number.POSITIVE_INFINITY, 50);
    await burst.untilAccepted(100, 20_000);
    const until = Date.now() + FLAP_FOR_MS;
    let flaps = 0;
    let acceptedWhileDown = 0;
    while (Date.now() < until) {
      await Bun.sleep(2_500);
      await broker.stop();
      const downAt = burst.accepted;
      await Bun.sleep(1_500);
      acceptedWhileDown += burst.accepted - downAt;
      await broker.start();
      flaps++;
    }
    const accepted = await burst.stop();
    expect(flaps).toBeGreaterThanOrEqual(12);
    // Records flowed all the time, the broker's down phases included.
    expect(acceptedWhileDown).toBeGreaterThan(flaps * 20);
    // The branch felt it: its relay lost the link again and again (its backoff skips some flaps).
    expect(await sys.branchMetric(branch, "branchbox_sync_reconnects_total")).toBeGreaterThanOrEqual(4);
    await expectComplete(sys, hq, accepted, 90_000);
  });
}, 180_000);

test("TLS with client certificates and the shipped broker set-up: the branch syncs over mqtts as its CN; branch A's certificate cannot publish into branch B's up topic (PUBACK 0x87)", async () => {
  const sys = new SyncSystem("tls-a");
  await withSystem(sys, async () => {
    const broker = await startExampleBroker({
      dir: join(sys.dir, "broker"),
      branches: ["tls-a", "tls-b"],
      hqs: ["hq.1"],
    });
    sys.watch(broker);
    const ca = broker.pki.ca;
    const certA = broker.certificate("tls-a");
    const certHq = broker.certificate("hq.1");
    expect(broker.url).toStartWith("mqtts://");
    const hq = await sys.startHq({ url: broker.url, ca, cert: certHq.cert, key: certHq.key });
    const branch = await sys.startBranch({ url: broker.url, ca, cert: certA.cert, key: certA.key });
    const burst = new RosterBurst(() => branch.baseUrl, 200);
    await burst.done;
    await expectComplete(sys, hq, burst.accepted, 30_000);

    // The box goes first: the client id is the certificate's name, so a second connection with
    // A's certificate and the box's relay would keep replacing each other.
    await branch.stop();
    const intruder = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      ca: readFileSync(ca),
      cert: readFileSync(certA.cert),
      key: readFileSync(certA.key),
    });
    const publish = (topic: string, payload: string) =>
      Promise.race([
        // mqtt.js resolves on a success PUBACK and rejects with the reason code on 0x80 and above.
        intruder.publishAsync(topic, payload, { qos: 1 }).then(
          () => 0,
          (error: { code?: number }) => error.code ?? String(error),
        ),
        Bun.sleep(5_000).then(() => "no PUBACK in 5 s"),
      ]);
    try {
      // The certificate works for A's own topics: the refusal below is the broker's rules, not the link.
      expect(await publish("branchbox/v1/tls-a/state", JSON.stringify({ online: true, epoch: 1 }))).toBe(0);
      const forged = JSON.stringify({
        v: 1,
        branch: "tls-b",
        epoch: 1,
        stream: "roster",
        seqFrom: 1,
        seqTo: 1,
        historical: false,
        records: [{ id: "fact-1", seq: 1, ts: Date.now(), type: "roster.fact", data: {} }],
      });
      expect(await publish("branchbox/v1/tls-b/up/roster", forged)).toBe(0x87);
    } finally {
      await intruder.endAsync(true);
    }
    const { branches } = await sys.hqGet<{ branches: { branch: string }[] }>(hq, "/api/v1/branches");
    expect(branches.map((b) => b.branch)).toEqual(["tls-a"]);
    const forgedRecords = await sys.hqGet<{ records: unknown[] }>(
      hq,
      "/api/v1/records?branch=tls-b&stream=roster",
    );
    expect(forgedRecords.records).toEqual([]);
  });
}, 60_000);
