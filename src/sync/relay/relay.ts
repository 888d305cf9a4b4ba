import type { MqttClient } from "mqtt";
import { DOWN_STREAMS, type DownStream, topics, UP_STREAMS, type UpStream } from "../../contract/protocol.ts";
import { createLinkMachine, type LinkState } from "../../lib/link-state.ts";
import { connectMqtt } from "../../lib/mqtt-transport.ts";
import { outboxStore } from "../../store/outbox-store.ts";
import { storageFaults } from "../../store/storage-faults.ts";
import { AckCoalescer } from "./ack-coalescer.ts";
import { connectOptions, safeUrl } from "./connect-options.ts";
import { parseAck, parseHqOnline, parsePresence } from "./inbound.ts";
import {
  DEFAULT_TUNING,
  type Relay,
  type RelayOptions,
  type RelayState,
  type RelayStatus,
  type StreamStatus,
} from "./relay-types.ts";
import { StreamCursor } from "./stream-cursor.ts";

/**
 * One MQTT connection at a time, each with its own epoch, on the shared link state machine
 * (src/lib/link-state.ts); its status shows `stopping` as `stopped`:
 *
 *   stopped ─start()─► connecting ─CONNACK─► connected ─close─► backing-off ─timer─► connecting …
 *   (empty url: disabled)      └──error/close──► backing-off
 *
 * In `connected`: subscribe to our ack topic and the HQ state (and, with `inbound`, our down
 * streams), publish the retained birth, then pump envelopes per stream while HQ is online, window
 * by window, on wake(), on every PUBACK and on the poll timer.
 *
 * Down messages are handed to `inbound` from mqtt.js's `customHandleAcks` hook, which sends the
 * PUBACK only when we call back: after the inbox's commit (reason 0), or for bad input with
 * reason 0x99 "payload format invalid" (redelivery would not fix it). When the store failed we
 * call back with an error: no PUBACK, and the broker delivers the message again on the next
 * connect of our persistent session.
 */
/** MQTT 5 PUBACK reason 0x99: the message was received and will not be processed. */
const PAYLOAD_FORMAT_INVALID = 0x99;

