import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Envelope, PROTOCOL_VERSION, type SyncRecord } from "../../src/contract/protocol.ts";
import { fleetMango } from "../../src/hq/fleet/fleet-mango.ts";
import { fleetRows } from "../../src/hq/fleet/fleet-view.ts";
import { createFleetWatch } from "../../src/hq/fleet/fleet-watch.ts";
import { hqHttpApp } from "../../src/hq/hq-http.ts";
import {
  openHqDatabase,
  openSqliteHqStore,
  sqliteHqStore,
  sqliteMangoCommandStore,
  sqliteMangoStore,
  sqliteMangoSweepStore,
} from "../../src/hq/store/sqlite/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { sseReader } from "../support/sse-reader.ts";
import { tempDir } from "./hq-fixtures.ts";

const TOKEN = "hq-fleet-token-0123456789";
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const MIN = 60_000;
const ORIGIN = "http://localhost";

const fact = (seq: number, kind: string, employeeId: string, deskId: string | null, at: number) => ({
  id: `fact-${seq}`,
  seq,
  ts: at,
  type: "roster.fact",
  data: { seq, kind, employeeId, deskId, at, recordedAt: at, source: "kiosk", actorId: null },
});
const call = (seq: number, id: string, startedAt: number) => ({
  id,
  seq,
  ts: startedAt,
  type: "call.record",
  data: {
    id,
    source: "ami:pbx.test",
    direction: "inbound",
    from: { number: "+74950000001", extension: null },
    to: { number: null, extension: "101" },
    did: "+74951111111",
    startedAt,
    answeredAt: startedAt + 5000,
    endedAt: startedAt + 65_000,
    outcome: "answered",
    legs: [],
    owner: { employeeId: "emp-anna", rule: "desk-checkin", reason: "Anna held the front desk" },
    pops: [],
    recordingUrl: null,
    partOf: null,
    recovered: null,
  },
});
const env = (branch: string, stream: string, records: SyncRecord[]): Envelope => ({
  v: PROTOCOL_VERSION,
  branch,
  epoch: 1,
  stream,
  seqFrom: records[0]?.seq ?? 1,
  seqTo: records.at(-1)?.seq ?? 1,
  historical: false,
  records,
});

