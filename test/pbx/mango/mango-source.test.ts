// Issue 17: the `[pbx.mango]` source in a whole box: Mango's webhooks as HQ relays them on the
// `pbx` down stream (real payloads: test/fixtures/mango/real, api-doc), through the inbox's commit
// (pbx_down), the translator and the call pipeline.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallRecord } from "../../../src/domain/call/call-types.ts";
import { fakeClock, makeTestBox, type TestBox, type TestClock } from "../../support/box.ts";
import { until } from "../../support/command-rig.ts";
import { bytes, down } from "../../sync/inbound-fixtures.ts";

type Kind = "call" | "summary" | "recording" | "dtmf";
interface MangoRecord {
  readonly kind: Kind;
  readonly json: Record<string, unknown>;
}

const FIXTURES = new URL("../../fixtures/mango/", import.meta.url);
const realRecords = (name: string): MangoRecord[] =>
  (JSON.parse(readFileSync(new URL(`real/${name}`, FIXTURES), "utf8")) as { records: MangoRecord[] }).records;
const apiDoc = (kind: Kind, name: string): MangoRecord => ({
  kind,
  json: JSON.parse(readFileSync(new URL(`api-doc/${name}`, FIXTURES), "utf8")) as Record<string, unknown>,
});

/** A mango.event record as HQ relays it: one id per Mango event (`mango:<kind>:<hash>`). */
const relayed = (r: MangoRecord, receivedAt: number) => ({
  id: `mango:${r.kind}:${new Bun.CryptoHasher("md5").update(JSON.stringify(r)).digest("hex")}`,
  type: "mango.event",
  data: { kind: r.kind, json: r.json, receivedAt },
});

/** Mango's time of a record (s), to space the deliveries as Mango sent them. */
const mangoTime = (r: MangoRecord): number => Number(r.json.timestamp ?? r.json.end_time);

const MANGO = { pbx: { mango: {} } };
const boxes: TestBox[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const box of boxes.splice(0)) await box.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function mangoBox(options: { dir?: string; clock?: TestClock } = {}): Promise<TestBox> {
  const box = await makeTestBox({ config: MANGO, ...options });
  boxes.push(box);
  return box;
}

/**
 * Hands `records` to the box as HQ's relay would, one envelope each from `seq`, the box's clock
 * moved on as Mango's timestamps did; returns the next seq.
 */
function feed(box: TestBox, seq: number, records: readonly MangoRecord[], previous: number | null): number {
  let last = previous;
  for (const r of records) {
    const at = mangoTime(r);
    if (last !== null && at > last) box.clock.advance((at - last) * 1000);
    last = at;
    expect(box.inbound.handle("pbx", bytes(down("pbx", seq, [relayed(r, box.clock.now())])))).toMatchObject({
      kind: "applied",
    });
    seq++;
  }
  return seq;
}

const callsOf = (box: TestBox, id: string): CallRecord[] =>
  box.calls.list({ limit: 100 }).filter((c) => c.id === id);
const rows = (box: TestBox) =>
  box.db
    .query<{ all: number; pending: number }, []>(
      'SELECT count(*) AS "all", count(*) FILTER (WHERE consumed_at IS NULL) AS pending FROM pbx_down',
    )
    .get();

const TRANSFER = "232wc3e3w3s222";

