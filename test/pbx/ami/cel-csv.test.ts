import { describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { celCsvHistory, celCsvRow, csvFields } from "../../../src/pbx/ami/cel-csv.ts";
import { probeCelCsv } from "../../../src/pbx/ami/cel-probe.ts";
import { makeTestDir } from "../../support/process.ts";
import { REAL_CEL } from "../../support/real-cel.ts";

/** Issue 13: `[pbx.ami] cel_csv`, a cel_custom CSV in Asterisk's sample layout (20 columns). */
const lines = (file: string) =>
  readFileSync(join(REAL_CEL, file), "utf8")
    .split("\n")
    .filter((line) => line !== "");

describe("CEL as a cel_custom CSV file", () => {
  test("the Asterisk testsuite's CEL files (written by Asterisk 10/11) read whole: the linkedid, channels and HANGUP extras expected.json names", () => {
    const rows = lines("asttest-celmaster1.csv").map((line) => celCsvRow(line, "UTC"));
    expect(rows.every((row) => row !== null)).toBe(true);
    const read = rows.flatMap((row) => (row === null ? [] : [row]));
    expect(read).toHaveLength(16);
    expect([...new Set(read.map((r) => r.linkedid))]).toEqual(["1335310195.0"]);
    expect([...new Set(read.map((r) => r.channame))]).toEqual([
      "TinCan/string",
      "Local/x@default-1545;1",
      "Local/x@default-1545;2",
    ]);
    expect(read.filter((r) => r.eventtype === "HANGUP").map((r) => r.extra)).toEqual([
      "16,dialplan/builtin,",
      "16,,",
      "16,,ANSWER",
    ]);
    expect(read[0]?.eventtime).toBe(1335310195513);
    const second = lines("asttest-celmaster2.csv").map((line) => celCsvRow(line, "UTC"));
    expect(second.every((row) => row?.linkedid === "1335310697.0")).toBe(true);
  });

  test("CSV_QUOTE: a doubled quote and a comma inside a field; an unclosed quote is no row", () => {
    expect(csvFields('"a ""b"", c","","x"')).toEqual(['a "b", c', "", "x"]);
    expect(csvFields('"open,"x"')).toBeNull();
    expect(celCsvRow('"CHAN_START","1335310195.5"', "UTC")).toBeNull();
  });

  test("a gap reads every call with a row in the window, whole (its earlier rows too), and skips lines that are no row", async () => {
    const dir = makeTestDir("celcsv");
    const path = `${dir}/Master.csv`;
    await Bun.write(
      path,
      [...lines("asttest-celmaster1.csv"), "not a CEL line", ...lines("asttest-celmaster2.csv"), ""].join(
        "\n",
      ),
    );
    const history = celCsvHistory(path, "UTC", { source: "ami:test" });
    // Only the first call's last rows (1335310212-213) are in this window; its CHAN_START is not.
    const read = await history.read({ from: 1335310212000, to: 1335310214000 }, 42);
    expect(read.calls).toBe(1);
    expect(read.skipped).toBe(1);
    const keys = read.events.map((e) => e.key);
    expect(keys).toContain("1335310195.0:start");
    expect(keys).toContain("1335310195.0:end");
    expect(keys.some((k) => k.startsWith("1335310697"))).toBe(false);
    expect(read.events.every((e) => e.recovered?.at === 42 && e.source === "ami:test")).toBe(true);
    const none = await history.read({ from: 1335310300000, to: 1335310400000 }, 42);
    expect(none.calls).toBe(0);
    await expect(
      celCsvHistory(`${dir}/missing.csv`, "UTC", { source: "ami:test" }).read({ from: 0, to: 1 }, 0),
    ).rejects.toThrow("no such file");
    rmSync(dir, { recursive: true, force: true });
  });

  test("doctor: the file there and readable with its newest row; missing, not the sample layout, or in the box's future said with what to do", async () => {
    const real = await probeCelCsv(
      join(REAL_CEL, "asttest-celmaster1.csv"),
      "UTC",
      Date.parse("2026-12-07T12:00:00Z"),
    );
    expect(real).toEqual([
      {
        status: "OK",
        detail: `CEL CSV ${join(REAL_CEL, "asttest-celmaster1.csv")}: readable; newest row 2012-04-24 23:30 (UTC)`,
      },
    ]);
    expect(await probeCelCsv("/nonexistent/Master.csv", "UTC")).toMatchObject([{ status: "FAIL" }]);
    const dir = makeTestDir("celprobe");
    await Bun.write(`${dir}/odd.csv`, "a,b,c\n");
    expect(await probeCelCsv(`${dir}/odd.csv`, "UTC")).toMatchObject([{ status: "FAIL" }]);
    const future = await probeCelCsv(
      join(REAL_CEL, "asttest-celmaster1.csv"),
      "UTC",
      Date.parse("2012-01-01T00:00:00Z"),
    );
    expect(future).toMatchObject([{ status: "WARN" }]);
    rmSync(dir, { recursive: true, force: true });
  });
});
