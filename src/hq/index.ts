import { configSchema } from "../config/schema.ts";
import { parseListen } from "../lib/listen-address.ts";
import type { Logger } from "../log/logger.ts";
import { type CrmSteps, startCrmSteps } from "./crm/crm-steps.ts";
import { type CrmConnectors, createCrmConnector, crmUsers } from "./crm/registry.ts";
import type { DownRelay } from "./down-relay.ts";
import { fleetCrm } from "./fleet/fleet-crm.tsx";
import { fleetMango } from "./fleet/fleet-mango.ts";
import { createFleetWatch } from "./fleet/fleet-watch.ts";
import { startForwarder } from "./forwarder.ts";
import type { HqConfig } from "./hq-config.ts";
import { type HqConsumer, startHqConsumer } from "./hq-consumer.ts";
import { hqHttpApp } from "./hq-http.ts";
import { mangoApi } from "./mango/mango-api.ts";
import { type MangoCommander, startMangoCommander } from "./mango/mango-commander.ts";
import { startMangoRelay } from "./mango/mango-relay.ts";
import { startMangoSweeper } from "./mango/mango-sweep.ts";
import { mangoCounters } from "./mango/mango-webhook.ts";
import { startPresenceRelay } from "./presence-relay.ts";
import { openPostgresHq } from "./store/postgres/index.ts";
import {
  openHqDatabase,
  sqliteCrmStepStore,
  sqliteCrmTokenStore,
  sqliteHqStore,
  sqliteMangoCommandStore,
  sqliteMangoStore,
  sqliteMangoSweepStore,
  sqlitePresenceStore,
} from "./store/sqlite/index.ts";

export { type HqConfig, hqConfigSchema, loadHqConfig } from "./hq-config.ts";

export interface Hq {
  readonly url: URL;
  readonly consumer: HqConsumer;
  close(): Promise<void>;
}

/**
 * `branchbox hq`: the store (PostgreSQL at `hq.database_url`, or SQLite, `{hq.storage_dir}/hq.db`),
 * the consumer, the forwarder (when configured), the HTTP API and, with `[hq.mango]` (on either
 * engine), Mango's webhooks, their relay to the branches' `pbx` down stream, the statistics sweeps
 * and the branches' Mango commands (sent, their results relayed); a check-in at one branch relayed
 * to the employee's other branches (R0.3d, down `presence`).
 */
