import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SQL } from "bun";
import { probeCelSql } from "../../../src/pbx/ami/cel-probe.ts";
import { celTime } from "../../../src/pbx/ami/cel-rows.ts";
import { celSqlHistory } from "../../../src/pbx/ami/cel-sql.ts";
import { assemble } from "../../scenarios/scenario-branch.ts";
import { type MariaDb, startMariaDb } from "../../support/mariadb.ts";
import { endpointOf } from "../../support/real-captures.ts";
import { celDifferences, expectedCel, psqlCells, REAL_CEL, WAZO_ZONE } from "../../support/real-cel.ts";

const REAL_CDR = join(REAL_CEL, "../../cdr/real");

/**
 * Issue 13, `[pbx.ami] cel_url`: a real MariaDB holding FreePBX's `cel` table (its CREATE TABLE,
 * test/fixtures/cel/real/freepbx-schema.sql) filled with real CEL rows (Wazo's, in the PBX's local
 * time as cel_odbc writes them), read by a user that may only SELECT from it.
 */
const SECRET = "cel-Reader-Secret-9";
const FILES = [
  "wazo-internal-answered.psql",
  "wazo-internal-busy-forward-answered.psql",
  "wazo-inbound-did-answered.psql",
  "wazo-outbound-answered.psql",
];

let db: MariaDb;
let readerUrl = "";

beforeAll(async () => {
  db = await startMariaDb();
  const root = new SQL(db.url(), { max: 1 });
  await root.unsafe("CREATE DATABASE asteriskcdrdb");
  const schema = readFileSync(join(REAL_CEL, "freepbx-schema.sql"), "utf8");
  const start = schema.indexOf("CREATE TABLE IF NOT EXISTS `asteriskcdrdb`.`cel`");
  await root.unsafe(schema.slice(start, schema.indexOf(");", start) + 2));
  await root.unsafe(`CREATE USER 'cel'@'127.0.0.1' IDENTIFIED BY '${SECRET}'`);
  await root.unsafe("GRANT SELECT ON asteriskcdrdb.cel TO 'cel'@'127.0.0.1'");
  for (const file of FILES) {
    for (const row of psqlCells(readFileSync(join(REAL_CEL, file), "utf8"))) {
      const value = (name: string) => row[name] ?? "";
      await root.unsafe(
        `INSERT INTO asteriskcdrdb.cel (eventtype, eventtime, cid_name, cid_num, cid_ani, cid_rdnis, cid_dnid, exten,
          context, channame, src, dst, channel, dstchannel, appname, appdata, amaflags, accountcode, uniqueid, linkedid,
          peer, userdeftype, extra) VALUES (?, ?, ?, ?, '', '', ?, ?, ?, ?, '', '', '', '', ?, ?, 3, '', ?, ?, ?, '', ?)`,
        [
          value("eventtype"),
          value("eventtime"),
          value("cid_name"),
          value("cid_num"),
          value("cid_dnid"),
          value("exten"),
          value("context"),
          value("channame"),
          value("appname"),
          value("appdata"),
          value("uniqueid"),
          value("linkedid"),
          value("peer"),
          value("extra"),
        ],
      );
    }
  }
  await root.close();
  readerUrl = `mysql://cel:${SECRET}@127.0.0.1:${db.port}/asteriskcdrdb`;
}, 90_000);

afterAll(async () => {
  await db?.stop();
});