export function createRelay(options: RelayOptions): Relay {
  const { branch, config, now } = options;
  const tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const log = options.log.child({ part: "sync", branch });
  const outbox = outboxStore(options.db);
  const faults = options.storageFaults ?? storageFaults;
  const acks = new AckCoalescer(outbox, tuning.ackFlushMs, log, faults);
  const ackTopic = topics.ack(branch);
  const inbound = options.inbound;
  const downTopics = new Map<string, DownStream>(DOWN_STREAMS.map((s) => [topics.down(branch, s), s]));
  const stateTopic = topics.state(branch);
  const subscriptions = [
    ackTopic,
    topics.hqState,
    stateTopic,
    ...(inbound === undefined ? [] : downTopics.keys()),
  ];

  let since = now();
  let client: MqttClient | undefined;
  let generation = 0;
  let epoch = 0;
  let connectedAt = 0;
  let hqOnline = false;
  let cursors: Map<UpStream, StreamCursor> | undefined;
  let reconnects = 0;
  let badAcks = 0;
  let envelopesSent = 0;
  let lastError: string | null = null;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let pumpQueued = false;
  let builtSinceGc = 0;

  const connect = () => {
    const gen = ++generation;
    // Connect only under an epoch that is on disk: one used and then lost in a restart would be
    // handed out again, and HQ would take the new connection's birth for a stale one.
    try {
      epoch = outbox.nextEpoch();
    } catch (error) {
      const storage = faults.failed("sync.epoch", error, log);
      if (storage === null) throw error;
      lastError = storage.message;
      scheduleReconnect(gen);
      return;
    }
    faults.worked("sync.epoch", log);
    let c: MqttClient;
    try {
      c = connectMqtt(config.url, {
        ...connectOptions(config, branch, epoch, tuning, inbound !== undefined),
        customHandleAcks: (topic, message, _packet, done) => done(onDownMessage(topic, message)),
      });
    } catch (error) {
      lastError = String(error);
      log.error("cannot connect to the HQ broker", { code: "SYNC.CONNECT_FAILED", error: lastError });
      scheduleReconnect(gen);
      return;
    }
    client = c;
    c.on("connect", () => gen === generation && onConnect(c, gen));
    c.on("message", (topic, payload) => gen === generation && onMessage(topic, payload));
    c.on("error", (error) => {
      if (gen === generation) lastError = error.message;
    });
    c.on("close", () => scheduleReconnect(gen));
  };

  /** This connection is gone (stop() moved `generation` on: then nothing is left to do). */
  const scheduleReconnect = (gen: number) => {
    if (gen !== generation || link.state === "backing-off") return;
    const wasConnected = link.state === "connected";
    cursors = undefined;
    hqOnline = false;
    acks.flush();
    client?.removeAllListeners("connect");
    client?.end(true);
    client = undefined;
    if (wasConnected && now() - connectedAt >= tuning.healthyAfterMs) link.healthy();
    reconnects++;
    const delay = link.down(lastError);
    log.warn("HQ broker link down", { code: "SYNC.LINK_DOWN", epoch, retryInMs: delay, error: lastError });
  };

  const onConnect = (c: MqttClient, gen: number) => {
    connectedAt = now();
    hqOnline = false;
    cursors = new Map(UP_STREAMS.map((s) => [s, new StreamCursor(s, outbox, acks, connectedAt)]));
    link.up();
    const backlog = [...cursors.values()].reduce((n, cursor) => n + cursor.backlog, 0);
    log.info("HQ broker link up", { url: safeUrl(config.url), epoch, backlog });
    c.subscribe(subscriptions, { qos: 1 }, (error, granted) => {
      if (gen !== generation) return;
      const refused = (granted ?? []).filter((g) => g.qos > 2).map((g) => g.topic);
      if (error || refused.length > 0) {
        lastError = error?.message ?? `subscription refused: ${refused.join(", ")}`;
        log.error("HQ broker refused our subscriptions", {
          code: "SYNC.SUBSCRIBE_REFUSED",
          error: lastError,
        });
      }
    });
    publishBirth(c, gen, backlog);
  };

  const publishBirth = (c: MqttClient, gen: number, backlog: number) => {
    const birth = JSON.stringify({ online: true, epoch, version: options.version, backlog });
    c.publish(stateTopic, birth, { qos: 1, retain: true }, (error) => {
      if (error && gen === generation)
        log.warn("birth message not accepted", { code: "SYNC.BIRTH_FAILED", error: error.message });
    });
  };

  const onMessage = (topic: string, payload: Buffer) => {
    if (topic === stateTopic) {
      // An old connection's Last Will can land after this connection's birth and replace the
      // retained state: while this link lives, "offline" there is wrong, so say "online" again.
      const said = parsePresence(payload);
      if (
        link.state === "connected" &&
        client !== undefined &&
        (said === null || !said.online || said.epoch < epoch)
      ) {
        log.info("stale presence on our state topic: birth again", { code: "SYNC.STALE_WILL", epoch });
        publishBirth(
          client,
          generation,
          [...(cursors?.values() ?? [])].reduce((n, c) => n + c.backlog, 0),
        );
      }
      return;
    }
    if (topic === topics.hqState) {
      const parsed = parseHqOnline(payload);
      if (!parsed.ok) log.warn("unreadable HQ state", { code: "SYNC.BAD_HQ_STATE", reason: parsed.reason });
      const online = parsed.ok && parsed.value;
      if (online && !hqOnline) {
        // HQ (re)started: whatever was sent while it was away may have reached nobody.
        for (const cursor of cursors?.values() ?? []) cursor.rewind(0, now());
        log.info("HQ online: sending", { epoch });
      } else if (!online && hqOnline) {
        log.info("HQ offline: holding the backlog", { epoch });
      }
      hqOnline = online;
      pump();
      return;
    }
    if (topic !== ackTopic) return;
    const parsed = parseAck(payload);
    if (!parsed.ok) return badAck(parsed.reason);
    const cursor = cursors?.get(parsed.value.stream);
    if (cursor === undefined) return;
    const before = cursor.ackedThrough;
    if (!cursor.acknowledge(parsed.value.through, now()))
      return badAck(`through ${parsed.value.through} is beyond the last record`);
    // HQ committed what this link carried: broker, HQ and the path between work. A link that
    // dies young after that (a flapping broker) retries soon instead of after a grown backoff.
    if (cursor.ackedThrough > before) link.healthy();
    if (parsed.value.replay) {
      cursor.rewind(parsed.value.through + 1, now());
      log.info("HQ asked for a replay", { stream: cursor.stream, from: parsed.value.through + 1 });
    }
    pump();
  };

  /** The PUBACK decision for one incoming QoS 1 message: a reason code, or an error (no PUBACK). */
  const onDownMessage = (topic: string, message: Buffer): number | Error => {
    const stream = downTopics.get(topic);
    if (inbound === undefined || stream === undefined) return 0;
    const outcome = inbound.handle(stream, message);
    if (outcome.kind === "failed") return new Error(`down message not committed: ${outcome.reason}`);
    return outcome.kind === "rejected" ? PAYLOAD_FORMAT_INVALID : 0;
  };

  const badAck = (reason: string) => {
    badAcks++;
    log.warn("bad ack from HQ ignored", { code: "SYNC.BAD_ACK", reason, badAcks });
  };

  const pump = () => {
    const c = client;
    if (link.state !== "connected" || !hqOnline || cursors === undefined || c === undefined) return;
    const gen = generation;
    const t = now();
    for (const cursor of cursors.values()) {
      while (cursor.inflight < tuning.window) {
        const envelope = cursor.next({ branch, epoch }, tuning, t);
        if (envelope === null) break;
        cursor.inflight++;
        envelopesSent++;
        builtSinceGc += envelope.payload.byteLength;
        c.publish(topics.up(branch, cursor.stream), envelope.payload, { qos: 1 }, (error) => {
          if (gen !== generation) return;
          cursor.inflight--;
          if (error)
            log.warn("envelope refused by the broker", {
              code: "SYNC.PUBLISH_REFUSED",
              error: error.message,
            });
          wake();
        });
      }
    }
    if (tuning.gcEveryBytes > 0 && builtSinceGc >= tuning.gcEveryBytes) {
      builtSinceGc = 0;
      Bun.gc(true);
    }
  };

  const wake = () => {
    if (pumpQueued) return;
    pumpQueued = true;
    queueMicrotask(() => {
      pumpQueued = false;
      pump();
    });
  };

  const poll = () => {
    if (link.state === "connected" && hqOnline) {
      const t = now();
      for (const cursor of cursors?.values() ?? []) {
        if (cursor.outstanding && cursor.inflight === 0 && t - cursor.lastProgressAt > tuning.ackTimeoutMs) {
          log.warn("no ack from HQ in time: sending again", {
            code: "SYNC.ACK_TIMEOUT",
            stream: cursor.stream,
            from: cursor.ackedThrough + 1,
          });
          cursor.rewind(cursor.ackedThrough + 1, t);
        }
      }
    }
    pump();
  };

  // The backlog is counted in the outbox itself: a cursor learns of new rows only when it sends,
  // and while HQ is offline (when branch IT looks) it sends nothing. Acks not yet written there
  // are taken off.
  const streamStatus = (stream: UpStream): StreamStatus => {
    const cursor = cursors?.get(stream);
    if (cursor !== undefined)
      return {
        backlog: Math.max(0, (outbox.backlog()[stream] ?? 0) - acks.unwritten(stream)),
        ackedThrough: cursor.ackedThrough,
        sentThrough: cursor.sentThrough,
        inflight: cursor.inflight,
      };
    return {
      backlog: outbox.backlog()[stream] ?? 0,
      ackedThrough: outbox.ackedThrough(stream),
      sentThrough: 0,
      inflight: 0,
    };
  };

  const link = createLinkMachine<string | null>({
    backoff: { baseMs: tuning.backoffBaseMs, capMs: tuning.backoffCapMs },
    random: options.random ?? Math.random,
    connect,
  });
  const shown = (s: LinkState): RelayState =>
    config.url === "" ? "disabled" : s === "stopping" ? "stopped" : s;
  link.onChange(({ from, to }) => {
    if (shown(from) !== shown(to)) since = now();
  });

  return {
    start() {
      if (config.url === "" || link.state !== "stopped") return;
      pollTimer = setInterval(poll, tuning.pollMs);
      link.start();
    },
    stop: () =>
      link.stop(async (from) => {
        const c = client;
        const wasConnected = from === "connected";
        generation++;
        clearInterval(pollTimer);
        cursors = undefined;
        client = undefined;
        acks.close();
        if (c === undefined) return;
        if (wasConnected) {
          // A clean disconnect does not fire the Last Will: say it ourselves, retained.
          const offline = JSON.stringify({ online: false, epoch });
          await Promise.race([
            c.publishAsync(topics.state(branch), offline, { qos: 1, retain: true }).catch(() => undefined),
            new Promise((r) => setTimeout(r, 2000)),
          ]);
        }
        await Promise.race([
          c.endAsync(!wasConnected).catch(() => undefined),
          new Promise((r) => setTimeout(r, 2000)),
        ]);
        c.end(true);
        log.info("HQ relay stopped", { epoch });
      }),
    status(): RelayStatus {
      return {
        state: shown(link.state),
        since,
        epoch,
        hqOnline,
        reconnects,
        badAcks,
        envelopesSent,
        lastError,
        streams: Object.fromEntries(UP_STREAMS.map((s) => [s, streamStatus(s)])) as Record<
          UpStream,
          StreamStatus
        >,
      };
    },
    wake,
  };
}
