#!/usr/bin/env bun
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Children, killOnExit } from "../lib/children.ts";
import { machine } from "../lib/host.ts";
import { goal, int, pad, progress, secs, spread } from "../lib/stats.ts";
import { type Latency, runHttpBench, serverLogTail } from "./http-bench.ts";
import { runOwnerBench } from "./owner-bench.ts";

/**
 * `npm run bench`: the roster benchmark of issue 2, each figure beside its baseline from the same
 * run. Not a test: it prints, it does not fail on a missed goal. About a minute; it stops by itself
 * and kills the server it started, also on error or Ctrl-C.
 *
 *   --only owner|http   run one half
 *   --profile DIR       run the server under Bun's CPU profiler (Markdown profile in DIR)
 */

const CLIENTS = 32;
const OWNER_SECONDS = 2;
const HTTP_SECONDS = 8;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { only: { type: "string" }, profile: { type: "string" } },
});
const only = values.only;
if (only !== undefined && only !== "owner" && only !== "http") {
  console.error("usage: bun scripts/bench/roster/index.ts [--only owner|http] [--profile DIR]");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "branchbox-bench-"));
const children = new Children();
killOnExit(children, dir);

const latency = (l: Latency) =>
  `${spread(l)}  ${int(l.perSec)} req/s${l.errors > 0 ? `  ${int(l.errors)} NOT 200` : ""}`;
const inServer = spread;

try {
  const lines: string[] = [`branchbox roster benchmark: ${machine()}`];

  // The HTTP half runs first, while this process (the clients) still has a small heap.
  const http =
    only === "owner"
      ? null
      : await (async () => {
          progress(`HTTP: seeding ${CLIENTS} receptionists, starting the server, ${CLIENTS} clients...`);
          return runHttpBench({
            dir,
            clients: CLIENTS,
            seconds: HTTP_SECONDS,
            ...(values.profile === undefined ? {} : { profileDir: values.profile }),
            onServer: (s) => children.track(s),
          });
        })();

  if (only !== "http") {
    progress("ownerOf: generating 1,000,000 holder spans, building the timeline and the SQLite table...");
    const o = runOwnerBench(dir, OWNER_SECONDS);
    const ratio = o.ownerOfPerSec / o.sqlitePerSec;
    lines.push(
      "",
      `ownerOf over ${int(o.spans)} holder spans: 100 desks, ${int(o.days)} days, ${int(o.facts)} facts (seeded PRNG)`,
      `  build              timeline ${secs(o.timelineBuildMs, 1)} (constructor fold of all facts) | SQLite table + index ${secs(o.sqliteBuildMs, 1)} | generating facts ${secs(o.generateMs, 1)}`,
      `  agreement          ${int(o.agree)} / ${int(o.sample)} random points give the same employee (${int(o.mapped)} held, ${int(o.sample - o.mapped)} nobody)`,
      `  ${pad("ownerOf", 18)} ${int(o.ownerOfPerSec)} q/s | bare SQLite ${int(o.sqlitePerSec)} q/s | ratio ${ratio.toFixed(2)}x (goal >= 0.5x: ${goal(ratio >= 0.5)})`,
    );
  }

  if (http !== null) {
    const h = http;
    const vs = (l: Latency) => `${(l.p99 / h.constant.p99).toFixed(1)}x`;
    lines.push(
      "",
      `check-in over loopback HTTP: server in its own process, ${h.staff} receptionists (seeded by \`staff import\` in ${secs(h.seedMs, 1)}), database on ${h.fs}`,
      `  ${pad(`check-in (${CLIENTS} cl.)`, 18)} ${latency(h.checkIn)} | constant route ${latency(h.constant)} | p99 ${vs(h.checkIn)} (goal p99 < 5 ms: ${goal(h.checkIn.p99 < 5)})`,
      `  ${pad("  in the server", 18)} ${inServer(h.server.checkIn)} | constant route ${inServer(h.server.constant)}  (fetch called to response ready)`,
      `  ${pad(`check-out (${CLIENTS} cl.)`, 18)} ${latency(h.checkOut)}  (the other half of each client's loop)`,
      `  ${pad("check-in (1 cl.)", 18)} ${latency(h.checkInSolo)}  (no queue: the server's own time per check-in)`,
      `  ${pad("  in the server", 18)} ${inServer(h.server.checkInSolo)}`,
      `  ${pad("durable commit", 18)} ${latency(h.commitFloor).replace("req/s", "commits/s")}  (bare bun:sqlite, one row per transaction, WAL + synchronous=FULL, no HTTP)`,
      `  ${pad(`  ${CLIENTS} rows/commit`, 18)} ${latency(h.batchCommitFloor).replace("req/s", "commits/s")}  (the same, ${CLIENTS} rows per transaction: one fsync for a batch)`,
      `  ${pad("durability", 18)} ${int(h.factsOnDisk)} facts in the database after the run, ${int(h.factsAnswered)} check-ins/outs answered 200 (${h.factsOnDisk === h.factsAnswered ? "equal" : "DIFFERENT"})`,
    );
  }
  console.log(lines.join("\n"));
} catch (error) {
  console.error("bench failed:", error);
  const tail = serverLogTail(dir);
  if (tail !== "") console.error(`server log (last lines):\n${tail}`);
  process.exitCode = 1;
} finally {
  children.killAll();
  rmSync(dir, { recursive: true, force: true });
}
