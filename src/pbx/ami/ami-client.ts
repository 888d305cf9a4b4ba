import { createConnection, type Socket } from "node:net";
import { createLinkMachine } from "../../lib/link-state.ts";
import {
  type ActionOutcome,
  type ActionTable,
  AmiError,
  type AmiListResult,
  createActionTable,
} from "./ami-actions.ts";
import {
  AMI_CLIENT_DEFAULTS,
  type AmiClient,
  type AmiClientOptions,
  type AmiClientStatus,
} from "./ami-client-options.ts";
import { type AmiFrame, amiGet, createAmiParser } from "./ami-parser.ts";

export type { AmiClient, AmiClientOptions, AmiClientStatus } from "./ami-client-options.ts";

interface Connection {
  readonly socket: Socket;
  readonly actions: ActionTable;
  readonly timers: Set<ReturnType<typeof setTimeout>>;
  loggedInAt: number | null;
  resyncing: boolean;
  held: AmiFrame[];
  down: boolean;
}

/**
 * The AMI link: TCP, banner, Login, a `CoreShowChannels` snapshot after every (re)login, then the
 * event stream; keepalive Pings; reconnects with full-jitter backoff until stopped, on the shared
 * link state machine (src/lib/link-state.ts). Its status shows the machine's states, but:
 *
 * ```
 *            start()                 banner + Login ok
 *   stopped ────────► connecting ───────────────────────► connected
 *                        │  ▲                                 │ closed, error, Ping or
 *      Login refused     │  │ retry timer (state kept         │ CoreShowChannels unanswered
 *   ┌─────────────┬──────┘  │ while a failure streak lasts)   ▼
 *   ▼             └──────►  backing-off ◄─────────────────────┘
 *  auth-failed ── retry timer ──┘        any state ── stop() ──► stopped
 * ```
 * - a refused Login backs off as `auth-failed`;
 * - while a failure streak lasts the state stays `backing-off` or `auth-failed` across attempts
 *   (only the detail says "connecting"), so the log gets one line per state change, not per retry;
 * - while stopping (Logoff, close) the status stays as it was until the socket closed.
 *
 * Ordering: events that arrive while the snapshot is being read are held back and delivered after
 * `onResync`, so the owner always sees the snapshot first, then every later event in wire order.
 * If the link goes down before the snapshot came, the held events are delivered then, in order.
 * `onFrame` and `onResync` are synchronous; an owner that persists asynchronously queues in order.
 */
