// The HQ store's contract (src/hq/store/hq-store-port.ts), one test per line of it, for every
// adapter: `runHqStoreSuite("sqlite", makeStore)` in hq-store.sqlite.test.ts; a PostgreSQL adapter
// runs the same suite with its own `makeStore`.
import { afterEach, describe, expect, test } from "bun:test";
import type { Envelope } from "../../src/contract/protocol.ts";
import type { HqStore, HqStoreOptions } from "../../src/hq/store/hq-store-port.ts";
import { envelope } from "./hq-fixtures.ts";

/** A part of the store whose writes a test can make fail, as a broken disk would. */
export type StorePart = "records" | "marks" | "forward" | "presence";

export interface StoreUnderTest {
  readonly store: HqStore;
  /** Another handle on the same storage, as a second consumer process has. */
  another(): Promise<HqStore>;
  /** From now on every write of `part` (only of `stream`'s rows, when given) fails. */
  breakWrites(part: StorePart, stream?: string): Promise<void>;
  /** Writes work again. */
  heal(): Promise<void>;
  /** Closes every handle and removes the storage. */
  close(): Promise<void>;
}

export type MakeStore = (options: HqStoreOptions) => Promise<StoreUnderTest>;

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const at = (ms: number) => () => ms;
const STORAGE_CODE = /^STORAGE\.[A-Z_]+$/;

async function seqs(store: HqStore, branch: string, stream: string): Promise<number[]> {
  return (await store.records(branch, stream, 0, 100_000)).map((r) => r.seq);
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: unknown; message?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: unknown };
  }
  throw new Error("expected the store to reject");
}

