import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { envelopeSchema } from "../../src/contract/protocol.ts";
import { openDatabase } from "../../src/store/db.ts";
import { type OutboxStore, outboxStore } from "../../src/store/outbox-store.ts";
import { buildEnvelope, type EnvelopeHead } from "../../src/sync/relay/envelope-builder.ts";
import { tempDir } from "../hq/hq-fixtures.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A branch database whose calls outbox holds `data` as seq 1, 2, 3 …, with awkward ids. */
function outboxWith(data: readonly unknown[]) {
  const dir = tempDir("envelope");
  dirs.push(dir);
  const db = openDatabase(dir);
  const outbox = outboxStore(db);
  db.transaction(() =>
    outbox.add(
      "calls",
      data.map((d, i) => ({
        id: i % 2 === 0 ? `r-"${i + 1}"\\\n\u0007` : `звонок-${i + 1}-😀`,
        type: "call.record",
        data: d,
      })),
      1000,
    ),
  )();
  return { db, outbox };
}
const head = (historical = false): EnvelopeHead => ({ branch: "b1", epoch: 3, stream: "calls", historical });
const build = (outbox: OutboxStore, after: number, maxBytes: number, maxRecords = 500) =>
  buildEnvelope(outbox, head(), after, maxRecords, maxBytes);

test("an envelope is one Buffer of valid JSON, the stored data spliced in, ids quoted, non-ASCII intact", () => {
  const { db, outbox } = outboxWith([{ name: "Ольга «Ш»", n: 1 }, null, ["€", "\u0001"]]);
  const built = buildEnvelope(outbox, head(true), 0, 500, 1 << 20);
  expect(built?.payload).toBeInstanceOf(Buffer);
  const wire = JSON.parse(built?.payload.toString() ?? "");
  expect(envelopeSchema.safeParse(wire).success).toBe(true);
  expect(wire).toMatchObject({
    v: 1,
    branch: "b1",
    epoch: 3,
    stream: "calls",
    seqFrom: 1,
    seqTo: 3,
    historical: true,
  });
  expect(wire.records).toEqual([
    { id: 'r-"1"\\\n\u0007', seq: 1, ts: 1000, type: "call.record", data: { name: "Ольга «Ш»", n: 1 } },
    { id: "звонок-2-😀", seq: 2, ts: 1000, type: "call.record", data: null },
    { id: 'r-"3"\\\n\u0007', seq: 3, ts: 1000, type: "call.record", data: ["€", "\u0001"] },
  ]);
  expect([built?.seqFrom, built?.seqTo, built?.count]).toEqual([1, 3, 3]);
  db.close();
});

test("maxBytes counts UTF-8 bytes of the records; maxRecords caps the run; one oversized record still goes alone; a gap ends the run", () => {
  const big = "я".repeat(400); // 800 bytes of data, 400 UTF-16 units
  const { db, outbox } = outboxWith([big, big, big, big, 5, 6]);
  const two = build(outbox, 0, 1800);
  expect(two?.count).toBe(2);
  expect(JSON.parse(two?.payload.toString() ?? "").seqTo).toBe(2);
  expect(two?.payload.length).toBeLessThan(1800 + 120);
  expect(build(outbox, 0, 10)?.count).toBe(1);
  expect(build(outbox, 0, 1 << 20, 3)?.count).toBe(3);
  expect(build(outbox, 2, 1 << 20)?.seqFrom).toBe(3);
  db.run("DELETE FROM outbox WHERE stream = 'calls' AND seq = 5");
  const gap = build(outbox, 2, 1 << 20);
  expect([gap?.seqFrom, gap?.seqTo]).toEqual([3, 4]);
  expect(JSON.parse(gap?.payload.toString() ?? "").records.map((r: { seq: number }) => r.seq)).toEqual([
    3, 4,
  ]);
  expect(build(outbox, 6, 100)).toBeNull();
  db.close();
});

test("sizes are read a page at a time: a run over several pages, capped by maxRecords, ended by a gap or by maxBytes in a later page", () => {
  const { db, outbox } = outboxWith(Array.from({ length: 300 }, (_, i) => ({ n: i + 1 })));
  const seqsOf = (after: number, maxBytes: number, maxRecords = 500) => {
    const built = build(outbox, after, maxBytes, maxRecords);
    const wire = JSON.parse(built?.payload.toString() ?? "");
    expect(envelopeSchema.safeParse(wire).success).toBe(true);
    return wire.records.map((r: { seq: number }) => r.seq);
  };
  expect(seqsOf(0, 1 << 20)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  expect(seqsOf(0, 1 << 20, 150)).toHaveLength(150);
  expect(seqsOf(10, 1 << 20, 130).at(-1)).toBe(140);
  const size = (count: number) => build(outbox, 100, 1 << 20, count)?.payload.length ?? 0;
  const oneRecord = size(2) - size(1); // ~60 bytes; one more digit in the seq further on
  expect(seqsOf(0, oneRecord * 100).length).toBeGreaterThan(64); // ends within the second page
  expect(seqsOf(0, oneRecord * 100).length).toBeLessThan(128);
  db.run("DELETE FROM outbox WHERE stream = 'calls' AND seq = 140");
  expect(seqsOf(0, 1 << 20).at(-1)).toBe(139);
  expect(seqsOf(139, 1 << 20)[0]).toBe(141);
  db.close();
});
