// A branch for relay tests: a real SQLite outbox in a temp dir, a relay on it with short timers,
// and the relay's log lines kept for assertions.
import type { Database } from "bun:sqlite";
import type { UpStream } from "../../src/contract/protocol.ts";
import { createLogger } from "../../src/log/logger.ts";
import { openDatabase } from "../../src/store/db.ts";
import { type OutboxStore, outboxStore } from "../../src/store/outbox-store.ts";
import { createRelay, type Relay, type RelayTuning } from "../../src/sync/relay/index.ts";
import type { MqttSection } from "../../src/sync/relay/relay-types.ts";
import { makeTestDir } from "./process.ts";

/** Short timers so fault tests stay bounded; the production defaults are in relay-types.ts. */
export const TEST_TUNING: Partial<RelayTuning> = {
  pollMs: 100,
  ackTimeoutMs: 2000,
  backoffBaseMs: 100,
  backoffCapMs: 1000,
  connectTimeoutMs: 2000,
};

export type TestBranch = {
  readonly id: string;
  readonly dir: string;
  readonly db: Database;
  readonly outbox: OutboxStore;
  readonly logs: Record<string, unknown>[];
  /** Commits `count` records to `stream` in one transaction (as a fact's commit would). */
  write(stream: UpStream, count: number, data?: (n: number) => unknown): number[];
  /** A relay on this branch's database (not started); `random` fixes the backoff's jitter. */
  relay(
    config: Partial<MqttSection> & { url: string },
    tuning?: Partial<RelayTuning>,
    random?: () => number,
  ): Relay;
  /** Closes the database and opens it again (a restart of the box). */
  reopen(): void;
  close(): void;
};

export function makeBranch(id = "b1", dir = makeTestDir(`relay-${id}`)): TestBranch {
  const logs: Record<string, unknown>[] = [];
  let db = openDatabase(dir);
  let outbox = outboxStore(db);
  let n = 0;
  return {
    id,
    dir,
    get db() {
      return db;
    },
    get outbox() {
      return outbox;
    },
    logs,
    write(stream, count, data = (i) => ({ n: i })) {
      const items = Array.from({ length: count }, () => {
        n++;
        return { id: `${stream}-${n}`, type: `${stream === "calls" ? "call" : stream}.test`, data: data(n) };
      });
      return db
        .transaction(() => outbox.add(stream, items, Date.now()))()
        .map((r) => r.seq);
    },
    relay(config, tuning = {}, random = Math.random) {
      return createRelay({
        random,
        db,
        branch: id,
        config: { username: "", password: "", ca: "", cert: "", key: "", ...config },
        log: createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) }),
        now: Date.now,
        version: "0.1.0-test",
        tuning: { ...TEST_TUNING, ...tuning },
      });
    },
    reopen() {
      db.close();
      db = openDatabase(dir);
      outbox = outboxStore(db);
    },
    close() {
      db.close();
    },
  };
}
