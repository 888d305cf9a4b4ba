import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Applier } from "../../src/hq/applier.ts";
import { HQ_DB_FILE, openHqDatabase } from "../../src/hq/hq-schema.ts";
import { hqStore } from "../../src/hq/hq-store.ts";
import { ReorderBuffer } from "../../src/hq/reorder-buffer.ts";
import { batches, capturingLogger, envelope, type SentAck, tempDir } from "./hq-fixtures.ts";

function setup(options: { dir?: string; reorderTimeoutMs?: number } = {}) {
  const dir = options.dir ?? tempDir("hq-apply");
  const db = openHqDatabase(dir);
  const store = hqStore(db, { forward: false });
  const acks: SentAck[] = [];
  const clock = { now: 1_000 };
  const logs = capturingLogger();
  const applier = new Applier({
    store,
    log: logs.log,
    now: () => clock.now,
    reorderTimeoutMs: options.reorderTimeoutMs ?? 2000,
    sendAck: (branch, ack) => acks.push({ branch, ...ack }),
  });
  return { dir, db, store, applier, acks, clock, logs };
}

const seqs = (s: ReturnType<typeof setup>, branch: string, stream: string) =>
  s.store.records(branch, stream, 0, 100_000).map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("HQ apply: order, duplicates, gaps", () => {
  test("applies envelopes in seq order and acks each commit cumulatively", () => {
    const s = setup();
    for (const e of batches("msk-01", "roster", 25, 10)) s.applier.receive("msk-01", "roster", e);
    expect(seqs(s, "msk-01", "roster")).toEqual(range(1, 25));
    expect(s.acks).toEqual([
      { branch: "msk-01", v: 1, stream: "roster", through: 10 },
      { branch: "msk-01", v: 1, stream: "roster", through: 20 },
      { branch: "msk-01", v: 1, stream: "roster", through: 25 },
    ]);
    const [first] = s.store.records("msk-01", "roster", 0, 1);
    expect(first).toMatchObject({ seq: 1, id: "roster-1", type: "test.record", data: { n: 1 }, epoch: 1 });
    expect(s.applier.counters).toMatchObject({ envelopes: 3, applied: 25, duplicates: 0 });
  });

  test("records at or below the high-water mark are duplicates: dropped, counted, acked through hwm", () => {
    const s = setup();
    s.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10));
    s.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10)); // a resend
    s.applier.receive("b1", "calls", envelope("b1", "calls", 6, 15)); // overlaps: 6..10 old, 11..15 new
    expect(seqs(s, "b1", "calls")).toEqual(range(1, 15));
    expect(s.applier.counters).toMatchObject({ applied: 15, duplicates: 15 });
    expect(s.store.branches()[0]?.streams.calls).toMatchObject({ through: 15, duplicates: 15 });
    expect(s.acks.map((a) => a.through)).toEqual([10, 10, 15]);
  });

  test("a gap waits, asks for a replay after the reorder timeout, and fills when the seqs come", () => {
    const s = setup({ reorderTimeoutMs: 2000 });
    s.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10));
    s.applier.receive("b1", "calls", envelope("b1", "calls", 21, 30)); // 11..20 missing
    s.applier.receive("b1", "calls", envelope("b1", "calls", 31, 40));
    expect(seqs(s, "b1", "calls")).toEqual(range(1, 10));
    expect(s.acks).toHaveLength(1);
    s.clock.now += 1999;
    s.applier.tick();
    expect(s.acks).toHaveLength(1);
    s.clock.now += 1;
    s.applier.tick();
    expect(s.acks.at(-1)).toEqual({ branch: "b1", v: 1, stream: "calls", through: 10, replay: true });
    expect(s.applier.counters.replays).toBe(1);
    // No second request until another timeout has passed.
    s.clock.now += 500;
    s.applier.tick();
    expect(s.applier.counters.replays).toBe(1);
    // The branch replays from 11: the held envelopes follow at once.
    s.applier.receive("b1", "calls", envelope("b1", "calls", 11, 20));
    expect(seqs(s, "b1", "calls")).toEqual(range(1, 40));
    expect(s.acks.slice(-3).map((a) => a.through)).toEqual([20, 30, 40]);
    expect(s.applier.waiting).toEqual({ streams: 0, records: 0 });
  });

  test("streams and branches are independent: a gap in one holds back no other", () => {
    const s = setup();
    s.applier.receive("b1", "calls", envelope("b1", "calls", 5, 6));
    s.applier.receive("b1", "roster", envelope("b1", "roster", 1, 3));
    s.applier.receive("b2", "calls", envelope("b2", "calls", 1, 2));
    expect(seqs(s, "b1", "calls")).toEqual([]);
    expect(seqs(s, "b1", "roster")).toEqual([1, 2, 3]);
    expect(seqs(s, "b2", "calls")).toEqual([1, 2]);
  });

  test("HQ.BAD_ENVELOPE: malformed, wrong schema, spoofed branch, unknown stream — counted, dropped, nothing acked", () => {
    const s = setup();
    const good = envelope("b1", "calls", 1, 2);
    s.applier.receive("b1", "calls", undefined); // not JSON
    s.applier.receive("b1", "calls", { ...good, seqTo: 5 }); // seqTo is not the last record's
    s.applier.receive("b1", "calls", { ...good, records: [good.records[1], good.records[0]] });
    s.applier.receive("b2", "calls", good); // b2's credentials writing b1's records
    s.applier.receive("b1", "other", envelope("b1", "other", 1, 2));
    expect(s.applier.counters.badEnvelopes).toBe(5);
    expect(s.logs.codes().filter((c) => c === "HQ.BAD_ENVELOPE")).toHaveLength(5);
    expect(s.acks).toEqual([]);
    expect(s.store.branches()).toEqual([]);
  });

  test("the ack is sent only after the commit, and an envelope whose commit fails is not acked", () => {
    const s = setup();
    const reader = new Database(join(s.dir, HQ_DB_FILE), { readonly: true });
    const committed: number[] = [];
    const applier = new Applier({
      store: s.store,
      log: s.logs.log,
      reorderTimeoutMs: 2000,
      sendAck: (_branch, ack) => {
        // Another connection already sees what the ack reports.
        committed.push(
          reader.query<{ hwm: number }, []>("SELECT hwm FROM streams WHERE stream = 'calls'").get()?.hwm ?? 0,
        );
        expect(committed.at(-1)).toBe(ack.through);
      },
    });
    applier.receive("b1", "calls", envelope("b1", "calls", 1, 5));
    expect(committed).toEqual([5]);

    // A store on a read-only connection: the commit fails.
    const readOnly = hqStore(new Database(join(s.dir, HQ_DB_FILE), { readonly: true }), { forward: false });
    const acks: SentAck[] = [];
    const failing = new Applier({
      store: readOnly,
      log: s.logs.log,
      reorderTimeoutMs: 2000,
      sendAck: (branch, ack) => acks.push({ branch, ...ack }),
    });
    failing.receive("b1", "calls", envelope("b1", "calls", 6, 10));
    expect(acks).toEqual([]);
    expect(failing.counters.commitFailures).toBe(1);
    expect(s.logs.codes()).toContain("HQ.COMMIT_FAILED");
    expect(s.store.hwm("b1", "calls")).toBe(5);
  });

  test("two consumers on one store: the hwm is read from the database, not memory", () => {
    const a = setup();
    const b = setup({ dir: a.dir }); // a second connection, as a second consumer process has
    // b holds 11..20 (ahead of a gap); a commits 1..10; b's next tick sees it and applies 11..20.
    b.applier.receive("b1", "calls", envelope("b1", "calls", 11, 20));
    a.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10));
    expect(b.store.hwm("b1", "calls")).toBe(10);
    b.applier.tick();
    expect(seqs(a, "b1", "calls")).toEqual(range(1, 20));
    expect(b.acks.map((x) => x.through)).toEqual([20]);
    // a never saw 11..20; a resend of 1..20 on a is a duplicate, acked through 20.
    a.applier.receive("b1", "calls", envelope("b1", "calls", 1, 20));
    expect(a.acks.at(-1)?.through).toBe(20);
    expect(seqs(a, "b1", "calls")).toEqual(range(1, 20));
  });

  test("the reorder buffer is bounded: over the bound the envelope furthest ahead goes", () => {
    const buffer = new ReorderBuffer({ perStream: 2, records: 1000 });
    expect(buffer.add(envelope("b", "calls", 30, 39), 0)).toEqual([]);
    expect(buffer.add(envelope("b", "calls", 10, 19), 0)).toEqual([]);
    expect(buffer.add(envelope("b", "calls", 20, 29), 0).map((e) => e.seqFrom)).toEqual([30]);
    expect(buffer.add(envelope("b", "calls", 10, 19), 0)).toEqual([]); // same envelope again: held once
    expect(buffer.size).toEqual({ streams: 1, records: 20 });
    const byRecords = new ReorderBuffer({ perStream: 100, records: 15 });
    byRecords.add(envelope("b", "calls", 10, 19), 0);
    expect(byRecords.add(envelope("b", "roster", 5, 14), 0).map((e) => e.seqFrom)).toEqual([5]);
  });
});

