// The CRM step runner (src/hq/crm/crm-steps.ts, issue 19 "Durable and polite") on a real hq.db,
// with a scripted in-memory connector: a CRM that keeps what it is told, once per dedupe key.
import type { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { CrmConnector, CrmOutcome, CrmStep } from "../../src/hq/crm/crm-port.ts";
import type { CrmStepStore } from "../../src/hq/crm/crm-step-store-port.ts";
import { type CrmSteps, startCrmSteps } from "../../src/hq/crm/crm-steps.ts";
import { createCrmConnector, crmUsers } from "../../src/hq/crm/registry.ts";
import type { HqStore } from "../../src/hq/store/hq-store-port.ts";
import { openHqDatabase, sqliteCrmStepStore, sqliteHqStore } from "../../src/hq/store/sqlite/index.ts";
import { eventually } from "../support/sync-system.ts";
import { capturingLogger, envelope, tempDir } from "./hq-fixtures.ts";

interface Rig {
  readonly hq: HqStore;
  readonly steps: CrmStepStore;
  readonly db: Database;
}
const open: { dir: string; db: Database; runner?: CrmSteps }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.runner?.stop();
    o.db.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
});
function rig(): Rig {
  const dir = tempDir("hq-crm-runner");
  const db = openHqDatabase(dir);
  open.push({ dir, db });
  return { hq: sqliteHqStore(db, { forward: true }), steps: sqliteCrmStepStore(db), db };
}
const start = (options: Parameters<typeof startCrmSteps>[0]) => {
  const runner = startCrmSteps({ everyMs: 20, ...options });
  const last = open.at(-1);
  if (last !== undefined) last.runner = runner;
  return runner;
};

/**
 * A CRM that holds each call once by its dedupe key (the record's key); `script` answers each try
 * of a step (by record key and attempt), `done` by default. Every request is timed.
 */
function scriptedCrm(
  ratePerSecond: number,
  script: (step: CrmStep) => CrmOutcome = () => ({ kind: "done" }),
) {
  const held = new Map<string, number>();
  const requests: { at: number; step: CrmStep }[] = [];
  const connector: CrmConnector = {
    kind: "amocrm",
    ratePerSecond,
    plan: ({ record }) => {
      const n = (record.data as { n: number }).n;
      return [{ name: "call.upload", orderKey: `+7900000000${n % 2}`, input: { n } }];
    },
    run: async (step) => {
      requests.push({ at: performance.now(), step });
      const outcome = script(step);
      if (outcome.kind === "done") held.set(step.recordKey, (held.get(step.recordKey) ?? 0) + 1);
      return outcome;
    },
  };
  return { connector, held, requests };
}

test("every record is planned off the forward queue and reaches the CRM once, each client's in call order", async () => {
  const r = rig();
  const crm = scriptedCrm(1000);
  const { log } = capturingLogger();
  await r.hq.apply([envelope("msk", "calls", 1, 10)], Date.now);
  const runner = start({ connector: crm.connector, steps: r.steps, queue: r.hq, log });
  await eventually("all ten held", () => crm.held.size === 10, 10_000);
  expect(await r.hq.forwardDepth()).toBe(0);
  expect(await r.steps.counts()).toEqual({ pending: 0, done: 10, parked: 0 });
  expect([...crm.held.values()].every((n) => n === 1)).toBe(true);
  for (const key of ["+79000000000", "+79000000001"]) {
    const ns = crm.requests.filter((q) => q.step.orderKey === key).map((q) => q.step.input.n as number);
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
  }
  expect(runner.counters).toMatchObject({ planned: 10, done: 10 });
});

test("the rate limit is kept: 21 steps at 20 a second take a second, never two requests closer than 1/20 s", async () => {
  const r = rig();
  const crm = scriptedCrm(1000);
  const { log } = capturingLogger();
  await r.hq.apply([envelope("msk", "calls", 1, 21)], Date.now);
  start({ connector: crm.connector, steps: r.steps, queue: r.hq, log, ratePerSecond: 20 });
  await eventually("all 21 held", () => crm.held.size === 21, 10_000);
  const times = crm.requests.map((q) => q.at);
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50 - 2);
  const perSecond = (times.length - 1) / (((times.at(-1) as number) - (times[0] as number)) / 1000);
  expect(perSecond).toBeLessThanOrEqual(20.5);
});

