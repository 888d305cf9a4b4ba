// A test-side publisher that plays a branch towards the HQ consumer the way the relay does:
// envelopes on `up/{stream}` at QoS 1 within a window, rows "deleted" only on HQ's cumulative
// down/ack, unacknowledged ranges resent after a silence, and `replay: true` honoured at once.
import mqtt, { type MqttClient } from "mqtt";
import { ackSchema, topics } from "../../src/contract/protocol.ts";
import { envelope } from "./hq-fixtures.ts";

export interface BranchSimOptions {
  url: string;
  branch: string;
  stream: string;
  /** Records per envelope. */
  batch: number;
  /** Envelopes sent but not acknowledged, at most. */
  window: number;
  /** No ack progress for this long: send again from acked + 1. */
  resendAfterMs: number;
  /** The first send of the envelope starting at this seq is "lost" (never published). */
  loseOnce?: number;
}

export interface BranchSim {
  /** Makes `n` more records available (as the branch's outbox grows). */
  produce(n: number): void;
  readonly acked: number;
  readonly produced: number;
  readonly published: number;
  readonly replays: number;
  /** Resolves when HQ has acknowledged every produced record. */
  drained(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startBranchSim(options: BranchSimOptions): Promise<BranchSim> {
  const client: MqttClient = await mqtt.connectAsync(options.url, {
    protocolVersion: 5,
    clientId: `sim-${options.branch}-${options.stream}-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 200,
  });
  let produced = 0;
  let acked = 0;
  let sentThrough = 0;
  let published = 0;
  let replays = 0;
  let lastProgress = Date.now();
  let lost = options.loseOnce === undefined;

  await client.subscribeAsync(topics.ack(options.branch), { qos: 1 });
  client.on("message", (_topic, payload) => {
    const ack = ackSchema.safeParse(JSON.parse(payload.toString()));
    if (!ack.success || ack.data.stream !== options.stream) return;
    if (ack.data.through > acked) {
      acked = ack.data.through;
      lastProgress = Date.now();
    }
    if (ack.data.replay) {
      replays++;
      sentThrough = Math.min(sentThrough, ack.data.through);
      lastProgress = Date.now();
    }
    sentThrough = Math.max(sentThrough, acked);
    pump();
  });

  function pump(): void {
    if (!client.connected) return;
    while (sentThrough < produced && sentThrough - acked < options.window * options.batch) {
      const from = sentThrough + 1;
      const to = Math.min(produced, from + options.batch - 1);
      sentThrough = to;
      if (!lost && from === options.loseOnce) {
        lost = true;
        continue;
      }
      published++;
      client.publish(
        topics.up(options.branch, options.stream),
        JSON.stringify(envelope(options.branch, options.stream, from, to)),
        {
          qos: 1,
        },
      );
    }
  }

  const timer = setInterval(() => {
    if (acked < sentThrough && Date.now() - lastProgress > options.resendAfterMs) {
      sentThrough = acked;
      lastProgress = Date.now();
    }
    pump();
  }, 20);

  return {
    produce(n) {
      produced += n;
      pump();
    },
    get acked() {
      return acked;
    },
    get produced() {
      return produced;
    },
    get published() {
      return published;
    },
    get replays() {
      return replays;
    },
    async drained(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (acked < produced) {
        if (Date.now() > deadline)
          throw new Error(
            `${options.branch}/${options.stream}: acked ${acked} of ${produced} in ${timeoutMs} ms`,
          );
        await Bun.sleep(20);
      }
    },
    async close() {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}
