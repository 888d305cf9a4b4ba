// Issue 17 "Gaps": Mango never sends a missed webhook again; HQ asks its statistics for the time
// it could have missed them in and relays the calls it holds nothing of. Against the wire fake of
// Mango's API (test/support/fake-mango.ts), which checks each request's key, form and signature.
// On HQ's two engines: SQLite's hq.db and a real PostgreSQL (issue 18).

import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { hqConfigSchema } from "../../../src/hq/hq-config.ts";
import { mangoApi } from "../../../src/hq/mango/mango-api.ts";
import { startMangoRelay } from "../../../src/hq/mango/mango-relay.ts";
import { mangoForm } from "../../../src/hq/mango/mango-sign.ts";
import { MANGO_STATS_FIELDS } from "../../../src/hq/mango/mango-stats.ts";
import { type MangoSweeper, startMangoSweeper } from "../../../src/hq/mango/mango-sweep.ts";
import { mangoCounters, mountMangoWebhook } from "../../../src/hq/mango/mango-webhook.ts";
import type { MangoStore } from "../../../src/hq/store/mango-store-port.ts";
import type { MangoSweepStore } from "../../../src/hq/store/mango-sweep-store-port.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { startFakeMango } from "../../support/fake-mango.ts";
import { type HqStores, hqEngines } from "../hq-engines.ts";

const SECRETS = { apiKey: "api-key-17", salt: "api-salt-17" };
const mango = startFakeMango(SECRETS);
afterAll(() => mango.stop());

const MARGIN_S = 60;
const parsed = hqConfigSchema.parse({
  mqtt: { url: "mqtt://127.0.0.1:1883" },
  hq: {
    token: "t".repeat(24),
    mango: {
      vpbx_api_key: SECRETS.apiKey,
      vpbx_api_salt: SECRETS.salt,
      api_url: mango.apiUrl,
      gap_margin_s: MARGIN_S,
      sweep_every_s: 0,
      branches: [{ branch: "msk", lines: ["74950000000"], extensions: ["202"] }],
    },
  },
}).hq.mango;
if (parsed === undefined) throw new Error("[hq.mango] is in the test's configuration");
const config = parsed;

const T0 = 1_778_150_000_000; // HQ's last beat before it went down
const csvRow = (entry: string, start: number, answer: number, toExt = "") =>
  `[];${start};${start + 22};${answer};;79161234567;${toExt};74950000000;1110;74950000000;abonent;${entry}`;

let hq: HqStores;
let clock: number;
let relayed: number;
let sweeper: MangoSweeper | null = null;

/** HQ starting (again) on the same hq.db at the clock's time. */
function startSweeper(store: MangoSweepStore = hq.mangoSweeps): MangoSweeper {
  sweeper = startMangoSweeper({
    config,
    store,
    api: mangoApi({ apiUrl: mango.apiUrl, ...SECRETS }),
    log: silentLogger,
    relay: () => void relayed++,
    now: () => clock,
    tickMs: 3_600_000,
    pollMs: 5000,
  });
  return sweeper;
}

const events = () => hq.mangoRows();
const sweeps = () => hq.mangoSweeps.recent(10);
const paths = () => mango.requests.map((r) => r.path);

/** HQ ran until T0 (its beat), was down for 10 minutes, and starts again. */
async function downtimeThenStart(): Promise<MangoSweeper> {
  await hq.mangoSweeps.beat(T0);
  clock = T0 + 600_000;
  const s = startSweeper();
  await s.step(); // reads the hole, plans its sweep for when the window's end has passed
  clock += MARGIN_S * 1000;
  return s;
}

