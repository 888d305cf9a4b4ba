import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CrmConnector, CrmRecord, CrmStep, CrmStepPlan } from "../../../src/hq/crm/crm-port.ts";
import { createRetailcrmConnector } from "../../../src/hq/crm/retailcrm/index.ts";
import { newClientExternalId } from "../../../src/hq/crm/retailcrm/retailcrm-plan.ts";
import type { CrmConfig } from "../../../src/hq/hq-config.ts";
import { type FakeRetailcrm, startFakeRetailcrm } from "../../support/fake-retailcrm.ts";
import { capturingLogger } from "../hq-fixtures.ts";

const API_KEY = "retail-key-0123456789abcdef";
const SITE = "shop-msk";
const REAL = join(import.meta.dir, "../../fixtures/crm/retailcrm/real");
const T0 = Date.UTC(2024, 10, 21, 9, 0, 0);
const CALL_ID = "1732172400.42";
const CLIENT = "+79161234567";

function config(url: string, users: Record<string, string> = { olga: "27", sergey: "31" }): CrmConfig {
  return {
    kind: "retailcrm",
    url,
    api_key: API_KEY,
    site: SITE,
    client_id: "",
    client_secret: "",
    redirect_uri: "",
    refresh_token: "",
    users: Object.entries(users).map(([employee, user]) => ({ employee, user })),
    rate_per_second: 0,
  };
}

function connector(url: string, users?: Record<string, string>) {
  const { log, lines } = capturingLogger();
  const cfg = config(url, users);
  const map = new Map(cfg.users.map((u) => [u.employee, u.user]));
  const made = createRetailcrmConnector(cfg, {
    users: { userOf: (e) => map.get(e) ?? null },
    tokens: { get: async () => null, put: async () => false },
    log,
    now: () => T0,
  });
  return { connector: made, lines };
}

function callRecord(overrides: Record<string, unknown> = {}): CrmRecord {
  const data = {
    id: CALL_ID,
    source: "ami:pbx.branch.local",
    direction: "inbound",
    from: { number: CLIENT, extension: null },
    to: { number: "+74957654321", extension: "101" },
    did: "+74957654321",
    startedAt: T0,
    answeredAt: T0 + 8_000,
    endedAt: T0 + 68_000,
    outcome: "answered",
    legs: [],
    owner: { employeeId: "olga", rule: "dedicated", reason: "olga holds 101" },
    pops: [],
    recordingUrl: "https://hq.example.ru/recordings/1732172400.42?sig=abc",
    partOf: null,
    recovered: null,
    ...overrides,
  };
  return { branch: "msk", stream: "calls", record: stored(CALL_ID, "call.record", data) };
}

function intent(n: number, type: string, fields: Record<string, unknown>): CrmRecord {
  const data = {
    callId: CALL_ID,
    rule: "R3.4",
    reason: "olga answered a new number",
    number: CLIENT,
    ...fields,
  };
  return { branch: "msk", stream: "intents", record: stored(`${CALL_ID}:${n}`, type, data) };
}

function stored(id: string, type: string, data: unknown) {
  return { seq: 1, id, ts: T0, type, data, epoch: 1, historical: false, appliedAt: T0 };
}

function asStep(record: CrmRecord, plan: CrmStepPlan, attempts = 0): CrmStep {
  return {
    id: 1,
    recordKey: `${record.branch}:${record.stream}:${record.record.seq}`,
    branch: record.branch,
    recordId: record.record.id,
    name: plan.name,
    orderKey: plan.orderKey,
    input: plan.input,
    attempts,
    earlier: {},
  };
}

/** Plans a record and runs its steps in order, as the runner would. */
async function carryOut(c: CrmConnector, record: CrmRecord) {
  const outcomes = [];
  for (const plan of c.plan(record)) outcomes.push(await c.run(asStep(record, plan)));
  return outcomes;
}

