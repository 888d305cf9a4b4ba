#!/usr/bin/env bun
import { createBox, listen } from "../../../src/app.ts";
import { DEMO_STAFF } from "../../../src/demo.ts";
import { announceAndStopOnSignal, serverConfig } from "../lib/server-entry.ts";

/**
 * The box as `branchbox serve --config FILE` runs it (same composition root, the AMI source the
 * config's [pbx.ami] names, same logger on stdout, same Bun.serve via `listen`), seeded with the
 * demo staff, plus one route the product does not have: `GET /bench/ingest`, the pipeline's
 * counters and the instant (epoch ms, sub-ms) of its latest commit, seen through the pipeline's
 * own `subscribe`; `?counts=1` adds row counts from the database. `GET /bench/commits` returns
 * (and forgets) every commit since the last call: its instant and the calls it changed.
 * `GET /bench/render?n=N` times the kiosk's card stream in-process (the real route through
 * `app.request`, no socket): connect to first message, N times. Prints `listening <url>` on
 * stderr once it accepts connections.
 */

const { config, log } = serverConfig("scripts/bench/ingest/server.ts");
const box = await createBox(config, { log, seedStaff: DEMO_STAFF });

let commits = 0;
let lastCommitAt = 0;
let commitLog: { at: number; calls: string[] }[] = [];
box.calls.subscribe((changed) => {
  commits++;
  lastCommitAt = performance.timeOrigin + performance.now();
  commitLog.push({ at: lastCommitAt, calls: changed.map((call) => call.id) });
});
const count = (sql: string) => box.db.query<{ n: number }, []>(sql).get()?.n ?? 0;

box.app.get("/bench/ingest", (c) => {
  const source = box.sources[0]?.status();
  const body = {
    pipeline: box.calls.status(),
    live: box.calls.live().length,
    commits,
    lastCommitAt,
    amiFrames: source?.eventsReceived ?? 0,
    amiState: source?.state ?? "none",
    badFrames: source?.badFrames ?? 0,
    memoryMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  if (c.req.query("counts") === undefined) return c.json(body);
  return c.json({
    ...body,
    journal: count("SELECT count(*) AS n FROM pbx_journal"),
    records: count("SELECT count(*) AS n FROM calls"),
    recordedCalls: count("SELECT count(DISTINCT call_id) AS n FROM calls"),
  });
});

box.app.get("/bench/commits", (c) => {
  const log = commitLog;
  commitLog = [];
  return c.json(log);
});

box.app.get("/bench/render", async (c) => {
  const times: number[] = [];
  for (let i = 0; i < Number(c.req.query("n") ?? 20); i++) {
    const started = performance.now();
    const abort = new AbortController();
    // As the bench's own client on loopback (c.env: its socket), which is paired by itself (issue 14).
    const res = await box.app.request("/calls/events", { signal: abort.signal }, c.env);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("\ndata:") && !text.startsWith("data:")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    times.push(performance.now() - started);
    abort.abort();
    await reader.cancel();
  }
  return c.json(times);
});

announceAndStopOnSignal(listen(box), box);
