// The Bitrix24 connector (issue 19) against a wire fake of a portal and its authorisation server
// (test/support/fake-bitrix24.ts), and against the answers Bitrix24's documentation prints
// (test/fixtures/crm/bitrix24/real/).
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isPublicRecordingUrl } from "../../../src/hq/crm/bitrix24/bitrix24-plan.ts";
import { createBitrix24Connector } from "../../../src/hq/crm/bitrix24/index.ts";
import type {
  CrmConnector,
  CrmOutcome,
  CrmRecord,
  CrmStep,
  CrmTokenStore,
  CrmTokens,
} from "../../../src/hq/crm/crm-port.ts";
import type { CrmConfig } from "../../../src/hq/hq-config.ts";
import { type FakeBitrix24, startFakeBitrix24 } from "../../support/fake-bitrix24.ts";
import { record } from "../../support/fake-calls.ts";
import { eventually } from "../../support/sync-system.ts";
import { capturingLogger } from "../hq-fixtures.ts";

const CLIENT = { clientId: "local.6763ea1b2c7d49.12345678", clientSecret: "s3cret-client-secret-value" };
const FIRST_REFRESH = "first-refresh-token-0123456789";
const REAL = join(import.meta.dir, "../../fixtures/crm/bitrix24/real");
const real = (name: string) => readFileSync(join(REAL, name), "utf8");

/** A CrmTokenStore in memory, with the port's compare-and-set. */
function memoryTokens(): CrmTokenStore & { value: CrmTokens | null } {
  const store = {
    value: null as CrmTokens | null,
    get: async () => store.value,
    put: async (_kind: string, tokens: CrmTokens, previous: string | null) => {
      if ((store.value?.refreshToken ?? null) !== previous) return false;
      store.value = tokens;
      return true;
    },
  };
  return store;
}

function config(url: string, fields: Partial<CrmConfig> = {}): CrmConfig {
  return {
    kind: "bitrix24",
    url,
    api_key: "",
    site: "",
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    redirect_uri: "",
    refresh_token: FIRST_REFRESH,
    users: [],
    rate_per_second: 0,
    ...fields,
  };
}

/** Employees → Bitrix24 users: anna is 1269, olga 7; boris maps to a user the portal does not have. */
const USERS: Record<string, string> = { anna: "1269", olga: "7", boris: "999" };

function connector(fake: FakeBitrix24, tokens = memoryTokens(), fields: Partial<CrmConfig> = {}) {
  return createBitrix24Connector(config(fake.url, fields), {
    users: { userOf: (employee) => USERS[employee] ?? null },
    tokens,
    log: capturingLogger().log,
    now: Date.now,
    fetch: fake.fetch,
  });
}

let seq = 0;
function crmRecord(type: string, id: string, data: unknown): CrmRecord {
  seq += 1;
  return {
    branch: "b1",
    stream: type === "call.record" ? "calls" : "intents",
    record: { seq, id, ts: 0, type, data, epoch: 1, historical: false, appliedAt: 0 },
  };
}

const PUBLIC_REC = "https://records.example.ru/2026/03/10/c1.mp3";

/** What the core's runner does with one record, minus the durability: its steps in order, each retried until it settles. */
async function deliver(c: CrmConnector, rec: CrmRecord): Promise<CrmOutcome[]> {
  const outcomes: CrmOutcome[] = [];
  const earlier: Record<string, Readonly<Record<string, unknown>>> = {};
  for (const [i, plan] of c.plan(rec).entries()) {
    const outcome = await settle(c, step(rec, i, plan.name, plan.input, earlier));
    outcomes.push(outcome);
    if (outcome.kind !== "done") break;
    earlier[plan.name] = outcome.result ?? {};
  }
  return outcomes;
}

function step(
  rec: CrmRecord,
  i: number,
  name: string,
  input: Readonly<Record<string, unknown>>,
  earlier: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): CrmStep {
  return {
    id: rec.record.seq * 10 + i,
    recordKey: `${rec.branch}:${rec.stream}:${rec.record.seq}`,
    branch: rec.branch,
    recordId: rec.record.id,
    name,
    orderKey: "",
    input,
    attempts: 0,
    earlier: { ...earlier },
  };
}