const task = (n: number, rule: string, fields: Record<string, unknown> = {}) =>
  intent(n, "crm.task.create", {
    rule,
    clientId: "k-1",
    assigneeEmployeeId: "olga",
    status: "completed",
    purpose: "call-logged",
    recordingUrl: null,
    ...fields,
  });

describe("retailCRM plan", () => {
  const { connector: c } = connector("https://example.retailcrm.ru");
  const rows: [string, CrmRecord, string[]][] = [
    ["R2.5: an answered inbound call is uploaded with its recording link", callRecord(), ["call.upload"]],
    ["an internal call needs nothing", callRecord({ direction: "internal" }), []],
    [
      "a call with a withheld number needs nothing",
      callRecord({ from: { number: null, extension: null } }),
      [],
    ],
    [
      "R3.4: a new number's client",
      intent(1, "crm.client.create", { responsibleEmployeeId: "olga" }),
      ["customer.create"],
    ],
    [
      "R3.4: its order",
      intent(2, "crm.order.create", { clientId: null, responsibleEmployeeId: "olga", did: "+74957654321" }),
      ["order.create"],
    ],
    ["R3.5a: the completed task", task(3, "R3.5a"), ["task.create"]],
    [
      "R3.5b: the responsible's review task",
      task(4, "R3.5b", { status: "open", purpose: "review-call" }),
      ["task.create"],
    ],
    [
      "R3.6a: reopen is the new order's job",
      intent(5, "crm.client.reopen", { rule: "R3.6a", clientId: "k-1" }),
      [],
    ],
    [
      "R3.6b: the answerer becomes responsible",
      intent(6, "crm.client.reassign", { rule: "R3.6b", clientId: "k-1", from: "sergey", to: "olga" }),
      ["customer.edit"],
    ],
    [
      "R3.7a: the senior manager distributes",
      task(7, "R3.7a", { status: "open", purpose: "distribute" }),
      ["task.create"],
    ],
    ["R3.9b: a call-back task", task(8, "R3.9b", { status: "open", purpose: "call-back" }), ["task.create"]],
    [
      "R2.7: unsorted is amoCRM's",
      intent(9, "crm.unsorted.create", { rule: "R2.7", did: null, pipeline: null }),
      [],
    ],
    [
      "a record that does not parse is parked, never dropped",
      intent(10, "crm.task.create", { status: "maybe" }),
      ["unreadable"],
    ],
  ];
  for (const [name, record, steps] of rows)
    test(name, () => {
      const plans = c.plan(record);
      expect(plans.map((p) => p.name)).toEqual(steps);
      // One client's steps run in call order: the key is the client's number.
      for (const p of plans) expect(p.orderKey).toBe(p.name === "unreadable" ? record.record.id : CLIENT);
    });

  test("the call's fields are retailCRM's: date in Y-m-d H:i:s, in/out, result, durations, externalId", () => {
    const [plan] = c.plan(callRecord());
    expect(plan?.input).toMatchObject({
      date: "2024-11-21 09:00:00",
      type: "in",
      phone: CLIENT,
      result: "answered",
      duration: 60,
      durationWaiting: 8,
      externalId: CALL_ID,
      externalPhone: "+74957654321",
      employeeId: "olga",
    });
    const missed = c.plan(
      callRecord({
        outcome: "missed",
        answeredAt: null,
        owner: { employeeId: null, rule: "unmapped", reason: "-" },
      }),
    );
    expect(missed[0]?.input).toMatchObject({ result: "no answer", duration: 0, durationWaiting: 68 });
    // A PBX path is no URL retailCRM can fetch: not sent as one.
    expect(c.plan(callRecord({ recordingUrl: "2024/11/21/in.wav" }))[0]?.input.recordUrl).toBeNull();
  });
});

