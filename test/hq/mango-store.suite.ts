// The MangoStore's contract (src/hq/store/mango-store-port.ts, issue 17), for every adapter:
// mango-store.sqlite.test.ts and mango-store.postgres.test.ts run it with their own `make`.
import { afterEach, describe, expect, test } from "bun:test";
import type { MangoStore } from "../../src/hq/store/mango-store-port.ts";

export interface MangoStoreUnderTest {
  readonly store: MangoStore;
  /** Another handle on the same storage, as a second consumer process has. */
  another(): Promise<MangoStore>;
  close(): Promise<void>;
}

const call = (n: number, entryId: string | null = `entry-${n}`) => ({
  id: `mango:call:${n}`,
  kind: "call" as const,
  json: JSON.stringify({ call_id: `c${n}`, entry_id: entryId }),
  receivedAt: 1000 + n,
  entryId,
});

export function runMangoStoreSuite(name: string, make: () => Promise<MangoStoreUnderTest>): void {
  describe(`Mango event store, ${name}`, () => {
    const open: MangoStoreUnderTest[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });
    const fresh = async () => {
      const s = await make();
      open.push(s);
      return s;
    };

    test("an event with a branch takes that branch's next pbx seq; one with none is kept unrouted; an id is stored once", async () => {
      const { store } = await fresh();
      expect(await store.add(call(1), "b1")).toEqual({ kind: "stored", branch: "b1", seq: 1 });
      expect(await store.add(call(2), "b2")).toEqual({ kind: "stored", branch: "b2", seq: 1 });
      expect(await store.add(call(3), "b1")).toEqual({ kind: "stored", branch: "b1", seq: 2 });
      expect(await store.add(call(4), null)).toEqual({ kind: "stored", branch: null, seq: null });
      expect(await store.add(call(1), "b1")).toEqual({ kind: "duplicate", branch: "b1" });
      expect((await store.unpublished(100)).map((e) => [e.branch, e.seq, e.id])).toEqual([
        ["b1", 1, "mango:call:1"],
        ["b1", 2, "mango:call:3"],
        ["b2", 1, "mango:call:2"],
      ]);
      expect((await store.unrouted(10)).map((e) => [e.id, e.json, e.receivedAt, e.seq])).toEqual([
        ["mango:call:4", call(4).json, 1004, null],
      ]);
      expect(await store.counts()).toEqual({ stored: 4, unrouted: 1, unpublished: 3 });
    });

    test("an event naming no branch follows its entry's earlier event (a recording of a call); unrouted lists the newest first", async () => {
      const { store } = await fresh();
      await store.add(call(1, "e1"), "b2");
      const recording = { ...call(2, "e1"), id: "mango:recording:2", kind: "recording" as const };
      expect(await store.add(recording, null)).toEqual({ kind: "stored", branch: "b2", seq: 2 });
      await store.add(call(3, "e3"), null);
      await store.add({ ...call(4, "e4"), receivedAt: 1003 }, null);
      expect((await store.unrouted(10)).map((e) => e.id)).toEqual(["mango:call:4", "mango:call:3"]);
      expect((await store.unrouted(1)).map((e) => e.id)).toEqual(["mango:call:4"]);
    });

    test("published events leave the unpublished list; counts follow", async () => {
      const { store } = await fresh();
      await store.add(call(1), "b1");
      await store.add(call(2), "b1");
      await store.published(["mango:call:1"], 5000);
      expect((await store.unpublished(100)).map((e) => [e.id, e.publishedAt])).toEqual([
        ["mango:call:2", null],
      ]);
      expect(await store.counts()).toEqual({ stored: 2, unrouted: 0, unpublished: 1 });
      await store.published([], 5001);
    });

    test("several consumers adding at once: each branch's seqs 1..n without holes, each id once", async () => {
      const s = await fresh();
      const stores = [s.store, await s.another(), await s.another()];
      const adds = Array.from({ length: 60 }, (_, i) => {
        const store = stores[i % stores.length] as MangoStore;
        // Every event twice, by two consumers (Mango's redelivery to another consumer).
        return [store.add(call(i % 30), `b${i % 3}`), store.add(call(i % 30), `b${i % 3}`)];
      }).flat();
      const results = await Promise.all(adds);
      expect(results.filter((r) => r.kind === "stored")).toHaveLength(30);
      const events = await s.store.unpublished(1000);
      for (const branch of ["b0", "b1", "b2"]) {
        const seqs = events.filter((e) => e.branch === branch).map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      }
      expect(new Set(events.map((e) => e.id)).size).toBe(30);
    });
  });
}