/** Runs `s` until it is done or parked (a retry is tried again: the runner's backoff, minus the wait). */
async function settle(c: CrmConnector, s: CrmStep): Promise<CrmOutcome> {
  let outcome: CrmOutcome = { kind: "retry", reason: "not run" };
  await eventually(
    `${s.name} settles`,
    async () => {
      outcome = await c.run(s);
      return outcome.kind !== "retry";
    },
    10_000,
    () => JSON.stringify(outcome),
  );
  return outcome;
}

const finished = (fake: FakeBitrix24) => [...fake.calls.values()].filter((call) => call.finished !== null);

let fakes: FakeBitrix24[] = [];
const start = (options: { ratePerSecond?: number } = {}) => {
  const fake = startFakeBitrix24({ ...CLIENT, refreshToken: FIRST_REFRESH, users: [1, 7, 1269], ...options });
  fakes.push(fake);
  return fake;
};
afterEach(async () => {
  await Promise.all(fakes.map((fake) => fake.stop()));
  fakes = [];
});

describe("plan: what Bitrix24 is told of each record", () => {
  const c = createBitrix24Connector(config("https://portal.bitrix24.ru"), {
    users: { userOf: () => null },
    tokens: memoryTokens(),
    log: capturingLogger().log,
    now: Date.now,
  });

  test("R2.5: an inbound answered call with a recording is register → finish → attachRecord, in the client's order", () => {
    const call = record("c1", "2026-03-10T12:00:00Z", { recordingUrl: PUBLIC_REC });
    const steps = c.plan(crmRecord("call.record", "c1", call));
    expect(steps.map((s) => s.name)).toEqual(["call.register", "call.finish", "call.attach-record"]);
    expect(steps.map((s) => s.orderKey)).toEqual(["+79991234567", "+79991234567", "+79991234567"]);
    expect(steps[0]?.input).toEqual({
      externalCallId: "c1",
      employeeId: "anna",
      phone: "+79991234567",
      type: 2,
      startDate: "2026-03-10T12:00:00.000Z",
      line: "+74951234567",
    });
    expect(steps[1]?.input).toEqual({ employeeId: "anna", duration: 120, statusCode: "200" });
    expect(steps[2]?.input).toEqual({ recordingUrl: PUBLIC_REC });
  });

  test("an outbound call is TYPE 1 to the dialled number; a missed one finishes 304 with no duration; no recording, no attach", () => {
    const out = record("c2", "2026-03-10T12:00:00Z", {
      direction: "outbound",
      from: { number: null, extension: "101" },
      to: { number: "+79990000001", extension: null },
      did: null,
    });
    const [register] = c.plan(crmRecord("call.record", "c2", out));
    expect(register?.input).toMatchObject({ type: 1, phone: "+79990000001", line: null });
    const missed = record("c3", "2026-03-10T12:00:00Z", { outcome: "missed", answeredAt: null });
    const steps = c.plan(crmRecord("call.record", "c3", missed));
    expect(steps.map((s) => s.name)).toEqual(["call.register", "call.finish"]);
    expect(steps[1]?.input).toEqual({ employeeId: "anna", duration: 0, statusCode: "304" });
  });

  test("an internal call and the intents Bitrix24 models through the call itself plan nothing", () => {
    const internal = record("c4", "2026-03-10T12:00:00Z", { direction: "internal" });
    expect(c.plan(crmRecord("call.record", "c4", internal))).toEqual([]);
    const head = { callId: "c1", rule: "R3.4", reason: "new number", number: "+79991234567" };
    expect(
      c.plan(crmRecord("crm.client.create", "c1:1", { ...head, responsibleEmployeeId: "anna" })),
    ).toEqual([]);
    expect(c.plan(crmRecord("crm.unsorted.create", "c1:2", { ...head, did: null, pipeline: null }))).toEqual(
      [],
    );
  });

  test("R3.5a: a task intent is one task.create step on the client's number", () => {
    const steps = c.plan(crmRecord("crm.task.create", "c1:1", taskIntent()));
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({
      name: "task.create",
      orderKey: "+79991234567",
      input: { intentId: "c1:1", employeeId: "olga", phone: "+79991234567", completed: true },
    });
  });

  test("R2.5: only an http(s) URL on a public name or address is handed to Bitrix24, which blocks private ones", () => {
    const verdicts = Object.fromEntries(
      [
        PUBLIC_REC,
        "http://93.184.216.34/rec/c1.wav",
        "http://192.168.1.10/monitor/c1.wav",
        "http://10.0.0.5/c1.mp3",
        "http://172.20.1.1/c1.mp3",
        "http://127.0.0.1:8080/c1.mp3",
        "http://pbx/c1.mp3",
        "https://pbx.branch.local/c1.mp3",
        "http://[::1]/c1.mp3",
        "file:///var/spool/asterisk/monitor/c1.wav",
        "/var/spool/asterisk/monitor/c1.wav",
      ].map((url) => [url, isPublicRecordingUrl(url)]),
    );
    expect(
      Object.entries(verdicts)
        .filter(([, open]) => open)
        .map(([url]) => url),
    ).toEqual([PUBLIC_REC, "http://93.184.216.34/rec/c1.wav"]);
  });

  test("a record that does not parse is one step that parks with CRM.UNREADABLE_RECORD, never an exception", async () => {
    const rec = crmRecord("call.record", "bad", { id: "bad", direction: "sideways" });
    const steps = c.plan(rec);
    expect(steps.map((s) => s.name)).toEqual(["record.unreadable"]);
    const outcome = await c.run(step(rec, 0, "record.unreadable", steps[0]?.input ?? {}, {}));
    expect(outcome).toMatchObject({ kind: "park", code: "CRM.UNREADABLE_RECORD" });
  });
});

