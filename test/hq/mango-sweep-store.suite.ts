// The MangoSweepStore's contract (src/hq/store/mango-sweep-store-port.ts, issue 17 gaps), for every
// adapter: mango-sweep-store.sqlite.test.ts and mango-sweep-store.postgres.test.ts run it.
import { afterEach, describe, expect, test } from "bun:test";
import type { MangoStore } from "../../src/hq/store/mango-store-port.ts";
import type { MangoStatsEvent, MangoSweepStore } from "../../src/hq/store/mango-sweep-store-port.ts";

export interface MangoSweepStoreUnderTest {
  readonly events: MangoStore;
  readonly store: MangoSweepStore;
  /** Another handle on the same storage, as a second consumer process has. */
  another(): Promise<{ events: MangoStore; store: MangoSweepStore }>;
  close(): Promise<void>;
}

const stats = (entryId: string, branch: string | null): MangoStatsEvent => ({
  id: `mango:stats:${entryId}`,
  json: JSON.stringify({ entry_id: entryId, rows: [] }),
  entryId,
  branch,
});
const window = (i: number, reason: "downtime" | "periodic" | "unstored", nextAt = 0) => ({
  reason,
  from: 1_700_000_000 + i * 100,
  to: 1_700_000_099 + i * 100,
  nextAt,
});

