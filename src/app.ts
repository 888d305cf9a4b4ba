import type { Database } from "bun:sqlite";
import type { Hono } from "hono";
import type { Config } from "./config/schema.ts";
import { pbxCommandSchema } from "./contract/down-records.ts";
import type { PbxEventSource } from "./domain/call/pbx-event.ts";
import { normaliseNumber } from "./domain/rules/phone-number.ts";
import type { RulesFacts } from "./domain/rules/rules-types.ts";
import { adminRoutes } from "./http/admin/index.tsx";
import { createHttpApp } from "./http/app.ts";
import type { HttpDeps } from "./http/deps.ts";
import { kioskRoutes } from "./http/kiosk/index.tsx";
import { parseListen } from "./lib/listen-address.ts";
import type { Logger } from "./log/logger.ts";
import type { PbxAdapter, PbxCommandSink, PbxDeps, PbxDownStream } from "./pbx/pbx-module.ts";
import { configuredPbx, PBX_REGISTRY, type PbxRegistry } from "./pbx/registry.ts";
import { attributionSettings } from "./service/attribution-settings.ts";
import { CallCommands } from "./service/call-commands.ts";
import { CallPipeline } from "./service/call-pipeline.ts";
import { type CommandPort, noCommands } from "./service/command-port.ts";
import { crmSettings } from "./service/crm-settings.ts";
import { createDevicePairing } from "./service/device-pairing.ts";
import { withElsewhere } from "./service/elsewhere-facts.ts";
import { hqCallCommands } from "./service/hq-call-commands.ts";
import { PbxGaps } from "./service/pbx-gaps.ts";
import { Phones } from "./service/phones.ts";
import { RosterService } from "./service/roster-service.ts";
import { numberRules, RoutingService, routingSettings } from "./service/routing-service.ts";
import { RulesFactsService } from "./service/rules-facts.ts";
import { importStaff, type StaffEntry } from "./service/staff-import.ts";
import { systemTimer } from "./service/timer.ts";
import { clientDirectoryStore } from "./store/client-directory-store.ts";
import { openDatabase } from "./store/db.ts";
import { outboxStore } from "./store/outbox-store.ts";
import { pbxDownStore } from "./store/pbx-down-store.ts";
import { routeDecisionStore } from "./store/route-decision-store.ts";
import { staffStore } from "./store/staff-store.ts";
import { unplacedStore } from "./store/unplaced-store.ts";
import type { Inbound, PbxEventsPort } from "./sync/inbound/inbound-types.ts";
import { createInbound } from "./sync/inbound/index.ts";
import type { Relay } from "./sync/relay/index.ts";
import { VERSION } from "./version.ts";

export interface Box {
  readonly config: Config;
  readonly db: Database;
  readonly roster: RosterService;
  /** Absences (R4.7) and no-answer forwarding (R4.1–R4.4), from memory, for the routing. */
  readonly rules: RulesFacts;
  readonly calls: CallPipeline;
  readonly sources: readonly PbxEventSource[];
  /** What headquarters sends down (staff, clients, settings, commands). */
  readonly inbound: Inbound;
  /** The relay to headquarters; null when [mqtt] url is empty. */
  readonly sync: Relay | null;
  /** Issue 16: whom the PBX rings (R2.6, R4.6, R4.7), read by the AMI adapter's AstDB push and FastAGI server. */
  readonly routing: RoutingService;
  readonly app: Hono;
  readonly deps: HttpDeps;
  close(): Promise<void>;
}

export interface BoxOptions {
  readonly log: Logger;
  readonly now?: () => number;
  /** Staff to import when the database has none yet (the --demo branch). */
  readonly seedStaff?: readonly StaffEntry[];
  /** The PBX sources the box can build (tests add one of their own); default: all of src/pbx. */
  readonly pbx?: PbxRegistry;
}

