// Issue 17: the files `branchbox hq replay-mango` reads (captured payloads kept outside the repo,
// and the fixtures' own format), sent as Mango sends them; the command itself runs in
// test/e2e/mango.test.ts against the compiled HQ.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { readMangoReplay } from "../../../src/hq/mango/mango-replay.ts";

test("the fixtures' {records} and JSON lines of {kind|path, json} read alike; a json string is kept as the text Mango signed", () => {
  const fixture = readFileSync(
    new URL("../../fixtures/mango/real/odoo-cloud-phone-answered.json", import.meta.url),
    "utf8",
  );
  const records = readMangoReplay(fixture);
  expect(records.map((r) => r.kind)).toEqual(["call", "summary"]);
  expect(JSON.parse(records[0]?.json ?? "{}")).toMatchObject({ entry_id: "MTYxNzM5NjY0OTE=" });
  const raw = '{"entry_id":"E1", "seq": "1"}';
  const lines = [
    JSON.stringify({ kind: "call", json: raw }),
    "",
    JSON.stringify({ path: "/mango/events/summary", json: { entry_id: "E1" } }),
  ].join("\n");
  expect(readMangoReplay(lines)).toEqual([
    { kind: "call", json: raw },
    { kind: "summary", json: '{"entry_id":"E1"}' },
  ]);
});

test("a file it cannot read sends nothing: the line or record is named", () => {
  expect(() => readMangoReplay('{"kind":"call","json":{}}\nnot json')).toThrow("line 2: not JSON");
  expect(() => readMangoReplay('{"kind":"ping","json":{}}')).toThrow('record 1: kind "ping"');
  expect(() => readMangoReplay('{"kind":"call"}\n{"kind":"call","json":{}}')).toThrow("record 1: no json");
});
