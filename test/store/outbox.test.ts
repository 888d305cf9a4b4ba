import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import { outboxStore } from "../../src/store/outbox-store.ts";

const dir = mkdtempSync(join(tmpdir(), "branchbox-outbox-"));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("seq counts per stream, survives a restart, and never repeats after acked rows are deleted", () => {
  let db = openDatabase(dir);
  let outbox = outboxStore(db);
  const a = db.transaction(() =>
    outbox.add(
      "roster",
      [1, 2, 3].map((n) => ({ id: `f${n}`, type: "roster.fact", data: { n } })),
      100,
    ),
  )();
  expect(a.map((r) => r.seq)).toEqual([1, 2, 3]);
  expect(
    db.transaction(() => outbox.add("calls", [{ id: "c1", type: "call.record", data: {} }], 100))()[0]?.seq,
  ).toBe(1);
  expect(outbox.ack("roster", 3)).toBe(3);
  expect(outbox.pending("roster", 0, 10)).toEqual([]);
  db.close();

  db = openDatabase(dir);
  outbox = outboxStore(db);
  const b = db.transaction(() =>
    outbox.add("roster", [{ id: "f4", type: "roster.fact", data: { n: 4 } }], 200),
  )();
  expect(b[0]?.seq).toBe(4);
  expect(outbox.pending("roster", 0, 10)).toEqual([
    { id: "f4", seq: 4, ts: 200, type: "roster.fact", data: { n: 4 } },
  ]);
  expect(outbox.backlog()).toEqual({ roster: 1, calls: 1 });
  expect(outbox.ackedThrough("roster")).toBe(3);
  db.close();
});

test("the epoch grows on every call, across restarts", () => {
  let db = openDatabase(dir);
  expect([outboxStore(db).nextEpoch(), outboxStore(db).nextEpoch()]).toEqual([1, 2]);
  db.close();
  db = openDatabase(dir);
  expect(outboxStore(db).nextEpoch()).toBe(3);
  db.close();
});

test("a record added in a transaction that fails is not in the outbox, and its seq is not spent", () => {
  const db = openDatabase(dir);
  const outbox = outboxStore(db);
  expect(() =>
    db.transaction(() => {
      outbox.add("roster", [{ id: "x", type: "roster.fact", data: {} }], 1);
      throw new Error("the fact's own write failed");
    })(),
  ).toThrow();
  expect(outbox.pending("roster", 0, 10)).toEqual([]);
  expect(
    db.transaction(() => outbox.add("roster", [{ id: "y", type: "roster.fact", data: {} }], 2))()[0]?.seq,
  ).toBe(1);
  db.close();
});