describe("CEL in FreePBX's MariaDB table, read by a SELECT-only user", () => {
  for (const file of FILES) {
    test(`${file}: the calls of its hour read back whole and right, in the PBX's local time`, async () => {
      const capture = expectedCel().find((c) => c.file === file);
      if (capture === undefined) throw new Error(`${file} is not in expected.json`);
      const times = psqlCells(readFileSync(join(REAL_CEL, file), "utf8")).map((row) => row.eventtime ?? "");
      // The window holds only the middle of the call: its first and last rows come with it.
      const first = celTime(times[0] ?? "", WAZO_ZONE) ?? 0;
      const history = celSqlHistory(readerUrl, WAZO_ZONE, {
        source: "ami:pbx",
        knownExtensions: () => new Set(capture.handsets.map(endpointOf)),
      });
      const read = await history.read({ from: first + 1_000, to: first + 2_000 }, 7);
      const { finished, rejected, live } = assemble(read.events);
      expect(
        celDifferences(capture, { events: read.events, calls: [...finished, ...live], rejected }),
      ).toEqual([]);
      expect(read.via).toBe("cel");
      expect(read.events.every((e) => e.recovered?.at === 7)).toBe(true);
    });
  }

  test("a wrong password is refused with a message that names neither it nor the URL's secret; describe() hides it too", async () => {
    const wrong = `mysql://cel:not-${SECRET}@127.0.0.1:${db.port}/asteriskcdrdb`;
    const history = celSqlHistory(wrong, WAZO_ZONE, { source: "ami:pbx" });
    expect(history.describe).not.toContain(SECRET);
    const error = await history.read({ from: 0, to: 1 }, 0).then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(String(error?.message)).not.toContain(SECRET);
  });

  test("a window with no rows reads no call", async () => {
    const history = celSqlHistory(readerUrl, WAZO_ZONE, { source: "ami:pbx" });
    const read = await history.read(
      { from: Date.parse("2030-01-01T00:00:00Z"), to: Date.parse("2030-01-02T00:00:00Z") },
      0,
    );
    expect(read.calls).toBe(0);
    expect(read.events).toEqual([]);
  });
});

