// HQ's two storage engines for tests that run on both (issue 18: HQ runs fully on PostgreSQL):
// SQLite's hq.db in a temp dir, and a real PostgreSQL (Debian's packages, test/support/postgres.ts)
// started once per test file, on first use, with a fresh database per `fresh()`.
import { afterAll } from "bun:test";
import { rmSync } from "node:fs";
import type { HqStore } from "../../src/hq/store/hq-store-port.ts";
import type { MangoCommandStore } from "../../src/hq/store/mango-command-store-port.ts";
import type { MangoStore } from "../../src/hq/store/mango-store-port.ts";
import type { MangoSweepStore } from "../../src/hq/store/mango-sweep-store-port.ts";
import { openPostgresHq, type PostgresHq } from "../../src/hq/store/postgres/index.ts";
import {
  openHqDatabase,
  sqliteHqStore,
  sqliteMangoCommandStore,
  sqliteMangoStore,
  sqliteMangoSweepStore,
} from "../../src/hq/store/sqlite/index.ts";
import { freshDatabase, type Postgres, startPostgres } from "../support/postgres.ts";
import { tempDir } from "./hq-fixtures.ts";

/** A row of `mango_events` as stored, in arrival order: what a test checks beneath the ports. */
export interface StoredMangoRow {
  readonly id: string;
  readonly kind: string;
  readonly entry_id: string | null;
  readonly branch: string | null;
  readonly seq: number | null;
  readonly json: string;
}

/** One consumer's handle on HQ's storage: the stores `branchbox hq` opens, on one connection/pool. */
export interface HqStores {
  readonly store: HqStore;
  readonly mango: MangoStore;
  readonly mangoCommands: MangoCommandStore;
  readonly mangoSweeps: MangoSweepStore;
  mangoRows(): Promise<StoredMangoRow[]>;
  close(): Promise<void>;
}

export interface HqEngine {
  readonly name: string;
  /** New, empty storage: its location, for `open` (again: a restart, or another consumer). */
  fresh(): Promise<string>;
  open(at: string): Promise<HqStores>;
  /** Removes the storage at `at`, its handles closed first. */
  drop(at: string): Promise<void>;
}

const ROWS = "SELECT id, kind, entry_id, branch, seq, json FROM mango_events ORDER BY";

const sqliteEngine: HqEngine = {
  name: "SQLite",
  fresh: async () => tempDir("hq-engine"),
  async open(dir) {
    const db = openHqDatabase(dir);
    return {
      store: sqliteHqStore(db, { forward: false }),
      mango: sqliteMangoStore(db),
      mangoCommands: sqliteMangoCommandStore(db),
      mangoSweeps: sqliteMangoSweepStore(db),
      mangoRows: async () => db.query<StoredMangoRow, []>(`${ROWS} rowid`).all(),
      async close() {
        db.close();
      },
    };
  },
  drop: async (dir) => rmSync(dir, { recursive: true, force: true }),
};

/** PostgreSQL, started when first asked for a database and stopped after the file's tests. */
function postgresEngine(): HqEngine {
  let pg: Promise<Postgres> | undefined;
  let databases = 0;
  const drops = new Map<string, () => Promise<void>>();
  afterAll(async () => {
    await (await pg)?.stop();
  });
  return {
    name: "PostgreSQL",
    async fresh() {
      pg ??= startPostgres();
      const db = await freshDatabase(await pg, `hq_engine_${++databases}`);
      drops.set(db.url, db.drop);
      return db.url;
    },
    async open(url) {
      const hq = await openPostgresHq(url, { forward: false });
      return {
        ...hq,
        mangoRows: async () => {
          const sql = new Bun.SQL(url, { max: 1 });
          try {
            return ((await sql.unsafe(`${ROWS} n`)) as (StoredMangoRow & { seq: string | null })[]).map(
              (r) => ({ ...r, seq: r.seq === null ? null : Number(r.seq) }),
            );
          } finally {
            await sql.close();
          }
        },
        close: () => hq.store.close(),
      };
    },
    drop: async (url) => drops.get(url)?.(),
  };
}

/** Both engines, for `for (const engine of hqEngines()) describe(...)` at a test file's top level. */
export function hqEngines(): HqEngine[] {
  return [sqliteEngine, postgresEngine()];
}

/** A fresh HQ database on the file's PostgreSQL and the consumers' handles on it. */
export interface PostgresHqDatabase {
  /** The first consumer's handle. */
  readonly first: PostgresHq;
  /** Another consumer on the same database (its own pool). */
  another(): Promise<PostgresHq>;
  /** Closes every handle, then drops the database. */
  close(): Promise<void>;
}

/**
 * For a store suite on PostgreSQL: the file's server (started at first use, stopped after the
 * file's tests) and, per call, a fresh database named `${prefix}_N` with its first consumer.
 */
export function postgresHqDatabases(
  prefix: string,
  options: { readonly forward: boolean } = { forward: false },
): () => Promise<PostgresHqDatabase> {
  let pg: Promise<Postgres> | undefined;
  let databases = 0;
  afterAll(async () => {
    await (await pg)?.stop();
  });
  return async () => {
    pg ??= startPostgres();
    const db = await freshDatabase(await pg, `${prefix}_${++databases}`);
    const handles = [await openPostgresHq(db.url, options)];
    return {
      first: handles[0] as PostgresHq,
      async another() {
        const hq = await openPostgresHq(db.url, options);
        handles.push(hq);
        return hq;
      },
      async close() {
        for (const hq of handles) await hq.store.close();
        await db.drop();
      },
    };
  };
}
