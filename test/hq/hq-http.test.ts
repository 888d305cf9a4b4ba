import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Applier } from "../../src/hq/applier.ts";
import { startForwarder } from "../../src/hq/forwarder.ts";
import { hqHttpApp } from "../../src/hq/hq-http.ts";
import { openSqliteHqStore } from "../../src/hq/store/sqlite/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { batches, envelope, tempDir } from "./hq-fixtures.ts";

const TOKEN = "hq-test-token-0123456789";
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

function storeWith(forward = false) {
  const store = openSqliteHqStore(tempDir("hq-http"), { forward });
  const applier = new Applier({ store, log: silentLogger, reorderTimeoutMs: 2000, sendAck: () => {} });
  return { store, applier };
}

describe("HQ HTTP API", () => {
  const { store, applier } = storeWith();
  beforeAll(async () => {
    for (const e of batches("msk-01", "calls", 250, 40)) await applier.receive("msk-01", "calls", e);
    await applier.receive("spb-02", "roster", envelope("spb-02", "roster", 1, 3));
    await store.presence("msk-01", { online: true, epoch: 3, version: "0.2.0", backlog: 17 }, 5_000);
  });
  afterAll(() => store.close());
  const app = hqHttpApp({
    store,
    token: TOKEN,
    status: () => ({ mqtt: "connected", counters: { ...applier.counters }, waiting: applier.waiting }),
  });

  test("401 without the bearer token, or with a wrong one; /healthz is open", async () => {
    expect((await app.request("/api/v1/branches")).status).toBe(401);
    expect((await app.request("/api/v1/records?branch=msk-01&stream=calls")).status).toBe(401);
    const wrong = await app.request("/api/v1/branches", {
      headers: { authorization: "Bearer nope-nope-nope-nope" },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: "AUTH.UNAUTHORIZED" } });
    const health = await app.request("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", mqtt: "connected" });
  });

  test("GET /api/v1/branches: presence, backlog, last record, per-stream high-water marks", async () => {
    const response = await app.request("/api/v1/branches", auth);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { branches: unknown[]; consumer: Record<string, unknown> };
    expect(body.branches).toEqual([
      {
        branch: "msk-01",
        online: true,
        epoch: 3,
        version: "0.2.0",
        backlog: 17,
        stateAt: 5_000,
        lastRecordTs: 1_700_000_000_250,
        streams: { calls: expect.objectContaining({ through: 250, duplicates: 0 }) },
      },
      expect.objectContaining({
        branch: "spb-02",
        online: null,
        streams: { roster: expect.objectContaining({ through: 3 }) },
      }),
    ]);
    expect(body.consumer).toMatchObject({ mqtt: "connected", applied: 253 });
  });

  test("GET /api/v1/records pages with after/limit, in seq order, data parsed", async () => {
    const seen: number[] = [];
    let after = 0;
    for (let page = 0; page < 10; page++) {
      const response = await app.request(
        `/api/v1/records?branch=msk-01&stream=calls&after=${after}&limit=100`,
        auth,
      );
      const body = (await response.json()) as {
        records: { seq: number; data: { n: number } }[];
        next: number | null;
      };
      for (const r of body.records) {
        expect(r.data.n).toBe(r.seq);
        seen.push(r.seq);
      }
      if (body.next === null) break;
      after = body.next;
    }
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    const tail = await (
      await app.request("/api/v1/records?branch=msk-01&stream=calls&after=248", auth)
    ).json();
    expect(tail).toMatchObject({ records: [{ seq: 249 }, { seq: 250 }], next: null });
    const bad = await app.request("/api/v1/records?branch=msk-01&limit=5000", auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "HQ.BAD_QUERY" } });
  });
});

describe("HQ forwarding to the CRM", () => {
  test("every applied record is POSTed once accepted, in seq order per stream, through a CRM outage", async () => {
    const { store, applier } = storeWith(true);
    const accepted: string[] = [];
    let calls = 0;
    const crm = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        calls++;
        const body = (await request.json()) as { seq: number };
        const key = request.headers.get("idempotency-key") ?? "";
        expect(request.headers.get("authorization")).toBe("Bearer crm-token");
        expect(key.endsWith(`:${body.seq}`)).toBe(true);
        // The CRM is down for its first 15 requests; then it takes everything.
        if (calls <= 15) return new Response("down", { status: 503 });
        accepted.push(key);
        return new Response(null, { status: 204 });
      },
    });
    const forwarder = startForwarder({
      store,
      url: `http://127.0.0.1:${crm.port}/records`,
      token: "crm-token",
      log: silentLogger,
      backoff: { baseMs: 20, capMs: 80 },
      idleMs: 10,
    });
    try {
      for (const e of batches("b1", "calls", 60, 7)) await applier.receive("b1", "calls", e);
      for (const e of batches("b1", "roster", 20, 5)) await applier.receive("b1", "roster", e);
      const deadline = Date.now() + 10_000;
      while ((await store.forwardDepth()) > 0 && Date.now() < deadline) await Bun.sleep(20);
      expect(await store.forwardDepth()).toBe(0);
      const callsKeys = accepted.filter((k) => k.startsWith("b1:calls:"));
      const rosterKeys = accepted.filter((k) => k.startsWith("b1:roster:"));
      expect(callsKeys).toEqual(Array.from({ length: 60 }, (_, i) => `b1:calls:${i + 1}`));
      expect(rosterKeys).toEqual(Array.from({ length: 20 }, (_, i) => `b1:roster:${i + 1}`));
      expect(forwarder.failures).toBe(15);
    } finally {
      await forwarder.stop();
      crm.stop(true);
    }
  });
});
