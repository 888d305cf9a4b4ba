import type { AmiConfig } from "../../config/pbx-sections.ts";
import type { UnplacedEndpointStore } from "../../domain/call/pbx-endpoints.ts";
import type { PbxEvent, PbxEventSource, PbxSourceStatus } from "../../domain/call/pbx-event.ts";
import type { PbxHistory } from "../../domain/call/pbx-history.ts";
import { type NumberRules, RUSSIAN_NUMBERS } from "../../domain/rules/phone-number.ts";
import type { RoutedCall, RoutingSource } from "../../domain/rules/routing-port.ts";
import type { Logger } from "../../log/logger.ts";
import type { PbxAdapter, PbxModule } from "../pbx-module.ts";
import { staleCallEnds } from "../stale-calls.ts";
import { type AgiServer, createAgiServer } from "./agi-server.ts";
import { AmiCaptureFiles } from "./ami-capture-files.ts";
import { ChannelTable, type HandsetProfile, translatorDefaults } from "./ami-channels.ts";
import { type AmiClient, createAmiClient } from "./ami-client.ts";
import type { AmiClientOptions } from "./ami-client-options.ts";
import { AmiControl } from "./ami-control.ts";
import { type AmiFrame, field } from "./ami-fields.ts";
import { AmiInventory } from "./ami-inventory.ts";
import { probeAmi } from "./ami-probe.ts";
import { AmiTranslator } from "./ami-translate.ts";
import { AstdbPush } from "./astdb-push.ts";
import { celCsvHistory } from "./cel-csv.ts";
import { celSqlHistory } from "./cel-sql.ts";

export interface AmiSourceOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  /** `[pbx.ami]`'s handset settings (see src/config/pbx-sections.ts); absent: none, profile auto. */
  readonly handsets?: readonly string[];
  readonly handset_pattern?: string;
  readonly profile?: HandsetProfile;
  readonly trunk_contexts?: readonly string[];
  /** `[pbx.ami]`'s raw capture for support: a directory ("" or absent: off) and its cap in MB. */
  readonly capture_dir?: string;
  readonly capture_max_mb?: number;
  /** `[pbx.ami] cel_csv`: the PBX's CEL as a CSV file, read back after a gap; "" or absent: none. */
  readonly cel_csv?: string;
  /** `[pbx.ami] cel_url`: the PBX's CEL table (MySQL/MariaDB, PostgreSQL); "" or absent: none. */
  readonly cel_url?: string;
  /** `[pbx.ami] timezone`: the zone of the PBX's record times; "" or absent: `timeZone`. */
  readonly timezone?: string;
  /** The branch's time zone (PbxDeps). */
  readonly timeZone?: string;
  /** The branch's extensions as the roster knows them now (desks' and staff's). */
  readonly knownExtensions?: () => ReadonlySet<string>;
  readonly log: Logger;
  readonly now?: () => number;
  /**
   * The calls of this source the box believes live (after a restart: replayed from the journal).
   * A resync ends those the PBX no longer has, which a fresh translator cannot know of.
   */
  readonly liveCalls?: (source: string) => readonly string[];
  /** See PbxDeps.linkUp: called at every login with `history`; its events go before the resync's. */
  readonly linkUp?: (source: string, at: number, history: PbxHistory | null) => Promise<readonly PbxEvent[]>;
  /** The PBX's own records (CEL, CDR) to read a gap back from; absent: none. */
  readonly history?: PbxHistory | null;
  /** Where unplaced endpoints survive a restart (the box's database); absent: memory only. */
  readonly unplacedStore?: UnplacedEndpointStore;
  /** How long a change to them waits before it is written (default 10 s). */
  readonly unplacedSaveAfterMs?: number;
  /** `[pbx.ami]`'s call control (issue 15): contexts, the employee's channel, how long it rings. */
  readonly originate_context?: string;
  readonly dial_context?: string;
  readonly transfer_context?: string;
  readonly originate_channel?: string;
  readonly originate_ring_seconds?: number;
  /** Issue 16: the routing the AstDB push keeps in Asterisk and the FastAGI server answers from. */
  readonly routing?: RoutingSource;
  readonly numbers?: NumberRules;
  /** `[pbx.ami] agi_listen`: "" or absent, no FastAGI server. */
  readonly agi_listen?: string;
  /** `[pbx.ami] route_tech`: the phones' channel technology (default PJSIP). */
  readonly route_tech?: string;
  /** Test knobs passed to the client (ping interval, backoff, random). */
  readonly client?: Partial<
    Pick<AmiClientOptions, "pingIntervalMs" | "pingTimeoutMs" | "backoff" | "random" | "healthyAfterMs">
  >;
}

