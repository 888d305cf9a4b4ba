import { readFileSync } from "node:fs";
import type { IClientOptions, MqttClient } from "mqtt";
import {
  type Envelope,
  hqPresenceSchema,
  type Presence,
  presenceSchema,
  topics,
} from "../contract/protocol.ts";
import { DEFAULT_BACKOFF } from "../lib/backoff.ts";
import { createLinkMachine } from "../lib/link-state.ts";
import { connectMqtt } from "../lib/mqtt-transport.ts";
import type { Logger } from "../log/logger.ts";
import { Applier, type ApplierOptions, type UpMessage } from "./applier.ts";
import type { HqConfig } from "./hq-config.ts";
import type { HqStore } from "./store/hq-store-port.ts";

const UP = /^branchbox\/v1\/([^/]+)\/up\/([^/]+)$/;
const STATE = /^branchbox\/v1\/([^/]+)\/state$/;
/** How long the first envelope of a batch waits for others to share its commit. */
const GROUP_COMMIT_MS = 3;
/** Envelopes per transaction at most (the broker sends us up to max_inflight_messages unacked). */
const GROUP_COMMIT_MAX = 100;
/** `done(error)` in mqtt.js's handleMessage: no PUBACK now (we send it after the commit). */
const SKIP_PUBACK = new Error("PUBACK after the group commit");

export interface HqConsumer {
  readonly applier: Applier;
  connected(): boolean;
  readonly reconnects: number;
  /**
   * Publishes a down message at QoS 1 (not retained); resolves on the broker's PUBACK, rejects
   * when not connected or the broker refused it. Down streams HQ originates (issue 17's `pbx`).
   */
  publishDown(topic: string, payload: string): Promise<void>;
  /** Says HQ is offline (other live consumers say otherwise at once), then disconnects. */
  stop(): Promise<void>;
}

export interface HqConsumerOptions {
  readonly config: HqConfig;
  readonly store: HqStore;
  readonly log: Logger;
  readonly now?: () => number;
  /** Reconnect backoff: base and cap, ms. */
  readonly backoff?: { baseMs: number; capMs: number };
  readonly keepaliveSeconds?: number;
  /** After each commit that wrote records (the Applier's `onApplied`). */
  readonly onApplied?: (envelopes: readonly Envelope[]) => void;
  /** The Applier's `onProblem`: each problem with a branch's messages (the fleet page's errors). */
  readonly onProblem?: ApplierOptions["onProblem"];
  /** After each presence the store took (not a stale one). It must not throw. */
  readonly onPresence?: (branch: string, presence: Presence) => void;
}

/**
 * The headquarters consumer: one MQTT 5 connection with a clean session, so while it is down the
 * broker gives its share of the up streams to the other consumers (or drops it when none is
 * left: the branch resends whatever HQ has not acknowledged). PUBACK for an up message is sent
 * after the envelope is committed, found duplicate, dropped as bad, or held for a gap.
 *
 * HQ presence with several consumers: each publishes the retained `{online:true}` on connect with
 * the Last Will `{online:false}`, and each watches the topic — when a consumer dies its Will says
 * offline, and any consumer still alive puts `{online:true}` back at once. Offline stays only when
 * the last one is gone. (The retained message has no room for a consumer id; a branch may see a
 * moment of "offline", which only pauses its backlog drain.)
 *
 * The connection is driven by the shared link state machine (src/lib/link-state.ts): a lost one is
 * opened again after a full-jitter backoff, which starts from its base again on every CONNACK
 * (mqtt.js's own fixed reconnect period is off, so that consumers do not come back in lockstep).
 */