describe("the fleet page (issue 18)", () => {
  const store = openSqliteHqStore(tempDir("hq-fleet"), { forward: false });
  const watch = createFleetWatch();
  let now = NOW;
  const app = hqHttpApp({
    store,
    token: TOKEN,
    status: () => ({ mqtt: "connected", counters: {}, waiting: { streams: 0, records: 0 } }),
    fleet: {
      watch,
      log: silentLogger,
      now: () => now,
      alertMinutes: 15,
      maxShiftMs: 14 * 3600_000,
      waiting: (branch) => new Map(branch === "msk-01" ? [["roster", 7]] : []),
    },
  });
  beforeAll(async () => {
    await store.apply(
      [
        env("msk-01", "roster", [
          fact(1, "check-in", "emp-anna", "front", NOW - 3 * 3600_000),
          fact(2, "check-in", "emp-boris", "front", NOW - 2 * 3600_000),
          fact(3, "check-in", "emp-vera", "back", NOW - 90 * MIN),
          fact(4, "check-out", "emp-vera", null, NOW - 30 * MIN),
        ]),
        env("msk-01", "calls", [call(1, "call-1", NOW - 20 * MIN), call(2, "call-2", NOW - 10 * MIN)]),
      ],
      () => NOW - MIN,
    );
    const online = { online: true, epoch: 1, version: "0.9.0" } as const;
    for (const [branch, presence, at] of [
      ["msk-01", { ...online, backlog: 400 }, NOW - 5 * MIN],
      ["msk-01", { ...online, backlog: 100 }, NOW - MIN],
      ["spb-02", { online: false, epoch: 2 }, NOW - 3 * 3600_000],
      ["kzn-03", { online: false, epoch: 1 }, NOW - 5 * MIN],
      ["ekb-04", { ...online, backlog: 0 }, NOW - 60 * MIN],
    ] as const) {
      await store.presence(branch, presence, at);
      watch.presence(branch, presence);
    }
    watch.problem({
      at: NOW - 2 * MIN,
      branch: "msk-01",
      stream: "calls",
      code: "HQ.BAD_ENVELOPE",
      detail: "records.0.seq: expected a number",
    });
  });
  afterAll(() => store.close());

  const form = (token: string, origin = ORIGIN) =>
    app.request("/fleet/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin },
      body: new URLSearchParams({ token }).toString(),
    });
  const signIn = async () => {
    const response = await form(TOKEN);
    expect(response.status).toBe(303);
    return (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
  };

  test("without a session every page goes to the sign-in form (Russian first) and a live stream is 401", async () => {
    const page = await app.request("/fleet");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/fleet/login?lang=ru");
    expect((await app.request("/fleet/branch/msk-01")).status).toBe(303);
    expect((await app.request("/fleet/events")).status).toBe(401);
    expect((await app.request("/")).headers.get("location")).toBe("/fleet");
    const login = await app.request("/fleet/login");
    const html = await login.text();
    expect(html).toContain("Вход в штаб-квартиру");
    expect(login.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await (await app.request("/fleet/login?lang=en")).text()).toContain("Headquarters sign-in");
    // The JSON API keeps its bearer token: a session cookie is not enough.
    const cookie = await signIn();
    expect((await app.request("/api/v1/branches", { headers: { cookie } })).status).toBe(401);
  });

  test("the right token opens a signed HttpOnly SameSite=Strict session; a wrong or forged one does not", async () => {
    const wrong = await form("not-the-token-at-all");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("Токен не подошёл");
    const right = await form(TOKEN);
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe("/fleet?lang=ru");
    const setCookie = right.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^hq_session=/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0] as string;
    expect((await app.request("/fleet", { headers: { cookie } })).status).toBe(200);
    // The expiry is signed: a later one with the old signature is refused.
    const [name, value] = cookie.split("=") as [string, string];
    const [, signature] = decodeURIComponent(value).split(".");
    const forged = `${name}=${encodeURIComponent(`${NOW + 10 * 365 * 86_400_000}.${signature}`)}`;
    expect((await app.request("/fleet", { headers: { cookie: forged } })).status).toBe(303);
    // And it expires.
    now = NOW + 13 * 3600_000;
    expect((await app.request("/fleet", { headers: { cookie } })).status).toBe(303);
    now = NOW;
  });

  test("a sign-in from another origin is refused (CSRF), and so is a sign-out", async () => {
    expect((await form(TOKEN, "http://evil.example")).status).toBe(403);
    const cookie = await signIn();
    const out = await app.request("/fleet/logout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://evil.example", cookie },
    });
    expect(out.status).toBe(403);
  });

  test("sign-out clears the session cookie", async () => {
    const cookie = await signIn();
    const out = await app.request("/fleet/logout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, cookie },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^hq_session=;.*Max-Age=0/);
  });

  test("the fleet: offline past the alert first and marked, then by name; versions, backlog draining, lags, records held ahead of a gap", async () => {
    const cookie = await signIn();
    const html = await (await app.request("/fleet", { headers: { cookie } })).text();
    const order = ["spb-02", "ekb-04", "kzn-03", "msk-01"].map((b) =>
      html.indexOf(`data-testid="branch-${b}"`),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const row = (branch: string) => {
      const from = html.indexOf(`data-testid="branch-${branch}"`);
      return html.slice(html.lastIndexOf("<tr", from), html.indexOf("</tr>", from));
    };
    expect(row("spb-02")).toContain('<tr class="alert"');
    expect(row("spb-02")).toContain('data-testid="alert"');
    expect(row("spb-02")).toContain("Не на связи дольше 15 мин");
    expect(row("spb-02")).toContain("3 ч 0 мин");
    expect(row("kzn-03")).not.toContain("Не на связи дольше");
    expect(row("kzn-03")).toContain("не на связи");
    expect(row("msk-01")).toContain("на связи");
    expect(row("msk-01")).toContain("0.9.0");
    expect(row("msk-01")).toContain('<progress max="400" value="300"');
    expect(row("msk-01")).toContain("отправляет: осталось 100 из 400");
    expect(row("ekb-04")).not.toContain("<progress");
    expect(row("msk-01")).toContain("calls: #2, 10 мин");
    expect(row("msk-01")).toContain("roster: #4, 30 мин");
    expect(row("msk-01")).toContain("ждут пропущенных перед ними: 7");
    expect(row("ekb-04")).not.toContain('data-testid="waiting"');
    const en = await (await app.request("/fleet?lang=en", { headers: { cookie } })).text();
    expect(en).toContain("Offline longer than 15 min");
  });

  test("R0.3: a branch's page folds its roster facts into who holds each desk now; its calls and last errors", async () => {
    const cookie = await signIn();
    const response = await app.request("/fleet/branch/msk-01", { headers: { cookie } });
    expect(response.status).toBe(200);
    const html = await response.text();
    const desk = (id: string) => {
      const from = html.indexOf(`data-testid="desk-${id}"`);
      return html.slice(from, html.indexOf("</ul>", from));
    };
    // Anna checked in first, Boris after her at the same desk: Anna keeps the phone, both on shift.
    expect(desk("front")).toContain('data-testid="on-shift-emp-anna"');
    expect(desk("front").indexOf("у телефона")).toBeGreaterThan(desk("front").indexOf("emp-anna"));
    expect(desk("front").indexOf("у телефона")).toBeLessThan(desk("front").indexOf("emp-boris"));
    expect(desk("front")).toContain('data-testid="on-shift-emp-boris"');
    // Vera checked out: the back desk is there, nobody on it.
    expect(desk("back")).toContain("у телефона никого");
    expect(desk("back")).not.toContain("emp-vera");
    // The newest call first.
    expect(html.indexOf('data-testid="call-call-2"')).toBeGreaterThan(0);
    expect(html.indexOf('data-testid="call-call-2"')).toBeLessThan(html.indexOf('data-testid="call-call-1"'));
    expect(html).toContain("отвечен");
    expect(html).toContain("HQ.BAD_ENVELOPE");
    const unknown = await app.request("/fleet/branch/nowhere", { headers: { cookie } });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("Вернитесь к списку филиалов");
  });

  test("live: the fleet's stream sends the table, then again when records are committed", async () => {
    const cookie = await signIn();
    const controller = new AbortController();
    const response = await app.request("/fleet/events?lang=en", {
      headers: { cookie },
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = sseReader(response);
    await reader.until(/data: .*branch-msk-01/);
    expect(reader.state.received).not.toContain("calls: #3");
    await store.apply([env("msk-01", "calls", [call(3, "call-3", NOW - MIN)])], () => NOW);
    watch.applied();
    await reader.until(/calls: #3/);
    await reader.cancel();
    controller.abort();
  });

  test("wrong tokens lock the address out, the right one too, until the lock ends", async () => {
    for (let i = 0; i < 5; i++) expect((await form(`wrong-token-${i}-xxxxxxxx`)).status).toBe(401);
    const locked = await form(TOKEN);
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain("Попробуйте снова через 15 мин");
    now = NOW + 15 * MIN;
    expect((await form(TOKEN)).status).toBe(303);
    now = NOW;
  });
});

describe("fleetRows", () => {
  const view = (branch: string, online: boolean | null, stateAt: number | null) => ({
    branch,
    online,
    epoch: 1,
    version: null,
    backlog: online ? 5 : null,
    stateAt,
    lastRecordTs: null,
    streams: {},
  });
  test("the alert is past the threshold only, offline only; the longest offline first", () => {
    const rows = fleetRows(
      [
        view("a", false, NOW - 16 * MIN),
        view("b", false, NOW - 15 * MIN),
        view("c", null, null),
        view("d", false, NOW - 99 * MIN),
        view("e", true, NOW - 99 * MIN),
      ],
      () => undefined,
      NOW,
      15 * MIN,
    );
    expect(rows.map((r) => [r.branch, r.alert])).toEqual([
      ["d", true],
      ["a", true],
      ["b", false],
      ["c", false],
      ["e", false],
    ]);
    expect(rows.find((r) => r.branch === "c")?.state).toBe("unknown");
  });
  test("the bar's 100 % is the largest backlog since the branch came online (this epoch only)", () => {
    const peak = (epoch: number) => () => ({ epoch, peak: 50 });
    expect(fleetRows([view("e", true, NOW)], peak(1), NOW, MIN)[0]?.backlogPeak).toBe(50);
    expect(fleetRows([view("e", true, NOW)], peak(2), NOW, MIN)[0]?.backlogPeak).toBe(5);
  });
  test("records held ahead of a gap show on their stream, a stream with none stored yet too", () => {
    const stored = {
      ...view("e", true, NOW),
      streams: { roster: { through: 4, lastRecordTs: NOW - MIN, duplicates: 0, lastAppliedAt: NOW } },
    };
    const held = new Map([
      ["roster", 3],
      ["calls", 2],
    ]);
    const row = fleetRows(
      [stored],
      () => undefined,
      NOW,
      MIN,
      (b) => (b === "e" ? held : new Map()),
    )[0];
    expect(row?.streams).toEqual([
      { stream: "calls", through: 0, lagMs: null, waiting: 2 },
      { stream: "roster", through: 4, lagMs: MIN, waiting: 3 },
    ]);
    expect(fleetRows([stored], () => undefined, NOW, MIN)[0]?.streams[0]?.waiting).toBe(0);
  });
});

describe("the fleet's last errors", () => {
  test("the Applier tells of a bad envelope with its branch, stream and code", async () => {
    const { Applier } = await import("../../src/hq/applier.ts");
    const store = openSqliteHqStore(tempDir("hq-fleet-problems"), { forward: false });
    const watch = createFleetWatch();
    const applier = new Applier({
      store,
      log: silentLogger,
      reorderTimeoutMs: 2000,
      sendAck: () => {},
      onProblem: (p) => watch.problem({ ...p, at: NOW }),
    });
    await applier.receive("msk-01", "calls", { v: PROTOCOL_VERSION, branch: "msk-01" });
    expect(watch.problems("msk-01", 5)).toEqual([
      expect.objectContaining({ branch: "msk-01", stream: "calls", code: "HQ.BAD_ENVELOPE" }),
    ]);
    await store.close();
  });
  test("the Applier tells what it holds ahead of a gap, per stream of a branch, until the gap fills", async () => {
    const { Applier } = await import("../../src/hq/applier.ts");
    const store = openSqliteHqStore(tempDir("hq-fleet-waiting"), { forward: false });
    const applier = new Applier({ store, log: silentLogger, reorderTimeoutMs: 60_000, sendAck: () => {} });
    const facts = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) =>
        fact(from + i, "check-in", `emp-${from + i}`, "front", NOW),
      );
    await applier.receive("msk-01", "roster", env("msk-01", "roster", facts(4, 6)));
    await applier.receive("msk-02", "roster", env("msk-02", "roster", facts(1, 1)));
    expect(applier.waitingIn("msk-01")).toEqual(new Map([["roster", 3]]));
    expect(applier.waitingIn("msk-02")).toEqual(new Map());
    await applier.receive("msk-01", "roster", env("msk-01", "roster", facts(1, 3)));
    expect(applier.waitingIn("msk-01")).toEqual(new Map());
    expect((await store.branches()).find((b) => b.branch === "msk-01")?.streams.roster?.through).toBe(6);
    await store.close();
  });
});

describe("the fleet's Mango page (issue 17: events of no branch are kept and shown on HQ's page)", () => {
  const dir = tempDir("hq-fleet-mango");
  const db = openHqDatabase(dir);
  const store = sqliteHqStore(db, { forward: false });
  const events = sqliteMangoStore(db);
  const fleet = (mango: boolean) =>
    hqHttpApp({
      store,
      token: TOKEN,
      status: () => ({ mqtt: "connected", counters: {}, waiting: { streams: 0, records: 0 } }),
      fleet: {
        watch: createFleetWatch(),
        log: silentLogger,
        now: () => NOW,
        alertMinutes: 15,
        maxShiftMs: 14 * 3600_000,
        ...(mango
          ? { mango: fleetMango(events, sqliteMangoSweepStore(db), sqliteMangoCommandStore(db)) }
          : {}),
      },
    });
  afterAll(() => store.close());

  const page = async (mango: boolean, path: string) => {
    const app = fleet(mango);
    const login = await app.request("/fleet/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const response = await app.request(path, { headers: { cookie } });
    return { status: response.status, html: await response.text() };
  };

  test("an event whose line no branch lists is on the page with its line, and what to do; the fleet links the page", async () => {
    const json = JSON.stringify({
      entry_id: "E-9",
      call_id: "C-9",
      call_state: "Appeared",
      from: { number: "79160000000" },
      to: { extension: "777", line_number: "74959999999" },
    });
    await events.add(
      { id: "mango:call:nobody", kind: "call", json, receivedAt: NOW - MIN, entryId: "E-9" },
      null,
    );
    const { status, html } = await page(true, "/fleet/mango");
    expect(status).toBe(200);
    expect(html).toContain('data-testid="unrouted-mango:call:nobody"');
    expect(html).toContain("74959999999, 777");
    expect(html).toContain("добавьте его в lines или extensions");
    expect(html).toContain("ни одного филиала: 1");
    expect((await page(true, "/fleet")).html).toContain('data-testid="nav-mango"');
    const en = await page(true, "/fleet/mango?lang=en");
    expect(en.html).toContain("Events of no branch");
  });

  test("without [hq.mango] there is no Mango page and no link", async () => {
    expect((await page(false, "/fleet/mango")).status).toBe(404);
    expect((await page(false, "/fleet")).html).not.toContain('data-testid="nav-mango"');
  });
});