/**
 * The source and the AMI link it owns. A controller (call control) sends its actions on `client`
 * and shares the login, the keepalive and the reconnects; it never starts or stops the client:
 * the source's `start()` and `stop()` do.
 */
export interface AmiAdapter extends PbxAdapter {
  readonly client: AmiClient;
  /** Call control on `client`'s link, resolving legs from this source's live channels. */
  readonly control: AmiControl;
  /** Issue 16: the routing in Asterisk's database (with `routing`), and the FastAGI server (with `agi_listen`). */
  readonly astdb: AstdbPush | null;
  readonly agi: AgiServer | null;
}

/** `[pbx.ami]` for the registry. */
export const amiPbx: PbxModule<AmiConfig, AmiAdapter> = {
  create: (section, deps) => createAmiAdapter({ ...section, ...deps }),
  probe: (section, known) => probeAmi(section, placementFor(section, known)),
};

/** The roster's extensions and `[pbx.ami] handsets` together, rebuilt only when the roster's set changes. */
function knownExtensions(options: AmiSourceOptions): () => ReadonlySet<string> {
  const listed = options.handsets ?? [];
  const none: ReadonlySet<string> = new Set();
  const roster = options.knownExtensions ?? (() => none);
  let from: ReadonlySet<string> | null = null;
  let both: ReadonlySet<string> = new Set(listed);
  return () => {
    const now = roster();
    if (now !== from) {
      from = now;
      both = listed.length === 0 ? now : new Set([...now, ...listed]);
    }
    return both;
  };
}

/** How the box would take the PBX's endpoint names, with the branch's extensions as `known`. */
function placementFor(section: AmiConfig, known: ReadonlySet<string> = new Set()) {
  const all = new Set([...known, ...section.handsets]);
  const table = new ChannelTable(
    translatorDefaults({
      source: "doctor",
      knownExtensions: () => all,
      handsetPattern: section.handset_pattern ? new RegExp(section.handset_pattern) : null,
      profile: section.profile,
      trunkContexts: section.trunk_contexts,
    }),
  );
  return (name: string) => table.placement(name);
}

/** How long to wait before reconnecting after events could not be made durable (a full disk). */
const RESYNC_AFTER_FAILURE_MS = 5000;

/**
 * Asterisk over AMI as a PbxEventSource: the client keeps the link (login, keepalive, backoff,
 * CoreShowChannels after every login), the translator turns frames into PbxEvents, and every
 * batch goes to `deliver` in wire order. If a batch cannot be made durable, the link is dropped
 * and opened again later: the resync then reports what the PBX shows, and nothing is invented.
 * Returns the source with the client it owns (see AmiAdapter).
 */