function taskIntent(fields: Record<string, unknown> = {}) {
  return {
    callId: "c1",
    rule: "R3.5a",
    reason: "olga, the responsible, answered",
    number: "+79991234567",
    clientId: "client-1",
    assigneeEmployeeId: "olga",
    status: "completed",
    purpose: "call-logged",
    recordingUrl: PUBLIC_REC,
    ...fields,
  };
}

describe("against the fake portal", () => {
  test("R2.5: a call reaches Bitrix24 once: registered (app auth, EXTERNAL_CALL_ID, no card), finished, its record attached", async () => {
    const fake = start();
    const tokens = memoryTokens();
    const c = connector(fake, tokens);
    const call = record("c1", "2026-03-10T12:00:00Z", { recordingUrl: PUBLIC_REC });
    const outcomes = await deliver(c, crmRecord("call.record", "c1", call));
    expect(outcomes.map((o) => o.kind)).toEqual(["done", "done", "done"]);
    expect(fake.refused).toEqual([]);
    const register = fake.requests.find((r) => r.method === "telephony.externalcall.register");
    expect(register?.params).toEqual({
      USER_ID: 1269,
      PHONE_NUMBER: "+79991234567",
      TYPE: 2,
      CALL_START_DATE: "2026-03-10T12:00:00.000Z",
      CRM_CREATE: 1,
      SHOW: 0,
      EXTERNAL_CALL_ID: "c1",
      LINE_NUMBER: "+74951234567",
    });
    const [only] = finished(fake);
    expect(fake.calls.size).toBe(1);
    expect(only).toMatchObject({ finished: { DURATION: 120, STATUS_CODE: "200" }, record: PUBLIC_REC });
    expect(fake.requests.find((r) => r.method === "telephony.externalcall.attachrecord")?.params).toEqual({
      CALL_ID: only?.CALL_ID,
      RECORD_URL: PUBLIC_REC,
      FILENAME: "c1.mp3",
    });
    // The first refresh token was spent for a pair the store now holds.
    expect(tokens.value?.refreshToken).toBe(fake.refreshTokens.at(-1));
    expect(fake.refreshTokens).toHaveLength(2);
  });

  test("a register run again after a crash, and the whole call sent again later, still make one call", async () => {
    const fake = start();
    const c = connector(fake);
    const rec = crmRecord(
      "call.record",
      "c1",
      record("c1", "2026-03-10T12:00:00Z", { recordingUrl: PUBLIC_REC }),
    );
    const [registerPlan, finishPlan] = c.plan(rec);
    if (registerPlan === undefined || finishPlan === undefined) throw new Error("no plan");
    // HQ stopped after Bitrix24's answer, before the row kept the CALL_ID: register runs again.
    const first = await settle(c, step(rec, 0, registerPlan.name, registerPlan.input, {}));
    const again = await settle(c, step(rec, 0, registerPlan.name, registerPlan.input, {}));
    expect(again).toEqual(first);
    const earlier = { [registerPlan.name]: (again as { result: Record<string, unknown> }).result };
    const done = await settle(c, step(rec, 1, finishPlan.name, finishPlan.input, earlier));
    // And finish again, after it succeeded: the statistics say it is finished.
    expect(await settle(c, step(rec, 1, finishPlan.name, finishPlan.input, earlier))).toEqual(done);
    // The branch sends the call again (same id, changed): it is found, not registered nor finished again.
    const registers = fake.requests.filter((r) => r.method === "telephony.externalcall.register").length;
    const resent = await deliver(
      c,
      crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z", { recordingUrl: PUBLIC_REC })),
    );
    expect(resent.map((o) => o.kind)).toEqual(["done", "done", "done"]);
    expect(fake.requests.filter((r) => r.method === "telephony.externalcall.register")).toHaveLength(
      registers,
    );
    expect(fake.calls.size).toBe(1);
    expect(finished(fake)).toHaveLength(1);
    expect(fake.leads.size).toBe(1);
  });

  test("a register repeated after Bitrix24's 30-minute window leaves an unfinished registration, still one call and one lead", async () => {
    const fake = start();
    const c = connector(fake);
    const rec = crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z"));
    const [registerPlan] = c.plan(rec);
    if (registerPlan === undefined) throw new Error("no plan");
    await settle(c, step(rec, 0, registerPlan.name, registerPlan.input, {}));
    fake.advance(31 * 60_000);
    expect((await deliver(c, rec)).map((o) => o.kind)).toEqual(["done", "done"]);
    expect(fake.calls.size).toBe(2);
    expect(finished(fake)).toHaveLength(1);
    expect(fake.leads.size).toBe(1);
  });

  test("expired_token: the pair is refreshed (the refresh token rotates) and the call repeated; a second consumer uses the stored pair", async () => {
    const fake = start();
    const tokens = memoryTokens();
    const a = connector(fake, tokens);
    const b = connector(fake, tokens);
    await deliver(a, crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z")));
    fake.expireAccessTokens();
    const outcomes = await deliver(a, crmRecord("call.record", "c2", record("c2", "2026-03-10T12:05:00Z")));
    expect(outcomes.map((o) => o.kind)).toEqual(["done", "done"]);
    expect(fake.refused.map((r) => r.error)).toEqual(["expired_token"]);
    expect(fake.refreshTokens).toHaveLength(3);
    expect(tokens.value?.refreshToken).toBe(fake.refreshTokens[2]);
    await deliver(b, crmRecord("call.record", "c3", record("c3", "2026-03-10T12:10:00Z")));
    expect(fake.refreshTokens).toHaveLength(3);
    expect(finished(fake)).toHaveLength(3);
  });

  test("a refresh token Bitrix24 no longer takes parks with CRM.REAUTHORISE, naming no secret", async () => {
    const fake = start();
    const c = connector(fake, memoryTokens(), { refresh_token: "revoked-refresh-token-000" });
    const [outcome] = await deliver(c, crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z")));
    expect(outcome).toMatchObject({ kind: "park", code: "CRM.REAUTHORISE" });
    const reason = JSON.stringify(outcome);
    for (const secret of [CLIENT.clientSecret, "revoked-refresh-token-000"])
      expect(reason).not.toContain(secret);
  });

  test("QUERY_LIMIT_EXCEEDED (503) is retried until the portal takes it; the connector asks for Bitrix24's 2 requests/s", async () => {
    const fake = start({ ratePerSecond: 2 });
    const c = connector(fake);
    expect(c.ratePerSecond).toBe(2);
    const retries: string[] = [];
    const counting: CrmConnector = {
      ...c,
      run: async (s) => {
        const outcome = await c.run(s);
        if (outcome.kind === "retry") retries.push(outcome.reason);
        return outcome;
      },
    };
    // Four requests in a row (statistics, register, finish, attachRecord): the third is refused.
    const outcomes = await deliver(
      counting,
      crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z", { recordingUrl: PUBLIC_REC })),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(["done", "done", "done"]);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((reason) => reason.includes("HTTP 503 QUERY_LIMIT_EXCEEDED"))).toBe(true);
    expect(fake.refused.every((r) => r.error === "QUERY_LIMIT_EXCEEDED")).toBe(true);
    expect(finished(fake)).toHaveLength(1);
  }, 30_000);

  test("a field Bitrix24 refuses parks with its description (CRM.REJECTED); an unmapped employee parks with CRM.UNMAPPED_EMPLOYEE", async () => {
    const fake = start();
    const c = connector(fake);
    const boris = record("c1", "2026-03-10T12:00:00Z", {
      owner: { employeeId: "boris", rule: "dedicated", reason: "boris's own extension" },
    });
    const [rejected] = await deliver(c, crmRecord("call.record", "c1", boris));
    expect(rejected).toEqual({
      kind: "park",
      code: "CRM.REJECTED",
      reason: "telephony.externalcall.register: HTTP 400 ERROR_CORE: User is not found or is not active.",
    });
    const nobody = record("c2", "2026-03-10T12:00:00Z", {
      owner: { employeeId: "ivan", rule: "dedicated", reason: "ivan's own extension" },
    });
    const [unmapped] = await deliver(c, crmRecord("call.record", "c2", nobody));
    expect(unmapped).toMatchObject({ kind: "park", code: "CRM.UNMAPPED_EMPLOYEE" });
    expect(fake.calls.size).toBe(0);
  });

  test("R2.5: a recording behind a private URL parks with CRM.RECORDING_NOT_AVAILABLE, the call itself delivered; none is sent to Bitrix24", async () => {
    const fake = start();
    const c = connector(fake);
    const call = record("c1", "2026-03-10T12:00:00Z", { recordingUrl: "http://192.168.1.10/monitor/c1.wav" });
    const outcomes = await deliver(c, crmRecord("call.record", "c1", call));
    expect(outcomes.map((o) => o.kind)).toEqual(["done", "done", "park"]);
    expect(outcomes[2]).toMatchObject({ code: "CRM.RECORDING_NOT_AVAILABLE" });
    expect(fake.requests.some((r) => r.method === "telephony.externalcall.attachrecord")).toBe(false);
    expect(finished(fake)).toHaveLength(1);
  });

  test("R3.5a: a task is added once, on the mapped user, bound to the number's lead, completed, tagged with its intent", async () => {
    const fake = start();
    const c = connector(fake);
    await deliver(c, crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z")));
    const rec = crmRecord("crm.task.create", "c1:1", taskIntent());
    expect(await deliver(c, rec)).toEqual([{ kind: "done", result: { taskId: "3711" } }]);
    expect(await deliver(c, rec)).toEqual([{ kind: "done", result: { taskId: "3711" } }]);
    expect(fake.tasks).toHaveLength(1);
    expect(fake.tasks[0]?.fields).toMatchObject({
      RESPONSIBLE_ID: 7,
      STATUS: 5,
      TAGS: ["branchbox-c1:1"],
      UF_CRM_TASK: [`L_${fake.leads.get("+79991234567")}`],
    });
  });
});

describe("real answers from Bitrix24's documentation", () => {
  /** A portal that answers each method with the documented body (and status). */
  function documented(answers: Record<string, { file: string; status?: number }>): typeof fetch {
    const stub = async (input: string | URL | Request) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.hostname === "oauth.bitrix.info") return new Response(real("oauth-refresh.response.json"));
      const method = url.pathname.replace(/^\/rest\//, "").replace(/\.json$/, "");
      const answer = answers[method];
      if (answer === undefined) return Response.json({ result: [] });
      return new Response(real(answer.file), { status: answer.status ?? 200 });
    };
    return Object.assign(stub, { preconnect: fetch.preconnect });
  }

  function realConnector(
    answers: Record<string, { file: string; status?: number }>,
    tokens = memoryTokens(),
  ) {
    return createBitrix24Connector(config("https://portal.bitrix24.ru"), {
      users: { userOf: (employee) => USERS[employee] ?? null },
      tokens,
      log: capturingLogger().log,
      now: Date.now,
      fetch: documented(answers),
    });
  }

  test("the documented register answer gives its CALL_ID; the refresh answer's pair is stored", async () => {
    const tokens = memoryTokens();
    const c = realConnector(
      { "telephony.externalcall.register": { file: "register.response.json" } },
      tokens,
    );
    const rec = crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z"));
    const [registerPlan] = c.plan(rec);
    const outcome = await c.run(step(rec, 0, "call.register", registerPlan?.input ?? {}, {}));
    expect(outcome).toEqual({
      kind: "done",
      result: { CALL_ID: "externalCall.716f1cb73def9700a23842adf9c4c568.1773130779" },
    });
    expect(tokens.value).toMatchObject({
      accessToken: "ydtj8pho532wydb5ixk78ol7uqlb7sch",
      refreshToken: "3s6lr4kr3cv2od4v853gvrchb875bwxb",
    });
  });

  test("the documented errors park with their description", async () => {
    const c = realConnector({
      "telephony.externalcall.register": { file: "register.error.json", status: 400 },
    });
    const rec = crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z"));
    const [registerPlan] = c.plan(rec);
    expect(await c.run(step(rec, 0, "call.register", registerPlan?.input ?? {}, {}))).toEqual({
      kind: "park",
      code: "CRM.REJECTED",
      reason: "telephony.externalcall.register: HTTP 400 ERROR_CORE: Unknown TYPE",
    });
  });

  test("a call the documented statistics hold is finished: register finds it and asks no register", async () => {
    const c = realConnector({ "voximplant.statistic.get": { file: "statistic-get.response.json" } });
    const rec = crmRecord("call.record", "c1", record("c1", "2026-03-10T12:00:00Z"));
    const [registerPlan] = c.plan(rec);
    expect(await c.run(step(rec, 0, "call.register", registerPlan?.input ?? {}, {}))).toEqual({
      kind: "done",
      result: { CALL_ID: "11018129443EB80D.1754478570.11438214", finished: true },
    });
  });

  test("R3.5a: the documented task answers: an existing task is found by tag; else one is added, bound to the contact", async () => {
    const found = realConnector({ "tasks.task.list": { file: "task-list.response.json" } });
    const rec = crmRecord("crm.task.create", "c1:1", taskIntent());
    const [taskPlan] = found.plan(rec);
    expect(await found.run(step(rec, 0, "task.create", taskPlan?.input ?? {}, {}))).toEqual({
      kind: "done",
      result: { taskId: "8017" },
    });
    const added = realConnector({
      "telephony.externalCall.searchCrmEntities": { file: "search-crm-entities.response.json" },
      "tasks.task.add": { file: "task-add.response.json" },
    });
    expect(await added.run(step(rec, 0, "task.create", taskPlan?.input ?? {}, {}))).toEqual({
      kind: "done",
      result: { taskId: "3711" },
    });
  });
});
