#!/usr/bin/env bun
import { Database } from "bun:sqlite";
import { parseArgs } from "node:util";
import { migrate } from "../../../src/lib/sqlite-migrate.ts";
import { createLogger } from "../../../src/log/logger.ts";
import { MIGRATIONS } from "../../../src/store/migrations.ts";
import { type OutboxStore, outboxStore } from "../../../src/store/outbox-store.ts";
import type { Relay } from "../../../src/sync/relay/index.ts";
import { createRelay } from "../../../src/sync/relay/index.ts";
import { VERSION } from "../../../src/version.ts";
import { say } from "../lib/say.ts";
import { recordFactory } from "../sync/record-gen.ts";
import { branchId } from "./fleet.ts";

/**
 * A slice of the simulated fleet in one process: `--count` branches, `{prefix}{from}` onward, each
 * running the box's own relay (createRelay, unchanged) — so each has its own MQTT client id
 * (`branchbox-{branch}`), its own epochs (a new one per connect, the retained birth and Will),
 * its own seqs from 1 per stream, envelopes of consecutive seqs (500 records / 256 KiB), a window
 * of 8 unPUBACKed envelopes and at most 50,000 unacknowledged records per stream, HQ's cumulative
 * acks, sending again from ackedThrough + 1 after a reconnect, a replay or 30 s without an ack,
 * and nothing sent while HQ's retained state is not online.
 *
 * The light part is the storage, not the wire: each branch's outbox is the box's schema in an
 * in-memory SQLite database (`:memory:`, the box's migrations), so there is no fsync, no disk, no
 * PBX and no call pipeline — 500 boxes do not fit on one machine, 500 relays do. Records are the
 * bench's (scripts/bench/sync/record-gen.ts: nine call records to a roster fact).
 *
 * Commands on stdin, one per line; answers are JSON lines on stdout:
 *   fill N     commits N records over the slice's branches (round robin) as fast as it can, one
 *              transaction per branch, then wakes the relays → `filled`
 *   live R N   commits N records at R per second over the branches (round robin), each in its own
 *              transaction followed by relay.wake(), as the call pipeline does → `paced`
 *   counts     → `counts` {made: {branch: records committed}}
 * SIGTERM stops every relay (a clean stop: each publishes its offline state) and exits.
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    url: { type: "string" },
    prefix: { type: "string" },
    from: { type: "string" },
    count: { type: "string" },
    seed: { type: "string" },
  },
});
const from = Number(values.from ?? 0);
const count = Number(values.count ?? 0);
if (values.url === undefined || values.prefix === undefined || !(count > 0)) {
  console.error("usage: fleet-process.ts --url MQTT_URL --prefix P --from I --count N [--seed S]");
  process.exit(2);
}

type Member = { branch: string; db: Database; outbox: OutboxStore; relay: Relay; made: number };

const make = recordFactory(Number(values.seed ?? 7));
const log = createLogger({ level: "warn", write: (line) => process.stderr.write(`${line}\n`) });
const mqtt = { url: values.url, username: "", password: "", ca: "", cert: "", key: "" };
const members: Member[] = Array.from({ length: count }, (_, k) => {
  const branch = branchId(values.prefix as string, from + k);
  const db = new Database(":memory:", { strict: true });
  migrate(db, MIGRATIONS);
  const relay = createRelay({ db, branch, config: mqtt, log, now: Date.now, version: VERSION });
  return { branch, db, outbox: outboxStore(db), relay, made: 0 };
});

/** Commits `n` of the member's next records in one transaction (each record its own seq). */
function commit(m: Member, n: number, ts: number): void {
  m.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const r = make(m.made++, ts);
      m.outbox.add(r.stream, [{ id: r.id, type: r.type, data: JSON.parse(r.dataJson) as unknown }], ts);
    }
  })();
}

async function fill(n: number): Promise<void> {
  for (let k = 0; k < members.length; k++) {
    const m = members[k] as Member;
    commit(m, Math.floor(n / members.length) + (k < n % members.length ? 1 : 0), Date.now());
    await Bun.sleep(0); // MQTT keepalives and acks go on meanwhile
  }
  for (const m of members) m.relay.wake();
  say("filled", { records: n });
}

async function live(rate: number, n: number): Promise<void> {
  const started = performance.now();
  let next = 0;
  while (next < n) {
    const due = Math.min(n, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; next < due; next++) {
      const m = members[next % members.length] as Member;
      commit(m, 1, Date.now());
      m.relay.wake();
    }
    await Bun.sleep(Math.max(1, ((next + 1) / rate) * 1000 - (performance.now() - started)));
  }
  say("paced", { records: n, ms: performance.now() - started });
}

void (async () => {
  for await (const line of console) {
    const [command, a, b] = line.trim().split(" ");
    if (command === "fill") void fill(Number(a));
    if (command === "live") void live(Number(a), Number(b));
    if (command === "counts")
      say("counts", { made: Object.fromEntries(members.map((m) => [m.branch, m.made])) });
  }
})();
process.once("SIGTERM", () => {
  void Promise.all(members.map((m) => m.relay.stop())).then(() => process.exit(0));
});

for (const m of members) m.relay.start();
const deadline = Date.now() + 60_000;
while (members.some((m) => m.relay.status().state !== "connected")) {
  if (Date.now() > deadline) throw new Error("fleet: not every relay connected in 60 s");
  await Bun.sleep(50);
}
say("ready", { branches: members.length });
