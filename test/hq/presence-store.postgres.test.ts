// The presence store's contract suite on a real PostgreSQL (Debian's packages, test/support/postgres.ts):
// a fresh database per store, one pool per handle (as each consumer has its own), then what only
// this adapter must show: ingests of several consumers at once are serialized.
import { describe, expect, test } from "bun:test";
import { postgresHqDatabases } from "./hq-engines.ts";
import { runPresenceStoreSuite } from "./presence-store.suite.ts";

const databases = postgresHqDatabases("presence");

async function fresh() {
  const db = await databases();
  const handles = [db.first];
  return {
    handles,
    async another() {
      const hq = await db.another();
      handles.push(hq);
      return hq.presence;
    },
    close: db.close,
  };
}

runPresenceStoreSuite("PostgreSQL", async () => {
  const db = await fresh();
  return { store: (db.handles[0] as (typeof db.handles)[0]).presence, another: db.another, close: db.close };
});

describe("R0.3d presence store, PostgreSQL: several consumers", () => {
  test("R0.3d: one employee checking in at many branches, ingested by four consumers at once: every other branch hears of every check-in once, each branch's seqs 1..n without holes", async () => {
    const db = await fresh();
    try {
      const stores = [db.handles[0]?.presence, ...(await Promise.all([1, 2, 3].map(() => db.another())))];
      const branches = Array.from({ length: 12 }, (_, i) => `b${String(i + 1).padStart(2, "0")}`);
      // Each branch's one check-in, at a distinct instant, by whichever consumer got it.
      await Promise.all(
        branches.map((branch, i) =>
          stores[i % stores.length]?.ingest(branch, 0, 1, [{ employeeId: "carla", at: 1000 + i }], 1),
        ),
      );
      const rows = (await db.handles[0]?.presence.unpublished(10_000)) ?? [];
      const heard = (branch: string) => rows.filter((r) => r.branch === branch).map((r) => r.data.branch);
      for (const branch of branches) {
        const mine = rows.filter((r) => r.branch === branch);
        expect(mine.map((r) => r.seq)).toEqual(mine.map((_, i) => i + 1));
        expect(new Set(mine.map((r) => r.id)).size).toBe(mine.length);
        // The newest check-in reaches every other branch: directly, or as "the newer one elsewhere".
        if (branch !== "b12") expect(heard(branch)).toContain("b12");
        // Of any two branches, the one ingested second saw the first's sighting and told it: two
        // ingests side by side, each blind to the other, would leave a pair that never heard.
        for (const other of branches)
          if (other !== branch)
            expect(heard(branch).includes(other) || heard(other).includes(branch)).toBe(true);
      }
    } finally {
      await db.close();
    }
  });
});
