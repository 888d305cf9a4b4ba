import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  downtimeWindow,
  MANGO_STATS_FIELDS,
  MANGO_STATS_MAX_SPAN_S,
  parseMangoStatsCsv,
  splitMangoWindow,
} from "../../../src/hq/mango/mango-stats.ts";
import { mangoStatsRecordings } from "../../../src/pbx/mango/mango-payload.ts";

const FIXTURES = join(import.meta.dir, "../../fixtures/mango");
const read = (path: string) => readFileSync(join(FIXTURES, path), "utf8");

describe("stats/result CSV (issue 17 gaps)", () => {
  test("a live answer of 2026 (the 12 fields HQ asks for, no header): one outgoing call, busy", () => {
    const { rows, bad } = parseMangoStatsCsv(read("real/stats-result-live-2026.txt"), MANGO_STATS_FIELDS);
    expect(bad).toEqual([]);
    expect(rows).toEqual([
      {
        records: "[]",
        start: "1778150907",
        finish: "1778150929",
        answer: "0",
        from_extension: "202",
        from_number: "sip:user@example",
        to_extension: "",
        to_number: "79000000000",
        disconnect_reason: "1121",
        line_number: "74950000000",
        location: "abonent",
        entry_id: "...",
      },
    ]);
    expect(mangoStatsRecordings(rows[0]?.records)).toEqual([]);
  });

  test("the API document's example answer, read with the 8 fields its request asked for", () => {
    const fields = [
      "records",
      "start",
      "finish",
      "from_extension",
      "from_number",
      "to_extension",
      "to_number",
      "disconnect_reason",
    ];
    const { rows, bad } = parseMangoStatsCsv(read("api-doc/stats-result-example.txt"), fields);
    expect(bad).toEqual([]);
    expect(rows.map((r) => [r.from_extension, r.from_number, r.to_extension, r.to_number])).toEqual([
      ["456", "74955404444", "937", "12345678"],
      ["", "74955404444", "", "12345678"],
      ["32", "74959988654", "64", "987654321"],
    ]);
    expect(rows.map((r) => r.disconnect_reason)).toEqual(["Busy", "", "RemoteHangup"]);
    expect(mangoStatsRecordings(rows[0]?.records)).toEqual(["547658365", "547658366", "547658367"]);
    expect(mangoStatsRecordings("[rec1,rec2]")).toEqual(["rec1", "rec2"]);
  });

  test("a line with another number of values is bad, counted with its number; \\r\\n and blank lines read", () => {
    const text = "a;1;2\r\n\nb;1\nc;3;4\n";
    const { rows, bad } = parseMangoStatsCsv(text, ["records", "start", "finish"]);
    expect(rows.map((r) => r.records)).toEqual(["a", "c"]);
    expect(bad).toEqual([{ line: 3, reason: "2 values, 3 fields asked" }]);
    expect(parseMangoStatsCsv("", MANGO_STATS_FIELDS)).toEqual({ rows: [], bad: [] });
  });
});

describe("gap windows", () => {
  test("downtime: last heartbeat to start, widened by the margin; none before the first run", () => {
    expect(downtimeWindow(1_700_000_000_500, 1_700_000_600_200, 60)).toEqual({
      from: 1_700_000_000 - 60,
      to: 1_700_000_601 + 60,
    });
    expect(downtimeWindow(null, 1_700_000_600_000, 60)).toBeNull();
  });

  test("a window longer than the API's month is cut into spans of at most 28 days, end to end", () => {
    const from = 1_700_000_000;
    const to = from + 3 * MANGO_STATS_MAX_SPAN_S + 5; // three full spans (each MAX + 1 s, ends included) and 3 s more
    const windows = splitMangoWindow({ from, to });
    expect(windows.length).toBe(4);
    expect(windows[0]?.from).toBe(from);
    expect(windows.at(-1)?.to).toBe(to);
    for (const [i, w] of windows.entries()) {
      expect(w.to - w.from).toBeLessThanOrEqual(MANGO_STATS_MAX_SPAN_S);
      if (i > 0) expect(w.from).toBe((windows[i - 1]?.to ?? 0) + 1);
    }
    expect(splitMangoWindow({ from, to: from + 10 })).toEqual([{ from, to: from + 10 }]);
  });
});