export async function startHq(
  config: HqConfig,
  log: Logger,
  options: {
    consumer?: Partial<Parameters<typeof startHqConsumer>[0]>;
    /** The CRM connectors by kind (default: registry.ts's); a test passes its own. */
    crmConnectors?: CrmConnectors;
  } = {},
): Promise<Hq> {
  const crm = config.hq.crm;
  // [hq.crm] and forward_url both consume the forward queue; hq-config.ts allows only one.
  const forward = { forward: config.hq.forward_url !== "" || crm !== undefined };
  const db = config.hq.database_url === "" ? openHqDatabase(config.hq.storage_dir) : undefined;
  const stores =
    db === undefined
      ? await openPostgresHq(config.hq.database_url, forward)
      : {
          store: sqliteHqStore(db, forward),
          presence: sqlitePresenceStore(db),
          mango: sqliteMangoStore(db),
          mangoCommands: sqliteMangoCommandStore(db),
          mangoSweeps: sqliteMangoSweepStore(db),
          crmSteps: sqliteCrmStepStore(db),
          crmTokens: sqliteCrmTokenStore(db),
        };
  const { store, presence: presenceStore } = stores;
  // Before anything starts: a kind with no connector stops the start with nothing left running.
  const connector =
    crm === undefined
      ? undefined
      : await createCrmConnector(
          crm,
          { users: crmUsers(crm), tokens: stores.crmTokens, log, now: Date.now },
          options.crmConnectors,
        ).catch(async (error: unknown) => {
          await store.close();
          throw error;
        });
  const mango = config.hq.mango;
  // Created after the consumer (it publishes through it); told of each up commit.
  let commander: MangoCommander | undefined;
  const watch = createFleetWatch();
  let presence: DownRelay | undefined;
  const consumer = startHqConsumer({
    config,
    store,
    log,
    onApplied: (envelopes) => {
      watch.applied();
      if (envelopes.some((e) => e.stream === "replies")) commander?.kick();
      if (envelopes.some((e) => e.stream === "roster")) presence?.kick();
    },
    onProblem: (problem) => watch.problem({ ...problem, at: Date.now() }),
    onPresence: (branch, state) => watch.presence(branch, state),
    ...options.consumer,
  });
  // R0.3d: a check-in at one branch, relayed to the employee's other branches.
  presence = startPresenceRelay({
    records: store,
    store: presenceStore,
    publish: consumer.publishDown,
    log,
    epoch: Math.max(1, Math.floor(Date.now() / 1000)),
  });
  const mangoStore = mango === undefined ? undefined : stores.mango;
  const relay =
    mangoStore === undefined
      ? undefined
      : startMangoRelay({
          store: mangoStore,
          publish: consumer.publishDown,
          log,
          epoch: Math.max(1, Math.floor(Date.now() / 1000)),
        });
  const sweepStore = mango === undefined ? undefined : stores.mangoSweeps;
  const sweeper =
    mango === undefined || sweepStore === undefined || relay === undefined
      ? undefined
      : startMangoSweeper({
          config: mango,
          store: sweepStore,
          api: mangoApi({
            apiUrl: mango.api_url,
            apiKey: mango.vpbx_api_key,
            salt: mango.vpbx_api_salt,
          }),
          log,
          relay: relay.kick,
        });
  const commandStore = mango === undefined ? undefined : stores.mangoCommands;
  if (mango !== undefined && commandStore !== undefined && relay !== undefined)
    commander = startMangoCommander({
      store: commandStore,
      api: mangoApi({
        apiUrl: mango.api_url,
        apiKey: mango.vpbx_api_key,
        salt: mango.vpbx_api_salt,
      }),
      config: mango,
      log,
      relay: relay.kick,
    });
  const counters = mangoCounters();
  const crmSteps: CrmSteps | undefined =
    crm === undefined || connector === undefined
      ? undefined
      : startCrmSteps({
          connector,
          steps: stores.crmSteps,
          queue: store,
          log,
          ratePerSecond: crm.rate_per_second,
        });
  const forwarder =
    config.hq.forward_url === ""
      ? undefined
      : startForwarder({ store, url: config.hq.forward_url, token: config.hq.forward_token, log });
  const app = hqHttpApp({
    store,
    token: config.hq.token,
    fleet: {
      watch,
      log,
      now: Date.now,
      alertMinutes: config.hq.offline_alert_minutes,
      waiting: (branch) => consumer.applier.waitingIn(branch),
      maxShiftMs: configSchema.shape.roster.parse(undefined).max_shift_hours * 3600_000,
      ...(commandStore === undefined
        ? {}
        : {
            commandsWaiting: async () => {
              const waiting = new Map<string, number>();
              for (const c of await commandStore.recent(1000))
                if (c.state !== "done") waiting.set(c.branch, (waiting.get(c.branch) ?? 0) + 1);
              return waiting;
            },
            storedProblems: async (branch, limit) =>
              (await commandStore.recent(1000))
                .flatMap((c) => {
                  // HQ's refusals are stored as "CODE: why"; the page shows only those, by their code.
                  const code =
                    c.branch === branch && c.by === "hq"
                      ? /^([A-Z]+\.[A-Z_]+):/.exec(c.reason ?? "")?.[1]
                      : undefined;
                  if (code === undefined) return [];
                  const detail = `${c.command} ${c.commandId}: ${c.reason?.slice(code.length + 1).trim()}`;
                  return [{ at: c.settledAt ?? c.claimedAt, branch, stream: "replies", code, detail }];
                })
                .slice(0, limit),
          }),
      ...(mangoStore === undefined || sweepStore === undefined || commandStore === undefined
        ? {}
        : {
            mango: fleetMango(mangoStore, sweepStore, commandStore),
          }),
      ...(crmSteps === undefined ? {} : { crm: fleetCrm(stores.crmSteps, crmSteps.kick, Date.now) }),
    },
    status: () => ({
      mqtt: consumer.connected() ? "connected" : "disconnected",
      counters: {
        ...consumer.applier.counters,
        reconnects: consumer.reconnects,
        forwarded: forwarder?.sent ?? 0,
        forwardFailures: forwarder?.failures ?? 0,
        elsewhereRelayed: presence?.relayed ?? 0,
        elsewhereRelayFailures: presence?.failures ?? 0,
        ...(relay === undefined ? {} : { mangoRelayed: relay.relayed, mangoRelayFailures: relay.failures }),
        ...(crmSteps === undefined
          ? {}
          : {
              crmPlanned: crmSteps.counters.planned,
              crmDone: crmSteps.counters.done,
              crmRetried: crmSteps.counters.retried,
              crmParked: crmSteps.counters.parked,
            }),
      },
      waiting: consumer.applier.waiting,
    }),
    ...(mango === undefined || mangoStore === undefined || relay === undefined
      ? {}
      : {
          mango: {
            config: mango,
            store: mangoStore,
            log,
            counters,
            now: Date.now,
            relay: relay.kick,
            ...(sweeper === undefined ? {} : { unstored: sweeper.unstored }),
          },
        }),
    ...(sweepStore === undefined || sweeper === undefined
      ? {}
      : { mangoSweeps: { store: sweepStore, counters: sweeper.counters } }),
    ...(commandStore === undefined || commander === undefined
      ? {}
      : { mangoCommands: { store: commandStore, counters: commander.counters } }),
  });
  const server = Bun.serve({ ...parseListen(config.hq.listen), fetch: app.fetch });
  return {
    url: server.url,
    consumer,
    async close() {
      server.stop();
      await sweeper?.stop();
      await commander?.stop();
      await relay?.stop();
      await presence?.stop();
      await consumer.stop();
      await forwarder?.stop();
      await crmSteps?.stop();
      await store.close();
    },
  };
}
