// Issue 17 end to end: Mango Office's signed webhooks (a real capture's payloads, test/fixtures/mango)
// → the compiled `branchbox hq` ([hq.mango]) → a real Mosquitto (down/pbx) → the compiled box
// ([pbx.mango]) → its call record → up/calls → back at HQ. A webhook signed with the wrong salt is
// refused and reaches no branch. The same runs with HQ's store on SQLite and on a real PostgreSQL
// (`[hq] database_url`, issue 18: HQ runs fully on PostgreSQL, Mango included).
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SQL } from "bun";
import { postMangoWebhook } from "../../src/hq/mango/mango-replay.ts";
import { startMosquitto } from "../support/mosquitto.ts";
import { startPostgres } from "../support/postgres.ts";
import { ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";
import { ADMIN_TOKEN, eventually, SyncSystem, withSystem } from "../support/sync-system.ts";

const KEY = "e2e-vpbx-key-17";
const SALT = "e2e-vpbx-salt-17";
const LINE = "sip:roistat-0758@vpbx400076322.mangosip.ru";
const ENTRY = "MTYxNzM5NjY0OTE=";

interface Fixture {
  readonly records: readonly { readonly kind: string; readonly json: Record<string, unknown> }[];
}
const FIXTURE = fileURLToPath(
  new URL("../fixtures/mango/real/odoo-cloud-phone-answered.json", import.meta.url),
);
const capture = JSON.parse(readFileSync(FIXTURE, "utf8")) as Fixture;

/** One webhook as Mango posts it: a form of the key, the json text and its signature. */
function webhook(hq: string, kind: string, json: string, salt = SALT): Promise<Response> {
  return postMangoWebhook(hq, { kind, json }, { apiKey: KEY, salt });
}

/** The scenario, HQ started with `hqExtra` after its `[hq]` keys (empty: SQLite). */
async function webhooksToTheBranchAndBack(hqExtra: readonly string[]): Promise<void> {
  const sys = new SyncSystem();
  let box: Running | null = null;
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto());
    const hq = await sys.startHq({ url: broker.url }, "hq-mango", [
      ...hqExtra,
      "[hq.mango]",
      `vpbx_api_key = "${KEY}"`,
      `vpbx_api_salt = "${SALT}"`,
      "[[hq.mango.branches]]",
      `branch = "demo"`,
      `lines = ["${LINE}"]`,
      `extensions = ["222"]`,
    ]);
    box = await startBranchbox({
      args: ["serve", "--demo"],
      dir: makeTestDir("mango-e2e"),
      env: {
        BRANCHBOX_HTTP_ADMIN_TOKEN: ADMIN_TOKEN,
        BRANCHBOX_MQTT_URL: broker.url,
        BRANCHBOX_PBX_MANGO_GRACE_SECONDS: "30",
      },
    });
    try {
      const [connected, summary] = capture.records;
      if (connected === undefined || summary === undefined) throw new Error("the capture has two events");
      // A forged webhook first: refused, stored nowhere, relayed to nobody.
      const forged = await webhook(hq.baseUrl, "call", JSON.stringify(connected.json), "not-the-salt");
      expect(forged.status).toBe(403);
      expect(await forged.text()).toContain("MANGO.BAD_SIGN");

      // The capture goes in as support replays real payloads: `branchbox hq replay-mango`, signed
      // with the HQ config's [hq.mango] key and salt (and never printing them).
      const configPath = join(makeTestDir("mango-replay"), "hq.toml");
      writeFileSync(
        configPath,
        `[mqtt]\nurl = "${broker.url}"\n[hq]\ntoken = "replay-token-0123456789"\n[hq.mango]\nvpbx_api_key = "${KEY}"\nvpbx_api_salt = "${SALT}"\n`,
      );
      const replay = spawnSync(
        ensureBinary(),
        ["hq", "replay-mango", FIXTURE, "--config", configPath, "--url", hq.baseUrl],
        {
          encoding: "utf8",
        },
      );
      expect(replay.status).toBe(0);
      expect(replay.stdout).toContain("2 of 2 accepted");
      expect(replay.stdout + replay.stderr).not.toContain(SALT);
      expect([connected.kind, summary.kind]).toEqual(["call", "summary"]);
      // The leg's seq 1 never came (the capture lacks it): the box waits 2 s for it, then goes on.
      const recordsOfCall = async () => (await sys.hqRecords(hq, "calls")).filter((r) => r.id === ENTRY);
      await eventually(
        "the branch's call record back at HQ",
        async () => (await recordsOfCall()).length > 0,
        30_000,
      );
      const calls = await recordsOfCall();
      expect(calls).toHaveLength(1);
      expect(calls[0]?.data).toMatchObject({
        id: ENTRY,
        source: "mango",
        direction: "inbound",
        outcome: "answered",
        from: { number: "+79607164646" },
        answeredAt: 1670060542_000,
        endedAt: 1670060661_000,
      });
      // HQ stored the two signed events, placed on the branch and all published; the forged one
      // is only counted.
      const mango = await sys.hqGet<{
        counters: { stored: number; refused: Record<string, number> };
        store: { stored: number; unrouted: number; unpublished: number };
      }>(hq, "/api/v1/mango");
      expect(mango.counters.stored).toBe(2);
      expect(mango.counters.refused["MANGO.BAD_SIGN"]).toBe(1);
      expect(mango.store).toEqual({ stored: 2, unrouted: 0, unpublished: 0 });
    } finally {
      await box?.stop();
    }
  });
}

test("issue 17: signed webhooks → branchbox hq → Mosquitto → the branch's [pbx.mango] → its call record, back at HQ; a forged one reaches nobody", async () => {
  await webhooksToTheBranchAndBack([]);
}, 90_000);

test("issue 17, HQ on PostgreSQL: signed webhooks → branchbox hq → Mosquitto → the branch's [pbx.mango] → its call record, back at HQ; a forged one reaches nobody", async () => {
  const pg = await startPostgres();
  try {
    const admin = new SQL(pg.url(), { max: 1 });
    await admin.unsafe("CREATE DATABASE hq");
    await admin.close();
    await webhooksToTheBranchAndBack([`database_url = "${pg.url("hq")}"`]);
    // Mango's state is PostgreSQL's: the two events on the branch's pbx stream, published; HQ beat.
    const db = new SQL(pg.url("hq"), { max: 1 });
    try {
      expect(
        await db`SELECT kind, branch, seq, published_at IS NOT NULL AS published FROM mango_events ORDER BY n`,
      ).toEqual([
        { kind: "call", branch: "demo", seq: "1", published: true },
        { kind: "summary", branch: "demo", seq: "2", published: true },
      ]);
      expect((await db`SELECT count(*) AS n FROM hq_heartbeat`)[0]).toEqual({ n: "1" });
    } finally {
      await db.close();
    }
  } finally {
    await pg.stop();
  }
}, 150_000);
