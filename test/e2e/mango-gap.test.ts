// Issue 17 "Gaps" end to end: Mango never sends a missed webhook again. The compiled `branchbox hq`
// ([hq.mango], api_url = the signing wire fake of Mango's API) relays one call's webhooks to the
// compiled box ([pbx.mango]) over a real Mosquitto; HQ is stopped; a second call happens on Mango
// while it is down (its webhooks are never delivered); HQ starts again on the same hq.db, asks
// `stats/request` for the hole, polls `stats/result` (204, then the CSV of BOTH calls) and relays
// only the entry it holds nothing of: the branch records the missed call once, the first once.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { CallRecord } from "../../src/domain/call/call-types.ts";
import { MANGO_STATS_FIELDS } from "../../src/hq/mango/mango-stats.ts";
import { postAsMango, startFakeMango } from "../support/fake-mango.ts";
import { startMosquitto } from "../support/mosquitto.ts";
import { makeTestDir, type Running, startBranchbox } from "../support/process.ts";
import { ADMIN_TOKEN, eventually, SyncSystem, withSystem } from "../support/sync-system.ts";

const SECRETS = { apiKey: "e2e-gap-key-17", salt: "e2e-gap-salt-17" };
const LINE = "sip:roistat-0758@vpbx400076322.mangosip.ru";
const ENTRY_LIVE = "MTYxNzM5NjY0OTE=";
const ENTRY_MISSED = "MTYxNzM5NjY0OTI=";
const CALLER_2 = "79161234567";

interface Fixture {
  readonly records: readonly { readonly kind: string; readonly json: Record<string, unknown> }[];
}
const capture = JSON.parse(
  readFileSync(new URL("../fixtures/mango/real/odoo-cloud-phone-answered.json", import.meta.url), "utf8"),
) as Fixture;

/** The capture's two events moved to `endS` (its summary's end_time), every time shifted alike. */
function liveCall(endS: number) {
  const [connected, summary] = capture.records;
  if (connected === undefined || summary === undefined) throw new Error("the capture has two events");
  const shift = endS - Number(summary.json.end_time);
  const at = (json: Record<string, unknown>, key: string) => Number(json[key]) + shift;
  return {
    connected: { ...connected.json, timestamp: at(connected.json, "timestamp") },
    summary: {
      ...summary.json,
      create_time: at(summary.json, "create_time"),
      forward_time: at(summary.json, "forward_time"),
      talk_time: at(summary.json, "talk_time"),
      end_time: endS,
    },
  };
}

/** One stats/result line in MANGO_STATS_FIELDS' order, shaped like the live row of 2026. */
function csvRow(row: Record<(typeof MANGO_STATS_FIELDS)[number], string | number>): string {
  return MANGO_STATS_FIELDS.map((field) => String(row[field])).join(";");
}

