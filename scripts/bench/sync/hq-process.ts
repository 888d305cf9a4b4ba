import { Database } from "bun:sqlite";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HQ_DB_FILE } from "../../../src/hq/store/sqlite/index.ts";
import { freePort } from "../../../test/support/process.ts";
import type { Child, Children } from "../lib/children.ts";

/**
 * The real headquarters consumer, `bun src/main.ts hq --config FILE`, in its own process with
 * its SQLite store under `{dir}/hq` (or, with `databaseUrl`, on PostgreSQL: `[hq] database_url`);
 * the bench watches it through its HTTP API, as an integrator would, and reads its SQLite
 * database (read-only) only for the final checks. A PostgreSQL store the bench reads itself.
 */

const TOKEN = "bench-hq-token-0123456789abcdef";

export type StreamView = { through: number; duplicates: number; lastAppliedAt: number | null };
export type Counters = { applied: number; duplicates: number; badEnvelopes: number; replays: number };

export interface HqProcess {
  readonly child: Child;
  readonly dir: string;
  /** Its HTTP API's base, `http://127.0.0.1:<port>` (bench:mango posts Mango's webhooks there). */
  readonly url: string;
  /** Per stream of `branch`: the committed high-water mark; and the consumer's counters. */
  view(branch: string): Promise<{ streams: Record<string, StreamView>; consumer: Counters }>;
  /** `(seq, ts, applied_at)` of every record of `branch/stream` HQ committed. */
  records(branch: string, stream: string): { seq: number; ts: number; applied_at: number }[];
  /** Row count, lowest and highest seq of `branch/stream` in HQ's store. */
  span(branch: string, stream: string): { n: number; lo: number | null; hi: number | null };
  /** Closes the read-only connection of `records` and `span`. */
  close(): void;
}

export async function startHqProcess(
  children: Children,
  options: {
    dir: string;
    brokerUrl: string;
    bunArgs?: readonly string[];
    /** More TOML after the `[hq]` table (bench:mango's `[hq.mango]`). */
    extraToml?: string;
    /** `[hq] database_url`: the store on PostgreSQL (bench:hq-scale); `records`, `span` then throw. */
    databaseUrl?: string;
  },
): Promise<HqProcess> {
  const storage = join(options.dir, "hq");
  mkdirSync(storage, { recursive: true });
  const port = await freePort();
  const configPath = join(options.dir, "hq.toml");
  writeFileSync(
    configPath,
    `[mqtt]\nurl = "${options.brokerUrl}"\n\n[hq]\nlisten = "127.0.0.1:${port}"\ntoken = "${TOKEN}"\nstorage_dir = ${JSON.stringify(storage)}\n${options.databaseUrl === undefined ? "" : `database_url = ${JSON.stringify(options.databaseUrl)}\n`}${options.extraToml ?? ""}`,
  );
  const child = children.spawn(
    "hq",
    ["src/main.ts", "hq", "--config", configPath],
    join(options.dir, "hq.log"),
    options.bunArgs,
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (child.process.exitCode !== null || Date.now() > deadline)
      throw new Error(`hq did not become healthy\n${child.logTail()}`);
    await Bun.sleep(25);
  }
  const auth = { authorization: `Bearer ${TOKEN}` };
  let db: Database | undefined;
  const open = () => {
    if (options.databaseUrl !== undefined) throw new Error("hq's store is PostgreSQL: read it there");
    db ??= new Database(join(storage, HQ_DB_FILE), { readonly: true });
    return db;
  };
  return {
    child,
    dir: storage,
    url: base,
    async view(branch) {
      const res = await fetch(`${base}/api/v1/branches`, { headers: auth });
      const body = (await res.json()) as {
        branches: { branch: string; streams: Record<string, StreamView> }[];
        consumer: Counters;
      };
      return {
        streams: body.branches.find((b) => b.branch === branch)?.streams ?? {},
        consumer: body.consumer,
      };
    },
    records: (branch, stream) =>
      open()
        .query<{ seq: number; ts: number; applied_at: number }, [string, string]>(
          "SELECT seq, ts, applied_at FROM records WHERE branch = ? AND stream = ? ORDER BY seq",
        )
        .all(branch, stream),
    span: (branch, stream) =>
      open()
        .query<{ n: number; lo: number | null; hi: number | null }, [string, string]>(
          "SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM records WHERE branch = ? AND stream = ?",
        )
        .get(branch, stream) ?? { n: 0, lo: null, hi: null },
    close: () => db?.close(),
  };
}
