// Issue 13: `branchbox backfill --from --to` for a branch that installs the box mid-month: the
// running box reads the period back from the PBX's CEL and records what it finds, once.
import { afterEach, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listen } from "../../src/app.ts";
import { backfillInstant, runBackfill } from "../../src/backfill.ts";
import { type AmiPeer, startAmiPeer, transcriptFrames } from "../support/ami-peer.ts";
import { celCsvOf } from "../support/ami-to-cel.ts";
import { transcriptDay } from "../support/ami-transcript.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";
import { makeTestDir } from "../support/process.ts";

const AMI = { username: "branchbox", secret: "peer-secret-42" };
let box: TestBox | undefined;
let peer: AmiPeer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await box?.close();
  await peer?.close();
  box = undefined;
  peer = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A box whose PBX (an AMI peer with nothing to say) logged a whole day of calls in CEL before it. */
async function boxAfterADay(celCsv: boolean) {
  const frames = transcriptFrames(transcriptDay());
  const dir = makeTestDir("backfill");
  dirs.push(dir);
  const cel = join(dir, "Master.csv");
  // One line that is no CEL row (a file cut by a full disk, an edit): skipped, and said so.
  writeFileSync(cel, `${celCsvOf(frames).join("\n")}\n"CHAN_START","cut short\n`);
  peer = await startAmiPeer({ ...AMI, transcript: "" });
  box = await makeTestBox({
    config: {
      pbx: {
        ami: {
          host: "127.0.0.1",
          port: peer.port,
          ...AMI,
          ...(celCsv ? { cel_csv: cel } : {}),
          timezone: "UTC",
        },
      },
    },
  });
  return box;
}

const post = (b: TestBox, body: unknown) =>
  b.api("/api/v1/pbx/backfill", { method: "POST", body: JSON.stringify(body) });

test("POST /api/v1/pbx/backfill reads the day's calls back from CEL, marked recovered; a second time records nothing twice", async () => {
  const b = await boxAfterADay(true);
  const day = { from: "2024-11-21T00:00:00Z", to: "2024-11-22T00:00:00Z" };
  const first = await post(b, day);
  expect(first.status).toBe(200);
  const answer = (await first.json()) as { gaps: { state: string; calls: number }[] };
  expect(answer.gaps).toMatchObject([{ state: "recovered" }]);
  expect(answer.gaps[0]?.calls).toBeGreaterThanOrEqual(16);
  const records = b.calls.list({ limit: 200 });
  expect(records.length).toBeGreaterThanOrEqual(16);
  expect(records.every((r) => r.recovered?.via === "cel")).toBe(true);
  expect(b.calls.live()).toEqual([]);
  expect((await post(b, day)).status).toBe(200);
  expect(b.calls.list({ limit: 200 })).toHaveLength(records.length);
  const calls = await (await b.api("/admin/calls?lang=en&day=2024-11-21")).text();
  expect(calls).toMatch(/read back from the PBX&#39;s CEL \d+ h \d\d min late: the box was not linked/);
  const ru = await (await b.api("/admin/calls?lang=ru&day=2024-11-21")).text();
  expect(ru).toContain("прочитан из CEL АТС позже на");
  const html = await (await b.api("/admin?lang=en")).text();
  expect(html).toMatch(
    /backfill asked for: read back from the PBX&#39;s CEL: \d+ calls; 1 rows could not be read/,
  );
});

test("backfill without a PBX history is refused with PBX.NO_HISTORY (409); a period backwards or too long with API.INVALID_BODY", async () => {
  const b = await boxAfterADay(false);
  const none = await post(b, { from: "2024-11-21T00:00:00Z", to: "2024-11-22T00:00:00Z" });
  expect(none.status).toBe(409);
  expect(await none.json()).toMatchObject({ error: { code: "PBX.NO_HISTORY" } });
  const backwards = await post(b, { from: "2024-11-22T00:00:00Z", to: "2024-11-21T00:00:00Z" });
  expect(await backwards.json()).toMatchObject({ error: { code: "API.INVALID_BODY" } });
  const year = await post(b, { from: "2024-01-01T00:00:00Z", to: "2024-12-31T00:00:00Z" });
  expect(year.status).toBe(400);
});

test("branchbox backfill: days are the branch's, --to inclusive; it asks the running box and prints what was read", async () => {
  expect(backfillInstant("2026-12-01", "Europe/Moscow", false)).toBe(Date.parse("2026-11-30T21:00:00Z"));
  expect(backfillInstant("2026-12-07", "Europe/Moscow", true)).toBe(Date.parse("2026-12-07T21:00:00Z"));
  expect(backfillInstant("2026-12-01T09:00:00+05:00", "Europe/Moscow", false)).toBe(
    Date.parse("2026-12-01T04:00:00Z"),
  );
  expect(backfillInstant("yesterday", "UTC", false)).toBeNull();

  const b = await boxAfterADay(true);
  const server = listen(b);
  try {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => void lines.push(line);
    const code = await runBackfill(
      { ...b.config, http: { ...b.config.http, listen: `127.0.0.1:${server.port}` } },
      "2024-11-21",
      "2024-11-21",
    ).finally(() => {
      console.log = log;
    });
    expect(code).toBe(0);
    expect(lines.join("\n")).toMatch(/^ami:127\.0\.0\.1:\d+: \d+ call\(s\) read back \(backfill: CEL CSV /);
    expect(b.calls.list({ limit: 200 }).length).toBeGreaterThanOrEqual(16);
  } finally {
    server.stop(true);
  }
});