export function runMangoSweepStoreSuite(name: string, make: () => Promise<MangoSweepStoreUnderTest>): void {
  describe(`Mango sweep store, ${name}`, () => {
    const open: MangoSweepStoreUnderTest[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });
    const fresh = async () => {
      const s = await make();
      open.push(s);
      return s;
    };

    test("the heartbeat: none before the first beat; the newest beat wins, whichever consumer beats", async () => {
      const s = await fresh();
      const other = await s.another();
      expect(await s.store.lastBeat()).toBeNull();
      await s.store.beat(1_800_000_010_000);
      await other.store.beat(1_800_000_005_000); // a consumer whose clock is behind
      expect(await other.store.lastBeat()).toBe(1_800_000_010_000);
      await other.store.beat(1_800_000_020_000);
      expect(await s.store.lastBeat()).toBe(1_800_000_020_000);
    });

    test("plan, due, update: the oldest due sweep first; requested keeps Mango's key; failed is finished and never due", async () => {
      const { store } = await fresh();
      expect(await store.due(1000)).toBeNull();
      expect(await store.lastPeriodicTo()).toBeNull();
      await store.plan(
        [window(0, "downtime", 500), window(1, "periodic", 200), window(2, "unstored", 5000)],
        100,
      );
      const [third, second, first] = await store.recent(10);
      expect([first?.reason, second?.reason, third?.reason]).toEqual(["downtime", "periodic", "unstored"]);
      expect(first).toMatchObject({
        from: 1_700_000_000,
        to: 1_700_000_099,
        state: "pending",
        key: null,
        nextAt: 500,
        attempts: 0,
        rows: null,
        createdAt: 100,
        finishedAt: null,
      });
      expect(await store.lastPeriodicTo()).toBe(1_700_000_199);
      expect((await store.due(1000))?.reason).toBe("periodic");
      const periodic = second?.id ?? -1;
      await store.update(periodic, {
        state: "requested",
        key: "k-1",
        nextAt: 600,
        attempts: 1,
        code: null,
        error: null,
        now: 250,
      });
      expect((await store.due(1000))?.reason).toBe("downtime");
      await store.update(first?.id ?? -1, {
        state: "failed",
        key: null,
        nextAt: 500,
        attempts: 1,
        code: "MANGO.STATS_REFUSED",
        error: "3101",
        now: 700,
      });
      expect(await store.due(1000)).toMatchObject({
        id: periodic,
        state: "requested",
        key: "k-1",
        attempts: 1,
      });
      expect((await store.recent(10)).find((w) => w.id === first?.id)).toMatchObject({
        state: "failed",
        lastCode: "MANGO.STATS_REFUSED",
        lastError: "3101",
        finishedAt: 700,
      });
      expect(await store.due(599)).toBeNull();
    });

    test("complete adds only the entries with no event yet, in the branch's pbx seq space, and marks the sweep done", async () => {
      const { events, store } = await fresh();
      // A webhook HQ held: its entry needs nothing from the statistics.
      await events.add(
        {
          id: "mango:call:held",
          kind: "call",
          json: '{"entry_id":"E-held"}',
          receivedAt: 1,
          entryId: "E-held",
        },
        "msk",
      );
      await store.plan([window(0, "downtime")], 10);
      const [sweep] = await store.recent(1);
      await store.update(sweep?.id ?? -1, {
        state: "requested",
        key: "k",
        nextAt: 0,
        attempts: 1,
        code: null,
        error: null,
        now: 20,
      });
      const result = await store.complete(sweep?.id ?? -1, {
        rows: 4,
        badLines: 1,
        events: [stats("E-held", "msk"), stats("E-new", "msk"), stats("E-nobody", null)],
        now: 30,
      });
      expect(result).toEqual({ newEntries: 2 });
      expect(
        (await events.unpublished(10)).map((e) => [e.id, e.kind, e.branch, e.seq, e.receivedAt]),
      ).toEqual([
        ["mango:call:held", "call", "msk", 1, 1],
        ["mango:stats:E-new", "stats", "msk", 2, 30],
      ]);
      expect((await events.unrouted(10)).map((e) => e.id)).toEqual(["mango:stats:E-nobody"]);
      expect((await store.recent(1))[0]).toMatchObject({
        state: "done",
        key: null,
        rows: 4,
        newEntries: 2,
        badLines: 1,
        finishedAt: 30,
      });
      expect(await store.due(1_000_000)).toBeNull();
    });

    test("two consumers completing overlapping sweeps at once store each entry once", async () => {
      const s = await fresh();
      const handles = [s, await s.another(), await s.another()];
      await s.store.plan([window(0, "downtime"), window(1, "periodic"), window(2, "unstored")], 10);
      const ids = (await s.store.recent(3)).map((w) => w.id);
      for (const h of handles) await h.store.lastBeat(); // each handle connected: the three overlap
      const entries = Array.from({ length: 40 }, (_, i) => stats(`E-${i}`, i % 2 === 0 ? "msk" : "spb"));
      const results = await Promise.all(
        ids.map((id, i) =>
          (handles[i] as { store: MangoSweepStore }).store.complete(id, {
            rows: 8,
            badLines: 0,
            events: i === 1 ? [...entries].reverse() : entries,
            now: 40 + i,
          }),
        ),
      );
      expect(results.reduce((n, r) => n + r.newEntries, 0)).toBe(40);
      const stored = await s.events.unpublished(100);
      const seqs = Array.from({ length: 20 }, (_, i) => i + 1);
      expect(stored.map((e) => [e.branch, e.seq])).toEqual([
        ...seqs.map((seq) => ["msk", seq]),
        ...seqs.map((seq) => ["spb", seq]),
      ]);
      expect(new Set(stored.map((e) => e.id)).size).toBe(40);
      expect((await s.store.recent(3)).map((w) => w.state)).toEqual(["done", "done", "done"]);
    });

    test("prune deletes finished sweeps before the cut, ALWAYS keeping the newest periodic one and the unfinished", async () => {
      const { store } = await fresh();
      await store.plan(
        [
          window(0, "periodic"),
          window(1, "downtime"),
          window(2, "periodic"),
          window(3, "unstored"),
          window(4, "downtime"),
        ],
        10,
      );
      const [a, b, c, d, e] = (await store.recent(10)).reverse().map((w) => w.id);
      if (a === undefined || b === undefined || c === undefined || d === undefined || e === undefined)
        throw new Error("5 planned");
      const none = { rows: 0, badLines: 0, events: [] };
      await store.complete(a, { ...none, now: 100 });
      await store.update(b, {
        state: "failed",
        key: null,
        nextAt: 0,
        attempts: 1,
        code: "MANGO.STATS_REFUSED",
        error: "refused",
        now: 100,
      });
      await store.complete(c, { ...none, now: 100 });
      await store.complete(d, { ...none, now: 900 });
      expect(await store.prune(500)).toBe(2);
      expect((await store.recent(10)).map((w) => w.id)).toEqual([e, d, c]);
      expect(await store.lastPeriodicTo()).toBe(window(2, "periodic").to);
      expect(await store.prune(500)).toBe(0);
    });
  });
}
