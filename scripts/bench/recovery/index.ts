#!/usr/bin/env bun
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SQL } from "bun";
import { createBox } from "../../../src/app.ts";
import { loadConfig } from "../../../src/config/load.ts";
import { DEMO_CONFIG } from "../../../src/demo.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { celTime } from "../../../src/pbx/ami/cel-rows.ts";
import { celSqlHistory } from "../../../src/pbx/ami/cel-sql.ts";
import { startMariaDb } from "../../../test/support/mariadb.ts";
import { makeTestDir } from "../../../test/support/process.ts";
import { endpointOf } from "../../../test/support/real-captures.ts";
import { expectedCel, psqlCells, REAL_CEL, WAZO_ZONE } from "../../../test/support/real-cel.ts";
import { machine } from "../lib/host.ts";

/**
 * `npm run bench:recovery` (issue 13): a gap of N calls (default 10,000) in FreePBX's CEL table on a
 * real MariaDB (the calls copied from real Wazo CEL recordings with fresh ids and times), read back
 * as the box reads a gap, next to a bare SELECT of the same rows in the same run:
 * - bare SELECT: the reader's query, rows fetched, nothing else;
 * - read back: the same query + CEL → events (the AMI translator);
 * - recovered: read back + delivered into a box (journal, calls assembled, attributed, recorded).
 * Prints calls/s and the ratio to the bare SELECT. Needs MariaDB (scripts/setup-test.sh installs it).
 */
const { values } = parseArgs({ args: process.argv.slice(2), options: { calls: { type: "string" } } });
const CALLS = Number(values.calls ?? 10_000);
const FILES = [
  "wazo-internal-answered.psql",
  "wazo-internal-busy-forward-answered.psql",
  "wazo-inbound-did-answered.psql",
  "wazo-outbound-answered.psql",
];
const GAP_START = Date.parse("2031-03-14T08:00:00Z");
/** Calls start this far apart: 10,000 calls fill a working day. */
const SPACING_MS = 3_600;

const pad2 = (n: number) => String(n).padStart(2, "0");
const utc = (at: number) => {
  const d = new Date(at);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
};

const templates = FILES.map((file) => psqlCells(readFileSync(join(REAL_CEL, file), "utf8")));
const handsets = new Set(
  expectedCel()
    .filter((c) => FILES.includes(c.file))
    .flatMap((c) => c.handsets.map(endpointOf)),
);

/** Call `i`: template `i % 4` with fresh ids (`<i>.<k>`) and its times moved to its slot in the gap. */
function callRows(i: number): unknown[][] {
  const rows = templates[i % templates.length] ?? [];
  const ids = new Map<string, string>();
  const id = (old: string) => {
    if (!ids.has(old)) ids.set(old, `${1_900_000_000 + i}.${ids.size}`);
    return ids.get(old) ?? "";
  };
  const first = celTime(rows[0]?.eventtime ?? "", WAZO_ZONE) ?? 0;
  return rows.map((row) => {
    const at = (celTime(row.eventtime ?? "", WAZO_ZONE) ?? first) - first + GAP_START + i * SPACING_MS;
    const v = (name: string) => row[name] ?? "";
    return [
      v("eventtype"),
      utc(at),
      v("cid_name"),
      v("cid_num"),
      v("cid_dnid"),
      v("exten"),
      v("context"),
      v("channame"),
      v("appname"),
      v("appdata"),
      id(v("uniqueid")),
      id(v("linkedid")),
      v("peer"),
      v("extra"),
    ];
  });
}