test("issue 17 gaps: a call while HQ was down reaches the branch through Mango's statistics, once; the call HQ relayed live is not recorded twice", async () => {
  const sys = new SyncSystem();
  const mango = startFakeMango(SECRETS);
  let box: Running | null = null;
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto());
    const hqToml = [
      "[hq.mango]",
      `vpbx_api_key = "${SECRETS.apiKey}"`,
      `vpbx_api_salt = "${SECRETS.salt}"`,
      `api_url = "${mango.apiUrl}"`,
      "gap_margin_s = 2",
      "sweep_every_s = 0",
      "stats_poll_s = 5",
      "[[hq.mango.branches]]",
      `branch = "demo"`,
      `lines = ["${LINE}"]`,
      `extensions = ["222"]`,
    ];
    const firstHq = await sys.startHq({ url: broker.url }, "hq-gap-1", hqToml);
    box = await startBranchbox({
      args: ["serve", "--demo"],
      dir: makeTestDir("mango-gap-e2e"),
      env: {
        BRANCHBOX_HTTP_ADMIN_TOKEN: ADMIN_TOKEN,
        BRANCHBOX_MQTT_URL: broker.url,
        BRANCHBOX_PBX_MANGO_GRACE_SECONDS: "30",
      },
    });
    try {
      // Call 1 while HQ runs: its webhooks reach the branch.
      const live = liveCall(Math.floor(Date.now() / 1000) - 1);
      for (const [kind, json] of [
        ["call", live.connected],
        ["summary", live.summary],
      ] as const) {
        const response = await postAsMango(
          `${firstHq.baseUrl}/mango/events/${kind}`,
          JSON.stringify(json),
          SECRETS,
        );
        expect(response.status).toBe(200);
      }
      const callsOf = async (hq: typeof firstHq, entry: string) =>
        (await sys.hqRecords(hq, "calls")).filter((r) => r.id === entry);
      await eventually(
        "call 1's record back at HQ",
        async () => (await callsOf(firstHq, ENTRY_LIVE)).length > 0,
        30_000,
      );

      // HQ goes down; call 2 rings extension 222 unanswered and ends while it is down. Mango's
      // webhooks for it go nowhere and are never sent again.
      await firstHq.stop();
      const stoppedAt = Date.now();
      const missed = { start: Math.ceil(stoppedAt / 1000), finish: Math.ceil(stoppedAt / 1000) + 2 };
      await eventually("call 2 ended on Mango's clock", () => Date.now() >= missed.finish * 1000, 10_000);

      let polls = 0;
      mango.answer("stats/request", () => Response.json({ key: "gap-key-1" }));
      mango.answer("stats/result", () =>
        ++polls === 1
          ? new Response(null, { status: 204 })
          : new Response(
              [
                csvRow({
                  records: "[]",
                  start: live.summary.create_time,
                  finish: live.summary.end_time,
                  answer: live.summary.talk_time,
                  from_extension: "",
                  from_number: "79607164646",
                  to_extension: "222",
                  to_number: "79776307393",
                  disconnect_reason: 1110,
                  line_number: LINE,
                  location: "abonent",
                  entry_id: ENTRY_LIVE,
                }),
                csvRow({
                  records: "[]",
                  start: missed.start,
                  finish: missed.finish,
                  answer: 0,
                  from_extension: "",
                  from_number: CALLER_2,
                  to_extension: "222",
                  to_number: "79776307393",
                  disconnect_reason: 1110,
                  line_number: LINE,
                  location: "abonent",
                  entry_id: ENTRY_MISSED,
                }),
                "",
              ].join("\n"),
              { headers: { "content-type": "text/csv;charset=UTF-8" } },
            ),
      );
      const restartedAt = Date.now();
      const hq = await sys.startHq({ url: broker.url }, "hq-gap-2", hqToml);

      await eventually(
        "call 2's record back at HQ",
        async () => (await callsOf(hq, ENTRY_MISSED)).length > 0,
        60_000,
        () => JSON.stringify(mango.requests.map((r) => r.path)),
      );
      // The sweep: signed (the fake refused nothing), the window covering the whole downtime, the
      // fields HQ reads by, then the key polled until the answer was ready.
      expect(mango.rejected).toEqual([]);
      expect(mango.requests.map((r) => r.path)).toEqual(["stats/request", "stats/result", "stats/result"]);
      const asked = mango.requests[0]?.json ?? {};
      expect(asked.fields).toBe(MANGO_STATS_FIELDS.join(","));
      expect(Number(asked.date_from)).toBeLessThanOrEqual(Math.floor(stoppedAt / 1000) - 2);
      expect(Number(asked.date_to)).toBeGreaterThanOrEqual(Math.ceil(restartedAt / 1000) + 2);
      expect(mango.requests[1]?.json).toEqual({ key: "gap-key-1" });
      const pollGap = (mango.requests[2]?.at ?? 0) - (mango.requests[1]?.at ?? 0);
      expect(pollGap).toBeGreaterThanOrEqual(5000);

      // Call 2 as the statistics tell it: from the caller on the line, rung at 222, not answered.
      const call2 = (await callsOf(hq, ENTRY_MISSED))[0]?.data as CallRecord | undefined;
      expect(call2).toMatchObject({
        id: ENTRY_MISSED,
        source: "mango",
        direction: "inbound",
        outcome: "missed",
        from: { number: `+${CALLER_2}` },
        did: LINE,
        answeredAt: null,
        startedAt: missed.start * 1000,
        endedAt: missed.finish * 1000,
      });
      expect(call2?.legs.map((l) => [l.extension, l.answeredAt])).toEqual([["222", null]]);
      // Call 1 once: its row was reconciled against the webhooks HQ held, nothing relayed for it.
      expect(await callsOf(hq, ENTRY_LIVE)).toHaveLength(1);
      const state = await sys.hqGet<{
        store: { stored: number; unrouted: number; unpublished: number };
        sweeps: {
          recent: {
            reason: string;
            state: string;
            rows: number;
            newEntries: number;
            from: number;
            to: number;
          }[];
        };
      }>(hq, "/api/v1/mango");
      expect(state.store).toEqual({ stored: 3, unrouted: 0, unpublished: 0 });
      expect(state.sweeps.recent).toHaveLength(1);
      expect(state.sweeps.recent[0]).toMatchObject({
        reason: "downtime",
        state: "done",
        rows: 2,
        newEntries: 1,
        from: Number(asked.date_from),
        to: Number(asked.date_to),
      });
    } finally {
      await box?.stop();
      await mango.stop();
    }
  });
}, 120_000);
