import { Registerer, type Subscriber, UserAgent } from "sip.js";
import type { SipConfig } from "../../config/pbx-sections.ts";
import type { PbxControl } from "../../domain/call/pbx-control.ts";
import type {
  PbxEvent,
  PbxEventSource,
  PbxSourceStatus,
  SubscriptionStatus,
} from "../../domain/call/pbx-event.ts";
import { type Backoff, createBackoff } from "../../lib/backoff.ts";
import { createLinkMachine } from "../../lib/link-state.ts";
import type { PbxModule } from "../pbx-module.ts";
import { staleCallEnds } from "../stale-calls.ts";
import { type DialogInfo, parseDialogInfo } from "./dialog-info.ts";
import { createSipControl } from "./sip-control.ts";
import { noMediaSessions } from "./sip-no-media.ts";
import { SIP_SOURCE_DEFAULTS, type SipSourceOptions } from "./sip-options.ts";
import { probeSipWebSocket } from "./sip-probe.ts";
import { pingServer, sipLogConnector, subscribeDialog } from "./sip-subscription.ts";
import { SipTranslator } from "./sip-translate.ts";

export type { SipSourceOptions } from "./sip-options.ts";

interface Connection {
  readonly ua: UserAgent;
  readonly subscribers: Map<string, Subscriber>;
  readonly timers: Set<ReturnType<typeof setTimeout>>;
  /** Extensions whose subscription has answered on this link (a first NOTIFY, or a refusal). */
  readonly settled: Set<string>;
  down: boolean;
}

type Deliver = (events: readonly PbxEvent[]) => Promise<void>;

/** `[pbx.sip]` for the registry; an empty domain or password in the file means "none". */
export const sipPbx: PbxModule<SipConfig> = {
  create: (section, deps) =>
    createSipAdapter({
      wsUrl: section.ws_url,
      extensions: section.extensions,
      ...(section.domain === "" ? {} : { domain: section.domain }),
      username: section.username,
      ...(section.password === "" ? {} : { password: section.password }),
      register: section.register,
      ...deps,
    }),
  probe: (section) => probeSipWebSocket(section.ws_url),
};

/**
 * A SIP server's dialog event package (RFC 4235, "BLF") as a PbxEventSource, on sip.js over
 * WebSocket (UserAgent, Subscriber and, optionally, Registerer: no media, no SimpleUser).
 *
 * ```
 *            start()            WebSocket up (+ REGISTER)
 *   stopped ────────► connecting ─────────────────────────► connected ── one SUBSCRIBE per extension
 *                        │  ▲                                  │ socket closed, server restarted,
 *                        │  │ retry timer (backoff + jitter)   │ OPTIONS ping unanswered,
 *                        │  │                                  │ events not made durable
 *                        ▼  │                                  ▼
 *                     backing-off ◄────────────────────────────┘      any state ── stop() ──► stopped
 * ```
 * The shared link state machine (src/lib/link-state.ts) drives it; the status shows a retry's
 * `connecting` as `backing-off` while the failure streak lasts, and stays as it was while stopping.
 * sip.js does not reconnect by itself: every failure drops the whole link and a new UserAgent
 * subscribes again after a full-jitter backoff. The first NOTIFY of every subscription is the
 * extension's full state, which resyncs the translator (a leg it held live and the server no
 * longer lists ended); once every extension has answered, the calls the box still holds live
 * (journal) that no extension shows end too. A subscription the server ends or refuses is asked
 * again on its own after a backoff; sip.js refreshes live ones before they expire.
 *
 * Acknowledging: a NOTIFY is answered 200 only after its events are durable (`deliver`
 * resolved; a journal commit takes milliseconds, well inside the server's transaction timer).
 * If they cannot be made durable the NOTIFY gets a 500, the translator is dropped and the link
 * restarts: the fresh full states report again what still stands, under the same keys.
 * A body that is not acceptable dialog-info is answered 200 (the subscription stays), changes
 * nothing, and is counted in `badFrames` with its code in the log.
 */
export function createSipSource(options: SipSourceOptions): PbxEventSource {
  return createSipAdapter(options).source;
}

/**
 * The source and, on its link, its controller (sip-control.ts: click-to-call by REFER): the
 * controller uses the source's user agent while the link is up, and reads the phones' new calls
 * from the source's dialog subscriptions.
 */
