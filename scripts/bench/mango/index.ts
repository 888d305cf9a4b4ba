#!/usr/bin/env bun
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { postMangoWebhook } from "../../../src/hq/mango/mango-replay.ts";
import { type Mosquitto, startMosquitto } from "../../../test/support/mosquitto.ts";
import { Children, killOnExit, spawnListening, startBenchBox } from "../lib/children.ts";
import { machine } from "../lib/host.ts";
import { int, type Latency, lat, percentiles, progress } from "../lib/stats.ts";
import { startHqProcess } from "../sync/hq-process.ts";

/**
 * `npm run bench:mango`: issue 17's figure — a Mango Office webhook accepted by HQ → the call
 * record committed at the branch, p50/p99 — next to a bare HTTP POST → MQTT publish → subscriber
 * on the same broker, in the same run.
 *
 * One real Mosquitto on loopback; the real `branchbox hq` (bun src/main.ts hq, `[hq.mango]` with
 * one branch) and the box as `branchbox serve` runs it (scripts/bench/mango/server.ts: `[mqtt]`,
 * an empty `[pbx.mango]`), each in its own process. Each call is the four signed webhooks Mango
 * posts for an answered inbound call, shaped like the real capture in
 * test/fixtures/mango/real/odoo-cloud-phone-answered.json: the employee's leg Appeared,
 * Connected, Disconnected (events/call, seq 1–3), then events/summary, which finalises the call.
 * The four go one after the other, as Mango sends them; calls start --rate per second. The figure
 * is from the summary's 200 at the poster to the box's commit of the call record (its pipeline's
 * own listener, epoch ms): HQ's store (synchronous=FULL) and answer, its relay's publish, the
 * broker, the box's inbox commit, the Mango source and the call pipeline's commit.
 *
 * The baseline (scripts/bench/mango/bare-server.ts): the same four forms to a Bun.serve that
 * answers 200 at once and then publishes the `json` at QoS 1; the figure is from the summary's
 * 200 to its arrival at a subscriber here (the publish races the 200 back, so it is near zero).
 * Both are printed from the summary's sending as well, which adds HQ's durable store (and the
 * bare server's HTTP turn) and is the fairer comparison. Both runs use the same calls, rate and broker, one
 * after the other (the baseline first). Not a test: it fails (exit 1) only if a call was not
 * recorded, or was recorded with another outcome. About 40 s.
 *
 *   --calls N   calls per side (default 300)
 *   --rate R    calls started per second (default 10: 40 webhooks/s)
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { calls: { type: "string", default: "300" }, rate: { type: "string", default: "10" } },
});
const CALLS = Number(values.calls);
const RATE = Number(values.rate);
if (!(Number.isInteger(CALLS) && CALLS > 0 && RATE > 0)) {
  console.error("usage: bun scripts/bench/mango/index.ts [--calls N] [--rate R]");
  process.exit(2);
}

const KEY = "bench-vpbx-key";
const SALT = "bench-vpbx-salt";
const LINE = "sip:bench-0001@vpbx400000000.mangosip.ru";
const EXTENSION = "222";
const BRANCH = "bench";
const dir = mkdtempSync(join(tmpdir(), "branchbox-bench-mango-"));
const children = new Children();
killOnExit(children, dir);
const now = () => performance.timeOrigin + performance.now();

/** The four webhooks of call `i`: [kind, json text], in the order Mango posts them. */
function webhooks(i: number, at: number): [string, string][] {
  const entry = `bench-entry-${i}`;
  const leg = `bench-leg-${i}`;
  const client = `7960${String(1_000_000 + i).slice(1)}000`.slice(0, 11);
  const t = Math.floor(at / 1000);
  const call = (seq: number, state: string, extra: Record<string, unknown> = {}) => ({
    entry_id: entry,
    call_id: leg,
    timestamp: t + seq,
    seq,
    call_state: state,
    location: "abonent",
    from: { number: client },
    to: { extension: EXTENSION, number: "79776307393", line_number: LINE, acd_group: "999" },
    dct: { type: 0 },
    ...extra,
  });
  const summary = {
    entry_id: entry,
    call_direction: 1,
    from: { number: client },
    to: { extension: EXTENSION, number: "79776307393" },
    line_number: LINE,
    create_time: t,
    forward_time: t + 1,
    talk_time: t + 2,
    end_time: t + 3,
    entry_result: 1,
    disconnect_reason: 1110,
  };
  return [
    ["call", JSON.stringify(call(1, "Appeared"))],
    ["call", JSON.stringify(call(2, "Connected"))],
    ["call", JSON.stringify(call(3, "Disconnected", { disconnect_reason: 1110 }))],
    ["summary", JSON.stringify(summary)],
  ];
}

async function post(base: string, kind: string, json: string): Promise<void> {
  const res = await postMangoWebhook(base, { kind, json }, { apiKey: KEY, salt: SALT });
  if (res.status !== 200) throw new Error(`${base}: ${kind} answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** When each call's summary was sent and when its 200 came back (epoch ms), by entry. */
type Posted = Map<string, { readonly sent: number; readonly accepted: number }>;

/** Plays every call at RATE against `base`. */
async function play(base: string): Promise<Posted> {
  const posted: Posted = new Map();
  const started = now();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < CALLS; i++) {
    const due = started + (i * 1000) / RATE;
    if (due > now()) await Bun.sleep(due - now());
    calls.push(
      (async () => {
        const all = webhooks(i, due);
        for (const [kind, json] of all.slice(0, -1)) await post(base, kind, json);
        const [kind, json] = all.at(-1) as [string, string];
        const sent = now();
        await post(base, kind, json);
        posted.set(`bench-entry-${i}`, { sent, accepted: now() });
      })(),
    );
  }
  await Promise.all(calls);
  return posted;
}

/** Waits for `check` (polled every 20 ms) up to `ms`; throws with `what` after. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench:mango: ${what} not within ${ms / 1000} s`);
    await Bun.sleep(20);
  }
}