export function createAmiAdapter(options: AmiSourceOptions): AmiAdapter {
  const now = options.now ?? Date.now;
  const name = `ami:${options.host}:${options.port}`;
  const log = options.log.child({ source: name });
  // Outlives translators (a restart after a refused batch): what branch IT is shown stays.
  const inventory: AmiInventory = new AmiInventory({
    source: name,
    store: options.unplacedStore ?? null,
    stillUnplaced: (entry) => translator.table.stillUnplaced(entry),
    log,
    now,
    ...(options.unplacedSaveAfterMs === undefined ? {} : { saveAfterMs: options.unplacedSaveAfterMs }),
  });
  const placement = {
    source: name,
    knownExtensions: knownExtensions(options),
    handsetPattern: options.handset_pattern ? new RegExp(options.handset_pattern) : null,
    profile: options.profile ?? "auto",
    trunkContexts: options.trunk_contexts ?? [],
  };
  const newTranslator = () => new AmiTranslator({ ...placement, unplaced: inventory.unplaced });
  // The PBX's own record of its calls, to read a gap back from (issue 13): placed by the same rules.
  const pbxZone = options.timezone || options.timeZone || "UTC";
  const history =
    options.history ??
    (options.cel_url
      ? celSqlHistory(options.cel_url, pbxZone, placement)
      : options.cel_csv
        ? celCsvHistory(options.cel_csv, pbxZone, placement)
        : null);
  let translator = newTranslator();
  const capture = options.capture_dir
    ? new AmiCaptureFiles({
        dir: options.capture_dir,
        maxBytes: (options.capture_max_mb ?? 64) * 1024 * 1024,
        source: name,
        log,
        now,
      })
    : null;
  let linkState = "stopped";
  /** What translators replaced by a restart had counted (the status counts since the source began). */
  const before = { malformed: 0, duplicates: 0, orphans: {} as Record<string, number> };
  let deliver: ((events: readonly PbxEvent[]) => Promise<void>) | null = null;
  let restarting = false;
  let stopped = false;
  /** Events waiting while a batch is being made durable; delivered together once it is. */
  let waiting: PbxEvent[] = [];
  let delivering = false;
  /** A batch was refused: nothing more is delivered until the link is made again and resynced. */
  let refused = false;
  /**
   * While a gap is read back from the PBX's records (after a login), what the link gives waits
   * behind it in order: the recovered events first, then the resync's, then the live stream's.
   */
  let segments: { events: PbxEvent[]; ready: boolean }[] = [];

  const push = (events: readonly PbxEvent[]) => {
    if (events.length === 0 || deliver === null || refused) return;
    const last = segments.at(-1);
    if (last !== undefined) last.events.push(...events);
    else send(events);
  };

  // One batch in flight at a time: a later batch never becomes durable before an earlier one,
  // so a refused batch cannot leave the journal with a call's ringing but not its start. What
  // arrives meanwhile waits and goes as one batch (one commit), so a burst still costs few commits.
  const send = (events: readonly PbxEvent[]) => {
    waiting.push(...events);
    if (!delivering) void drain();
  };

  const release = () => {
    while (segments[0]?.ready === true) {
      const segment = segments.shift();
      if (segment !== undefined && segment.events.length > 0 && !refused) send(segment.events);
    }
  };

  /** The link is up and resynced at `at`: the gap before it is read back first (see PbxGaps). */
  const linkUp = (events: readonly PbxEvent[], at: number) => {
    if (options.linkUp === undefined || deliver === null || refused) return push(events);
    const gap = { events: [] as PbxEvent[], ready: false };
    segments.push(gap, { events: [...events], ready: true });
    void options.linkUp(name, at, history).then((recovered) => {
      gap.events = [...recovered];
      gap.ready = true;
      release();
    });
  };

  async function drain(): Promise<void> {
    delivering = true;
    while (waiting.length > 0 && !refused && deliver !== null) {
      const batch = waiting;
      waiting = [];
      try {
        await deliver(batch);
      } catch (error) {
        log.error("pbx events not stored; reconnecting to resync", { error, events: batch.length });
        refused = true;
        waiting = [];
        segments = [];
        void restart();
      }
    }
    delivering = false;
  }

  const client: AmiClient = createAmiClient({
    host: options.host,
    port: options.port,
    username: options.username,
    secret: options.secret,
    log,
    now,
    ...options.client,
    onFrame: (frame) => {
      push(translator.translate(frame, now()));
      inventory.changed();
      // After the translator: a command's leg is looked up in the table the frame just updated.
      control.observe(frame);
      const routed = routedCall(frame);
      if (routed !== null) options.routing?.routed(routed, now());
    },
    // A new login is a new link: Asterisk may have restarted and numbered its events afresh.
    onState: (status) => {
      if (status.state === "connected" && linkState !== "connected") {
        translator.newLink();
        astdb?.linkUp();
        // Once the login's CoreShowChannels is on the wire: Asterisk answers a session's actions
        // in order, so the endpoint lists come after the snapshot and never hold it up.
        queueMicrotask(() => void inventory.readEndpoints(client, (n) => translator.table.placement(n)));
      }
      linkState = status.state;
    },
    onResync: (channels) => {
      const at = now();
      linkUp(resync(channels, at), at);
      inventory.changed();
    },
    ...(capture === null ? {} : { tap: capture }),
  });

  const control = new AmiControl({
    name,
    client,
    channels: () => translator.table,
    contexts: {
      originate: options.originate_context ?? "from-internal",
      dial: options.dial_context ?? "from-internal",
      transfer: options.transfer_context ?? "from-internal",
      originateChannel: options.originate_channel ?? "Local/{extension}@{context}/n",
      ringSeconds: options.originate_ring_seconds ?? 30,
    },
    log,
    now,
  });

  const tech = options.route_tech ?? "PJSIP";
  const astdb =
    options.routing === undefined
      ? null
      : new AstdbPush({
          client,
          routing: options.routing,
          dialing: { tech, numbers: options.numbers ?? RUSSIAN_NUMBERS },
          log,
          now,
        });
  const agi =
    options.routing === undefined || !options.agi_listen
      ? null
      : createAgiServer({ listen: options.agi_listen, routing: options.routing, tech, log, now });

  /** The translator's view of the snapshot, plus the end of every call the box holds live that the PBX no longer has. */
  function resync(channels: readonly Record<string, string>[], at: number): PbxEvent[] {
    const events = translator.resync(channels, at);
    const present = new Set(events.map((e) => e.callId));
    for (const channel of channels) if (channel.Linkedid !== undefined) present.add(channel.Linkedid);
    events.push(...staleCallEnds(name, options.liveCalls?.(name) ?? [], present, at));
    return events;
  }

  async function restart(): Promise<void> {
    if (restarting || stopped) return;
    restarting = true;
    await client.stop();
    // The old translator believes it reported what the disk refused; a fresh one reports every
    // live call again from the resync, under the same keys (the journal dedupes what it has).
    const stats = translator.stats();
    before.malformed += stats.malformed;
    before.duplicates += stats.duplicates;
    for (const [kind, n] of Object.entries(stats.orphansByKind))
      before.orphans[kind] = (before.orphans[kind] ?? 0) + n;
    translator = newTranslator();
    setTimeout(() => {
      restarting = false;
      refused = false;
      if (!stopped) client.start();
    }, RESYNC_AFTER_FAILURE_MS);
  }

  const source: PbxEventSource = {
    name,
    start(onEvents) {
      deliver = onEvents;
      void capture?.start();
      astdb?.start();
      void agi?.start();
      client.start();
    },
    async stop() {
      stopped = true;
      astdb?.stop();
      await agi?.stop();
      await client.stop();
      await capture?.close();
      inventory.stop();
    },
    status(): PbxSourceStatus {
      const s = client.status();
      const stats = translator.stats();
      const orphans = { ...before.orphans };
      for (const [kind, n] of Object.entries(stats.orphansByKind)) orphans[kind] = (orphans[kind] ?? 0) + n;
      return {
        ...s,
        badFrames: s.badFrames + before.malformed + stats.malformed,
        orphans,
        duplicateFrames: before.duplicates + stats.duplicates,
        ...(capture === null ? {} : { capture: capture.status() }),
        unplaced: inventory.list(),
        endpoints: inventory.endpointList(),
        tables: { ...translator.sizes(), waiting: waiting.length },
      };
    },
  };
  return { source, client, history, control, astdb, agi };
}

/**
 * The shipped dialplan's `UserEvent(BranchboxRoute,Rule: …,Target: …)` (issue 16): the PBX routed
 * this call by a rule of the box. Null for any other frame.
 */
export function routedCall(frame: AmiFrame): RoutedCall | null {
  if (field(frame, "Event") !== "UserEvent" || field(frame, "UserEvent") !== "BranchboxRoute") return null;
  const uniqueId = field(frame, "Uniqueid");
  const rule = field(frame, "Rule");
  if (uniqueId === null || rule === null || rule === "") return null;
  const target = field(frame, "Target");
  const caller = field(frame, "CallerIDNum");
  return {
    callId: field(frame, "Linkedid") ?? uniqueId,
    uniqueId,
    caller: caller === "" || caller === "<unknown>" ? null : caller,
    rule,
    target: target === null || target === "" ? null : target,
  };
}