export function runHqStoreSuite(name: string, makeStore: MakeStore): void {
  describe(`HQ store contract: ${name}`, () => {
    const opened: StoreUnderTest[] = [];
    const open = async (options: HqStoreOptions = { forward: false }) => {
      const s = await makeStore(options);
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    test("a record at or below the high-water mark is a duplicate: counted, never written again", async () => {
      const { store } = await open();
      expect(await store.apply([envelope("b1", "calls", 1, 10)], at(1))).toEqual([
        { kind: "applied", through: 10, applied: 10, duplicates: 0 },
      ]);
      // Resent with other contents at or below the mark: the stored records stay as first written.
      const changed = (e: Envelope) => ({
        ...e,
        records: e.records.map((r) => (r.seq <= 10 ? { ...r, data: { n: -1 } } : r)),
      });
      expect(await store.apply([changed(envelope("b1", "calls", 1, 10))], at(2))).toEqual([
        { kind: "duplicate", through: 10, duplicates: 10 },
      ]);
      expect(await store.apply([changed(envelope("b1", "calls", 6, 15))], at(3))).toEqual([
        { kind: "applied", through: 15, applied: 5, duplicates: 5 },
      ]);
      const stored = await store.records("b1", "calls", 0, 100);
      expect(stored.map((r) => r.seq)).toEqual(range(1, 15));
      expect(stored.map((r) => r.data)).toEqual(range(1, 15).map((n) => ({ n })));
      expect(stored.map((r) => r.appliedAt)).toEqual([
        ...range(1, 10).map(() => 1),
        ...range(11, 15).map(() => 3),
      ]);
      expect(await store.hwm("b1", "calls")).toBe(15);
      expect((await store.branches())[0]?.streams.calls).toMatchObject({ through: 15, duplicates: 15 });
    });

    test("an envelope past a gap (seqFrom > hwm + 1) writes nothing and reports the mark", async () => {
      const { store } = await open({ forward: true });
      expect(await store.apply([envelope("b1", "calls", 5, 9)], at(1))).toEqual([
        { kind: "gap", through: 0 },
      ]);
      expect(await store.branches()).toEqual([]);
      expect(await store.forwardDepth()).toBe(0);
      await store.apply([envelope("b1", "calls", 1, 3)], at(2));
      expect(await store.apply([envelope("b1", "calls", 5, 9)], at(3))).toEqual([
        { kind: "gap", through: 3 },
      ]);
      expect(await seqs(store, "b1", "calls")).toEqual([1, 2, 3]);
      expect(await store.hwm("b1", "calls")).toBe(3);
      expect(await store.forwardDepth()).toBe(3);
    });

    test("(branch, stream, seq) is unique: the same seq of another stream or branch is another record", async () => {
      const { store } = await open();
      await store.apply(
        [envelope("b1", "calls", 1, 3), envelope("b1", "roster", 1, 2), envelope("b2", "calls", 1, 4)],
        at(1),
      );
      expect(await seqs(store, "b1", "calls")).toEqual([1, 2, 3]);
      expect(await seqs(store, "b1", "roster")).toEqual([1, 2]);
      expect(await seqs(store, "b2", "calls")).toEqual([1, 2, 3, 4]);
      expect(await store.hwm("b2", "roster")).toBe(0);
    });

    test("the mark is read from storage when writing: a second handle goes on where the first left off", async () => {
      const s = await open();
      const other = await s.another();
      expect(await s.store.apply([envelope("b1", "calls", 1, 10)], at(1))).toMatchObject([
        { kind: "applied" },
      ]);
      expect(await other.apply([envelope("b1", "calls", 11, 20)], at(2))).toEqual([
        { kind: "applied", through: 20, applied: 10, duplicates: 0 },
      ]);
      expect(await s.store.apply([envelope("b1", "calls", 11, 20)], at(3))).toEqual([
        { kind: "duplicate", through: 20, duplicates: 10 },
      ]);
      expect(await s.store.apply([envelope("b1", "calls", 25, 30)], at(4))).toEqual([
        { kind: "gap", through: 20 },
      ]);
      expect(await seqs(s.store, "b1", "calls")).toEqual(range(1, 20));
    });

    test("two handles applying the same envelopes at once write each record once", async () => {
      const s = await open({ forward: true });
      const other = await s.another();
      const envelopes = range(0, 19).map((i) => envelope("b1", "calls", i * 10 + 1, i * 10 + 10));
      // Each handle sends them in order, as one consumer does; the two run side by side.
      const run = async (store: HqStore, clock: number) => {
        const out = [];
        for (const e of envelopes) out.push(...(await store.apply([e], at(clock))));
        return out;
      };
      const results = (await Promise.all([run(s.store, 1), run(other, 2)])).flat();
      const applied = results.reduce((n, r) => n + (r.kind === "applied" ? r.applied : 0), 0);
      expect(applied).toBe(200);
      expect(results.filter((r) => r.kind === "duplicate")).toHaveLength(20);
      expect(await seqs(s.store, "b1", "calls")).toEqual(range(1, 200));
      expect(await s.store.forwardDepth()).toBe(200);
    });

    test("one call applies its envelopes in order, each seeing the mark the previous one left", async () => {
      const { store } = await open();
      const results = await store.apply(
        [
          envelope("b1", "calls", 1, 10),
          envelope("b1", "calls", 11, 20),
          envelope("b1", "calls", 5, 25),
          envelope("b1", "calls", 40, 41),
          envelope("b1", "calls", 26, 26),
        ],
        at(1),
      );
      expect(results).toEqual([
        { kind: "applied", through: 10, applied: 10, duplicates: 0 },
        { kind: "applied", through: 20, applied: 10, duplicates: 0 },
        { kind: "applied", through: 25, applied: 5, duplicates: 16 },
        { kind: "gap", through: 25 },
        { kind: "applied", through: 26, applied: 1, duplicates: 0 },
      ]);
      expect(await seqs(store, "b1", "calls")).toEqual(range(1, 26));
    });

    test("all or nothing: when a write of one envelope fails, no envelope of the call is written", async () => {
      const s = await open();
      await s.store.apply([envelope("b1", "calls", 1, 5)], at(1));
      await s.breakWrites("marks", "calls");
      const failure = await rejection(
        s.store.apply([envelope("b1", "roster", 1, 3), envelope("b1", "calls", 6, 10)], at(2)),
      );
      expect(failure.code).toMatch(STORAGE_CODE);
      expect(await seqs(s.store, "b1", "roster")).toEqual([]);
      expect(await s.store.hwm("b1", "roster")).toBe(0);
      expect(await seqs(s.store, "b1", "calls")).toEqual(range(1, 5));
      expect(await s.store.hwm("b1", "calls")).toBe(5);
      // The branch resends; once the storage works, the same call goes through whole.
      await s.heal();
      expect(
        await s.store.apply([envelope("b1", "roster", 1, 3), envelope("b1", "calls", 6, 10)], at(3)),
      ).toMatchObject([
        { kind: "applied", through: 3 },
        { kind: "applied", through: 10 },
      ]);
    });

    test("forward rows are written in the commit of their records: if either write fails, neither is there", async () => {
      const s = await open({ forward: true });
      for (const part of ["forward", "records", "marks"] as const) {
        await s.breakWrites(part);
        expect((await rejection(s.store.apply([envelope("b1", "calls", 1, 10)], at(1)))).code).toMatch(
          STORAGE_CODE,
        );
        expect(await seqs(s.store, "b1", "calls")).toEqual([]);
        expect(await s.store.forwardDepth()).toBe(0);
        expect(await s.store.hwm("b1", "calls")).toBe(0);
        await s.heal();
      }
      await s.store.apply([envelope("b1", "calls", 1, 10)], at(2));
      expect(await s.store.forwardDepth()).toBe(10);
    });

    test("with forward, one forward row per record written, none for a duplicate; without, none", async () => {
      const s = await open({ forward: true });
      await s.store.apply([envelope("b1", "calls", 1, 10)], at(1));
      expect(await s.store.forwardDepth()).toBe(10);
      // seq 1 reaches the CRM and leaves the queue; resends of it must not queue it again.
      const [head] = await s.store.claimForward(1, 1_000, 64);
      await s.store.forwarded(head?.queueId ?? -1);
      await s.store.apply([envelope("b1", "calls", 1, 15), envelope("b1", "calls", 1, 15)], at(2));
      expect(await s.store.forwardDepth()).toBe(14);
      expect((await s.store.claimForward(2_000, 1_000, 64)).map((i) => i.record.seq)).toEqual([2]);
      const plain = await open({ forward: false });
      await plain.store.apply([envelope("b1", "calls", 1, 10)], at(1));
      expect(await plain.store.forwardDepth()).toBe(0);
    });

    test("`now` is read once per call and is every written record's appliedAt and the stream's lastAppliedAt", async () => {
      const { store } = await open();
      let calls = 0;
      const clock = () => {
        calls++;
        return 7_000 + calls;
      };
      await store.apply([envelope("b1", "calls", 1, 4), envelope("b1", "roster", 1, 2)], clock);
      expect(calls).toBe(1);
      const all = [
        ...(await store.records("b1", "calls", 0, 10)),
        ...(await store.records("b1", "roster", 0, 10)),
      ];
      expect(all.map((r) => r.appliedAt)).toEqual(Array(6).fill(7_001));
      const [view] = await store.branches();
      expect(view?.streams.calls).toMatchObject({ lastAppliedAt: 7_001, lastRecordTs: 1_700_000_000_004 });
    });

    test("records(after, limit): seq > after, ascending, at most limit, as sent", async () => {
      const { store } = await open();
      for (let from = 1; from <= 250; from += 40) {
        await store.apply(
          [
            envelope("b1", "calls", from, Math.min(250, from + 39), { epoch: 3, historical: from > 200 }),
            envelope("b1", "roster", from, from),
          ],
          at(from),
        );
      }
      const pages: number[][] = [];
      for (let after = 0; ; ) {
        const page = await store.records("b1", "calls", after, 100);
        pages.push(page.map((r) => r.seq));
        if (page.length < 100) break;
        after = page.at(-1)?.seq ?? after;
      }
      expect(pages).toEqual([range(1, 100), range(101, 200), range(201, 250)]);
      expect(await store.records("b1", "calls", 250, 100)).toEqual([]);
      expect((await store.records("b1", "calls", 7, 3)).map((r) => r.seq)).toEqual([8, 9, 10]);
      const [first] = await store.records("b1", "calls", 40, 1);
      expect(first).toEqual({
        seq: 41,
        id: "calls-41",
        ts: 1_700_000_000_041,
        type: "test.record",
        data: { n: 41 },
        epoch: 3,
        historical: false,
        appliedAt: 41,
      });
      expect((await store.records("b1", "calls", 240, 1))[0]).toMatchObject({ seq: 241, historical: true });
    });

    test("an envelope of 230 records over the mark by 37: 38..230 written once each, data intact", async () => {
      const { store } = await open({ forward: true });
      await store.apply([envelope("b1", "calls", 1, 37)], at(5));
      expect(await store.apply([envelope("b1", "calls", 1, 230)], at(6))).toEqual([
        { kind: "applied", through: 230, applied: 193, duplicates: 37 },
      ]);
      const stored = await store.records("b1", "calls", 0, 1000);
      expect(stored.map((r) => r.seq)).toEqual(range(1, 230));
      expect(stored.map((r) => r.data)).toEqual(range(1, 230).map((n) => ({ n })));
      expect(stored[100]).toMatchObject({ id: "calls-101", ts: 1_700_000_000_101, type: "test.record" });
      expect(await store.forwardDepth()).toBe(230);
    });

    test("branches(): every branch with presence or records, by name; presence null until stored", async () => {
      const { store } = await open();
      await store.apply([envelope("b2", "calls", 1, 3)], at(10));
      await store.apply([envelope("b1", "calls", 1, 2), envelope("b1", "roster", 1, 5)], at(11));
      await store.apply([envelope("b1", "calls", 1, 1)], at(12));
      await store.presence("b1", { online: true, epoch: 2, version: "0.2.0", backlog: 9 }, 20);
      await store.presence("a1", { online: false, epoch: 1 }, 21);
      expect(await store.branches()).toEqual([
        {
          branch: "a1",
          online: false,
          epoch: 1,
          version: null,
          backlog: null,
          stateAt: 21,
          lastRecordTs: null,
          streams: {},
        },
        {
          branch: "b1",
          online: true,
          epoch: 2,
          version: "0.2.0",
          backlog: 9,
          stateAt: 20,
          lastRecordTs: 1_700_000_000_005,
          streams: {
            calls: { through: 2, duplicates: 1, lastRecordTs: 1_700_000_000_002, lastAppliedAt: 11 },
            roster: { through: 5, duplicates: 0, lastRecordTs: 1_700_000_000_005, lastAppliedAt: 11 },
          },
        },
        {
          branch: "b2",
          online: null,
          epoch: null,
          version: null,
          backlog: null,
          stateAt: null,
          lastRecordTs: 1_700_000_000_003,
          streams: {
            calls: { through: 3, duplicates: 0, lastRecordTs: 1_700_000_000_003, lastAppliedAt: 10 },
          },
        },
      ]);
    });

    test("presence: the newest epoch wins, an older one is stale; a missing version or backlog keeps the stored one", async () => {
      const { store } = await open();
      expect(await store.presence("b1", { online: true, epoch: 7, version: "0.2.0", backlog: 120 }, 10)).toBe(
        "stored",
      );
      expect(await store.presence("b1", { online: false, epoch: 6 }, 11)).toBe("stale");
      expect((await store.branches())[0]).toMatchObject({ online: true, epoch: 7, stateAt: 10 });
      expect(await store.presence("b1", { online: false, epoch: 7 }, 12)).toBe("stored");
      expect((await store.branches())[0]).toMatchObject({
        online: false,
        epoch: 7,
        version: "0.2.0",
        backlog: 120,
        stateAt: 12,
      });
      expect(await store.presence("b1", { online: true, epoch: 8, backlog: 0 }, 13)).toBe("stored");
      expect((await store.branches())[0]).toMatchObject({
        online: true,
        epoch: 8,
        version: "0.2.0",
        backlog: 0,
      });
    });

    test("a failed presence write rejects with a coded error and leaves the stored presence", async () => {
      const s = await open();
      await s.store.presence("b1", { online: true, epoch: 1 }, 10);
      await s.breakWrites("presence");
      expect((await rejection(s.store.presence("b1", { online: false, epoch: 2 }, 11))).code).toMatch(
        STORAGE_CODE,
      );
      expect((await s.store.branches())[0]).toMatchObject({ online: true, epoch: 1, stateAt: 10 });
    });

    test("claimForward: the oldest row of each stream, when due, leased; it leaves only by forwarded", async () => {
      const { store } = await open({ forward: true });
      await store.apply([envelope("b1", "calls", 1, 3), envelope("b1", "roster", 1, 2)], at(100));
      const first = await store.claimForward(100, 1_000, 64);
      expect(first.map((i) => [i.stream, i.record.seq, i.attempts])).toEqual([
        ["calls", 1, 0],
        ["roster", 1, 0],
      ]);
      expect(first[0]?.record).toMatchObject({ id: "calls-1", data: { n: 1 }, appliedAt: 100 });
      expect(first[0]?.branch).toBe("b1");
      // Leased: nobody claims them again until the lease runs out, and the next seq waits its turn.
      expect(await store.claimForward(500, 1_000, 64)).toEqual([]);
      const [calls, roster] = first as [(typeof first)[0], (typeof first)[0]];
      await store.forwarded(calls.queueId);
      await store.forwardFailed(roster.queueId, 5_000, "HTTP 503");
      expect(await store.forwardDepth()).toBe(4);
      const second = await store.claimForward(1_100, 1_000, 64);
      expect(second.map((i) => [i.stream, i.record.seq])).toEqual([["calls", 2]]);
      expect(await store.claimForward(2_000, 1_000, 64)).toEqual([]);
      const third = await store.claimForward(5_000, 1_000, 64);
      expect(third.map((i) => [i.stream, i.record.seq, i.attempts])).toEqual([
        ["calls", 2, 0],
        ["roster", 1, 1],
      ]);
      expect(await store.claimForward(10_000, 1_000, 1)).toHaveLength(1);
    });
  });
}
