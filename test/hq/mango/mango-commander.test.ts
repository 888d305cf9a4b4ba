// Issue 17: HQ's Mango commander and result route over HQ's real storage, on SQLite and on a real
// PostgreSQL (issue 18), against the wire fake of Mango's API (test/support/fake-mango.ts checks
// key, form and sign of everything it gets).
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { DOWN_RECORD_SCHEMAS, type PbxCommand } from "../../../src/contract/down-records.ts";
import { type Envelope, envelopeSchema, PROTOCOL_VERSION } from "../../../src/contract/protocol.ts";
import { hqConfigSchema, type MangoConfig } from "../../../src/hq/hq-config.ts";
import { hqHttpApp } from "../../../src/hq/hq-http.ts";
import { mangoApi } from "../../../src/hq/mango/mango-api.ts";
import { startMangoCommander } from "../../../src/hq/mango/mango-commander.ts";
import { mangoEnvelopes } from "../../../src/hq/mango/mango-relay.ts";
import { mangoForm } from "../../../src/hq/mango/mango-sign.ts";
import { mangoCounters } from "../../../src/hq/mango/mango-webhook.ts";
import { startFakeMango } from "../../support/fake-mango.ts";
import { eventually } from "../../support/sync-system.ts";
import { type HqEngine, hqEngines } from "../hq-engines.ts";
import { capturingLogger } from "../hq-fixtures.ts";

const SECRETS = { apiKey: "vpbx-key-17", salt: "vpbx-salt-17" };
const TOKEN = "hq-test-token-0123456789";
const fake = startFakeMango(SECRETS);
afterAll(() => fake.stop());

const config: MangoConfig = hqConfigSchema.shape.hq.shape.mango.unwrap().parse({
  vpbx_api_key: SECRETS.apiKey,
  vpbx_api_salt: SECRETS.salt,
  api_url: fake.apiUrl,
  branches: [
    { branch: "msk", lines: ["74951112233"], extensions: ["101", "102"] },
    { branch: "spb", lines: ["78121112233"], extensions: ["201"] },
  ],
});

let clock = 1_800_000_000_000;

const soon = (check: () => Promise<boolean> | boolean) => eventually(check.toString(), check, 5000);

