// The fleet's CRM page (issue 19): steps by state, parked ones with code and reason, and the retry
// button (a CSRF-checked POST) that unparks. On a real hq.db, through app.request().
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { fleetCrm } from "../../src/hq/fleet/fleet-crm.tsx";
import { createFleetWatch } from "../../src/hq/fleet/fleet-watch.ts";
import { hqHttpApp } from "../../src/hq/hq-http.ts";
import { openHqDatabase, sqliteCrmStepStore, sqliteHqStore } from "../../src/hq/store/sqlite/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { envelope, tempDir } from "./hq-fixtures.ts";

const TOKEN = "hq-fleet-crm-token-0123456789";
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const ORIGIN = "http://localhost";
const FORM = "application/x-www-form-urlencoded";

describe("the fleet's CRM page (issue 19)", () => {
  const dir = tempDir("hq-fleet-crm");
  const db = openHqDatabase(dir);
  const store = sqliteHqStore(db, { forward: true });
  const steps = sqliteCrmStepStore(db);
  let kicks = 0;
  const app = (crm: boolean) =>
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
        ...(crm
          ? {
              crm: fleetCrm(
                steps,
                () => kicks++,
                () => NOW,
              ),
            }
          : {}),
      },
    });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const signedIn = async (crm: boolean) => {
    const a = app(crm);
    const login = await a.request("/fleet/login", {
      method: "POST",
      headers: { "content-type": FORM, origin: ORIGIN },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    return {
      get: async (path: string) => {
        const r = await a.request(path, { headers: { cookie } });
        return { status: r.status, html: await r.text() };
      },
      post: async (path: string, origin = ORIGIN) => {
        const r = await a.request(path, {
          method: "POST",
          headers: { cookie, origin, "content-type": FORM },
        });
        return { status: r.status, html: await r.text() };
      },
      anonymous: (path: string) =>
        a.request(path, { method: "POST", headers: { origin: ORIGIN, "content-type": FORM } }),
    };
  };

  test("counts by state; a parked step with its code, reason and record; an unmapped employee says what to do; RETRY unparks it", async () => {
    await store.apply([envelope("msk", "calls", 1, 2)], () => NOW);
    for (const n of [1, 2]) {
      const [item] = await store.claimForward(NOW, 60_000, 1);
      if (item === undefined) throw new Error("no forward row");
      await steps.plan(item, [{ name: "call.upload", orderKey: `+7${n}`, input: {} }], NOW);
    }
    const [first] = await steps.claim(NOW, 60_000, 1);
    await steps.park(first?.id as number, "CRM.UNMAPPED_EMPLOYEE", "employee emp-7 has no CRM user", NOW);
    const s = await signedIn(true);
    expect((await s.get("/fleet")).html).toContain('data-testid="nav-crm"');
    const page = await s.get("/fleet/crm");
    expect(page.status).toBe(200);
    expect(page.html).toContain("ждут отправки: 1, переданы: 0, остановлены: 1");
    expect(page.html).toContain(`data-testid="crm-parked-${first?.id}"`);
    expect(page.html).toContain("msk:calls:1 (calls-1)");
    expect(page.html).toContain("CRM.UNMAPPED_EMPLOYEE");
    expect(page.html).toContain("employee emp-7 has no CRM user");
    expect(page.html).toContain("[[hq.crm.users]]");
    expect((await s.get("/fleet/crm?lang=en")).html).toContain("waiting: 1, delivered: 0, stopped: 1");

    // The retry button from another origin (CSRF) or without a session changes nothing.
    expect((await s.post(`/fleet/crm/retry/${first?.id}`, "http://evil.example")).status).toBe(403);
    expect((await s.anonymous(`/fleet/crm/retry/${first?.id}`)).status).toBe(303);
    expect((await steps.counts()).parked).toBe(1);

    const retried = await s.post(`/fleet/crm/retry/${first?.id}?lang=en`);
    expect(retried.status).toBe(200);
    expect(retried.html).toContain("The step is queued again.");
    expect(retried.html).toContain("No stopped steps.");
    expect(kicks).toBe(1);
    expect(await steps.counts()).toEqual({ pending: 2, done: 0, parked: 0 });
    const again = await s.post(`/fleet/crm/retry/${first?.id}?lang=en`);
    expect(again.status).toBe(409);
    expect(again.html).toContain("This step is no longer stopped.");
  });

  test("without [hq.crm] there is no CRM page, no retry and no link", async () => {
    const s = await signedIn(false);
    expect((await s.get("/fleet/crm")).status).toBe(404);
    expect((await s.post("/fleet/crm/retry/1")).status).toBe(404);
    expect((await s.get("/fleet")).html).not.toContain('data-testid="nav-crm"');
  });
});