describe("[pbx.mango]: the pbx down stream into the box's calls (issue 17)", () => {
  test("the live capture (Odoo): answered by 222, ended by its summary; a redelivered envelope records nothing twice", async () => {
    const box = await mangoBox();
    const [connected, summary] = realRecords("odoo-cloud-phone-answered.json") as [MangoRecord, MangoRecord];
    feed(box, 1, [connected], null);
    // Its seq 1 never came: the translator waits reorder_seconds (2 s), then the source's tick applies it.
    box.clock.advance(2_000);
    await until(() => box.calls.live().some((c) => c.id === "MTYxNzM5NjY0OTE="), "the call live", 10_000);
    feed(box, 2, [summary], mangoTime(connected) + 2);
    await until(() => callsOf(box, "MTYxNzM5NjY0OTE=").length === 1, "the call recorded", 10_000);
    const [call] = callsOf(box, "MTYxNzM5NjY0OTE=");
    expect(call).toMatchObject({
      source: "mango",
      outcome: "answered",
      from: { number: "+79607164646" },
      did: "sip:roistat-0758@vpbx400076322.mangosip.ru",
      answeredAt: 1670060542_000,
      endedAt: 1670060661_000,
    });
    expect(rows(box)).toEqual({ all: 2, pending: 0 });
    // The broker delivers both envelopes again: below the mark, nothing reaches the source.
    for (const [seq, r] of [connected, summary].entries())
      expect(box.inbound.handle("pbx", bytes(down("pbx", seq + 1, [relayed(r, 0)])))).toMatchObject({
        kind: "duplicate",
      });
    // handle() answers after its commit: a duplicate wrote no row, so there is nothing to wait for.
    expect(callsOf(box, "MTYxNzM5NjY0OTE=")).toHaveLength(1);
    expect(rows(box)).toEqual({ all: 2, pending: 0 });
    const status = box.sources.find((s) => s.name === "mango")?.status();
    expect(status).toMatchObject({ eventsReceived: 2, badFrames: 0, orphans: { "seq-gap": 1 } });
    expect(box.inbound.status().pbx).toEqual({ handed: 2, withoutSource: 0 });
  });

  test("R2.3, R2.5: the API document's blind transfer with its recording; no summary, so the grace period (30 s) ends it", async () => {
    const box = await mangoBox();
    const transfer = realRecords("vpbx-api-blind-transfer.json");
    const recording = apiDoc("recording", "recording-completed.json");
    const seq = feed(box, 1, transfer, null);
    feed(box, seq, [recording], mangoTime(transfer.at(-1) as MangoRecord));
    await until(() => rows(box)?.pending === 0, "the records consumed", 10_000);
    await Bun.sleep(1_100);
    expect(callsOf(box, TRANSFER)).toHaveLength(0);
    box.clock.advance(30_000);
    await until(() => callsOf(box, TRANSFER).length === 1, "the grace period's end", 10_000);
    const [call] = callsOf(box, TRANSFER);
    expect(call?.recordingUrl).toBe("mango:recording:MToxMDA4NjI3NzoxNDQ1NDk5Mzg2OjA=");
    expect(call?.outcome).toBe("answered");
    expect(call?.legs.map((l) => l.extension)).toEqual(["333", "321"]);
    expect(box.calls.live()).toEqual([]);
  });

  test("a restart mid-call re-feeds the last hour: the call is recorded once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "branchbox-mango-"));
    dirs.push(dir);
    const clock = fakeClock();
    const transfer = realRecords("vpbx-api-blind-transfer.json");
    const first = await mangoBox({ dir, clock });
    const seq = feed(first, 1, transfer.slice(0, 4), null);
    await until(() => rows(first)?.pending === 0, "the first half consumed", 10_000);
    expect(first.calls.live().map((c) => c.id)).toContain(TRANSFER);
    boxes.splice(boxes.indexOf(first), 1);
    await first.close();

    const second = await mangoBox({ dir, clock });
    feed(second, seq, transfer.slice(4), mangoTime(transfer[3] as MangoRecord));
    await until(() => rows(second)?.pending === 0, "the second half consumed", 10_000);
    clock.advance(30_000);
    await until(() => callsOf(second, TRANSFER).length === 1, "the call recorded", 10_000);
    await Bun.sleep(1_100);
    expect(callsOf(second, TRANSFER)).toHaveLength(1);
    expect(callsOf(second, TRANSFER)[0]?.legs.map((l) => l.extension)).toEqual(["333", "321"]);
    expect(second.calls.live()).toEqual([]);
    // The journal kept each fact once, though the start delivered the first half again.
    const journal = second.db
      .query<{ n: number; keys: number }, []>(
        "SELECT count(*) AS n, count(DISTINCT key) AS keys FROM pbx_journal WHERE source = 'mango'",
      )
      .get();
    expect(journal?.n).toBe(journal?.keys);
    // The start read the first half again (4 + 4 records): no leg of it looked like a seq gap.
    const status = second.sources.find((s) => s.name === "mango")?.status();
    expect(status?.eventsReceived).toBe(8);
    expect(status?.orphans?.["seq-gap"]).toBeUndefined();
  });

  test("without [pbx.mango] nothing changes: the records are counted SYNC.PBX_NO_SOURCE, none kept for a source", async () => {
    const box = await makeTestBox();
    boxes.push(box);
    const [connected] = realRecords("odoo-cloud-phone-answered.json") as [MangoRecord];
    expect(box.inbound.handle("pbx", bytes(down("pbx", 1, [relayed(connected, 1)])))).toMatchObject({
      kind: "applied",
    });
    expect(box.inbound.status().pbx).toEqual({ handed: 0, withoutSource: 1 });
    expect(box.sources.map((s) => s.name)).not.toContain("mango");
    expect(box.db.query("SELECT count(*) AS n FROM pbx_down").get()).toEqual({ n: 0 });
  });
});
