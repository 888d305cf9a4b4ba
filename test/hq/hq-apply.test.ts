import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Applier } from "../../src/hq/applier.ts";
import { ReorderBuffer } from "../../src/hq/reorder-buffer.ts";
import type { HqStore } from "../../src/hq/store/hq-store-port.ts";
import { HQ_DB_FILE, openHqDatabase, sqliteHqStore } from "../../src/hq/store/sqlite/index.ts";
import { batches, capturingLogger, envelope, type SentAck, tempDir } from "./hq-fixtures.ts";

function setup(options: { dir?: string; reorderTimeoutMs?: number } = {}) {
  const dir = options.dir ?? tempDir("hq-apply");
  const db = openHqDatabase(dir);
  const store = sqliteHqStore(db, { forward: false });
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
  return { dir, store, applier, acks, clock, logs };
}

const seqs = async (s: ReturnType<typeof setup>, branch: string, stream: string) =>
  (await s.store.records(branch, stream, 0, 100_000)).map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("HQ apply: order, duplicates, gaps", () => {
  test("applies envelopes in seq order and acks each commit cumulatively", async () => {
    const s = setup();
    for (const e of batches("msk-01", "roster", 25, 10)) await s.applier.receive("msk-01", "roster", e);
    expect(await seqs(s, "msk-01", "roster")).toEqual(range(1, 25));
    expect(s.acks).toEqual([
      { branch: "msk-01", v: 1, stream: "roster", through: 10 },
      { branch: "msk-01", v: 1, stream: "roster", through: 20 },
      { branch: "msk-01", v: 1, stream: "roster", through: 25 },
    ]);
    const [first] = await s.store.records("msk-01", "roster", 0, 1);
    expect(first).toMatchObject({ seq: 1, id: "roster-1", type: "test.record", data: { n: 1 }, epoch: 1 });
    expect(s.applier.counters).toMatchObject({ envelopes: 3, applied: 25, duplicates: 0 });
  });

  test("records at or below the high-water mark are duplicates: dropped, counted, acked through hwm", async () => {
    const s = setup();
    await s.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10));
    await s.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10)); // a resend
    await s.applier.receive("b1", "calls", envelope("b1", "calls", 6, 15)); // overlaps: 6..10 old, 11..15 new
    expect(await seqs(s, "b1", "calls")).toEqual(range(1, 15));
    expect(s.applier.counters).toMatchObject({ applied: 15, duplicates: 15 });
    expect((await s.store.branches())[0]?.streams.calls).toMatchObject({ through: 15, duplicates: 15 });
    expect(s.acks.map((a) => a.through)).toEqual([10, 10, 15]);
  });

  test("a gap waits, asks for a replay after the reorder timeout, and fills when the seqs come", async () => {
    const s = setup({ reorderTimeoutMs: 2000 });
    await s.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10));
    await s.applier.receive("b1", "calls", envelope("b1", "calls", 21, 30)); // 11..20 missing
    await s.applier.receive("b1", "calls", envelope("b1", "calls", 31, 40));
    expect(await seqs(s, "b1", "calls")).toEqual(range(1, 10));
    expect(s.acks).toHaveLength(1);
    s.clock.now += 1999;
    await s.applier.tick();
    expect(s.acks).toHaveLength(1);
    s.clock.now += 1;
    await s.applier.tick();
    expect(s.acks.at(-1)).toEqual({ branch: "b1", v: 1, stream: "calls", through: 10, replay: true });
    expect(s.applier.counters.replays).toBe(1);
    // No second request until another timeout has passed.
    s.clock.now += 500;
    await s.applier.tick();
    expect(s.applier.counters.replays).toBe(1);
    // The branch replays from 11: the held envelopes follow at once.
    await s.applier.receive("b1", "calls", envelope("b1", "calls", 11, 20));
    expect(await seqs(s, "b1", "calls")).toEqual(range(1, 40));
    expect(s.acks.slice(-3).map((a) => a.through)).toEqual([20, 30, 40]);
    expect(s.applier.waiting).toEqual({ streams: 0, records: 0 });
  });

  test("streams and branches are independent: a gap in one holds back no other", async () => {
    const s = setup();
    await s.applier.receive("b1", "calls", envelope("b1", "calls", 5, 6));
    await s.applier.receive("b1", "roster", envelope("b1", "roster", 1, 3));
    await s.applier.receive("b2", "calls", envelope("b2", "calls", 1, 2));
    expect(await seqs(s, "b1", "calls")).toEqual([]);
    expect(await seqs(s, "b1", "roster")).toEqual([1, 2, 3]);
    expect(await seqs(s, "b2", "calls")).toEqual([1, 2]);
  });

  test("HQ.BAD_ENVELOPE: malformed, wrong schema, spoofed branch, unknown stream — counted, dropped, nothing acked", async () => {
    const s = setup();
    const good = envelope("b1", "calls", 1, 2);
    await s.applier.receive("b1", "calls", undefined); // not JSON
    await s.applier.receive("b1", "calls", { ...good, seqTo: 5 }); // seqTo is not the last record's
    await s.applier.receive("b1", "calls", { ...good, records: [good.records[1], good.records[0]] });
    await s.applier.receive("b2", "calls", good); // b2's credentials writing b1's records
    await s.applier.receive("b1", "other", envelope("b1", "other", 1, 2));
    expect(s.applier.counters.badEnvelopes).toBe(5);
    expect(s.logs.codes().filter((c) => c === "HQ.BAD_ENVELOPE")).toHaveLength(5);
    expect(s.acks).toEqual([]);
    expect(await s.store.branches()).toEqual([]);
  });

  test("the ack is sent only after the commit, and an envelope whose commit fails is not acked", async () => {
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
    await applier.receive("b1", "calls", envelope("b1", "calls", 1, 5));
    expect(committed).toEqual([5]);

    // A store on a read-only connection: the commit fails.
    const readOnly = sqliteHqStore(new Database(join(s.dir, HQ_DB_FILE), { readonly: true }), {
      forward: false,
    });
    const acks: SentAck[] = [];
    const failing = new Applier({
      store: readOnly,
      log: s.logs.log,
      reorderTimeoutMs: 2000,
      sendAck: (branch, ack) => acks.push({ branch, ...ack }),
    });
    await failing.receive("b1", "calls", envelope("b1", "calls", 6, 10));
    expect(acks).toEqual([]);
    expect(failing.counters.commitFailures).toBe(1);
    expect(s.logs.lines.find((l) => l.code === "HQ.COMMIT_FAILED")?.error).toMatchObject({
      code: "STORAGE.READ_ONLY",
    });
    expect(await s.store.hwm("b1", "calls")).toBe(5);
  });

  test("two consumers on one store: the hwm is read from the database, not memory", async () => {
    const a = setup();
    const b = setup({ dir: a.dir }); // a second connection, as a second consumer process has
    // b holds 11..20 (ahead of a gap); a commits 1..10; b's next tick sees it and applies 11..20.
    await b.applier.receive("b1", "calls", envelope("b1", "calls", 11, 20));
    await a.applier.receive("b1", "calls", envelope("b1", "calls", 1, 10));
    expect(await b.store.hwm("b1", "calls")).toBe(10);
    await b.applier.tick();
    expect(await seqs(a, "b1", "calls")).toEqual(range(1, 20));
    expect(b.acks.map((x) => x.through)).toEqual([20]);
    // a never saw 11..20; a resend of 1..20 on a is a duplicate, acked through 20.
    await a.applier.receive("b1", "calls", envelope("b1", "calls", 1, 20));
    expect(a.acks.at(-1)?.through).toBe(20);
    expect(await seqs(a, "b1", "calls")).toEqual(range(1, 20));
  });

  test("a store that answers late: messages are still applied one at a time, in the order they came, and acked so", async () => {
    const s = setup();
    const started: number[] = [];
    const answers: (() => void)[] = [];
    const late: HqStore = {
      ...s.store,
      apply(envelopes, now) {
        started.push(envelopes[0]?.seqFrom ?? 0);
        return new Promise((resolve, reject) =>
          answers.push(() => s.store.apply(envelopes, now).then(resolve, reject)),
        );
      },
    };
    const acks: number[] = [];
    const applier = new Applier({
      store: late,
      log: s.logs.log,
      reorderTimeoutMs: 2000,
      sendAck: (_branch, ack) => acks.push(ack.through),
    });
    const done = [1, 11, 21].map((from) =>
      applier.receive("b1", "calls", envelope("b1", "calls", from, from + 9)),
    );
    const tick = applier.tick();
    for (let i = 1; i <= 3; i++) {
      while (answers.length < i) await Bun.sleep(1);
      expect(started).toEqual([1, 11, 21].slice(0, i)); // the next waits until this one is answered
      answers[i - 1]?.();
    }
    await Promise.all([...done, tick]);
    expect(acks).toEqual([10, 20, 30]);
    expect(applier.counters).toMatchObject({ applied: 30, held: 0 });
    expect(await seqs(s, "b1", "calls")).toEqual(range(1, 30));
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
