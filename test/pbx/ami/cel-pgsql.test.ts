import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SQL } from "bun";
import { probeCelSql } from "../../../src/pbx/ami/cel-probe.ts";
import { celTime } from "../../../src/pbx/ami/cel-rows.ts";
import { celSqlHistory } from "../../../src/pbx/ami/cel-sql.ts";
import { assemble } from "../../scenarios/scenario-branch.ts";
import { type Postgres, startPostgres } from "../../support/postgres.ts";
import { endpointOf } from "../../support/real-captures.ts";
import { celDifferences, expectedCel, psqlCells, REAL_CEL, WAZO_ZONE } from "../../support/real-cel.ts";

/**
 * Issue 13, `[pbx.ami] cel_url = "postgres://…"`: a real PostgreSQL holding cel_pgsql's `cel` table
 * as the Asterisk documentation creates it (`timestamp`, the PBX's wall clock, and no `extra`
 * column), and Wazo's own (`timestamptz`, with `extra`), filled with real CEL rows, read by a role
 * that may only SELECT.
 */
const DOC_FILES = [
  "wazo-internal-answered.psql",
  "wazo-inbound-did-answered.psql",
  "wazo-outbound-answered.psql",
];
const WAZO_FILE = "wazo-queue-interception-pickup.psql";

let pg: Postgres;

async function fill(sql: SQL, file: string, columns: readonly string[]): Promise<void> {
  for (const row of psqlCells(readFileSync(join(REAL_CEL, file), "utf8"))) {
    const values = columns.map((name) => row[name] ?? "");
    const marks = columns.map((_, i) => `$${i + 1}`).join(", ");
    await sql.unsafe(
      `INSERT INTO cel (${columns.join(", ")}, userdeftype, cid_rdnis, amaflags, accountcode, peeraccount, userfield) VALUES (${marks}, '', '', 3, '', '', '')`,
      values,
    );
  }
}

beforeAll(async () => {
  pg = await startPostgres();
  const admin = new SQL(pg.url(), { max: 1 });
  await admin.unsafe("CREATE DATABASE asterisk");
  await admin.unsafe("CREATE DATABASE wazo");
  await admin.unsafe("CREATE ROLE cel LOGIN");
  await admin.close();
  const schema = readFileSync(join(REAL_CEL, "doc-pgsql-cel-schema.sql"), "utf8");
  const create = schema.slice(schema.indexOf("CREATE TABLE cel ("));
  const doc = new SQL(pg.url("asterisk"), { max: 1 });
  await doc.unsafe(create);
  const columns = [
    "eventtype",
    "eventtime",
    "cid_name",
    "cid_num",
    "cid_ani",
    "cid_dnid",
    "exten",
    "context",
    "channame",
    "appname",
    "appdata",
    "uniqueid",
    "linkedid",
    "peer",
  ];
  for (const file of DOC_FILES) await fill(doc, file, columns);
  await doc.unsafe("GRANT SELECT ON cel TO cel");
  await doc.close();
  const wazo = new SQL(pg.url("wazo"), { max: 1 });
  await wazo.unsafe(
    create
      .replace("eventtime timestamp NOT NULL", "eventtime timestamptz NOT NULL")
      .replace(
        /peer varchar \(80\) NOT NULL\s*\)/,
        "peer varchar (80) NOT NULL, extra varchar NOT NULL DEFAULT '')",
      ),
  );
  await fill(wazo, WAZO_FILE, [...columns, "extra"]);
  await wazo.unsafe("GRANT SELECT ON cel TO cel");
  await wazo.close();
}, 90_000);

afterAll(async () => {
  await pg?.stop();
});

const check = async (file: string, url: string, around?: string) => {
  const capture = expectedCel().find((c) => c.file === file);
  if (capture === undefined) throw new Error(`${file} is not in expected.json`);
  // A window around one row (by default one in the middle of the call): its other rows, and the
  // pickup's, come with it.
  const times = psqlCells(readFileSync(join(REAL_CEL, file), "utf8"))
    .map((row) => celTime(row.eventtime ?? "", WAZO_ZONE) ?? 0)
    .sort((a, b) => a - b);
  const middle =
    around === undefined ? (times[Math.floor(times.length / 2)] ?? 0) : (celTime(around, "UTC") ?? 0);
  const history = celSqlHistory(url, WAZO_ZONE, {
    source: "ami:pbx",
    knownExtensions: () => new Set(capture.handsets.map(endpointOf)),
  });
  const read = await history.read({ from: middle - 100, to: middle + 100 }, 9);
  const { finished, rejected, live } = assemble(read.events);
  expect(celDifferences(capture, { events: read.events, calls: [...finished, ...live], rejected })).toEqual(
    [],
  );
  expect(read.events.every((e) => e.recovered?.via === "cel")).toBe(true);
};

describe("CEL in PostgreSQL, read by a SELECT-only role", () => {
  for (const file of DOC_FILES)
    test(`the documentation's table (timestamp, no extra): ${file} read back whole and right in the PBX's local time`, () =>
      check(file, `postgres://cel@127.0.0.1:${pg.port}/asterisk`));

  test(`Wazo's table (timestamptz, with extra): ${WAZO_FILE} read back whole and right whatever the session's zone`, () =>
    check(WAZO_FILE, `postgres://cel@127.0.0.1:${pg.port}/wazo`));

  test("a window that holds only the queue call's own rows (the agent's phone starting) still reads the phone that picks it up, logged under its own linkedid until then", () =>
    check(WAZO_FILE, `postgres://cel@127.0.0.1:${pg.port}/wazo`, "2023-05-31 15:11:11.559596+00"));
});

describe("doctor's look at cel_pgsql's table", () => {
  test("a SELECT-only role: OK with the newest row and the clock; the owner is told it only needs SELECT; no table: FAIL", async () => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const reader = await probeCelSql(`postgres://cel@127.0.0.1:${pg.port}/asterisk`, zone);
    expect(reader.map((r) => r.status)).toEqual(["OK"]);
    expect(reader[0]?.detail).toMatch(/newest row 2015-06-18 14:12:16/);
    const owner = await probeCelSql(pg.url("asterisk"), zone);
    expect(owner.map((r) => r.status)).toEqual(["OK", "WARN"]);
    expect(await probeCelSql(pg.url("postgres"), zone)).toMatchObject([{ status: "FAIL" }]);
  });
});