export function createSipAdapter(options: SipSourceOptions): {
  readonly source: PbxEventSource;
  readonly control: PbxControl;
} {
  const o = { ...SIP_SOURCE_DEFAULTS, ...options };
  const url = new URL(o.wsUrl);
  const domain = o.domain ?? url.hostname;
  const name = `sip:${url.host}`;
  const log = o.log.child({ source: name });
  /** Each extension's own retries: one the server keeps refusing must not slow the link's. */
  const retries = new Map<string, Backoff>();
  const retriesOf = (extension: string): Backoff => {
    const known = retries.get(extension);
    if (known !== undefined) return known;
    const fresh = createBackoff(o.backoff, o.random);
    retries.set(extension, fresh);
    return fresh;
  };
  const newTranslator = () =>
    new SipTranslator({ source: name, extensions: o.extensions, ownUser: o.username });
  const dialogWatchers = new Set<(extension: string, info: DialogInfo) => void>();
  let translator = newTranslator();
  let deliver: Deliver | null = null;
  /** Settles once every delivery handed over so far has settled. */
  let delivered: Promise<unknown> = Promise.resolve();
  let current: Connection | null = null;
  const counts = { eventsReceived: 0, badFrames: 0 };
  let state: Pick<PbxSourceStatus, "state" | "since" | "detail"> = {
    state: "stopped",
    since: o.now(),
    detail: "not started",
  };
  const subscriptions = new Map<string, SubscriptionStatus>();

  const setState = (next: PbxSourceStatus["state"], detail: string) => {
    if (next !== state.state) {
      const fields = { state: next, detail };
      if (next === "connected") log.info("SIP link up", fields);
      else if (next === "stopped") log.info("SIP link stopped", fields);
      else if (next === "connecting") log.info("SIP link connecting", fields);
      else log.warn("SIP link down", fields);
    }
    state = { state: next, since: next === state.state ? state.since : o.now(), detail };
  };

  const setSubscription = (target: string, next: SubscriptionStatus["state"], detail: string) => {
    const was = subscriptions.get(target);
    const since = was?.state === next ? was.since : o.now();
    subscriptions.set(target, { target, state: next, since, detail });
  };

  /**
   * Hands events over at once, in arrival order: the pipeline commits what arrives together in
   * one transaction and keeps the order, so NOTIFYs never wait for each other's commits (waiting
   * for each would cap the source at one NOTIFY per disk sync).
   */
  const handOver = (events: readonly PbxEvent[]): Promise<void> => {
    const run = events.length === 0 || deliver === null ? Promise.resolve() : deliver(events);
    delivered = Promise.allSettled([delivered, run]);
    return run;
  };

  const later = (l: Connection, ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      l.timers.delete(timer);
      fn();
    }, ms);
    l.timers.add(timer);
  };

  const linkDown = (l: Connection, reason: string) => {
    if (l.down) return;
    l.down = true;
    for (const timer of l.timers) clearTimeout(timer);
    // Not from inside sip.js's own transport callback: it refuses a transition started there.
    setTimeout(() => {
      for (const subscriber of l.subscribers.values()) void subscriber.dispose().catch(() => {});
      void l.ua.stop().catch(() => {});
    }, 0);
    if (current === l) current = null;
    for (const target of o.extensions) setSubscription(target, "retrying", reason);
    link.down(reason);
  };

  const onNotify = (l: Connection, extension: string, body: string, subscription: string): Promise<void> => {
    // A NOTIFY still in flight on a link being dropped: the next link's full states tell it again.
    if (l.down) return Promise.reject(new Error("link is down"));
    counts.eventsReceived++;
    const parsed = parseDialogInfo(body, o.limits);
    if (!parsed.ok) {
      counts.badFrames++;
      log.warn("dialog-info refused", { extension, code: parsed.error.code, reason: parsed.error.message });
      return Promise.resolve();
    }
    setSubscription(extension, "active", `notified (${parsed.value.state} state)`);
    for (const watcher of dialogWatchers) watcher(extension, parsed.value);
    retries.get(extension)?.reset();
    const events = translator.notify(extension, parsed.value, o.now(), subscription);
    const durable = handOver(events);
    settle(l, extension);
    return durable.catch((error: unknown) => {
      log.error("pbx events not stored; resubscribing to resync", { error });
      translator = newTranslator();
      linkDown(l, "events not stored");
      throw error;
    });
  };

  /** Every extension answered on this link: end the calls the box holds live that none shows. */
  const settle = (l: Connection, extension: string) => {
    if (l.settled.has(extension)) return;
    l.settled.add(extension);
    if (l.settled.size < o.extensions.length) return;
    link.healthy();
    void delivered
      .then(() => {
        const live = new Set(translator.liveCalls());
        return handOver(staleCallEnds(name, o.liveCalls(name), live, o.now()));
      })
      .catch((error: unknown) => {
        log.error("ended calls not stored; resubscribing to resync", { error });
        translator = newTranslator();
        linkDown(l, "events not stored");
      });
  };

  const subscribe = (l: Connection, extension: string) => {
    if (l.down) return;
    setSubscription(extension, "subscribing", "SUBSCRIBE sent");
    const subscriber = subscribeDialog(l.ua, `sip:${extension}@${domain}`, o.expiresSec, {
      onNotify: (body, subscription) => onNotify(l, extension, body, subscription),
      onEnded: (reason) => {
        if (l.down || link.state !== "connected") return;
        l.subscribers.delete(extension);
        settle(l, extension);
        const delay = Math.max(1000, retriesOf(extension).next());
        setSubscription(extension, "retrying", `${reason}; again in ${delay} ms`);
        log.warn("SIP subscription ended", { extension, reason });
        later(l, delay, () => subscribe(l, extension));
      },
    });
    l.subscribers.set(extension, subscriber);
  };

  const ping = (l: Connection) => {
    void pingServer(l.ua, domain, o.pingTimeoutMs).then((alive) => {
      if (l.down) return;
      if (alive) later(l, o.pingIntervalMs, () => ping(l));
      else linkDown(l, `no answer to OPTIONS in ${o.pingTimeoutMs} ms`);
    });
  };

  const connect = () => {
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${o.username}@${domain}`),
      transportOptions: { server: o.wsUrl, connectionTimeout: Math.ceil(o.connectTimeoutMs / 1000) },
      authorizationUsername: o.username,
      ...(o.password === undefined ? {} : { authorizationPassword: o.password }),
      logBuiltinEnabled: false,
      logConfiguration: false,
      logLevel: "warn",
      logConnector: sipLogConnector(log),
      userAgentString: "branchbox",
      sessionDescriptionHandlerFactory: noMediaSessions,
    });
    const l: Connection = { ua, subscribers: new Map(), timers: new Set(), settled: new Set(), down: false };
    current = l;
    ua.delegate = { onDisconnect: (error) => linkDown(l, error?.message ?? "WebSocket closed") };
    ua.start()
      .then(async () => {
        if (l.down || !link.up()) return;
        if (o.register) await new Registerer(ua, { expires: o.expiresSec }).register();
        for (const extension of o.extensions) subscribe(l, extension);
        later(l, o.pingIntervalMs, () => ping(l));
      })
      .catch((error: unknown) => linkDown(l, `connect: ${(error as Error).message}`));
  };

  const link = createLinkMachine({ backoff: o.backoff, random: o.random, connect });
  link.onChange((change) => {
    if (change.to === "connecting")
      setState(change.from === "backing-off" ? "backing-off" : "connecting", `connecting to ${o.wsUrl}`);
    else if (change.to === "connected") {
      setState("connected", `WebSocket up; watching ${o.extensions.join(", ")}`);
      // No history to read back: the gap is recorded and shown as "calls may be missing".
      void o.linkUp?.(name, o.now(), null);
    } else if (change.to === "backing-off")
      setState("backing-off", `${change.why}; retry in ${change.retryInMs} ms`);
    else if (change.to === "stopped") setState("stopped", "stopped");
  });

  const control = createSipControl({
    name,
    domain,
    log,
    now: o.now,
    link: {
      ua: () => (current !== null && !current.down && link.state === "connected" ? current.ua : null),
      watch(listener) {
        dialogWatchers.add(listener);
        return () => dialogWatchers.delete(listener);
      },
    },
  });

  const source: PbxEventSource = {
    name,
    start(onEvents) {
      if (link.state === "stopped") deliver = onEvents;
      link.start();
    },
    stop: () =>
      link.stop(async () => {
        const l = current;
        if (l !== null && !l.down) {
          // Un-SUBSCRIBE politely, but never wait long for a server that is gone.
          const unsubscribed = Promise.all(
            [...l.subscribers.values()].map((s) => s.dispose().catch(() => {})),
          );
          await Promise.race([unsubscribed, Bun.sleep(1000)]);
          linkDown(l, "stopped");
        }
        await delivered;
        for (const target of o.extensions) setSubscription(target, "stopped", "stopped");
      }),
    status(): PbxSourceStatus {
      return { ...state, ...counts, subscriptions: o.extensions.flatMap((t) => subscriptions.get(t) ?? []) };
    },
  };
  return { source, control };
}