/** The composition root: one database, one roster, one HTTP app, wired once. */
export async function createBox(config: Config, options: BoxOptions): Promise<Box> {
  const now = options.now ?? Date.now;
  const db = openDatabase(config.storage.dir);
  const staff = staffStore(db);
  if (options.seedStaff !== undefined && staff.list().length === 0)
    await importStaff(staff, options.seedStaff, now());
  const roster = new RosterService(db, config, options.log);
  // How this branch's PBX writes outside numbers (issue 16): one reading for the directory's
  // lookups, the routing and the CRM intents.
  const numbers = numberRules(config);
  const rules = new RulesFactsService(db, {
    timeZone: config.branch.timezone,
    staff: () => roster.employees(now()),
    log: options.log.child({ part: "rules" }),
  });
  // What headquarters sends down: staff, client directory, settings, commands. Its replies go up
  // through the relay, which does not exist yet here: `wakeRelay` is set once it does.
  let wakeRelay = () => {};
  // HQ's commands act on the PBX, whose adapters are built below: `hqCommands` is set before
  // inbound.start() and before the relay can deliver anything, so nothing reads it unset.
  let hqCommands: CommandPort & { close?(): void } = noCommands;
  // Issue 17: with [pbx.mango], the pbx down stream's records are kept in the inbox's commit for
  // the Mango source; without it the inbox counts them SYNC.PBX_NO_SOURCE, as before.
  const pbxDown =
    config.pbx.mango === undefined ? null : pbxDownDeps(db, config.mqtt.url !== "", now, () => wakeRelay());
  const inbound = createInbound({
    db,
    branch: config.branch.id,
    log: options.log.child({ part: "sync" }),
    now,
    commands: {
      supports: (kind) => hqCommands.supports(kind),
      run: (command) => hqCommands.run(command),
      resume: (command) =>
        hqCommands.resume?.(command) ??
        Promise.resolve({ ok: false, reason: "interrupted: the box stopped while it ran; not run again" }),
    },
    onStaffChanged: () => {
      roster.reloadStaff();
      // HQ's staff.upsert may carry schedules, absences and forwarding (issue 16).
      rules.reload();
    },
    onReplies: () => wakeRelay(),
    numbers,
    ...(pbxDown === null ? {} : { onPbxEvents: pbxDown.onPbxEvents }),
    // R0.3d: HQ's word that an employee checked in at another branch closes their shift here.
    presence: roster,
  });
  // Issue 16: the routing, from the roster, HQ's directory and the rules' facts (absences and
  // no-answer forwarding), held in memory for the PBX.
  const directory = clientDirectoryStore(db);
  const routeDecisions = routeDecisionStore(db);
  const routing = new RoutingService({
    roster,
    clients: () => directory.routingEntries(),
    facts: withElsewhere(rules, roster),
    numbers,
    settings: routingSettings(config),
    log: options.log.child({ part: "routing" }),
    onRouted: (explanation) => routeDecisions.add(explanation),
  });
  roster.subscribe(() => routing.changed());
  inbound.subscribe((change) => {
    if (change === "clients") routing.clientsChanged();
    else if (change === "staff" || change === "settings") routing.changed();
  });
  const calls = new CallPipeline(db, {
    roster,
    settings: () => attributionSettings(config, roster.employees(now()), inbound),
    clientName: (number) => inbound.directory.byNumber(number)?.name ?? null,
    // Issue 16: the CRM's intents, from the same settings and HQ's directory.
    crm: () => ({
      settings: crmSettings(
        config,
        inbound.settings(),
        attributionSettings(config, roster.employees(now()), inbound).seniorManagerId,
      ),
      normalise: (number) => normaliseNumber(number, numbers),
      client: (e164) => inbound.directory.byNumber(e164),
    }),
    log: options.log.child({ part: "calls" }),
    now,
  });
  calls.start();
  // A roster fact in the past (a manager's correction) may change who owned calls since then.
  roster.subscribe((facts) => {
    // HQ's word of a check-in elsewhere may close no shift (R0.3d): nothing to re-attribute then.
    if (facts.length > 0) calls.rosterChanged(Math.min(...facts.map((f) => f.at)));
  });
  const liveCalls = (source: string) =>
    calls.live().flatMap((call) => (call.source === source ? [call.id] : []));
  // Nothing lost while the box was down: each link's gaps, read back from the PBX's records.
  const gaps = new PbxGaps(db, { log: options.log.child({ part: "pbx" }), now });
  const adapters = await pbxAdapters(config, options.pbx ?? PBX_REGISTRY, {
    log: options.log.child({ part: "pbx" }),
    now,
    liveCalls,
    knownExtensions: () => roster.knownExtensions(),
    timeZone: config.branch.timezone,
    linkUp: (source, at, history) => gaps.linkUp(source, at, history),
    unplacedStore: unplacedStore(db),
    routing,
    numbers,
    ...(pbxDown === null ? {} : { downStream: pbxDown.stream, upCommands: pbxDown.commands }),
  });
  const sources = adapters.map(({ adapter }) => adapter.source);
  for (const { adapter } of adapters)
    if (adapter.history) gaps.register(adapter.source.name, adapter.history);
  for (const source of sources) source.start((events) => calls.deliver(events));
  gaps.start(
    () => sources,
    (events) => calls.deliver(events),
  );
  // Issue 15: acting on calls through the first adapter that can act on its PBX.
  const control = adapters.find(({ adapter }) => adapter.control !== undefined)?.adapter.control ?? null;
  const commands = new CallCommands({
    db,
    control,
    roster,
    calls,
    timer: systemTimer(now),
    log: options.log.child({ part: "commands" }),
  });
  commands.start();
  // Without a controller HQ hears `unsupported`, as before: the box cannot run these kinds.
  if (control !== null) hqCommands = hqCallCommands(commands, now);
  const pbx = () => ({
    sources: sources.map((source) => ({ name: source.name, status: source.status() })),
    pipeline: { ...calls.status(), tables: calls.tables() },
    gaps: gaps.recent(),
  });
  // mqtt.js is loaded only by boxes that talk to headquarters (~15 MB of RSS otherwise idle).
  const sync =
    config.mqtt.url === ""
      ? null
      : (await import("./sync/relay/index.ts")).createRelay({
          db,
          branch: config.branch.id,
          config: config.mqtt,
          log: options.log.child({ part: "sync" }),
          now,
          version: VERSION,
          inbound,
        });
  if (sync !== null) {
    // Live records leave at once: wake the relay after every commit that put rows in the outbox.
    wakeRelay = () => sync.wake();
    roster.subscribe(() => sync.wake());
    calls.subscribe((_changed, recorded, intents = 0) => {
      if (recorded.length > 0 || intents > 0) sync.wake();
    });
  }
  inbound.start();
  sync?.start();
  const deps: HttpDeps = {
    config,
    roster,
    calls,
    pbx,
    sync: () => sync?.status() ?? null,
    backfill: (window) => gaps.backfill(window),
    inbound: () => inbound.status(),
    routeDecisions: (callId) => routeDecisions.of(callId),
    commands,
    rules,
    devices: createDevicePairing(db, options.log.child({ part: "kiosk" })),
    phones: new Phones(db, config.phones, options.log.child({ part: "phones" }), now()),
    log: options.log,
    now,
    version: VERSION,
  };
  const app = createHttpApp(deps, { kiosk: kioskRoutes(deps), admin: adminRoutes(deps) });
  for (const { key, adapter } of adapters)
    if (adapter.routes !== undefined) app.route(`/pbx/${key}`, adapter.routes);
  return {
    config,
    db,
    roster,
    rules,
    calls,
    sources,
    sync,
    inbound,
    routing,
    app,
    deps,
    close: async () => {
      // Commands first: one under way stays `sent` (settled after the restart), not failed by
      // the PBX link going down below. HQ's inbox stops before its runs are let go, so it writes
      // no answer for them: the restart answers for what the PBX did (CommandPort.resume).
      const inboundStopped = inbound.stop();
      hqCommands.close?.();
      commands.stop();
      gaps.stop(sources);
      await Promise.all(sources.map((source) => source.stop()));
      await sync?.stop();
      await inboundStopped;
      routing.stop();
      calls.stop();
      db.close();
    },
  };
}

