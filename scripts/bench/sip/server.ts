#!/usr/bin/env bun
import { createBox, listen } from "../../../src/app.ts";
import type { StaffEntry } from "../../../src/service/staff-import.ts";
import { announceAndStopOnSignal, serverConfig } from "../lib/server-entry.ts";

/**
 * The box as `branchbox serve --config FILE` runs it (same composition root, the SIP source the
 * config's [pbx.sip] names, same logger on stdout, same Bun.serve via `listen`), plus two routes
 * the product does not have: `GET /bench/commits` returns (and forgets) every pipeline commit
 * since the last call, seen through the pipeline's own `subscribe`: its instant (epoch ms,
 * sub-ms), each changed call's legs and whether it finished, and the records written;
 * `GET /bench/sip` the source's status (NOTIFYs received, refused, the subscriptions' states) and
 * the pipeline's counters. Prints `listening <url>` on stderr once it accepts connections.
 */

const STAFF: StaffEntry[] = [
  { id: "anna", name: "Anna", role: "reception", pin: "1111", extension: null },
  { id: "sergey", name: "Sergey", role: "manager", pin: "9999", extension: "102" },
];

const { config, log } = serverConfig("scripts/bench/sip/server.ts");
const box = await createBox(config, { log, seedStaff: STAFF });

interface Commit {
  readonly at: number;
  readonly calls: { id: string; finished: boolean; legs: [string, string][] }[];
  readonly recorded: string[];
}
let commits: Commit[] = [];
box.calls.subscribe((changed, recorded) => {
  commits.push({
    at: performance.timeOrigin + performance.now(),
    calls: changed.map((call) => ({
      id: call.id,
      finished: call.finished,
      legs: call.legs.map((leg) => [leg.extension, leg.state]),
    })),
    recorded: recorded.map((record) => record.id),
  });
});

box.app.get("/bench/commits", (c) => {
  const taken = commits;
  commits = [];
  return c.json(taken);
});

box.app.get("/bench/sip", (c) => {
  const source = box.sources[0]?.status();
  return c.json({
    state: source?.state ?? "none",
    notifies: source?.eventsReceived ?? 0,
    badFrames: source?.badFrames ?? 0,
    active: source?.subscriptions?.filter((s) => s.state === "active").length ?? 0,
    pipeline: box.calls.status(),
    live: box.calls.live().length,
    records: box.db.query<{ n: number }, []>("SELECT count(*) AS n FROM calls").get()?.n ?? 0,
    memoryMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  });
});

announceAndStopOnSignal(listen(box), box);
