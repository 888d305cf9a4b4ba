// The PresenceStore's contract (src/hq/store/presence-store-port.ts, R0.3d), for every adapter:
// `runPresenceStoreSuite("SQLite", make)` in presence-store.sqlite.test.ts; a PostgreSQL adapter
// runs the same suite with its own `make`.
import { afterEach, describe, expect, test } from "bun:test";
import type { PresenceStore } from "../../src/hq/store/presence-store-port.ts";

export interface PresenceStoreUnderTest {
  readonly store: PresenceStore;
  /** Another handle on the same storage, as a second consumer process has. */
  another(): Promise<PresenceStore>;
  close(): Promise<void>;
}

const rows = async (store: PresenceStore) =>
  (await store.unpublished(1000)).map((r) => [r.branch, r.seq, r.id, r.data.branch, r.data.at]);

export function runPresenceStoreSuite(name: string, make: () => Promise<PresenceStoreUnderTest>): void {
  describe(`R0.3d presence store, ${name}`, () => {
    const open: PresenceStoreUnderTest[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });
    const fresh = async () => {
      const s = await make();
      open.push(s);
      return s;
    };

    test("R0.3d: a check-in goes to every other branch the employee was seen at; the newer sighting elsewhere comes back", async () => {
      const { store } = await fresh();
      expect(await store.ingest("b1", 0, 1, [{ employeeId: "carla", at: 800 }], 1)).toBe("done");
      expect(await store.ingest("b3", 0, 1, [{ employeeId: "carla", at: 1200 }], 2)).toBe("done");
      expect(await store.ingest("b2", 0, 4, [{ employeeId: "carla", at: 1000 }], 3)).toBe("done");
      expect(await rows(store)).toEqual([
        ["b1", 1, "elsewhere:b3:carla:1200", "b3", 1200],
        ["b1", 2, "elsewhere:b2:carla:1000", "b2", 1000],
        ["b2", 1, "elsewhere:b3:carla:1200", "b3", 1200],
        ["b3", 1, "elsewhere:b2:carla:1000", "b2", 1000],
      ]);
      expect(await store.cursor("b2")).toBe(4);
      expect(await store.cursor("b4")).toBe(0);
    });

    test("R0.3d: a cursor another consumer moved writes nothing ('moved'); a record id is queued once per branch", async () => {
      const s = await fresh();
      const other = await s.another();
      await s.store.ingest("b1", 0, 1, [{ employeeId: "carla", at: 800 }], 1);
      await s.store.ingest("b2", 0, 1, [{ employeeId: "carla", at: 1000 }], 2);
      expect(await other.ingest("b2", 0, 1, [{ employeeId: "carla", at: 1000 }], 3)).toBe("moved");
      // The same sighting read again from the right cursor (a replayed page): nothing new.
      expect(await other.ingest("b2", 1, 2, [{ employeeId: "carla", at: 1000 }], 4)).toBe("done");
      expect(await rows(s.store)).toEqual([["b1", 1, "elsewhere:b2:carla:1000", "b2", 1000]]);
    });

    test("R0.3d: published rows leave the unpublished list; seqs go on without holes", async () => {
      const { store } = await fresh();
      await store.ingest("b1", 0, 1, [{ employeeId: "carla", at: 800 }], 1);
      await store.ingest(
        "b2",
        0,
        2,
        [
          { employeeId: "carla", at: 1000 },
          { employeeId: "carla", at: 2000 },
        ],
        2,
      );
      expect((await store.unpublished(1000)).map((r) => r.seq)).toEqual([1, 2]);
      await store.published([{ branch: "b1", seq: 1 }], 3);
      expect((await store.unpublished(1000)).map((r) => [r.branch, r.seq])).toEqual([["b1", 2]]);
      await store.ingest("b3", 0, 1, [{ employeeId: "carla", at: 3000 }], 4);
      expect((await store.unpublished(1000)).map((r) => [r.branch, r.seq])).toEqual([
        ["b1", 2],
        ["b1", 3],
        ["b2", 1],
      ]);
    });
  });
}