export function createAmiClient(options: AmiClientOptions): AmiClient {
  const o = { ...AMI_CLIENT_DEFAULTS, ...options };
  const log = o.log.child({ component: "ami", host: o.host, port: o.port });
  const parser = createAmiParser({ limits: o.limits });
  let actionSeq = 0;
  const nextId = () => `bb-${++actionSeq}`;
  let current: Connection | null = null;
  let status: AmiClientStatus = {
    state: "stopped",
    since: o.now(),
    detail: "not started",
    eventsReceived: 0,
    badFrames: 0,
    banner: null,
    attempt: 0,
    retryInMs: null,
  };

  const setStatus = (next: Partial<AmiClientStatus>) => {
    const changed = next.state !== undefined && next.state !== status.state;
    status = { ...status, ...next, ...(changed ? { since: o.now() } : {}) };
    if (changed) {
      const fields = { state: status.state, detail: status.detail };
      if (status.state === "connected") log.info("AMI link up", { ...fields, banner: status.banner });
      else if (status.state === "stopped") log.info("AMI link stopped", fields);
      else if (status.state === "auth-failed")
        log.warn("AMI login refused", { ...fields, username: o.username });
      else log.warn("AMI link down", fields);
    }
    guard("onState", () => o.onState?.(statusNow()));
  };

  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (error) {
      log.error("AMI owner callback threw", { callback: what, error });
    }
  };

  /** Counted apart from `status`: a copy of the status per frame costs the hot path for nothing. */
  let eventsReceived = 0;
  const statusNow = () => ({ ...status, eventsReceived, badFrames: parser.badFrames });

  const deliver = (frame: AmiFrame) => {
    eventsReceived++;
    guard("onFrame", () => o.onFrame(frame));
  };

  const later = (l: Connection, ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      l.timers.delete(t);
      fn();
    }, ms);
    l.timers.add(t);
  };

  /** The connection is gone, for whatever reason: the link backs off unless stopping. */
  const linkDown = (l: Connection, reason: string, refused = false) => {
    if (l.down) return;
    l.down = true;
    o.tap?.closed(reason);
    for (const t of l.timers) clearTimeout(t);
    l.actions.failAll(new AmiError("PBX.AMI_LINK_DOWN", reason));
    // Events that came while the snapshot was read are real, and in wire order: the snapshot
    // will not come on this link, so they go now rather than be lost (the next login resyncs).
    const held = l.held;
    l.held = [];
    for (const frame of held) deliver(frame);
    l.socket.destroy();
    parser.end();
    status = { ...status, badFrames: parser.badFrames };
    if (current === l) current = null;
    if (l.loggedInAt !== null && o.now() - l.loggedInAt >= o.healthyAfterMs) link.healthy();
    link.down({ reason, refused });
  };

  const request = (
    l: Connection,
    action: Record<string, string>,
    list: boolean,
    timeoutMs: number,
    done: (outcome: ActionOutcome<AmiListResult>) => void,
    sent?: (actionId: string) => void,
  ) => {
    if (l.down) done({ ok: false, error: new AmiError("PBX.AMI_LINK_DOWN", "link is down") });
    else l.actions.request(action, { list, timeoutMs, ...(sent === undefined ? {} : { sent }) }, done);
  };

  const ping = (l: Connection) => {
    request(l, { Action: "Ping" }, false, o.pingTimeoutMs, (outcome) => {
      if (!outcome.ok) {
        if (outcome.error.code === "PBX.AMI_ACTION_TIMEOUT") linkDown(l, outcome.error.message);
        return;
      }
      later(l, o.pingIntervalMs, () => ping(l));
    });
  };

  const resync = (l: Connection) => {
    l.resyncing = true;
    request(l, { Action: "CoreShowChannels" }, true, o.actionTimeoutMs, (outcome) => {
      if (!outcome.ok) {
        linkDown(l, `resync failed: ${outcome.error.message}`);
        return;
      }
      const { response, items } = outcome.value;
      if (amiGet(response, "Response")?.toLowerCase() === "error") {
        // Without the `reporting` (or `system`) write class Asterisk refuses CoreShowChannels;
        // reconnecting would not help, so stream on without a snapshot and say so.
        const message = amiGet(response, "Message") ?? "refused";
        log.error("AMI CoreShowChannels refused; no resync snapshot", { message });
        setStatus({ detail: `logged in; CoreShowChannels refused: ${message}` });
      } else {
        guard("onResync", () => o.onResync(items));
      }
      l.resyncing = false;
      const held = l.held;
      l.held = [];
      for (const frame of held) deliver(frame);
    });
  };

  const onFrame = (l: Connection, frame: AmiFrame) => {
    if (l.actions.route(frame)) return;
    if (amiGet(frame, "Response") !== undefined && amiGet(frame, "Event") === undefined) {
      log.debug("AMI answer to no action in flight", { actionId: amiGet(frame, "ActionID") });
      return;
    }
    if (l.loggedInAt === null) return;
    if (!l.resyncing) deliver(frame);
    else if (l.held.length < o.maxHeldFrames) l.held.push(frame);
    else linkDown(l, `more than ${o.maxHeldFrames} events during resync`);
  };

  const login = (l: Connection) => {
    const action = { Action: "Login", Username: o.username, Secret: o.secret, Events: o.events };
    request(l, action, false, o.connectTimeoutMs, (outcome) => {
      if (!outcome.ok) return linkDown(l, `login: ${outcome.error.message}`);
      const response = outcome.value.response;
      if (amiGet(response, "Response")?.toLowerCase() !== "success") {
        // Asterisk says "Authentication failed" for a wrong user or secret and then hangs up.
        return linkDown(l, `login refused: ${amiGet(response, "Message") ?? "no message"}`, true);
      }
      for (const t of l.timers) clearTimeout(t);
      l.timers.clear();
      l.loggedInAt = o.now();
      link.up();
      resync(l);
      later(l, o.pingIntervalMs, () => ping(l));
    });
  };

  const connect = () => {
    parser.reset();
    o.tap?.opened();
    const socket = createConnection({ host: o.host, port: o.port });
    socket.setNoDelay(true);
    const write = (text: string) => {
      if (socket.destroyed) return;
      o.tap?.sent(text);
      socket.write(text);
    };
    const l: Connection = {
      socket,
      actions: createActionTable(write, nextId),
      timers: new Set(),
      loggedInAt: null,
      resyncing: false,
      held: [],
      down: false,
    };
    current = l;
    later(l, o.connectTimeoutMs, () => linkDown(l, `no banner and login within ${o.connectTimeoutMs} ms`));
    let bannerSeen = false;
    socket.on("data", (chunk: Buffer) => {
      if (l.down) return;
      o.tap?.received(chunk);
      const frames = parser.push(chunk);
      if (!bannerSeen && parser.banner !== null) {
        bannerSeen = true;
        status = { ...status, banner: parser.banner };
        login(l);
      }
      for (const frame of frames) {
        if (l.down) return;
        onFrame(l, frame);
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => linkDown(l, error.code ?? error.message));
    socket.on("close", () => linkDown(l, "closed by the peer"));
  };

  const link = createLinkMachine<{ reason: string; refused: boolean }>({
    backoff: o.backoff,
    random: o.random,
    connect,
  });
  link.onChange((change) => {
    if (change.to === "connecting")
      setStatus({
        ...(change.from === "backing-off" ? {} : { state: "connecting" as const }),
        detail: `connecting to ${o.host}:${o.port}`,
        retryInMs: null,
      });
    else if (change.to === "connected")
      setStatus({ state: "connected", detail: "logged in", retryInMs: null });
    else if (change.to === "backing-off")
      setStatus({
        state: change.why.refused ? "auth-failed" : "backing-off",
        detail: `${change.why.reason}; retry in ${change.retryInMs} ms`,
        attempt: change.attempt,
        retryInMs: change.retryInMs,
      });
    else if (change.to === "stopped") setStatus({ state: "stopped", detail: "stopped", retryInMs: null });
  });

  const liveLink = (): Connection => {
    if (current === null || current.down || current.loggedInAt === null) {
      throw new AmiError("PBX.AMI_NOT_CONNECTED", `AMI is ${status.state}`);
    }
    return current;
  };

  const sendOn = (
    action: Readonly<Record<string, string>>,
    list: boolean,
    sent?: (actionId: string) => void,
  ) =>
    new Promise<AmiListResult>((resolve, reject) => {
      request(
        liveLink(),
        { ...action },
        list,
        o.actionTimeoutMs,
        (outcome) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)),
        sent,
      );
    });

  return {
    start: () => link.start(),
    stop: () =>
      link.stop(async () => {
        const l = current;
        if (l === null || l.down) return;
        const closed = new Promise<void>((resolve) => l.socket.once("close", () => resolve()));
        if (l.loggedInAt !== null) {
          // Logoff lets Asterisk log a clean "disconnected" instead of a dropped session.
          await new Promise<void>((resolve) =>
            request(l, { Action: "Logoff" }, false, 1_000, () => resolve()),
          );
        }
        if (l.loggedInAt === null) l.socket.destroy();
        else l.socket.end();
        const timer = setTimeout(() => l.socket.destroy(), 1_000);
        await closed;
        clearTimeout(timer);
        linkDown(l, "stopped");
      }),
    status: statusNow,
    send: async (action, sent) => (await sendOn(action, false, sent)).response,
    sendList: (action) => sendOn(action, true),
  };
}
