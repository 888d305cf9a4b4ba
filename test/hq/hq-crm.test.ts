// `branchbox hq` with [hq.crm] (issue 19), in process against a real Mosquitto: a branch's calls go
// through the broker into HQ's store, its forward queue, the CRM steps and a scripted connector.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ConfigError } from "../../src/config/load.ts";
import type { CrmConnector, CrmStep } from "../../src/hq/crm/crm-port.ts";
import { loadHqConfig, startHq } from "../../src/hq/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { eventually } from "../support/sync-system.ts";
import { startBranchSim } from "./hq-branch-sim.ts";
import { tempDir } from "./hq-fixtures.ts";

const TOKEN = "hq-crm-token-0123456789";

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

const config = (storageDir: string) =>
  loadHqConfig({
    fileText: [
      "[mqtt]",
      `url = "${broker.url}"`,
      "[hq]",
      'listen = "127.0.0.1:0"',
      `token = "${TOKEN}"`,
      `storage_dir = "${storageDir}"`,
      "[hq.crm]",
      'kind = "retailcrm"',
      'url = "https://demo.retailcrm.ru"',
      'api_key = "retail-key-0123456789"',
      'site = "demo"',
      "",
    ].join("\n"),
  });

test("every call a branch sends reaches the CRM's connector once, through the durable steps; the fleet has a CRM page", async () => {
  const held = new Map<string, number>();
  const connector: CrmConnector = {
    kind: "retailcrm",
    ratePerSecond: 1000,
    plan: ({ branch, stream, record }) =>
      stream === "calls"
        ? [{ name: "call.upload", orderKey: `${branch}:${record.id}`, input: { id: record.id } }]
        : [],
    run: async (step: CrmStep) => {
      held.set(step.recordKey, (held.get(step.recordKey) ?? 0) + 1);
      return { kind: "done" };
    },
  };
  const hq = await startHq(config(tempDir("hq-crm")), silentLogger, {
    crmConnectors: { retailcrm: async () => () => connector },
  });
  const sim = await startBranchSim({
    url: broker.url,
    branch: "msk-01",
    stream: "calls",
    batch: 10,
    window: 4,
    resendAfterMs: 2000,
  });
  try {
    sim.produce(40);
    await sim.drained(15_000);
    await eventually(
      "all 40 at the CRM",
      () => held.size === 40,
      15_000,
      () => `${held.size} held`,
    );
    expect([...held.values()].every((n) => n === 1)).toBe(true);
    await eventually(
      "the counters say so",
      async () => {
        const r = await fetch(new URL("/api/v1/branches", hq.url), {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        return ((await r.json()) as { consumer: { crmDone?: number } }).consumer.crmDone === 40;
      },
      5000,
    );
    const health = await fetch(new URL("/fleet/crm", hq.url), { redirect: "manual" });
    expect(health.status).toBe(303); // there, behind the sign-in
  } finally {
    await sim.close();
    await hq.close();
  }
}, 40_000);

test("a kind with no connector in this build stops the start: CONFIG.INVALID naming CRM.NO_CONNECTOR", async () => {
  const error = await startHq(config(tempDir("hq-crm-none")), silentLogger, { crmConnectors: {} }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).message).toContain("CRM.NO_CONNECTOR");
});