for (const engine of hqEngines())
  describe(engine.name, () => {
    let at: string;
    beforeEach(async () => {
      at = await engine.fresh();
      hq = await engine.open(at);
      clock = T0;
      relayed = 0;
      mango.requests.length = 0;
    });
    afterEach(async () => {
      await sweeper?.stop();
      sweeper = null;
      await hq.close();
      await engine.drop(at);
    });

    describe("gap sweep after downtime (issue 17)", () => {
      test("stats/request for [last beat − margin, start + margin] with entry_id; 204 then 200; only the entry HQ holds nothing of is stored and relayed", async () => {
        // A call HQ received live before it went down: its webhook is held, so its row needs nothing.
        await hq.mango.add(
          {
            id: "mango:call:held",
            kind: "call",
            json: '{"entry_id":"E-held"}',
            receivedAt: T0 - 1000,
            entryId: "E-held",
          },
          "msk",
        );
        let polls = 0;
        mango.answer("stats/request", () => Response.json({ key: "k-1" }));
        mango.answer("stats/result", () =>
          ++polls === 1
            ? new Response(null, { status: 204 })
            : new Response(
                `${csvRow("E-held", 1778150100, 1778150105, "202")}\n${csvRow("E-missed", 1778150200, 0)}\n`,
                {
                  headers: { "content-type": "text/csv;charset=UTF-8" },
                },
              ),
        );
        const s = await downtimeThenStart();

        await s.step();
        expect(mango.rejected).toEqual([]);
        const request = mango.requests.at(-1);
        expect(request?.path).toBe("stats/request");
        expect(request?.json).toMatchObject({
          date_from: String(T0 / 1000 - MARGIN_S),
          date_to: String((T0 + 600_000) / 1000 + MARGIN_S),
          fields: MANGO_STATS_FIELDS.join(","),
        });
        expect((await sweeps())[0]).toMatchObject({ reason: "downtime", state: "requested" });

        await s.step(); // the poll is not due yet: no request (at most one every 5 s)
        expect(paths()).toEqual(["stats/request"]);
        clock += 5000;
        await s.step(); // 204: not ready
        clock += 4999;
        await s.step();
        expect(paths()).toEqual(["stats/request", "stats/result"]);
        clock += 1;
        await s.step(); // 200: the CSV
        expect(paths()).toEqual(["stats/request", "stats/result", "stats/result"]);
        expect(mango.requests.at(-1)?.json).toEqual({ key: "k-1" });

        const stored = await events();
        expect(stored.map((e) => [e.kind, e.entry_id, e.branch, e.seq])).toEqual([
          ["call", "E-held", "msk", 1],
          ["stats", "E-missed", "msk", 2],
        ]);
        expect(stored[1]?.id).toMatch(/^mango:stats:[0-9a-f]{32}$/);
        expect(JSON.parse(stored[1]?.json ?? "{}")).toEqual({
          entry_id: "E-missed",
          rows: [
            {
              records: "[]",
              start: "1778150200",
              finish: "1778150222",
              answer: "0",
              from_extension: "",
              from_number: "79161234567",
              to_extension: "",
              to_number: "74950000000",
              disconnect_reason: "1110",
              line_number: "74950000000",
              location: "abonent",
              entry_id: "E-missed",
            },
          ],
        });
        expect((await sweeps())[0]).toMatchObject({ state: "done", rows: 2, newEntries: 1, badLines: 0 });
        expect(relayed).toBe(1);
        expect(s.counters).toMatchObject({ sweeps: 1, rows: 2, newEntries: 1 });
      });

      test("a second restart sweeping the same calls adds nothing; the relay publishes the missed call once", async () => {
        mango.answer("stats/request", () => Response.json({ key: "k-2" }));
        mango.answer(
          "stats/result",
          () => new Response(`${csvRow("E-missed", 1778150200, 1778150203, "202")}\n`),
        );
        const published: string[] = [];
        const relay = startMangoRelay({
          store: hq.mango,
          publish: async (topic, payload) => void published.push(`${topic} ${payload}`),
          log: silentLogger,
          epoch: 1,
          retryMs: 3_600_000,
        });
        try {
          for (let restart = 0; restart < 2; restart++) {
            const s = await downtimeThenStart();
            await s.step(); // request
            clock += 5000;
            await s.step(); // result
            await s.stop();
            await hq.mangoSweeps.beat(clock);
            relay.kick();
            await relay.stop().then(() => undefined);
          }
          expect((await sweeps()).map((w) => [w.state, w.newEntries])).toEqual([
            ["done", 0],
            ["done", 1],
          ]);
          expect((await events()).map((e) => [e.kind, e.entry_id, e.seq])).toEqual([
            ["stats", "E-missed", 1],
          ]);
          const stats = published.filter((p) => p.includes('"mango.event"'));
          expect(stats.length).toBe(1);
          expect(stats[0]).toStartWith("branchbox/v1/msk/down/pbx ");
        } finally {
          await relay.stop();
        }
      });

      test("404 (the key expired): asked again with a new request, then read", async () => {
        let requests = 0;
        mango.answer("stats/request", () => Response.json({ key: `k-${++requests}` }));
        mango.answer("stats/result", (r) =>
          r.json.key === "k-1"
            ? Response.json({ code: 3300 }, { status: 404 })
            : new Response(`${csvRow("E-404", 1778150300, 0)}\n`),
        );
        const s = await downtimeThenStart();
        await s.step(); // request k-1
        clock += 5000;
        await s.step(); // 404
        expect((await sweeps())[0]).toMatchObject({
          state: "pending",
          lastCode: "MANGO.STATS_EXPIRED",
          attempts: 1,
        });
        await s.step(); // request k-2
        clock += 5000;
        await s.step(); // 200
        expect(paths()).toEqual(["stats/request", "stats/result", "stats/request", "stats/result"]);
        expect((await sweeps())[0]).toMatchObject({ state: "done", newEntries: 1 });
      });

      test("Mango refuses (420 with its code): the sweep fails with MANGO.STATS_REFUSED, nothing stored, not retried", async () => {
        mango.answer("stats/request", () => Response.json({ code: 3101 }, { status: 420 }));
        const s = await downtimeThenStart();
        await s.step();
        expect((await sweeps())[0]).toMatchObject({ state: "failed", lastCode: "MANGO.STATS_REFUSED" });
        expect((await sweeps())[0]?.lastError).toContain("3101");
        clock += 3_600_000;
        await s.step();
        expect(paths()).toEqual(["stats/request"]);
        expect(await events()).toEqual([]);
        expect(s.counters.failures).toBe(1);
      });

      test("Mango out of reach (5xx, then no answer in the poll): retried later with backoff, nothing half-stored", async () => {
        let up = false;
        mango.answer("stats/request", () =>
          up ? Response.json({ key: "k-up" }) : new Response("down", { status: 503 }),
        );
        mango.answer("stats/result", () =>
          up ? new Response(`${csvRow("E-late", 1778150400, 0)}\n`) : new Response("down", { status: 502 }),
        );
        const s = await downtimeThenStart();
        await s.step();
        expect((await sweeps())[0]).toMatchObject({
          state: "pending",
          attempts: 1,
          lastCode: "MANGO.STATS_UNREACHABLE",
        });
        await s.step(); // not before the backoff
        expect(paths()).toEqual(["stats/request"]);
        clock += 30_000;
        up = true;
        await s.step(); // request answered
        up = false;
        clock += 5000;
        await s.step(); // result unreachable: the key is kept
        expect((await sweeps())[0]).toMatchObject({ state: "requested", key: "k-up", attempts: 2 });
        expect(await events()).toEqual([]);
        up = true;
        clock += 60_000;
        await s.step();
        expect((await sweeps())[0]).toMatchObject({ state: "done", newEntries: 1 });
        expect((await events()).map((e) => e.entry_id)).toEqual(["E-late"]);
      });

      test("the first run ever has no hole: no sweep; a row without entry_id is counted, never relayed", async () => {
        const s = startSweeper();
        await s.step();
        expect(await sweeps()).toEqual([]);
        expect(paths()).toEqual([]);

        // Periodic sweeps cover the recent past: a webhook lost on the network while HQ ran.
        mango.answer("stats/request", () => Response.json({ key: "k-p" }));
        mango.answer("stats/result", () => new Response(`${csvRow("", 1778150500, 0)}\nnot;a;row\n`));
        await s.stop();
        sweeper = startMangoSweeper({
          config: { ...config, sweep_every_s: 600 },
          store: hq.mangoSweeps,
          api: mangoApi({ apiUrl: mango.apiUrl, ...SECRETS }),
          log: silentLogger,
          relay: () => void relayed++,
          now: () => clock,
          tickMs: 3_600_000,
          pollMs: 5000,
        });
        await sweeper.step(); // restart after ~0 s: a downtime sweep of the tiny hole
        clock += 600_000;
        await sweeper.step(); // plans the periodic sweep; runs the oldest due one first
        const planned = await sweeps();
        expect(planned.map((w) => w.reason).sort()).toEqual(["downtime", "periodic"]);
        const periodic = planned.find((w) => w.reason === "periodic");
        expect(periodic?.to).toBe(clock / 1000 - MARGIN_S);
        for (let i = 0; i < 6; i++) {
          clock += 5000;
          await sweeper.step();
        }
        const done = await sweeps();
        expect(done.map((w) => w.state)).toEqual(["done", "done"]);
        expect(done.map((w) => w.badLines)).toEqual([2, 2]);
        expect(await events()).toEqual([]);
        expect(relayed).toBe(0);
      });
    });

    /** A storage failure as the stores reject with it (hq-store-port.ts StoreFailure). */
    const diskFull = () =>
      Object.assign(new Error("database or disk is full"), { code: "STORAGE.DISK_FULL" as const });

    describe("webhooks HQ could not store (issue 17 gaps)", () => {
      /** Mango's webhook endpoint on hq.db whose `add` fails `failures` times, wired to the sweeper. */
      function endpoint(s: MangoSweeper, failures: number) {
        const real = hq.mango;
        let left = failures;
        const store: MangoStore = {
          ...real,
          add: (event, branch) => (left-- > 0 ? Promise.reject(diskFull()) : real.add(event, branch)),
        };
        const app = new Hono();
        mountMangoWebhook(app, {
          config,
          store,
          log: silentLogger,
          counters: mangoCounters(),
          now: () => clock,
          relay: () => void relayed++,
          unstored: s.unstored,
        });
        return (kind: string, json: string, salt = SECRETS.salt) =>
          app.request(`/mango/events/${kind}`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: mangoForm(json, { apiKey: SECRETS.apiKey, salt }),
          });
      }
      const appeared = JSON.stringify({
        entry_id: "E-503",
        call_id: "C-503",
        timestamp: 1778150010,
        seq: 1,
        call_state: "Appeared",
        location: "ivr",
        from: { number: "79161234567" },
        to: { number: "74950000000", line_number: "74950000000" },
      });

      test("a 503 (the store failed) leads to ONE sweep of [first failure − margin, last + margin], planned a margin after the first once hq.db writes again; the entry comes back from the statistics", async () => {
        let planFailures = 1;
        const real = hq.mangoSweeps;
        const s = startSweeper({
          ...real,
          plan: (sweeps, now) => (planFailures-- > 0 ? Promise.reject(diskFull()) : real.plan(sweeps, now)),
        });
        await s.step(); // the first run: no hole
        const post = endpoint(s, 2);
        clock = T0 + 10_000;
        const failedAt = clock;
        expect((await post("call", appeared)).status).toBe(503);
        clock += 3000;
        expect((await post("call", appeared)).status).toBe(503); // the same moment: one window
        await s.step();
        expect(await sweeps()).toEqual([]); // not before the window's end has passed
        expect(paths()).toEqual([]);

        mango.answer("stats/request", () => Response.json({ key: "k-503" }));
        mango.answer("stats/result", () => new Response(`${csvRow("E-503", 1778150010, 0)}\n`));
        clock = failedAt + MARGIN_S * 1000;
        await s.step(); // a margin after the first failure: hq.db refuses the plan, kept in memory
        expect(await sweeps()).toEqual([]);
        await s.step(); // planned (durably), asked once the window's end has passed
        const planned = await sweeps();
        expect(planned).toHaveLength(1);
        expect(planned[0]).toMatchObject({
          reason: "unstored",
          from: failedAt / 1000 - MARGIN_S,
          to: (failedAt + 3000) / 1000 + MARGIN_S,
          state: "pending",
        });
        expect(paths()).toEqual([]);
        clock += 3000;
        await s.step();
        expect((await sweeps())[0]).toMatchObject({ state: "requested" });
        expect(mango.requests.at(-1)?.json).toMatchObject({
          date_from: String(failedAt / 1000 - MARGIN_S),
          date_to: String((failedAt + 3000) / 1000 + MARGIN_S),
        });
        clock += 5000;
        await s.step();
        expect((await sweeps())[0]).toMatchObject({ state: "done", newEntries: 1 });
        expect((await events()).map((e) => [e.kind, e.entry_id, e.branch])).toEqual([
          ["stats", "E-503", "msk"],
        ]);
        clock += 3_600_000;
        await s.step(); // nothing more: the failures were swept once
        expect(paths()).toEqual(["stats/request", "stats/result"]);
      });

      test("a refusal (bad signature, bad form) opens no window: that was not Mango", async () => {
        const s = startSweeper();
        await s.step();
        const post = endpoint(s, 0);
        expect((await post("call", appeared, "not-the-salt")).status).toBe(403);
        expect((await post("call", "not json")).status).toBe(400);
        clock += 3_600_000;
        await s.step();
        expect(await sweeps()).toEqual([]);
        expect(paths()).toEqual([]);
        expect((await post("call", appeared)).status).toBe(200); // the store works: no window either
        clock += 3_600_000;
        await s.step();
        expect(await sweeps()).toEqual([]);
      });
    });

    describe("the sweeps' history (issue 17 gaps)", () => {
      test("finished sweeps older than 90 days are deleted; the newest periodic one (where the next starts), pending and recent ones stay", async () => {
        const store = hq.mangoSweeps;
        const old = T0 - 100 * 86_400_000;
        const window = (i: number) => ({
          from: 1_700_000_000 + i * 100,
          to: 1_700_000_099 + i * 100,
          nextAt: old,
        });
        await store.plan(
          [
            { reason: "periodic", ...window(0) },
            { reason: "downtime", ...window(1) },
            { reason: "periodic", ...window(2) },
            { reason: "unstored", ...window(3) },
            { reason: "downtime", ...window(4), nextAt: T0 + 86_400_000 },
          ],
          old,
        );
        const [a, b, c, d] = (await store.recent(10)).reverse();
        if (a === undefined || b === undefined || c === undefined || d === undefined)
          throw new Error("5 planned");
        await store.complete(a.id, { rows: 0, badLines: 0, events: [], now: old });
        await store.complete(c.id, { rows: 0, badLines: 0, events: [], now: old });
        await store.update(b.id, {
          state: "failed",
          key: null,
          nextAt: old,
          attempts: 1,
          code: "MANGO.STATS_REFUSED",
          error: "refused",
          now: old,
        });
        await store.complete(d.id, { rows: 0, badLines: 0, events: [], now: T0 - 89 * 86_400_000 });
        // the fifth stays pending (Mango out of reach for long, its next try tomorrow): never deleted

        const s = startSweeper();
        await s.step();
        const left = (await sweeps()).reverse();
        expect(left.map((w) => [w.reason, w.state])).toEqual([
          ["periodic", "done"],
          ["unstored", "done"],
          ["downtime", "pending"],
        ]);
        expect(left[0]?.id).toBe(c.id);
        expect(await store.lastPeriodicTo()).toBe(window(2).to);
      });
    });
  });