/** One HQ's storage and commander (the same storage may be opened again: a restart). */
async function hq(engine: HqEngine, at?: string, api = mangoApi({ apiUrl: fake.apiUrl, ...SECRETS })) {
  const location = at ?? (await engine.fresh());
  const stores = await engine.open(location);
  const { store, mango: events, mangoCommands: commands } = stores;
  const { log, codes } = capturingLogger();
  const commander = startMangoCommander({
    store: commands,
    api,
    config,
    log,
    relay: () => {},
    now: () => clock,
    pollMs: 20,
  });
  const counters = mangoCounters();
  const app = hqHttpApp({
    store,
    token: TOKEN,
    status: () => ({ mqtt: "connected", counters: {}, waiting: { streams: 0, records: 0 } }),
    mango: { config, store: events, log, counters, now: () => clock, relay: () => {} },
    mangoCommands: { store: commands, counters: commander.counters },
  });
  /** The branch's `pbx.command` records, applied as the up applier does (then it says so). */
  const up = async (branch: string, ...records: PbxCommand[]) => {
    let seq = await store.hwm(branch, "replies");
    const envelope: Envelope = {
      v: PROTOCOL_VERSION,
      branch,
      epoch: 1,
      stream: "replies",
      seqFrom: seq + 1,
      seqTo: seq + records.length,
      historical: false,
      records: records.map((data) => ({
        id: data.commandId,
        seq: ++seq,
        ts: clock,
        type: "pbx.command",
        data,
      })),
    };
    await store.apply([envelope], () => clock);
    commander.kick();
  };
  /** The results waiting for the relay, as the box would get them on down/pbx. */
  const results = async () =>
    mangoEnvelopes(await events.unpublished(1000), 1)
      .flatMap((e) => e.records.map((r) => ({ branch: e.branch, ...r })))
      .filter((r) => r.type === "mango.result");
  /** A call leg HQ relayed to a branch (events/call as stored by the webhook). */
  const leg = (callId: string, line: string, extension: string) =>
    events.add(
      {
        id: `mango:call:${callId}`,
        kind: "call",
        json: JSON.stringify({
          entry_id: `e-${callId}`,
          call_id: callId,
          seq: 1,
          call_state: "Connected",
          location: "abonent",
          from: { number: "79161234567" },
          to: { extension, number: "sip:x@vpbx", line_number: line },
        }),
        receivedAt: clock,
        entryId: `e-${callId}`,
      },
      config.branches.find((b) => b.lines.includes(line))?.branch ?? null,
    );
  const post = (name: string, json: string, secrets = SECRETS) =>
    app.request(`/mango/result/${name}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: mangoForm(json, secrets),
    });
  return {
    location,
    events,
    store,
    commands,
    commander,
    codes,
    up,
    results,
    leg,
    post,
    app,
    async close() {
      await commander.stop();
      await stores.close();
    },
  };
}

const command = (
  commandId: string,
  c: PbxCommand["command"],
  params: Record<string, unknown>,
): PbxCommand => ({
  commandId,
  pbx: "mango",
  command: c,
  params,
  expiresAt: clock + 30_000,
});
const sentTo = (commandId: string) => fake.requests.filter((r) => r.json.command_id === commandId);
beforeEach(() => {
  fake.requests.length = 0; // each engine's run sends the same command ids
});

for (const engine of hqEngines()) {
  describe(`sending (issue 17), ${engine.name}`, () => {
    test("a valid command goes to Mango signed, with command_id = commandId and exactly the branch's fields", async () => {
      const h = await hq(engine);
      await h.up(
        "msk",
        command("cb-1", "callback", {
          from: { extension: "101" },
          to_number: "79161234567",
          line_number: "74951112233",
        }),
      );
      await soon(() => sentTo("cb-1").length === 1);
      expect(fake.rejected).toEqual([]);
      const request = sentTo("cb-1")[0];
      expect(request?.path).toBe("commands/callback");
      expect(request?.json).toEqual({
        command_id: "cb-1",
        from: { extension: "101" },
        to_number: "79161234567",
        line_number: "74951112233",
      });
      await soon(async () => (await h.commands.recent(5))[0]?.state === "sent");
      expect(await h.results()).toEqual([]); // Mango's callback is awaited
      await h.close();
    });

    test("a refused command sends NOTHING to Mango; the branch gets a coded mango.result by hq", async () => {
      const h = await hq(engine);
      const before = fake.requests.length;
      await h.leg("leg-spb", "78121112233", "201");
      await h.up(
        "msk",
        command("bad-1", "call/hangup", { call_id: "leg-spb" }),
        command("bad-2", "callback", { from: { extension: "201" }, to_number: "79161234567" }),
        { ...command("bad-3", "call/hangup", { call_id: "leg-spb" }), expiresAt: clock - 1 },
      );
      await soon(async () => (await h.results()).length === 3);
      expect(fake.requests.length).toBe(before);
      const results = await h.results();
      expect(
        results.map((r) => [r.branch, r.id, (r.data as { reason: string }).reason.split(":")[0]]),
      ).toEqual([
        ["msk", "mango:result:bad-1", "MANGO.COMMAND_NOT_OWN"],
        ["msk", "mango:result:bad-2", "MANGO.COMMAND_NOT_OWN"],
        ["msk", "mango:result:bad-3", "MANGO.COMMAND_EXPIRED"],
      ]);
      for (const r of results) {
        expect(DOWN_RECORD_SCHEMAS.pbx["mango.result"].parse(r.data)).toMatchObject({
          by: "hq",
          result: null,
        });
      }
      expect(h.codes()).toContain("MANGO.COMMAND_NOT_OWN");
      expect(h.commander.counters.refused).toEqual({
        "MANGO.COMMAND_NOT_OWN": 2,
        "MANGO.COMMAND_EXPIRED": 1,
      });
      await h.close();
    });

    test("a commandId asked for twice is sent once", async () => {
      const h = await hq(engine);
      await h.leg("leg-1", "74951112233", "101");
      const hangup = command("dup-1", "call/hangup", { call_id: "leg-1" });
      await h.up("msk", hangup, hangup);
      await h.up("msk", hangup);
      await soon(() => h.commander.counters.duplicates === 2);
      expect(sentTo("dup-1").map((r) => r.path)).toEqual(["commands/call/hangup"]);
      await h.close();
    });

    test("Mango's 420 is the command's result at once; no answer is 'may or may not have run', never retried", async () => {
      fake.answer("commands/route", () => Response.json({ code: 3104 }, { status: 420 }));
      fake.answer("commands/transfer", () => new Response("down", { status: 503 }));
      const h = await hq(engine);
      await h.leg("leg-r", "74951112233", "101");
      await h.up(
        "msk",
        command("r-1", "route", { call_id: "leg-r", to_number: "102" }),
        command("t-1", "transfer", { call_id: "leg-r", method: "blind", to_number: "102", initiator: "101" }),
      );
      await soon(async () => (await h.results()).length === 2);
      const [route, transfer] = (await h.results()).map((r) => r.data);
      expect(route).toMatchObject({ commandId: "r-1", command: "route", result: 3104, by: "mango" });
      expect(transfer).toMatchObject({ commandId: "t-1", command: "transfer", result: null, by: "hq" });
      expect((transfer as { reason: string }).reason).toStartWith(
        "MANGO.COMMAND_UNREACHABLE: it may or may not have run",
      );
      expect(sentTo("t-1").length).toBe(1);
      expect(h.codes()).toContain("MANGO.COMMAND_UNREACHABLE");
      await h.close();
    });

    test("restart: a command stored but not read is sent after it; one claimed mid-send is answered, never sent again", async () => {
      // The first HQ claims a command and stops before Mango answers (its request never returns).
      let hold: (() => void) | undefined;
      const stuck = mangoApi({
        apiUrl: fake.apiUrl,
        ...SECRETS,
        fetch: (() =>
          new Promise<Response>(
            (_, reject) => (hold = () => reject(new Error("stopped"))),
          )) as unknown as typeof fetch,
      });
      const first = await hq(engine, undefined, stuck);
      await first.leg("leg-m", "74951112233", "101");
      await first.up("msk", command("mid-1", "call/hangup", { call_id: "leg-m" }));
      await soon(async () => (await first.commands.recent(5))[0]?.state === "sending");
      // The branch's next command is committed, but this HQ, stuck, never reads it; then it dies (a
      // crash, as far as hq.db can tell). A second HQ opens the same hq.db.
      await first.up("msk", command("after-1", "call/hangup", { call_id: "leg-m" }));
      const second = await hq(engine, first.location);
      await soon(() => sentTo("after-1").length === 1);
      clock += 31_000;
      second.commander.kick();
      await soon(async () => (await second.results()).some((r) => r.id === "mango:result:mid-1"));
      const mid = (await second.results()).find((r) => r.id === "mango:result:mid-1");
      expect(mid?.data).toMatchObject({ by: "hq", result: null });
      expect((mid?.data as { reason?: string } | undefined)?.reason).toStartWith("MANGO.COMMAND_INTERRUPTED");
      expect(sentTo("mid-1")).toEqual([]);
      // The first HQ's request fails late: the interruption answered first, and the first wins.
      hold?.();
      await first.close();
      expect((await second.results()).filter((r) => r.id === "mango:result:mid-1")).toHaveLength(1);
      await second.close();
    }, 20_000);
  });

  describe(`POST /mango/result/<name> (issue 17), ${engine.name}`, () => {
    test("Mango's signed result is correlated by command_id: one mango.result by mango, in the branch's pbx seq space", async () => {
      const h = await hq(engine);
      await h.leg("leg-h", "74951112233", "101");
      await h.up("msk", command("h-1", "call/hangup", { call_id: "leg-h" }));
      await soon(() => sentTo("h-1").length === 1);
      await soon(async () => (await h.commands.recent(1))[0]?.state === "sent");
      const res = await h.post("hangup", '{"command_id":"h-1","result":"1000"}');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ kind: "stored", branch: "msk", commandId: "h-1" });
      const envelopes = mangoEnvelopes(await h.events.unpublished(100), 1);
      expect(envelopes).toHaveLength(1);
      const envelope = envelopeSchema.parse(envelopes[0]);
      // The leg's event is seq 1, the result seq 2: one stream, one seq space.
      expect(envelope.records.map((r) => [r.seq, r.type, r.id])).toEqual([
        [1, "mango.event", "mango:call:leg-h"],
        [2, "mango.result", "mango:result:h-1"],
      ]);
      expect(envelope.records[1]?.data).toEqual({
        commandId: "h-1",
        command: "call/hangup",
        result: 1000,
        by: "mango",
        receivedAt: clock,
      });
      // Delivered again, or a second result: kept on the command, not relayed twice.
      expect(await (await h.post("hangup", '{"command_id":"h-1","result":1000}')).json()).toMatchObject({
        kind: "late",
      });
      expect((await h.results()).filter((r) => r.id === "mango:result:h-1")).toHaveLength(1);
      const api = await (
        await h.app.request("/api/v1/mango", { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json();
      expect(api.commands.outcomes).toEqual({ done: 1 });
      expect(api.commands.recent[0]).toMatchObject({
        commandId: "h-1",
        branch: "msk",
        command: "call/hangup",
        state: "done",
        result: 1000,
        by: "mango",
      });
      expect(api.counters).toMatchObject({ results: 1, lateResults: 1 });
      await h.close();
    });

    test("a result of a command HQ did not send is kept with no branch and listed, not dropped", async () => {
      const h = await hq(engine);
      const res = await h.post("callback", '{"command_id":"from-web-ui","result":1000}');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ kind: "unknown", duplicate: false });
      expect(h.codes()).toContain("MANGO.UNKNOWN_RESULT");
      const api = await (
        await h.app.request("/api/v1/mango", { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json();
      expect(api.unrouted).toEqual([
        expect.objectContaining({ kind: "result", json: { command_id: "from-web-ui", result: 1000 } }),
      ]);
      expect(await h.results()).toEqual([]);
      await h.close();
    });

    test("a forged result (another salt, another key) is refused with its code and stores nothing", async () => {
      const h = await hq(engine);
      await h.leg("leg-f", "74951112233", "101");
      await h.up("msk", command("f-1", "call/hangup", { call_id: "leg-f" }));
      await soon(async () => (await h.commands.recent(1))[0]?.state === "sent");
      const forged = await h.post("hangup", '{"command_id":"f-1","result":1000}', {
        ...SECRETS,
        salt: "guess",
      });
      expect(forged.status).toBe(403);
      expect(await forged.json()).toMatchObject({ error: { code: "MANGO.BAD_SIGN" } });
      const otherKey = await h.post("hangup", '{"command_id":"f-1","result":1000}', {
        apiKey: "other",
        salt: SECRETS.salt,
      });
      expect(otherKey.status).toBe(403);
      expect(await h.results()).toEqual([]);
      expect((await h.commands.recent(1))[0]?.state).toBe("sent");
      await h.close();
    });
  });
}
