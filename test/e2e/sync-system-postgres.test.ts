// Issue 18, several consumers on PostgreSQL: three compiled `branchbox hq` consumers, each its own
// process, with `[hq] database_url` on one real PostgreSQL (Debian's packages,
// test/support/postgres.ts), sharing the broker's shared subscription on a real Mosquitto; the
// compiled branch bursts roster facts. Correctness must rest on the database — the unique
// (branch, stream, seq) and the mark read under the stream row's lock — never on which consumer
// got an envelope: HQ's API and PostgreSQL itself must show seq 1..N exactly once, in order.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SQL } from "bun";
import { PG_MIGRATIONS } from "../../src/hq/store/postgres/index.ts";
import { startMosquitto } from "../support/mosquitto.ts";
import { type Postgres, startPostgres } from "../support/postgres.ts";
import { expectComplete, RosterBurst, SyncSystem, withSystem } from "../support/sync-system.ts";

/** Paced burst (4 employees, each a fact every ~20 ms plus the round trip): records keep flowing through the kill. */
const PACE_MS = 20;

let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
  const admin = new SQL(pg.url(), { max: 1 });
  await admin.unsafe("CREATE DATABASE hq");
  await admin.close();
});
afterAll(async () => {
  await pg?.stop();
});

type Consumer = { consumer: { applied: number } };

test("three HQ consumers on one PostgreSQL (shared subscription), started together, one killed (-9) mid-burst: every record exactly once, in order", async () => {
  const sys = new SyncSystem();
  const db = new SQL(pg.url("hq"), { max: 1 });
  try {
    await withSystem(sys, async () => {
      const broker = sys.watch(await startMosquitto());
      const database = [`database_url = "${pg.url("hq")}"`];
      // Started at once on the empty database: the migration runs once, under the advisory lock.
      const [one, two, three] = await Promise.all(
        ["hq-pg-1", "hq-pg-2", "hq-pg-3"].map((name) => sys.startHq({ url: broker.url }, name, database)),
      );
      if (one === undefined || two === undefined || three === undefined) throw new Error("three consumers");
      expect(await db`SELECT version, name FROM schema_migrations ORDER BY version`).toEqual(
        PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
      );
      const branch = await sys.startBranch({ url: broker.url });
      const burst = new RosterBurst(() => branch.baseUrl, 3_000, PACE_MS);
      await burst.untilAccepted(600, 30_000);
      // Every consumer takes a share of the stream before one dies.
      for (const hq of [one, two, three]) {
        const { consumer } = await sys.hqGet<Consumer>(hq, "/api/v1/branches");
        expect(consumer.applied).toBeGreaterThan(0);
      }
      await two.kill9();
      const atKill = burst.accepted;
      await burst.done;
      expect(burst.accepted).toBeGreaterThan(atKill);
      // Through the API of each survivor (both read the same database)…
      const n = await expectComplete(sys, one, burst.accepted, 90_000);
      await expectComplete(sys, three, burst.accepted, 30_000);
      // …and in PostgreSQL itself: N rows, N distinct seqs, 1..N, the mark at N.
      const [rows] = await db`
        SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct_seqs, min(seq)::int AS first,
               max(seq)::int AS last
        FROM records WHERE branch = ${sys.branchId} AND stream = 'roster'`;
      expect(rows).toEqual({ n, distinct_seqs: n, first: 1, last: n });
      const [mark] =
        await db`SELECT hwm::int AS hwm FROM streams WHERE branch = ${sys.branchId} AND stream = 'roster'`;
      expect(mark).toEqual({ hwm: n });
    });
  } finally {
    await db.close();
  }
}, 180_000);