describe("retailCRM run against the wire fake", () => {
  let fake: FakeRetailcrm;
  beforeEach(() => {
    fake = startFakeRetailcrm({ apiKey: API_KEY, site: SITE });
  });
  afterEach(() => fake.stop());

  test("R2.5: the call is uploaded once with the key in X-API-KEY; a re-upload comes back in duplicateCalls and is done", async () => {
    const { connector: c, lines } = connector(fake.url);
    expect(await carryOut(c, callRecord())).toEqual([{ kind: "done", result: { duplicate: false } }]);
    expect(await carryOut(c, callRecord())).toEqual([{ kind: "done", result: { duplicate: true } }]);
    expect(fake.calls.size).toBe(1);
    expect(fake.calls.get(CALL_ID)).toMatchObject({
      userId: 27,
      site: SITE,
      recordUrl: expect.stringContaining("https://"),
    });
    expect(fake.requests.every((r) => r.status === 200)).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(API_KEY);
  });

  test("R3.4: client, order and task of a new number land once, even when every step runs twice", async () => {
    const { connector: c } = connector(fake.url);
    const records = [
      intent(1, "crm.client.create", { responsibleEmployeeId: "olga" }),
      intent(2, "crm.order.create", { clientId: null, responsibleEmployeeId: "olga", did: "+74957654321" }),
      task(3, "R3.4", { clientId: null, recordingUrl: "https://hq.example.ru/r/1" }),
    ];
    for (let round = 0; round < 2; round++)
      for (const r of records) for (const o of await carryOut(c, r)) expect(o.kind).toBe("done");
    expect([...fake.customers.values()]).toEqual([
      expect.objectContaining({
        externalId: newClientExternalId(CLIENT),
        managerId: 27,
        phones: [{ number: CLIENT }],
      }),
    ]);
    expect([...fake.orders.values()]).toEqual([
      expect.objectContaining({
        externalId: `${CALL_ID}:2`,
        managerId: 27,
        customer: { externalId: newClientExternalId(CLIENT) },
      }),
    ]);
    expect(fake.tasks).toHaveLength(1);
    expect(fake.tasks[0]).toMatchObject({
      performerId: 27,
      complete: true,
      commentary: expect.stringContaining("https://hq.example.ru/r/1"),
    });
  });

  test("R3.6b: reassign edits the customer's manager by externalId", async () => {
    const { connector: c } = connector(fake.url);
    await carryOut(c, intent(1, "crm.client.create", { responsibleEmployeeId: "sergey" }));
    const id = newClientExternalId(CLIENT);
    const [o] = await carryOut(
      c,
      intent(2, "crm.client.reassign", { rule: "R3.6b", clientId: id, from: "sergey", to: "olga" }),
    );
    expect(o?.kind).toBe("done");
    expect(fake.customers.get(id)).toMatchObject({ managerId: 27 });
  });

  test("429 with Retry-After and 503 are retried, then the call lands", async () => {
    const { connector: c } = connector(fake.url);
    fake.failNext("telephony/calls/upload", () =>
      Response.json(
        { success: false, errorMsg: "Too Many Requests" },
        { status: 429, headers: { "Retry-After": "2" } },
      ),
    );
    fake.failNext("telephony/calls/upload", () => new Response("<html>down</html>", { status: 503 }));
    const record = callRecord();
    const [plan] = c.plan(record);
    if (plan === undefined) throw new Error("no plan");
    expect(await c.run(asStep(record, plan))).toEqual({
      kind: "retry",
      reason: "retailCRM telephony/calls/upload: HTTP 429: Too Many Requests",
      afterMs: 2000,
    });
    expect(await c.run(asStep(record, plan, 1))).toMatchObject({
      kind: "retry",
      reason: expect.stringContaining("HTTP 503"),
    });
    expect(await c.run(asStep(record, plan, 2))).toMatchObject({ kind: "done" });
    expect(fake.calls.size).toBe(1);
  });

  test("a CRM that cannot be reached is retried, never parked", async () => {
    const { connector: c } = connector("http://127.0.0.1:9");
    expect((await carryOut(c, callRecord()))[0]?.kind).toBe("retry");
  });

  test("a 400 parks with retailCRM's message and errors, never the key", async () => {
    const { connector: c } = connector(fake.url);
    fake.failNext("telephony/calls/upload", () =>
      Response.json(
        { success: false, errorMsg: "Errors in the entity format", errors: { "calls[0].phone": "invalid" } },
        { status: 400 },
      ),
    );
    const [parked] = await carryOut(c, callRecord());
    expect(parked).toEqual({
      kind: "park",
      code: "CRM.REJECTED",
      reason:
        "retailCRM telephony/calls/upload: HTTP 400: Errors in the entity format (calls[0].phone: invalid)",
    });
  });

  test("a wrong key parks with retailCRM's words", async () => {
    const { connector: c } = connector(fake.url);
    const wrong = createRetailcrmConnector(
      { ...config(fake.url), api_key: "not-the-key" },
      {
        users: { userOf: () => "27" },
        tokens: { get: async () => null, put: async () => false },
        log: capturingLogger().log,
        now: () => T0,
      },
    );
    const [o] = await carryOut(wrong, callRecord());
    expect(o).toMatchObject({
      kind: "park",
      code: "CRM.REJECTED",
      reason: expect.stringContaining('403: Wrong "apiKey" value.'),
    });
    expect(JSON.stringify(o)).not.toContain("not-the-key");
    expect(c.ratePerSecond).toBe(10);
  });

  test("an employee with no retailCRM user parks with CRM.UNMAPPED_EMPLOYEE and sends nothing", async () => {
    const { connector: c } = connector(fake.url, { sergey: "31" });
    const [o] = await carryOut(c, callRecord());
    expect(o).toEqual({
      kind: "park",
      code: "CRM.UNMAPPED_EMPLOYEE",
      reason: "employee olga has no retailCRM user in [[hq.crm.users]]",
    });
    const [t] = await carryOut(
      c,
      task(3, "R3.7a", { assigneeEmployeeId: null, purpose: "distribute", status: "open" }),
    );
    expect(t).toMatchObject({ kind: "park", code: "CRM.UNMAPPED_EMPLOYEE" });
    expect(fake.requests).toEqual([]);
  });

  test("a record that does not parse parks with CRM.UNREADABLE_RECORD", async () => {
    const { connector: c } = connector(fake.url);
    const [o] = await carryOut(c, intent(1, "crm.task.create", { status: "maybe" }));
    expect(o).toMatchObject({ kind: "park", code: "CRM.UNREADABLE_RECORD" });
  });

  test("retailCRM's real answers (official PHP client's fixtures) end as the README says", async () => {
    const real = (file: string) => readFileSync(join(REAL, file), "utf8");
    const { connector: c } = connector(fake.url);
    const answerWith = (path: string, file: string, status = 200) =>
      fake.failNext(
        path,
        () => new Response(real(file), { status, headers: { "content-type": "application/json" } }),
      );
    answerWith("telephony/calls/upload", "calls-upload.response.json");
    expect(await carryOut(c, callRecord())).toEqual([{ kind: "done", result: { duplicate: false } }]);
    answerWith("customers/create", "customers-create.response.json");
    expect(await carryOut(c, intent(1, "crm.client.create", { responsibleEmployeeId: "olga" }))).toEqual([
      { kind: "done", result: { id: 1 } },
    ]);
    answerWith("customers/k-1/edit", "customers-edit.response.json");
    expect(
      await carryOut(
        c,
        intent(6, "crm.client.reassign", { rule: "R3.6b", clientId: "k-1", from: "sergey", to: "olga" }),
      ),
    ).toEqual([{ kind: "done", result: { id: 4770 } }]);
    answerWith("tasks", "tasks-list.response.json");
    answerWith("tasks/create", "tasks-create.response.json");
    expect(await carryOut(c, task(3, "R3.5a"))).toEqual([{ kind: "done", result: { id: 1 } }]);
    answerWith("tasks/create", "access-denied.response.json", 403);
    expect(await carryOut(c, task(4, "R3.5a"))).toEqual([
      { kind: "park", code: "CRM.REJECTED", reason: "retailCRM tasks/create: HTTP 403: Access denied." },
    ]);
  });
});
