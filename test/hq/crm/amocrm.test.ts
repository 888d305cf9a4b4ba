import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { planAmocrm } from "../../../src/hq/crm/amocrm/amocrm-plan.ts";
import { createAmocrmConnector } from "../../../src/hq/crm/amocrm/index.ts";
import type { CrmStep, CrmStepPlan, CrmTokenStore, CrmTokens } from "../../../src/hq/crm/crm-port.ts";
import type { CrmConfig } from "../../../src/hq/hq-config.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { type FakeAmo, startFakeAmo } from "../../support/fake-amocrm.ts";

const CREDS = {
  clientId: "client-1",
  clientSecret: "secret-1",
  redirectUri: "https://hq.example.ru/amo",
  refreshToken: "refresh-0",
};

function config(url: string): CrmConfig {
  return {
    kind: "amocrm",
    url,
    api_key: "",
    site: "",
    client_id: CREDS.clientId,
    client_secret: CREDS.clientSecret,
    redirect_uri: CREDS.redirectUri,
    refresh_token: CREDS.refreshToken,
    users: [],
    rate_per_second: 0,
  };
}

/** A CrmTokenStore in memory, compare-and-set on the refresh token like the durable one. */
function memoryTokens(): CrmTokenStore & { value: CrmTokens | null } {
  const store = {
    value: null as CrmTokens | null,
    async get() {
      return store.value;
    },
    async put(_kind: string, tokens: CrmTokens, previous: string | null) {
      if ((store.value?.refreshToken ?? null) !== previous) return false;
      store.value = tokens;
      return true;
    },
  };
  return store;
}

const USERS: Record<string, string> = { "emp-anna": "501", "emp-boris": "502" };

function connector(amo: FakeAmo, tokens: CrmTokenStore = memoryTokens()) {
  return createAmocrmConnector(config(amo.url), {
    users: { userOf: (id) => USERS[id] ?? null },
    tokens,
    log: silentLogger,
    now: Date.now,
  });
}

const CLIENT = "+79161234567";

function callRecord(over: Record<string, unknown> = {}) {
  const data = {
    id: "call-1",
    source: "ami:pbx.branch.local",
    direction: "inbound",
    from: { number: CLIENT, extension: null },
    to: { number: "+74950000001", extension: "101" },
    did: "+74950000001",
    startedAt: 1_700_000_000_000,
    answeredAt: 1_700_000_005_000,
    endedAt: 1_700_000_047_000,
    outcome: "answered",
    legs: [],
    owner: { employeeId: "emp-anna", rule: "dedicated", reason: "Anna's extension" },
    pops: [],
    recordingUrl: "https://hq.example.ru/rec/call-1.mp3",
    partOf: null,
    recovered: null,
    ...over,
  };
  return record("call.record", "call-1", data);
}

function record(type: string, id: string, data: unknown) {
  return {
    branch: "msk-1",
    stream: type === "call.record" ? "calls" : "intents",
    record: {
      seq: 1,
      id,
      ts: 1_700_000_050_000,
      type,
      data,
      epoch: 1,
      historical: false,
      appliedAt: 1_700_000_051_000,
    },
  };
}

const head = (rule: string) => ({
  callId: "call-1",
  rule,
  reason: "Anna took a call from a new number.",
  number: CLIENT,
});

let n = 0;
const stepOf = (plan: CrmStepPlan, attempts = 0): CrmStep => ({
  id: ++n,
  recordKey: "msk-1:calls:1",
  branch: "msk-1",
  recordId: "call-1",
  name: plan.name,
  orderKey: plan.orderKey,
  input: plan.input,
  attempts,
  earlier: {},
});
const only = (plans: readonly CrmStepPlan[]) => {
  expect(plans).toHaveLength(1);
  return plans[0] as CrmStepPlan;
};

let fake: FakeAmo | null = null;
afterEach(async () => {
  await fake?.stop();
  fake = null;
});
const start = (over: Partial<Parameters<typeof startFakeAmo>[0]> = {}) => {
  // Generous unless a test is about the rate: the runner, not these tests, spaces the requests.
  fake = startFakeAmo({ ...CREDS, ratePerSecond: 1000, ...over });
  return fake;
};

