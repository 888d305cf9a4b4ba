import { parseListen } from "../lib/listen-address.ts";
import type { Logger } from "../log/logger.ts";
import { startForwarder } from "./forwarder.ts";
import type { HqConfig } from "./hq-config.ts";
import { type HqConsumer, startHqConsumer } from "./hq-consumer.ts";
import { hqHttpApp } from "./hq-http.ts";
import { openSqliteHqStore } from "./store/sqlite/index.ts";

export { type HqConfig, hqConfigSchema, loadHqConfig } from "./hq-config.ts";

export interface Hq {
  readonly url: URL;
  readonly consumer: HqConsumer;
  close(): Promise<void>;
}

/**
 * `branchbox hq`: the store (SQLite, `{hq.storage_dir}/hq.db`), the consumer, the forwarder (when
 * configured) and the HTTP API.
 */
export function startHq(
  config: HqConfig,
  log: Logger,
  options: { consumer?: Partial<Parameters<typeof startHqConsumer>[0]> } = {},
): Hq {
  const store = openSqliteHqStore(config.hq.storage_dir, { forward: config.hq.forward_url !== "" });
  const consumer = startHqConsumer({ config, store, log, ...options.consumer });
  const forwarder =
    config.hq.forward_url === ""
      ? undefined
      : startForwarder({ store, url: config.hq.forward_url, token: config.hq.forward_token, log });
  const app = hqHttpApp({
    store,
    token: config.hq.token,
    status: () => ({
      mqtt: consumer.connected() ? "connected" : "disconnected",
      counters: {
        ...consumer.applier.counters,
        reconnects: consumer.reconnects,
        forwarded: forwarder?.sent ?? 0,
        forwardFailures: forwarder?.failures ?? 0,
      },
      waiting: consumer.applier.waiting,
    }),
  });
  const server = Bun.serve({ ...parseListen(config.hq.listen), fetch: app.fetch });
  return {
    url: server.url,
    consumer,
    async close() {
      server.stop();
      await consumer.stop();
      await forwarder?.stop();
      await store.close();
    },
  };
}