describe("doctor's look at the CEL table", () => {
  test("a SELECT-only reader: OK, the newest row, the database's clock against the box's in the PBX's zone", async () => {
    const results = await probeCelSql(readerUrl, Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(results.map((r) => r.status)).toEqual(["OK"]);
    expect(results[0]?.detail).toMatch(
      /newest row 2015-06-18 14:12:16; its clock [+-][0-2] s from the box's/,
    );
    expect(results[0]?.detail).not.toContain(SECRET);
  });

  test("the PBX's zone set wrong shows as a clock hours off; a user that may write is told it only needs SELECT", async () => {
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const far = local === "Pacific/Kiritimati" ? "Pacific/Pago_Pago" : "Pacific/Kiritimati";
    expect((await probeCelSql(readerUrl, far)).map((r) => r.status)).toEqual(["OK", "WARN"]);
    const root = new SQL(db.url(), { max: 1 });
    await root.unsafe("CREATE USER 'owner'@'127.0.0.1' IDENTIFIED BY 'owner-pw'");
    await root.unsafe("GRANT ALL ON asteriskcdrdb.* TO 'owner'@'127.0.0.1'");
    await root.close();
    const owner = await probeCelSql(`mysql://owner:owner-pw@127.0.0.1:${db.port}/asteriskcdrdb`, local);
    expect(owner.map((r) => r.status)).toEqual(["OK", "WARN"]);
    expect(owner[1]?.fix).toContain("SELECT");
  });

  test("no CEL table, or a wrong password: FAIL with what to do, the secret nowhere", async () => {
    const root = new SQL(db.url(), { max: 1 });
    await root.unsafe("CREATE DATABASE empty_cdr");
    await root.close();
    const missing = await probeCelSql(db.url("empty_cdr"), "UTC");
    expect(missing).toMatchObject([{ status: "FAIL" }]);
    expect(missing[0]?.fix).toContain("CEL");
    const wrong = await probeCelSql(`mysql://cel:no-${SECRET}@127.0.0.1:${db.port}/asteriskcdrdb`, "UTC");
    expect(wrong).toMatchObject([{ status: "FAIL" }]);
    expect(JSON.stringify(wrong)).not.toContain(SECRET);
  });
});

describe("CDR where CEL is off (FreePBX's cdr table, no cel table)", () => {
  const cdrUrl = () => `mysql://root@127.0.0.1:${db.port}/cdronly`;
  const insert = (values: readonly (string | number)[]) =>
    `INSERT INTO cdronly.cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield)
     VALUES (${values.map((v) => (typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`)).join(", ")})`;

  beforeAll(async () => {
    const root = new SQL(db.url(), { max: 1 });
    await root.unsafe("CREATE DATABASE cdronly");
    const schema = readFileSync(join(REAL_CEL, "freepbx-schema.sql"), "utf8");
    const start = schema.indexOf("CREATE TABLE cdr (");
    await root.unsafe(
      schema
        .slice(start, schema.indexOf(");", start) + 2)
        .replace("CREATE TABLE cdr", "CREATE TABLE cdronly.cdr"),
    );
    // The Asterisk testsuite's real CDRs (test/fixtures/cdr/real/asttest-master.csv), as FreePBX's table holds them.
    for (const line of readFileSync(join(REAL_CDR, "asttest-master.csv"), "utf8").trim().split("\n")) {
      const f = line.split(",").map((v) => v.replace(/^"|"$/g, ""));
      await root.unsafe(
        insert([
          f[9] ?? "",
          f[4] ?? "",
          f[1] ?? "",
          f[2] ?? "",
          f[3] ?? "",
          f[5] ?? "",
          f[6] ?? "",
          f[7] ?? "",
          f[8] ?? "",
          Number(f[12]),
          Number(f[13]),
          f[14] ?? "",
          3,
          "",
          f[16] ?? "",
          "",
        ]),
      );
    }
    // Hand-written (no real ring-group CDR was found, see the corpus README): FreePBX's two rows of
    // one inbound call, 101 answering after 10 s and talking 40 s, 102 not answering.
    await root.unsafe(
      insert([
        "2031-03-14 09:00:00",
        "+74951234567",
        "+74951234567",
        "4957000000",
        "from-pstn",
        "PJSIP/trunk-00000001",
        "PJSIP/101-00000002",
        "Dial",
        "PJSIP/101&PJSIP/102",
        50,
        40,
        "ANSWERED",
        3,
        "",
        "1962000000.1",
        "",
      ]),
    );
    await root.unsafe(
      insert([
        "2031-03-14 09:00:00",
        "+74951234567",
        "+74951234567",
        "4957000000",
        "from-pstn",
        "PJSIP/trunk-00000001",
        "PJSIP/102-00000003",
        "Dial",
        "PJSIP/101&PJSIP/102",
        10,
        0,
        "NO ANSWER",
        3,
        "",
        "1962000000.1",
        "",
      ]),
    );
    await root.close();
  });

  test("the testsuite's real CDRs: two calls read back, marked via cdr, with their start and end", async () => {
    const history = celSqlHistory(cdrUrl(), "UTC", {
      source: "ami:pbx",
      knownExtensions: () => new Set(["dsp"]),
    });
    const read = await history.read(
      { from: Date.parse("2010-04-02T00:00:00Z"), to: Date.parse("2010-04-02T01:00:00Z") },
      5,
    );
    expect(read).toMatchObject({ via: "cdr", calls: 2, skipped: 0 });
    const { finished } = assemble(read.events);
    expect(finished.map((c) => [c.id, c.startedAt, c.endedAt, c.to.number, c.recovered?.via])).toEqual([
      ["1270167992.0", Date.parse("2010-04-02T00:26:32Z"), Date.parse("2010-04-02T00:26:39Z"), "1", "cdr"],
      ["1270168442.0", Date.parse("2010-04-02T00:34:02Z"), Date.parse("2010-04-02T00:34:09Z"), "1", "cdr"],
    ]);
  });

  test("a ring group's rows (hand-written): one inbound call, answered on 101 after 10 s; 102, which stopped ringing then, answered elsewhere, not missed", async () => {
    const history = celSqlHistory(cdrUrl(), "UTC", {
      source: "ami:pbx",
      knownExtensions: () => new Set(["101", "102"]),
    });
    const read = await history.read(
      { from: Date.parse("2031-03-14T09:00:30Z"), to: Date.parse("2031-03-14T09:00:31Z") },
      5,
    );
    const { finished, rejected } = assemble(read.events);
    expect(rejected).toEqual([]);
    expect(finished).toHaveLength(1);
    const call = finished[0];
    expect(call).toMatchObject({
      direction: "inbound",
      did: "4957000000",
      from: { number: "+74951234567" },
      recovered: { via: "cdr" },
    });
    expect(call?.answeredAt).toBe(Date.parse("2031-03-14T09:00:10Z"));
    expect(call?.endedAt).toBe(Date.parse("2031-03-14T09:00:50Z"));
    expect(call?.legs.map((l) => [l.extension, l.ending])).toEqual([
      ["101", "completed"],
      ["102", "cancelled"],
    ]);
  });
});