describe("amoCRM plan", () => {
  test("R2.5: an answered inbound call becomes one call.add with uniq, duration, status 4 and the recording", () => {
    const plan = only(planAmocrm(callRecord()));
    expect(plan.name).toBe("call.add");
    expect(plan.orderKey).toBe(CLIENT);
    expect(plan.input).toMatchObject({
      uniq: "call-1",
      direction: "inbound",
      phone: CLIENT,
      duration: 42,
      callStatus: 4,
      link: "https://hq.example.ru/rec/call-1.mp3",
      createdAt: 1_700_000_000,
      employeeId: "emp-anna",
    });
  });

  test("an outbound call is logged on the number dialled; a missed one is 'not reached' (6); internal: nothing", () => {
    const out = only(
      planAmocrm(
        callRecord({
          direction: "outbound",
          from: { number: null, extension: "101" },
          to: { number: CLIENT, extension: null },
          outcome: "missed",
          answeredAt: null,
        }),
      ),
    );
    expect(out.input).toMatchObject({ direction: "outbound", phone: CLIENT, callStatus: 6, duration: 0 });
    expect(planAmocrm(callRecord({ direction: "internal" }))).toEqual([]);
  });

  test("R2.7: crm.unsorted.create plans unsorted.sip with the DID's pipeline as a number", () => {
    const plan = only(
      planAmocrm(
        record("crm.unsorted.create", "call-1:0", { ...head("R2.7"), did: "+74950000001", pipeline: "7001" }),
      ),
    );
    expect(plan).toMatchObject({
      name: "unsorted.sip",
      orderKey: CLIENT,
      input: { pipelineId: 7001, uniq: "call-1" },
    });
  });

  test("a record it cannot read, or a pipeline that is no amoCRM id, is one unreadable step (never silence)", () => {
    expect(only(planAmocrm(record("call.record", "x", { id: "x" }))).name).toBe("unreadable");
    expect(
      only(
        planAmocrm(
          record("crm.unsorted.create", "call-1:0", { ...head("R2.7"), did: null, pipeline: "sales" }),
        ),
      ).name,
    ).toBe("unreadable");
  });

  test("R3.4: the intents map to contact, lead and task steps keyed by the client's number; R3.6a reopen needs nothing", () => {
    expect(
      only(
        planAmocrm(
          record("crm.client.create", "call-1:0", { ...head("R3.4"), responsibleEmployeeId: "emp-anna" }),
        ),
      ).name,
    ).toBe("contact.create");
    expect(
      only(
        planAmocrm(
          record("crm.order.create", "call-1:1", {
            ...head("R3.4"),
            clientId: null,
            responsibleEmployeeId: "emp-anna",
            did: null,
          }),
        ),
      ).name,
    ).toBe("lead.create");
    const task = only(
      planAmocrm(
        record("crm.task.create", "call-1:2", {
          ...head("R3.4"),
          clientId: null,
          assigneeEmployeeId: "emp-anna",
          status: "open",
          purpose: "call-back",
          recordingUrl: null,
        }),
      ),
    );
    expect(task).toMatchObject({
      name: "task.create",
      orderKey: CLIENT,
      input: { completed: false, completeTill: 1_700_000_050 + 3600 },
    });
    expect(String(task.input.text)).toContain("[branchbox call-1:2]");
    expect(
      planAmocrm(record("crm.client.reopen", "call-1:3", { ...head("R3.6a"), clientId: "c-1" })),
    ).toEqual([]);
  });
});