const db = await startMariaDb();
const boxDir = makeTestDir("bench-recovery");
try {
  const root = new SQL(db.url(), { max: 1 });
  await root.unsafe("CREATE DATABASE asteriskcdrdb");
  const schema = readFileSync(join(REAL_CEL, "freepbx-schema.sql"), "utf8");
  const start = schema.indexOf("CREATE TABLE IF NOT EXISTS `asteriskcdrdb`.`cel`");
  await root.unsafe(schema.slice(start, schema.indexOf(");", start) + 2));
  let rows = 0;
  for (let from = 0; from < CALLS; from += 200) {
    const batch = Array.from({ length: Math.min(200, CALLS - from) }, (_, k) => callRows(from + k)).flat();
    rows += batch.length;
    const marks = batch
      .map(() => "(?, ?, ?, ?, '', '', ?, ?, ?, ?, '', '', '', '', ?, ?, 3, '', ?, ?, ?, '', ?)")
      .join(",");
    await root.unsafe(
      `INSERT INTO asteriskcdrdb.cel (eventtype, eventtime, cid_name, cid_num, cid_ani, cid_rdnis, cid_dnid, exten, context,
        channame, src, dst, channel, dstchannel, appname, appdata, amaflags, accountcode, uniqueid, linkedid, peer,
        userdeftype, extra) VALUES ${marks}`,
      batch.flat(),
    );
  }
  await root.close();
  const url = `mysql://root@127.0.0.1:${db.port}/asteriskcdrdb`;
  const window = { from: GAP_START - 60_000, to: GAP_START + CALLS * SPACING_MS + 60_000 };

  // Bare SELECT: the reader's own query, rows fetched and nothing done with them.
  const bareStart = performance.now();
  const bare = new SQL(url, { max: 1 });
  const got = await bare.unsafe(
    "WITH calls AS (SELECT DISTINCT linkedid FROM cel WHERE eventtime BETWEEN ? AND ?), channels AS (SELECT DISTINCT uniqueid FROM cel WHERE linkedid IN (SELECT linkedid FROM calls)) SELECT * FROM cel WHERE linkedid IN (SELECT linkedid FROM calls) OR uniqueid IN (SELECT uniqueid FROM channels) ORDER BY id",
    [utc(window.from), utc(window.to)],
  );
  await bare.close();
  const bareS = (performance.now() - bareStart) / 1000;

  const history = celSqlHistory(url, "UTC", { source: "ami:bench", knownExtensions: () => handsets });
  const readStart = performance.now();
  const read = await history.read(window, Date.now());
  const readS = (performance.now() - readStart) / 1000;

  const config = loadConfig({
    base: {
      ...DEMO_CONFIG,
      http: { admin_token: "bench-recovery-token-0123456789", listen: "127.0.0.1:0" },
      storage: { dir: boxDir },
    },
  });
  const box = await createBox(config, {
    log: silentLogger,
    now: () => GAP_START + CALLS * SPACING_MS + 3_600_000,
  });
  const fullStart = performance.now();
  const again = await history.read(window, Date.now());
  await box.calls.deliver(again.events);
  const fullS = (performance.now() - fullStart) / 1000;
  const recorded = box.calls.status().recorded;
  await box.close();

  const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString("en-US")} calls/s`;
  const base = CALLS / bareS;
  console.log(
    `branchbox recovery benchmark: ${machine()}, MariaDB ${db.port}, FreePBX's cel table, ${CALLS.toLocaleString("en-US")} calls (${rows.toLocaleString("en-US")} CEL rows) copied from 4 real Wazo calls`,
  );
  console.log(
    `  bare SELECT         ${rate(CALLS, bareS).padEnd(16)} ${got.length.toLocaleString("en-US")} rows in ${bareS.toFixed(2)} s (the reader's query, rows fetched, nothing else)`,
  );
  console.log(
    `  read back           ${rate(read.calls, readS).padEnd(16)} ${read.calls.toLocaleString("en-US")} calls, ${read.events.length.toLocaleString("en-US")} events in ${readS.toFixed(2)} s | ${(read.calls / readS / base).toFixed(2)}x the bare SELECT`,
  );
  console.log(
    `  recovered (box)     ${rate(recorded, fullS).padEnd(16)} ${recorded.toLocaleString("en-US")} calls recorded in ${fullS.toFixed(2)} s (read back + journal + assemble + attribute + record) | ${(recorded / fullS / base).toFixed(2)}x the bare SELECT`,
  );
} finally {
  await db.stop();
  rmSync(boxDir, { recursive: true, force: true });
}