/** Consumed `pbx` down records are kept this long (a restart reads back only the last hour). */
const PBX_DOWN_KEEP_MS = 7 * 24 * 60 * 60_000;

/**
 * The `pbx` down stream kept for the source that reads it (`[pbx.mango]`): the inbox's port writes
 * the rows inside its commit and, once that commit is done (a microtask: `handle` is synchronous),
 * wakes the source. Its control's commands go up as `pbx.command` on `up/replies`, each checked
 * against the contract and written in its own commit, then the relay is woken.
 */
function pbxDownDeps(
  db: Database,
  relayed: boolean,
  now: () => number,
  wakeRelay: () => void,
): { onPbxEvents: PbxEventsPort; stream: PbxDownStream; commands: PbxCommandSink } {
  const store = pbxDownStore(db);
  store.prune(now() - PBX_DOWN_KEEP_MS);
  const outbox = outboxStore(db);
  const listeners = new Set<() => void>();
  return {
    onPbxEvents: (records, at) => {
      store.add(records, at);
      queueMicrotask(() => {
        for (const listener of listeners) listener();
      });
    },
    stream: {
      relayed,
      pending: () => store.pending(),
      since: (t) => store.since(t),
      after: (n) => store.after(n),
      consume: (n, at) => store.consume(n, at),
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    commands: {
      send(command) {
        const data = pbxCommandSchema.parse(command);
        db.transaction(() =>
          outbox.add("replies", [{ id: data.commandId, type: "pbx.command", data }], now()),
        ).immediate();
        wakeRelay();
      },
    },
  };
}

/**
 * The PBX adapters the config names, in registry order (none: the box still keeps the roster). An
 * adapter's code is loaded only when its section is there: sip.js stays out of a box without SIP.
 */
async function pbxAdapters(
  config: Config,
  registry: PbxRegistry,
  deps: PbxDeps,
): Promise<{ key: string; adapter: PbxAdapter }[]> {
  const adapters: { key: string; adapter: PbxAdapter }[] = [];
  for (const { key, entry, section } of configuredPbx(config.pbx, registry))
    adapters.push({ key, adapter: (await entry.load()).create(section, deps) });
  return adapters;
}

/** Listens on `http.listen`; Bun's idle timeout stays at its 10 s, the SSE stream beats under it. */
export function listen(box: Box): ReturnType<typeof Bun.serve> {
  return Bun.serve({ ...parseListen(box.config.http.listen), fetch: box.app.fetch });
}