test("a transient failure is retried with full-jitter backoff, and after the CRM's Retry-After when it names one", async () => {
  const r = rig();
  const crm = scriptedCrm(1000, (step) =>
    step.attempts === 0
      ? { kind: "retry", reason: "HTTP 503" }
      : step.attempts === 1
        ? { kind: "retry", reason: "HTTP 429", afterMs: 400 }
        : { kind: "done" },
  );
  const { log, codes } = capturingLogger();
  await r.hq.apply([envelope("msk", "calls", 1, 1)], Date.now);
  // random 0.5 of a 600 ms ceiling: the first retry waits 300 ms.
  start({
    connector: crm.connector,
    steps: r.steps,
    queue: r.hq,
    log,
    backoff: { baseMs: 600, capMs: 10_000 },
    random: () => 0.5,
  });
  await eventually("held after two retries", () => crm.held.size === 1, 10_000);
  const [a, b, c] = crm.requests.map((q) => q.at) as [number, number, number];
  expect(b - a).toBeGreaterThanOrEqual(300 - 2);
  expect(b - a).toBeLessThan(600);
  expect(c - b).toBeGreaterThanOrEqual(400 - 2);
  expect(codes().filter((x) => x === "CRM.STEP_RETRY").length).toBe(2);
});

test("a permanent error parks the step with its code (an unmapped employee) and holds back its client; the retry button runs it again", async () => {
  const r = rig();
  let mapped = false;
  const crm = scriptedCrm(1000, (step) =>
    step.input.n === 1 && !mapped
      ? { kind: "park", code: "CRM.UNMAPPED_EMPLOYEE", reason: "employee 7 has no CRM user" }
      : { kind: "done" },
  );
  const { log, codes } = capturingLogger();
  await r.hq.apply([envelope("msk", "calls", 1, 4)], Date.now);
  const runner = start({ connector: crm.connector, steps: r.steps, queue: r.hq, log });
  // n = 2 and 4 are another client's; n = 3 waits behind the parked n = 1.
  await eventually(
    "the other client's held",
    () => crm.held.has("msk:calls:2") && crm.held.has("msk:calls:4"),
    10_000,
  );
  await eventually("parked", async () => (await r.steps.counts()).parked === 1, 10_000);
  expect(crm.held.has("msk:calls:3")).toBe(false);
  const [parked] = await r.steps.parked(10);
  expect(parked).toMatchObject({ recordKey: "msk:calls:1", code: "CRM.UNMAPPED_EMPLOYEE" });
  expect(codes()).toContain("CRM.UNMAPPED_EMPLOYEE");
  mapped = true;
  expect(await r.steps.unpark(parked?.id as number, Date.now())).toBe(true);
  runner.kick();
  await eventually("all four held", () => crm.held.size === 4, 10_000);
  const order = crm.requests.filter((q) => q.step.orderKey === "+79000000001").map((q) => q.step.input.n);
  expect(order).toEqual([1, 1, 3]);
});

test("a storage failure fails a round, never the process; a step whose done was lost runs again after its lease and the CRM's dedupe keeps one", async () => {
  const r = rig();
  const crm = scriptedCrm(1000);
  const { log, codes } = capturingLogger();
  let offset = 0;
  let failDone = true;
  const steps: CrmStepStore = {
    ...r.steps,
    done: async (...args) => {
      if (failDone) {
        failDone = false;
        throw Object.assign(new Error("disk I/O error"), { code: "STORAGE.IO" });
      }
      return r.steps.done(...args);
    },
  };
  await r.hq.apply([envelope("msk", "calls", 1, 1)], Date.now);
  start({ connector: crm.connector, steps, queue: r.hq, log, now: () => Date.now() + offset });
  await eventually("the failed round logged", () => codes().includes("CRM.STEP_FAILED"), 10_000);
  expect(await r.steps.counts()).toEqual({ pending: 1, done: 0, parked: 0 });
  offset = 60_000; // the lease ends
  await eventually("done", async () => (await r.steps.counts()).done === 1, 10_000);
  expect(crm.requests.length).toBe(2);
  expect(crm.held.get("msk:calls:1")).toBe(2); // the CRM was told twice; its dedupe key makes it one
});

test("a kind this build has no connector for stops the start with CRM.NO_CONNECTOR; users map employees to CRM users", async () => {
  const { log } = capturingLogger();
  const config = {
    kind: "bitrix24" as const,
    url: "https://example.bitrix24.ru",
    api_key: "",
    site: "",
    client_id: "app",
    client_secret: "secret",
    redirect_uri: "",
    refresh_token: "r",
    users: [{ employee: "7", user: "42" }],
    rate_per_second: 0,
  };
  const deps = {
    users: crmUsers(config),
    tokens: { get: async () => null, put: async () => false },
    log,
    now: Date.now,
  };
  await expect(createCrmConnector(config, deps, {})).rejects.toThrow(/CRM\.NO_CONNECTOR/);
  const made = await createCrmConnector(config, deps, {
    bitrix24: async () => () => scriptedCrm(2).connector,
  });
  expect(made.ratePerSecond).toBe(2);
  expect(deps.users.userOf("7")).toBe("42");
  expect(deps.users.userOf("8")).toBeNull();
});