export function startHqConsumer(options: HqConsumerOptions): HqConsumer {
  const { config, store, log } = options;
  const now = options.now ?? Date.now;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const applier = new Applier({
    store,
    log,
    now,
    reorderTimeoutMs: config.hq.reorder_timeout_ms,
    ...(options.onApplied === undefined ? {} : { onApplied: options.onApplied }),
    ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
    sendAck: (branch, ack) => {
      if (!client.connected) return; // cumulative: the next one, or the branch's resend, covers it
      client.publish(topics.ack(branch), JSON.stringify(ack), { qos: 1 }, (error) => {
        if (error) log.warn("ack not published", { code: "HQ.ACK_FAILED", branch, error });
      });
    },
  });
  const clientId = `${config.hq.client_id}-${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString("hex")}`;
  const online = (value: boolean) => JSON.stringify({ online: value });
  const file = (path: string) => (path === "" ? undefined : readFileSync(path));
  const connectOptions: IClientOptions = {
    protocolVersion: 5,
    clientId,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    keepalive: options.keepaliveSeconds ?? 30,
    properties: { sessionExpiryInterval: 0 },
    will: { topic: topics.hqState, payload: Buffer.from(online(false)), qos: 1, retain: true },
    ...(config.mqtt.username !== "" ? { username: config.mqtt.username } : {}),
    ...(config.mqtt.password !== "" ? { password: config.mqtt.password } : {}),
    ...(config.mqtt.ca !== "" ? { ca: file(config.mqtt.ca) } : {}),
    ...(config.mqtt.cert !== "" ? { cert: file(config.mqtt.cert) } : {}),
    ...(config.mqtt.key !== "" ? { key: file(config.mqtt.key) } : {}),
  };

  let presenceTurn: Promise<void> = Promise.resolve();
  let reconnects = 0;
  // One mqtt.js client for every connection, opened by the link (manualConnect): reconnect() opens
  // its next stream, on a client never connected its first.
  const client: MqttClient = connectMqtt(config.mqtt.url, { ...connectOptions, manualConnect: true });
  const link = createLinkMachine({ backoff, connect: () => client.reconnect() });
  link.onChange(({ from, to }) => {
    if (from === "backing-off" && to === "connecting") reconnects++;
  });

  const sayOnline = () => client.publish(topics.hqState, online(true), { qos: 1, retain: true });

  client.on("connect", () => {
    if (!link.up()) return;
    link.healthy();
    log.info("connected to the broker", { clientId });
    client.subscribe([topics.hqSubscription, "branchbox/v1/+/state"], { qos: 1 }, (error) => {
      if (error) log.error("subscribe failed", { code: "HQ.SUBSCRIBE_FAILED", error });
      else sayOnline();
    });
  });
  client.on("close", () => {
    // Closed by stop(), or a second word of a stream already closed.
    if (link.state !== "connecting" && link.state !== "connected") return;
    const delay = link.down("closed");
    log.warn("broker connection closed; reconnecting", { code: "HQ.MQTT_DISCONNECTED", delayMs: delay });
  });
  client.on("error", (error) => log.warn("broker error", { code: "HQ.MQTT_ERROR", error }));

  // Group commit. mqtt.js hands us the next packet only after `done` of this one, and `done()`
  // sends the PUBACK. So an up message (QoS 1) is queued and `done` is called with SKIP_PUBACK
  // at once (mqtt.js then sends no PUBACK and reads on); what is queued is applied in ONE
  // transaction, and only after that commit go the PUBACKs (sent by us, on the connection the
  // message came on) and the cumulative acks. One commit runs at a time: the first message after
  // an idle spell waits GROUP_COMMIT_MS for company; whatever arrives while a commit runs is the
  // next batch, taken the moment that commit ends (at most GROUP_COMMIT_MAX), so under load a
  // batch grows with the store's latency instead of queueing many small ones behind it. The
  // broker keeps up to max_inflight_messages envelopes coming meanwhile.
  const batch: { message: UpMessage; messageId: number | undefined; stream: unknown }[] = [];
  let batchTimer: ReturnType<typeof setTimeout> | undefined;
  let committing: Promise<void> | undefined;
  const commitBatch = async () => {
    const taken = batch.splice(0, GROUP_COMMIT_MAX);
    try {
      await applier.receiveAll(taken.map((b) => b.message));
    } catch (error) {
      log.error("message handling failed", { code: "HQ.HANDLER_FAILED", error });
    }
    for (const { messageId, stream } of taken) {
      // A PUBACK on a newer connection would acknowledge whatever carries that id there.
      if (messageId === undefined || stream !== client.stream || !client.connected) continue;
      // biome-ignore lint/complexity/useLiteralKeys: _sendPacket is private in mqtt.js's types
      client["_sendPacket"]({ cmd: "puback", messageId, reasonCode: 0 });
    }
  };
  /** Starts committing what is queued unless a commit runs (it takes what waits when it ends). */
  const flush = (): Promise<void> => {
    clearTimeout(batchTimer);
    batchTimer = undefined;
    committing ??= (async () => {
      while (batch.length > 0) await commitBatch();
    })().finally(() => {
      committing = undefined;
      // A message queued between the loop's last look and here would otherwise wait for the next.
      if (batch.length > 0) void flush();
    });
    return committing;
  };

  // Replaces mqtt.js's no-op: the PUBACK (QoS 1) goes out when `done` is called without an error.
  client.handleMessage = (packet, done) => {
    const up = UP.exec(packet.topic);
    if (up !== null && packet.qos === 1) {
      batch.push({
        message: {
          topicBranch: up[1] as string,
          topicStream: up[2] as string,
          payload: parseJson(packet.payload.toString()),
        },
        messageId: packet.messageId,
        stream: client.stream,
      });
      if (committing === undefined) {
        if (batch.length >= GROUP_COMMIT_MAX) void flush();
        else batchTimer ??= setTimeout(flush, GROUP_COMMIT_MS);
      }
      done(SKIP_PUBACK);
      return;
    }
    try {
      route(packet.topic, packet.payload);
    } catch (error) {
      log.error("message handling failed", { code: "HQ.HANDLER_FAILED", topic: packet.topic, error });
    }
    done();
  };

  function route(topic: string, payload: Buffer | string): void {
    const text = payload.toString();
    const up = UP.exec(topic);
    if (up !== null) {
      void applier
        .receive(up[1] as string, up[2] as string, parseJson(text))
        .catch((error: unknown) =>
          log.error("message handling failed", { code: "HQ.HANDLER_FAILED", topic, error }),
        );
      return;
    }
    if (text === "") return; // a retained message being cleared
    if (topic === topics.hqState) {
      const hq = hqPresenceSchema.safeParse(parseJson(text));
      // Another consumer's Last Will (or clean stop): while this one lives, HQ is online.
      if (hq.success && !hq.data.online && link.state !== "stopping" && client.connected) sayOnline();
      return;
    }
    const state = STATE.exec(topic);
    if (state === null) return;
    const branch = state[1] as string;
    const presence = presenceSchema.safeParse(parseJson(text));
    if (!presence.success) {
      log.warn("bad presence message", { code: "HQ.BAD_PRESENCE", branch });
      return;
    }
    const { epoch } = presence.data;
    // One after another, as they came: a birth and the Will of the same epoch must not swap.
    presenceTurn = presenceTurn
      .then(() => store.presence(branch, presence.data, now()))
      .then(
        (result) => {
          if (result === "stale")
            log.info("stale presence ignored", { code: "HQ.STALE_PRESENCE", branch, epoch });
          else options.onPresence?.(branch, presence.data);
        },
        (error: unknown) => log.error("message handling failed", { code: "HQ.HANDLER_FAILED", topic, error }),
      );
  }

  const pollMs = Math.min(100, Math.max(10, Math.floor(config.hq.reorder_timeout_ms / 20)));
  let ticking = false;
  const ticker = setInterval(() => {
    if (ticking) return;
    ticking = true;
    applier
      .tick()
      .catch((error: unknown) => log.error("reorder tick failed", { code: "HQ.HANDLER_FAILED", error }))
      .finally(() => {
        ticking = false;
      });
  }, pollMs);

  link.start();
  return {
    applier,
    connected: () => client.connected,
    get reconnects() {
      return reconnects;
    },
    publishDown: (topic, payload) =>
      client.connected
        ? client.publishAsync(topic, payload, { qos: 1 }).then(() => undefined)
        : Promise.reject(new Error("not connected to the broker")),
    stop: () =>
      link.stop(async () => {
        clearInterval(ticker);
        await flush();
        await applier.settled();
        await presenceTurn;
        if (client.connected) {
          await new Promise<void>((resolve) =>
            client.publish(topics.hqState, online(false), { qos: 1, retain: true }, () => resolve()),
          );
        }
        // mqtt.js's end() waits for every QoS 1 message in flight, and after a reconnect one it
        // replays from its store may never be acknowledged: wait a little, then close regardless
        // (the Will says the same as the message above).
        const deadline = Date.now() + 1000;
        while (Object.keys(client.outgoing).length > 0 && client.connected && Date.now() < deadline)
          await Bun.sleep(20);
        await client.endAsync(Object.keys(client.outgoing).length > 0);
      }),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
