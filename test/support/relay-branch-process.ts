// A branch as its own process, for kill -9 tests: opens the outbox in RELAY_DIR, runs the relay
// against RELAY_URL and, with RELAY_BURST=N, commits N records to `calls` in transactions of 50
// while relaying (waking the relay after each commit, as the call pipeline will).
import { createLogger } from "../../src/log/logger.ts";
import { openDatabase } from "../../src/store/db.ts";
import { outboxStore } from "../../src/store/outbox-store.ts";
import { createRelay } from "../../src/sync/relay/index.ts";
import { TEST_TUNING } from "./relay-fixture.ts";

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const db = openDatabase(env("RELAY_DIR"));
const outbox = outboxStore(db);
const relay = createRelay({
  db,
  branch: env("RELAY_BRANCH"),
  config: { url: env("RELAY_URL"), username: "", password: "", ca: "", cert: "", key: "" },
  log: createLogger({ level: "warn" }),
  now: Date.now,
  version: "0.1.0-test",
  tuning: TEST_TUNING,
});
relay.start();
const burst = Number(process.env.RELAY_BURST ?? 0);
let written = 0;
const commit = db.transaction((count: number) =>
  outbox.add(
    "calls",
    Array.from({ length: count }, (_, i) => ({
      id: `call-${written + i + 1}`,
      type: "call.test",
      data: { i },
    })),
    Date.now(),
  ),
);
while (written < burst) {
  const count = Math.min(50, burst - written);
  commit(count);
  written += count;
  relay.wake();
  await Bun.sleep(5);
}
process.on("SIGTERM", () => void relay.stop().then(() => process.exit(0)));
