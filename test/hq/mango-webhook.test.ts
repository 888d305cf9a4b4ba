import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DOWN_RECORD_SCHEMAS } from "../../src/contract/down-records.ts";
import { envelopeSchema } from "../../src/contract/protocol.ts";
import { hqConfigSchema, type MangoConfig } from "../../src/hq/hq-config.ts";
import { hqHttpApp } from "../../src/hq/hq-http.ts";
import { mangoEnvelopes, startMangoRelay } from "../../src/hq/mango/mango-relay.ts";
import { mangoEventId, mangoSign } from "../../src/hq/mango/mango-sign.ts";
import { MANGO_BODY_LIMIT, mangoCounters } from "../../src/hq/mango/mango-webhook.ts";
import { openHqDatabase, sqliteHqStore, sqliteMangoStore } from "../../src/hq/store/sqlite/index.ts";
import { eventually } from "../support/test-hq.ts";
import { capturingLogger, tempDir } from "./hq-fixtures.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/mango/api-doc");
/** The document's example JSON, as text: the signature covers these exact characters. */
const doc = (name: string) => readFileSync(join(FIXTURES, name), "utf8").trim();

// The document's placeholder key; the salt is the test's (the document gives no worked `sign`).
const KEY = "qwerty123";
const SALT = "s3cret-salt-of-the-test";
const TOKEN = "hq-test-token-0123456789";

const mango: MangoConfig = hqConfigSchema.shape.hq.shape.mango.unwrap().parse({
  vpbx_api_key: KEY,
  vpbx_api_salt: SALT,
  branches: [
    { branch: "msk", lines: ["sip:roistat-0758@vpbx400076322.mangosip.ru"], extensions: ["321"] },
    { branch: "spb", lines: ["74951112233"], extensions: ["555"] },
  ],
});

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  };
}

/** A webhook as Mango sends it: the three form fields, signed over the json text. */
const signed = (json: string, key = KEY, salt = SALT) =>
  form({ vpbx_api_key: key, sign: mangoSign(key, json, salt), json });

function hq() {
  const db = openHqDatabase(tempDir("hq-mango"));
  const store = sqliteHqStore(db, { forward: false });
  const mangoStore = sqliteMangoStore(db);
  const { log, lines, codes } = capturingLogger();
  const counters = mangoCounters();
  const published: { topic: string; payload: string }[] = [];
  let relayKicks = 0;
  const app = hqHttpApp({
    store,
    token: TOKEN,
    status: () => ({ mqtt: "connected", counters: {}, waiting: { streams: 0, records: 0 } }),
    mango: {
      config: mango,
      store: mangoStore,
      log,
      counters,
      now: () => 1_700_000_000_000,
      relay: () => relayKicks++,
    },
  });
  const relay = () =>
    startMangoRelay({
      store: mangoStore,
      log,
      epoch: 7,
      retryMs: 60_000,
      publish: async (topic, payload) => {
        published.push({ topic, payload });
      },
    });
  return { app, db, store, mangoStore, lines, codes, counters, published, relay, kicks: () => relayKicks };
}

describe("mangoSign", () => {
  test("sha256(key + json + salt), lower-case hex: the fixed vector and an independent digest", () => {
    expect(mangoSign("qwerty123", "{}", "salt")).toBe(
      "0f132e4752124552db283128d9dde17edf469f93dc2d5e7b470c9a780dff52ce",
    );
    const json = doc("call-transfer-appeared.json");
    const hasher = new Bun.CryptoHasher("sha256");
    hasher.update(KEY + json + SALT);
    expect(mangoSign(KEY, json, SALT)).toBe(hasher.digest("hex"));
  });
  test("the record id is mango:<kind>:<first 32 hex of sha256(json)>", () => {
    const hasher = new Bun.CryptoHasher("sha256");
    hasher.update("{}");
    expect(mangoEventId("call", "{}")).toBe(`mango:call:${hasher.digest("hex").slice(0, 32)}`);
  });
});