describe("HQ store: presence", () => {
  test("a stale Last Will (older epoch than the birth) does not mark the branch offline", () => {
    const s = setup();
    expect(s.store.presence("b1", { online: true, epoch: 7, version: "0.2.0", backlog: 120 }, 10)).toBe(
      "stored",
    );
    expect(s.store.presence("b1", { online: false, epoch: 6 }, 11)).toBe("stale");
    expect(s.store.branches()[0]).toMatchObject({ online: true, epoch: 7, backlog: 120, version: "0.2.0" });
    expect(s.store.presence("b1", { online: false, epoch: 7 }, 12)).toBe("stored");
    expect(s.store.branches()[0]).toMatchObject({ online: false, epoch: 7, backlog: 120, version: "0.2.0" });
  });
});

describe("HQ store: large envelopes", () => {
  test("an envelope of 230 records over the mark by 37: 38..230 stored once each, data intact, each queued for the CRM once", () => {
    const dir = tempDir("hq-large");
    const db = openHqDatabase(dir);
    const store = hqStore(db, { forward: true });
    const now = () => 5_000;
    expect(store.applyAll([envelope("b1", "calls", 1, 37)], now)[0]).toMatchObject({
      kind: "applied",
      through: 37,
    });
    const big = envelope("b1", "calls", 1, 230);
    expect(store.applyAll([big], now)[0]).toEqual({
      kind: "applied",
      through: 230,
      applied: 193,
      duplicates: 37,
    });
    const stored = store.records("b1", "calls", 0, 1000);
    expect(stored.map((r) => r.seq)).toEqual(range(1, 230));
    expect(stored.map((r) => r.data)).toEqual(range(1, 230).map((n) => ({ n })));
    expect(stored[100]).toMatchObject({
      id: "calls-101",
      ts: 1_700_000_000_101,
      type: "test.record",
      epoch: 1,
    });
    expect(store.forwardDepth()).toBe(230);
    db.close();
  });
});

