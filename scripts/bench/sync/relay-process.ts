#!/usr/bin/env bun
import { heapStats } from "bun:jsc";
import { parseArgs } from "node:util";
import { createLogger } from "../../../src/log/logger.ts";
import { openDatabase } from "../../../src/store/db.ts";
import { outboxStore } from "../../../src/store/outbox-store.ts";
import { createRelay } from "../../../src/sync/relay/index.ts";
import { VERSION } from "../../../src/version.ts";
import { epochMs, say } from "../lib/say.ts";
import { recordFactory } from "./record-gen.ts";

/**
 * The branch side in its own process: the box's database under --dir and the real relay on it,
 * with the production tuning (500 records / 256 KiB per envelope, window 8, 50,000 unacked).
 * Messages to the bench are JSON lines on stdout; the relay's log goes to stderr.
 *
 * Commands on stdin (signals would do, but Bun's profiler takes SIGUSR1):
 *   down     relay.stop(): the link goes down (a clean disconnect; rows stay in the outbox)
 *   up       relay.start(): the link is back; a new connection reads its backlog from SQLite
 *   mem      RSS, JSC heap, memory JSC objects own outside it (big strings, Buffers), MB
 * SIGTERM stops the relay and exits.
 *
 * With --pace R --count N, once HQ says it is online, it commits N records at R/s, each in its
 * own transaction and followed by relay.wake(), as the call pipeline's commit does.
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    dir: { type: "string" },
    url: { type: "string" },
    branch: { type: "string" },
    pace: { type: "string" },
    count: { type: "string" },
    seed: { type: "string" },
  },
});
if (values.dir === undefined || values.url === undefined || values.branch === undefined) {
  console.error("usage: relay-process.ts --dir DIR --url MQTT_URL --branch ID [--pace R --count N --seed S]");
  process.exit(2);
}

const db = openDatabase(values.dir);
const relay = createRelay({
  db,
  branch: values.branch,
  config: { url: values.url, username: "", password: "", ca: "", cert: "", key: "" },
  log: createLogger({ level: "warn", write: (line) => process.stderr.write(`${line}\n`) }),
  now: Date.now,
  version: VERSION,
});

/** Waits for a relay condition; only while the outbox is small (status() counts the outbox). */
async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`relay: no ${what} in 15 s`);
    await Bun.sleep(5);
  }
}

void (async () => {
  for await (const line of console) {
    if (line === "down") void relay.stop().then(() => say("stopped", { at: epochMs() }));
    if (line === "up") {
      const at = epochMs();
      relay.start();
      say("started", { at });
    }
    if (line === "mem") {
      const m = process.memoryUsage();
      const jsc = heapStats();
      const mb = (n: number) => n / 2 ** 20;
      say("mem", {
        rss: mb(m.rss),
        heap: mb(jsc.heapSize),
        extra: mb(jsc.extraMemorySize),
        arrayBuffers: mb(m.arrayBuffers),
      });
    }
  }
})();
process.once("SIGTERM", () => {
  void relay.stop().then(() => process.exit(0));
});

relay.start();
await until(() => relay.status().state === "connected", "connection");
say("ready");

if (values.pace !== undefined) {
  const rate = Number(values.pace);
  const count = Number(values.count ?? 0);
  const make = recordFactory(Number(values.seed ?? 1));
  const outbox = outboxStore(db);
  await until(() => relay.status().hqOnline, "HQ online");
  const stepMs = 1000 / rate;
  const start = performance.now() + 100;
  const commit = db.transaction((stream: "calls" | "roster", item, ts: number) =>
    outbox.add(stream, [item], ts),
  );
  for (let i = 0; i < count; i++) {
    await Bun.sleep(Math.max(0, start + i * stepMs - performance.now()));
    const ts = Date.now();
    const r = make(i, ts);
    commit(r.stream, { id: r.id, type: r.type, data: JSON.parse(r.dataJson) as unknown }, ts);
    relay.wake();
  }
  say("paced", { count, ms: performance.now() - start });
}