describe("POST /mango/events/<kind>: refusals store nothing", () => {
  const h = hq();
  afterAll(() => h.store.close());
  const json = doc("call-transfer-appeared.json");
  const good = mangoSign(KEY, json, SALT);

  const cases: [string, RequestInit, number, string][] = [
    ["another VPBX's key", signed(json, "other-key"), 403, "MANGO.BAD_KEY"],
    ["a signature made with another salt", signed(json, KEY, "wrong-salt"), 403, "MANGO.BAD_SIGN"],
    [
      "a signature over the JSON re-serialised (not the text as sent)",
      form({ vpbx_api_key: KEY, sign: mangoSign(KEY, JSON.stringify(JSON.parse(json)), SALT), json }),
      403,
      "MANGO.BAD_SIGN",
    ],
    [
      "the right signature of another json",
      form({ vpbx_api_key: KEY, sign: good, json: json.replace("321", "322") }),
      403,
      "MANGO.BAD_SIGN",
    ],
    [
      "a signature of the wrong length",
      form({ vpbx_api_key: KEY, sign: good.slice(1), json }),
      403,
      "MANGO.BAD_SIGN",
    ],
    ["no sign field", form({ vpbx_api_key: KEY, json }), 400, "MANGO.BAD_FORM"],
    [
      "a JSON body instead of a form",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ vpbx_api_key: KEY, sign: good, json }),
      },
      400,
      "MANGO.BAD_FORM",
    ],
    ["signed text that is not JSON", signed("{entry_id: 1"), 400, "MANGO.BAD_JSON"],
    ["signed JSON that is not an object", signed("[1,2]"), 400, "MANGO.BAD_JSON"],
    [
      "a body over the limit",
      form({ vpbx_api_key: KEY, sign: "x", json: `{"pad":"${"a".repeat(MANGO_BODY_LIMIT)}"}` }),
      413,
      "MANGO.TOO_LARGE",
    ],
  ];
  for (const [what, init, status, code] of cases) {
    test(`${what}: ${status} ${code}, counted, nothing stored`, async () => {
      const before = h.counters.refused[code as keyof typeof h.counters.refused];
      const res = await h.app.request("/mango/events/call", init);
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ error: { code } });
      expect(h.counters.refused[code as keyof typeof h.counters.refused]).toBe(before + 1);
      expect(await h.mangoStore.counts()).toEqual({ stored: 0, unrouted: 0, unpublished: 0 });
      expect(h.kicks()).toBe(0);
    });
  }
  test("the log names each refusal's code and never the key, the salt or a signature", () => {
    const text = JSON.stringify(h.lines);
    for (const code of new Set(cases.map((c) => c[3]))) expect(h.codes()).toContain(code);
    for (const secret of [KEY, SALT, good]) expect(text).not.toContain(secret);
  });
  test("an unknown event kind is 404, nothing stored", async () => {
    const res = await h.app.request("/mango/events/sms", signed(json));
    expect(res.status).toBe(404);
    expect((await h.mangoStore.counts()).stored).toBe(0);
  });
});

describe("POST /mango/events/<kind>: a valid event is stored first, answered 200, relayed on down/pbx", () => {
  const h = hq();
  afterAll(() => h.store.close());

  test("the document's transfer example: 200, stored for msk (to.extension 321) as pbx seq 1", async () => {
    const json = doc("call-transfer-appeared.json");
    const res = await h.app.request("/mango/events/call", signed(json));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: mangoEventId("call", json), branch: "msk", seq: 1 });
    expect(await h.mangoStore.counts()).toEqual({ stored: 1, unrouted: 0, unpublished: 1 });
    expect(h.kicks()).toBe(1);
  });

  test("delivered again: 200, stored once, not relayed again", async () => {
    const json = doc("call-transfer-appeared.json");
    const res = await h.app.request("/mango/events/call", signed(json));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ duplicate: true });
    expect((await h.mangoStore.counts()).stored).toBe(1);
    expect(h.counters).toMatchObject({ stored: 1, duplicates: 1 });
    expect(h.kicks()).toBe(1);
  });

  test("a summary placed by its SIP line id; a recording naming no configured extension, by its call group", async () => {
    const summary = await h.app.request("/mango/events/summary", signed(doc("summary-odoo-docstring.json")));
    expect(await summary.json()).toMatchObject({ branch: "msk", seq: 2 });
    const recording = await h.app.request("/mango/events/recording", signed(doc("recording-completed.json")));
    expect(await recording.json()).toMatchObject({ branch: "msk", seq: 3 });
  });

  test("the relay publishes one schema-valid envelope on branchbox/v1/msk/down/pbx, seqs 1–3, json as sent", async () => {
    const relay = h.relay();
    await eventually("the relay's publish", () => h.published.length > 0, 5_000);
    await relay.stop();
    expect(h.published.map((p) => p.topic)).toEqual(["branchbox/v1/msk/down/pbx"]);
    const envelope = envelopeSchema.parse(JSON.parse(h.published[0]?.payload ?? ""));
    expect(envelope).toMatchObject({ branch: "msk", stream: "pbx", epoch: 7, seqFrom: 1, seqTo: 3 });
    expect(envelope.records.map((r) => r.type)).toEqual(["mango.event", "mango.event", "mango.event"]);
    for (const r of envelope.records) DOWN_RECORD_SCHEMAS.pbx["mango.event"].parse(r.data);
    expect(envelope.records[0]?.data).toEqual({
      kind: "call",
      json: JSON.parse(doc("call-transfer-appeared.json")),
      receivedAt: 1_700_000_000_000,
    });
    expect(envelope.records.map((r) => r.id)).toEqual([
      mangoEventId("call", doc("call-transfer-appeared.json")),
      mangoEventId("summary", doc("summary-odoo-docstring.json")),
      mangoEventId("recording", doc("recording-completed.json")),
    ]);
    expect(await h.mangoStore.counts()).toMatchObject({ unpublished: 0 });
    expect(relay.relayed).toBe(3);
  });

  test("an event of no configured branch is kept, counted, listed at /api/v1/mango, relayed nowhere", async () => {
    // Another call group: an event of msk's group would be placed there by its entry_id.
    const json = doc("call-outgoing-appeared.json")
      .replace('"321"', '"777"')
      .replace("232wc3e3w3s222", "other-entry");
    const res = await h.app.request("/mango/events/call", signed(json));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ branch: null, seq: null });
    expect(h.codes()).toContain("MANGO.NO_BRANCH");
    expect(await h.mangoStore.unpublished(10)).toEqual([]);
    const list = await h.app.request("/api/v1/mango", { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await list.json()) as { unrouted: { id: string; json: unknown }[]; store: unknown };
    expect(body.unrouted).toEqual([
      expect.objectContaining({ id: mangoEventId("call", json), json: JSON.parse(json) }),
    ]);
    expect(body.store).toEqual({ stored: 4, unrouted: 1, unpublished: 0 });
    expect((await h.app.request("/api/v1/mango")).status).toBe(401);
  });
});