/** From the summary's 200, and from its sending, to `arrived` (ms; NaN: never arrived). */
function latencies(posted: Posted, arrived: (entry: string) => number | undefined) {
  const since = (key: "sent" | "accepted") =>
    percentiles([...posted].map(([entry, p]) => (arrived(entry) ?? Number.NaN) - p[key]));
  return { accepted: since("accepted"), sent: since("sent") };
}

async function baseline(broker: Mosquitto) {
  progress("baseline: bare HTTP POST → MQTT publish → subscriber ...");
  const arrived = new Map<string, number>();
  const subscriber = await mqtt.connectAsync(broker.url, {
    protocolVersion: 5,
    clientId: `bench-mango-sub-${process.pid}`,
    clean: true,
    reconnectPeriod: 0,
  });
  subscriber.on("message", (_topic, payload) => {
    const json = JSON.parse(payload.toString()) as { entry_id?: string; call_direction?: number };
    if (json.call_direction !== undefined && json.entry_id !== undefined) arrived.set(json.entry_id, now());
  });
  await subscriber.subscribeAsync("bench/mango/bare", { qos: 1 });
  const bare = await spawnListening({
    name: "the bare relay",
    argv: ["scripts/bench/mango/bare-server.ts", broker.url],
    logPath: join(dir, "bare.log"),
    onStart: (child) => children.track(child),
  });
  const posted = await play(bare.url.replace(/\/$/, ""));
  await waitFor("every summary at the subscriber", () => arrived.size === CALLS);
  await bare.stop();
  await subscriber.endAsync();
  return latencies(posted, (entry) => arrived.get(entry));
}

async function branchbox(broker: Mosquitto) {
  progress("branchbox: HQ ([hq.mango]) → Mosquitto → the box ([pbx.mango]) → call record ...");
  const hq = await startHqProcess(children, {
    dir,
    brokerUrl: broker.url,
    extraToml: [
      "[hq.mango]",
      `vpbx_api_key = "${KEY}"`,
      `vpbx_api_salt = "${SALT}"`,
      "[[hq.mango.branches]]",
      `branch = "${BRANCH}"`,
      `lines = ["${LINE}"]`,
      `extensions = ["${EXTENSION}"]`,
      "",
    ].join("\n"),
  });
  const box = await startBenchBox({
    dir,
    server: "scripts/bench/mango/server.ts",
    config: (storage, token) =>
      [
        `[branch]\nid = "${BRANCH}"\nname = "Bench branch"\ntimezone = "Europe/Moscow"\n`,
        `[http]\nlisten = "127.0.0.1:0"\nadmin_token = "${token}"\n`,
        `[storage]\ndir = ${JSON.stringify(storage)}\n`,
        `[mqtt]\nurl = "${broker.url}"\n`,
        "[pbx.mango]\n",
      ].join("\n"),
    onStart: (child) => children.track(child),
  });
  const recorded = new Map<string, { at: number; outcome: string }>();
  const collect = async () => {
    const list = (await (await fetch(`${box.url}bench/recorded`)).json()) as {
      id: string;
      at: number;
      outcome: string;
    }[];
    for (const r of list) if (!recorded.has(r.id)) recorded.set(r.id, r);
  };
  // HQ relays at once and the broker keeps nothing for a session that never subscribed.
  await waitFor(
    "the box linked to HQ",
    async () => ((await (await fetch(`${box.url}bench/linked`)).json()) as { linked: boolean }).linked,
    30_000,
  );
  const posted = await play(hq.url);
  await waitFor("every call recorded at the box", async () => {
    await collect();
    return recorded.size >= CALLS;
  });
  const wrong = [...recorded.values()].filter((r) => r.outcome !== "answered").length;
  await box.stop();
  await hq.child.stop();
  hq.close();
  if (wrong > 0) throw new Error(`bench:mango: ${wrong} calls recorded with another outcome than answered`);
  return latencies(posted, (entry) => recorded.get(entry)?.at);
}

console.log(`branchbox Mango relay benchmark: ${machine()}; ${int(CALLS)} calls per side at ${RATE}/s`);
const broker = await startMosquitto({ dir: join(dir, "mosquitto") });
children.adopt(broker.pid);
try {
  const bare = await baseline(broker);
  const box = await branchbox(broker);
  const ratio = (a: Latency, b: Latency) =>
    `p50 ×${(a.p50 / b.p50).toFixed(1)}, p99 ×${(a.p99 / b.p99).toFixed(1)}`;
  console.log("  from the summary's 200 (the issue's figure):");
  console.log(`    webhook accepted → call record committed at the branch   ${lat(box.accepted)}`);
  console.log(`    baseline: bare POST answered → MQTT → subscriber         ${lat(bare.accepted)}`);
  console.log(`    ratio: ${ratio(box.accepted, bare.accepted)}`);
  console.log("  from the summary's sending (adds HQ's durable store before its 200):");
  console.log(`    webhook sent → call record committed at the branch       ${lat(box.sent)}`);
  console.log(`    baseline: bare POST sent → MQTT → subscriber             ${lat(bare.sent)}`);
  console.log(`    ratio: ${ratio(box.sent, bare.sent)}`);
} finally {
  await broker.stop();
  children.killAll();
}