describe("HQ store: the file", () => {
  const pragma = (db: Database, name: string) =>
    Object.values(db.query(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];

  test("a new hq.db has 8 KiB pages and a rollback journal (appends written once), synchronous=FULL", () => {
    const s = setup();
    expect(pragma(s.db, "page_size")).toBe(8192);
    expect(pragma(s.db, "journal_mode")).toBe("truncate");
    expect(pragma(s.db, "synchronous")).toBe(2);
    s.applier.receive("b1", "calls", envelope("b1", "calls", 1, 50));
    expect(seqs(s, "b1", "calls")).toEqual(range(1, 50));
    s.db.close();
  });

  test("a file an older build left in WAL is switched; while another connection holds it in WAL it stays WAL and works", () => {
    const dir = tempDir("hq-wal");
    const old = new Database(join(dir, HQ_DB_FILE), { create: true, strict: true });
    old.run("PRAGMA journal_mode = WAL");
    old.run("CREATE TABLE t (x INTEGER)");
    // Held open (a consumer of the older build still running): no switch, both go on in WAL.
    const held = setup({ dir });
    expect(pragma(held.db, "journal_mode")).toBe("wal");
    held.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10));
    expect(seqs(held, "b1", "calls")).toEqual(range(1, 10));
    old.close();
    held.db.close();
    // The last one gone: the next start switches the file.
    const next = setup({ dir });
    expect(pragma(next.db, "journal_mode")).toBe("truncate");
    next.applier.receive("b1", "calls", envelope("b1", "calls", 11, 20));
    expect(seqs(next, "b1", "calls")).toEqual(range(1, 20));
    next.db.close();
  });
});