describe("the relay", () => {
  test("a failed publish marks nothing; the next round sends from the first unpublished, in order", async () => {
    const h = hq();
    for (const n of [1, 2, 3]) {
      const json = JSON.stringify({ entry_id: "e1", call_id: `c${n}`, seq: n, to: { extension: "555" } });
      await h.app.request("/mango/events/call", signed(json));
    }
    let fail = true;
    const topics: number[][] = [];
    const relay = startMangoRelay({
      store: h.mangoStore,
      log: capturingLogger().log,
      epoch: 1,
      retryMs: 20,
      publish: async (_topic, payload) => {
        if (fail) throw new Error("broker out of reach");
        topics.push((JSON.parse(payload) as { records: { seq: number }[] }).records.map((r) => r.seq));
      },
    });
    await eventually("a failed publish", () => relay.failures > 0, 5_000);
    expect((await h.mangoStore.counts()).unpublished).toBe(3);
    fail = false;
    await eventually("the publish after the broker is back", () => topics.length > 0, 5_000);
    await relay.stop();
    expect(topics).toEqual([[1, 2, 3]]);
    expect((await h.mangoStore.counts()).unpublished).toBe(0);
    h.store.close();
  });

  test("envelopes hold consecutive seqs of one branch only", () => {
    const at = (branch: string, seq: number) => ({
      id: `mango:call:${branch}${seq}`,
      kind: "call" as const,
      json: "{}",
      receivedAt: 1,
      branch,
      seq,
      publishedAt: null,
    });
    const envelopes = mangoEnvelopes([at("msk", 1), at("msk", 2), at("msk", 4), at("spb", 1)], 3);
    expect(envelopes.map((e) => [e.branch, e.seqFrom, e.seqTo])).toEqual([
      ["msk", 1, 2],
      ["msk", 4, 4],
      ["spb", 1, 1],
    ]);
  });
});

describe("[hq.mango] config", () => {
  test("a line or extension given to two branches is refused; api_url defaults to Mango's", () => {
    const schema = hqConfigSchema.shape.hq.shape.mango.unwrap();
    expect(schema.parse({ vpbx_api_key: "k", vpbx_api_salt: "s" }).api_url).toBe(
      "https://app.mango-office.ru/vpbx/",
    );
    const clash = schema.safeParse({
      vpbx_api_key: "k",
      vpbx_api_salt: "s",
      branches: [
        { branch: "a", extensions: ["101"] },
        { branch: "b", extensions: ["101"] },
      ],
    });
    expect(clash.success).toBe(false);
  });
});