describe("amoCRM run against the wire fake", () => {
  test("R2.5: a call is logged once with its recording link, even when the step runs twice", async () => {
    const amo = start();
    const crm = connector(amo);
    expect(
      (
        await crm.run(
          stepOf(
            only(
              planAmocrm(
                record("crm.client.create", "call-1:0", {
                  ...head("R3.4"),
                  responsibleEmployeeId: "emp-anna",
                }),
              ),
            ),
          ),
        )
      ).kind,
    ).toBe("done");
    const step = stepOf(only(planAmocrm(callRecord())));
    expect((await crm.run(step)).kind).toBe("done");
    expect((await crm.run(step)).kind).toBe("done");
    expect(amo.calls).toHaveLength(1);
    expect(amo.calls[0]).toMatchObject({
      uniq: "call-1",
      source: "branchbox",
      link: "https://hq.example.ru/rec/call-1.mp3",
      responsible_user_id: 501,
      call_status: 4,
      duration: 42,
    });
    const posts = amo.received.filter((r) => r.path === "/api/v4/calls");
    expect(posts.every((r) => r.auth === "Bearer access-1")).toBe(true);
  });

  test("an employee with no amoCRM user parks with CRM.UNMAPPED_EMPLOYEE, sending nothing", async () => {
    const amo = start();
    const outcome = await connector(amo).run(
      stepOf(
        only(planAmocrm(callRecord({ owner: { employeeId: "emp-zoe", rule: "dedicated", reason: "." } }))),
      ),
    );
    expect(outcome).toMatchObject({ kind: "park", code: "CRM.UNMAPPED_EMPLOYEE" });
    expect(amo.received.filter((r) => r.path.startsWith("/api/"))).toHaveLength(0);
  });

  test("a call amoCRM drops (2xx with the call in errors: no contact) is retried, then parked with the reason", async () => {
    const amo = start();
    const crm = connector(amo);
    const plan = only(planAmocrm(callRecord()));
    expect(await crm.run(stepOf(plan))).toMatchObject({ kind: "retry", afterMs: 60_000 });
    const parked = await crm.run(stepOf(plan, 4));
    expect(parked).toMatchObject({ kind: "park", code: "CRM.REJECTED" });
    expect(parked.kind === "park" && parked.reason).toContain("Entity not found");
    expect(amo.calls).toHaveLength(0);
  });

  test("R2.7: an unknown number lands in unsorted in the DID's pipeline, once on re-run", async () => {
    const amo = start();
    const crm = connector(amo);
    const step = stepOf(
      only(
        planAmocrm(
          record("crm.unsorted.create", "call-1:0", {
            ...head("R2.7"),
            did: "+74950000001",
            pipeline: "7001",
          }),
        ),
      ),
    );
    expect((await crm.run(step)).kind).toBe("done");
    expect((await crm.run(step)).kind).toBe("done");
    expect(amo.unsorted).toHaveLength(1);
    expect(amo.unsorted[0]).toMatchObject({
      pipeline_id: 7001,
      source_uid: "branchbox",
      metadata: { is_call_event_needed: true, phone: CLIENT, uniq: "call-1", called_at: 1_700_000_050 },
      _embedded: {
        contacts: [{ custom_fields_values: [{ field_code: "PHONE", values: [{ value: CLIENT }] }] }],
      },
    });
  });

  test("R2.7: the unsorted body has every key of amoCRM's documented example (fixtures/crm/amocrm/real)", async () => {
    const amo = start();
    await connector(amo).run(
      stepOf(
        only(
          planAmocrm(
            record("crm.unsorted.create", "call-1:0", { ...head("R2.7"), did: null, pipeline: null }),
          ),
        ),
      ),
    );
    const [real] = JSON.parse(
      readFileSync(`${import.meta.dir}/../../fixtures/crm/amocrm/real/unsorted-sip-request.json`, "utf8"),
    );
    const sent = amo.received.find((r) => r.path === "/api/v4/leads/unsorted/sip")?.body as Record<
      string,
      unknown
    >[];
    const keys = (o: unknown) => Object.keys(o as object).sort();
    // All but `link`: crm.unsorted.create carries no recording (the call.record's link is not joined yet)
    expect(keys(sent[0]?.metadata)).toEqual(keys(real.metadata).filter((k) => k !== "link"));
    for (const key of ["source_name", "source_uid", "created_at", "metadata", "_embedded"])
      expect(sent[0]).toHaveProperty(key);
    expect(sent[0]).not.toHaveProperty("pipeline_id");
  });

  test("R3.4: the task goes on the number's contact for the mapped user, once on re-run; reassign changes the responsible", async () => {
    const amo = start();
    const crm = connector(amo);
    await crm.run(
      stepOf(
        only(
          planAmocrm(
            record("crm.client.create", "call-1:0", { ...head("R3.4"), responsibleEmployeeId: "emp-anna" }),
          ),
        ),
      ),
    );
    const task = stepOf(
      only(
        planAmocrm(
          record("crm.task.create", "call-1:2", {
            ...head("R3.4"),
            clientId: null,
            assigneeEmployeeId: "emp-anna",
            status: "completed",
            purpose: "call-logged",
            recordingUrl: "https://hq.example.ru/rec/call-1.mp3",
          }),
        ),
      ),
    );
    expect((await crm.run(task)).kind).toBe("done");
    expect((await crm.run(task)).kind).toBe("done");
    expect(amo.tasks).toHaveLength(1);
    expect(amo.tasks[0]).toMatchObject({
      entity_type: "contacts",
      entity_id: amo.contacts[0]?.id,
      responsible_user_id: 501,
      is_completed: true,
    });
    const lead = stepOf(
      only(
        planAmocrm(
          record("crm.order.create", "call-1:1", {
            ...head("R3.4"),
            clientId: null,
            responsibleEmployeeId: "emp-anna",
            did: null,
          }),
        ),
      ),
    );
    expect((await crm.run(lead)).kind).toBe("done");
    expect((await crm.run(lead)).kind).toBe("done");
    expect(amo.leads).toHaveLength(1);
    const reassign = stepOf(
      only(
        planAmocrm(
          record("crm.client.reassign", "call-1:3", {
            ...head("R3.6b"),
            clientId: "c-1",
            from: "emp-anna",
            to: "emp-boris",
          }),
        ),
      ),
    );
    expect((await crm.run(reassign)).kind).toBe("done");
    expect(amo.contacts[0]?.responsible_user_id).toBe(502);
  });

  test("OAuth: a token within a minute of expiry is refreshed before use; each refresh rotates and the old refresh token is dead", async () => {
    const amo = start({ expiresIn: 30 });
    const tokens = memoryTokens();
    const step = stepOf(
      only(
        planAmocrm(record("crm.client.create", "call-1:0", { ...head("R3.4"), responsibleEmployeeId: null })),
      ),
    );
    expect((await connector(amo, tokens).run(step)).kind).toBe("done");
    const refreshes = amo.received.filter((r) => r.path === "/oauth2/access_token");
    // contact.create makes two requests; 30 s to live is inside the margin, so each one refreshed
    expect(refreshes.map((r) => (r.body as { refresh_token: string }).refresh_token)).toEqual([
      "refresh-0",
      "refresh-1",
    ]);
    expect(refreshes[0]?.body).toMatchObject({
      grant_type: "refresh_token",
      client_id: "client-1",
      redirect_uri: CREDS.redirectUri,
    });
    expect(tokens.value).toMatchObject({ accessToken: "access-2", refreshToken: "refresh-2" });
    expect(amo.currentRefreshToken()).toBe("refresh-2");
    const replay = await fetch(`${amo.url}/oauth2/access_token`, {
      method: "POST",
      body: JSON.stringify({ ...(refreshes[0]?.body as object), refresh_token: "refresh-0" }),
    });
    expect(replay.status).toBe(400);
  });

  test("OAuth CAS: a second consumer refreshed first; this one re-reads and uses theirs instead of parking", async () => {
    const amo = start();
    const tokens = memoryTokens();
    const first = connector(amo, tokens);
    const second = connector(amo, tokens);
    const step = stepOf(
      only(
        planAmocrm(record("crm.client.create", "call-1:0", { ...head("R3.4"), responsibleEmployeeId: null })),
      ),
    );
    expect((await first.run(step)).kind).toBe("done");
    amo.expireAccessTokens(); // both now hold a dead access token; the first one refreshes on its 401
    expect((await first.run(step)).kind).toBe("done");
    expect(tokens.value?.refreshToken).toBe("refresh-2");
    // the second consumer's store view is the same: it must not try "refresh-1" again
    expect((await second.run(step)).kind).toBe("done");
    expect(amo.received.filter((r) => r.path === "/oauth2/access_token")).toHaveLength(2);
  });

  test("OAuth CAS: another consumer spent the same refresh token first; this one's 400 re-reads and uses theirs", async () => {
    const amo = start();
    const tokens = memoryTokens();
    tokens.value = { accessToken: "stale", refreshToken: "refresh-0", expiresAt: 0 };
    let raced = false;
    const racing: CrmTokenStore = {
      async get(kind) {
        const seen = await tokens.get(kind);
        if (!raced) {
          raced = true; // the other consumer refreshes with the same "refresh-0" and stores its pair
          const res = await fetch(`${amo.url}/oauth2/access_token`, {
            method: "POST",
            body: JSON.stringify({
              client_id: "client-1",
              client_secret: "secret-1",
              redirect_uri: CREDS.redirectUri,
              grant_type: "refresh_token",
              refresh_token: "refresh-0",
            }),
          });
          const body = (await res.json()) as { access_token: string; refresh_token: string };
          await tokens.put(
            kind,
            {
              accessToken: body.access_token,
              refreshToken: body.refresh_token,
              expiresAt: Date.now() + 3_600_000,
            },
            "refresh-0",
          );
        }
        return seen;
      },
      put: tokens.put,
    };
    const outcome = await connector(amo, racing).run(
      stepOf(
        only(
          planAmocrm(
            record("crm.client.create", "call-1:0", { ...head("R3.4"), responsibleEmployeeId: null }),
          ),
        ),
      ),
    );
    expect(outcome.kind).toBe("done");
    expect(tokens.value?.refreshToken).toBe("refresh-1");
    expect(
      amo.received.filter((r) => r.path.startsWith("/api/")).every((r) => r.auth === "Bearer access-1"),
    ).toBe(true);
  });

  test("OAuth: a refresh refused with 400 (invalid_grant) parks with CRM.REAUTHORISE and no token in the reason", async () => {
    const amo = start({ refreshToken: "another-grant" });
    const outcome = await connector(amo).run(stepOf(only(planAmocrm(callRecord()))));
    expect(outcome).toMatchObject({ kind: "park", code: "CRM.REAUTHORISE" });
    expect(JSON.stringify(outcome)).not.toContain("refresh-0");
    expect(JSON.stringify(outcome)).not.toContain("secret-1");
  });

  test("rate: past 7 requests a second amoCRM answers 429 and the step retries after Retry-After", async () => {
    const amo = start({ ratePerSecond: 7 });
    const crm = connector(amo);
    const step = stepOf(
      only(
        planAmocrm(record("crm.client.create", "call-1:0", { ...head("R3.4"), responsibleEmployeeId: null })),
      ),
    );
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => crm.run(step)));
    const throttled = outcomes.find((o) => o.kind === "retry");
    expect(throttled).toMatchObject({ kind: "retry", afterMs: 1000 });
    expect(crm.ratePerSecond).toBe(7);
  });

  test("a 400 with validation errors parks with amoCRM's field messages", async () => {
    const amo = start();
    const plan = only(planAmocrm(callRecord()));
    const broken = { ...plan, input: { ...plan.input, duration: undefined } };
    const crm = connector(amo);
    await crm.run(
      stepOf(
        only(
          planAmocrm(
            record("crm.client.create", "call-1:0", { ...head("R3.4"), responsibleEmployeeId: null }),
          ),
        ),
      ),
    );
    const outcome = await crm.run(stepOf(broken));
    expect(outcome).toMatchObject({ kind: "park", code: "CRM.REJECTED" });
    expect(outcome.kind === "park" && outcome.reason).toContain("duration: This field is missing.");
  });
});
