// Headquarters played by a test: a plain mqtt.js client on the real broker. It checks every
// envelope against the protocol schema, applies records per (branch, stream) in seq order (a
// gap is held until it fills), counts duplicates, and publishes HQ's cumulative ack — or not.
import mqtt, { type MqttClient } from "mqtt";
import { type Envelope, envelopeSchema, type SyncRecord, topics } from "../../src/contract/protocol.ts";

export type TestHqOptions = {
  /** "cumulative": ack after applying (default); "never": an HQ that receives and never acks. */
  ack?: "cumulative" | "never";
  /** Publish the retained `{online: true}` on connect (default true). */
  online?: boolean;
  clientOptions?: mqtt.IClientOptions;
};

export type TestHq = {
  readonly client: MqttClient;
  /** Every envelope received, in arrival order. */
  readonly envelopes: Envelope[];
  /** Records applied per `branch/stream`, in seq order, each once. */
  applied(branch: string, stream: string): SyncRecord[];
  duplicates(branch: string, stream: string): number;
  /** Envelopes that failed the schema: must stay 0. */
  readonly invalid: unknown[];
  setOnline(online: boolean): Promise<void>;
  sendAck(branch: string, payload: unknown): Promise<void>;
  sendRaw(branch: string, payload: string): Promise<void>;
  /** Publishes on `branchbox/v1/{branch}/down/{stream}` at QoS 1: an envelope, or a raw string as it is. */
  sendDown(branch: string, stream: string, envelope: Envelope | string): Promise<void>;
  /** Resolves when `count` records of `branch/stream` are applied, or rejects after `timeoutMs`. */
  waitApplied(branch: string, stream: string, count: number, timeoutMs?: number): Promise<void>;
  /** Re-connects after a broker restart (a clean start: subscribes again and republishes its state). */
  reconnect(): Promise<void>;
  close(): Promise<void>;
};

export async function startTestHq(url: string, options: TestHqOptions = {}): Promise<TestHq> {
  const envelopes: Envelope[] = [];
  const invalid: unknown[] = [];
  const applied = new Map<string, SyncRecord[]>();
  const dups = new Map<string, number>();
  const held = new Map<string, Envelope[]>();
  let online = options.online ?? true;

  const connect = async () => {
    const c = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: `test-hq-${Math.random().toString(16).slice(2)}`,
      reconnectPeriod: 0,
      connectTimeout: 3000,
      ...options.clientOptions,
    });
    // Acks go back on the connection the envelope came on: during reconnect() `client` is still
    // the old, ended one while the new one already receives. An ended one may still hand over
    // packets it had parsed: those are not ours to ack any more.
    c.on("message", (_topic, payload) => {
      if (!c.disconnecting) onMessage(c, payload);
    });
    await c.subscribeAsync("branchbox/v1/+/up/#", { qos: 1 });
    await c.publishAsync(topics.hqState, JSON.stringify({ online }), { qos: 1, retain: true });
    return c;
  };

  const key = (branch: string, stream: string) => `${branch}/${stream}`;
  const list = (k: string) => {
    const l = applied.get(k) ?? [];
    applied.set(k, l);
    return l;
  };

  const apply = (e: Envelope): boolean => {
    const k = key(e.branch, e.stream);
    const done = list(k);
    const hwm = done.at(-1)?.seq ?? 0;
    if (e.seqFrom > hwm + 1) return false;
    for (const r of e.records) {
      if (r.seq <= hwm) dups.set(k, (dups.get(k) ?? 0) + 1);
      else done.push(r);
    }
    return true;
  };

  const onMessage = (via: MqttClient, payload: Buffer) => {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString("utf8"));
    } catch {
      invalid.push(payload.toString("utf8"));
      return;
    }
    const parsed = envelopeSchema.safeParse(json);
    if (!parsed.success) {
      invalid.push(json);
      return;
    }
    const e = parsed.data;
    envelopes.push(e);
    const k = key(e.branch, e.stream);
    const waiting = held.get(k) ?? [];
    waiting.push(e);
    // Apply whatever now connects to the high-water mark; keep the rest for later.
    let progress = true;
    while (progress) {
      progress = false;
      for (let i = 0; i < waiting.length; i++) {
        const w = waiting[i];
        if (w !== undefined && apply(w)) {
          waiting.splice(i, 1);
          progress = true;
          break;
        }
      }
    }
    held.set(k, waiting);
    if ((options.ack ?? "cumulative") === "cumulative") {
      const through = list(k).at(-1)?.seq ?? 0;
      via.publish(topics.ack(e.branch), JSON.stringify({ v: 1, stream: e.stream, through }), { qos: 1 });
    }
  };

  let client = await connect();
  return {
    get client() {
      return client;
    },
    envelopes,
    invalid,
    applied: (branch, stream) => list(key(branch, stream)),
    duplicates: (branch, stream) => dups.get(key(branch, stream)) ?? 0,
    async setOnline(value) {
      online = value;
      await client.publishAsync(topics.hqState, JSON.stringify({ online }), { qos: 1, retain: true });
    },
    async sendAck(branch, payload) {
      await client.publishAsync(topics.ack(branch), JSON.stringify(payload), { qos: 1 });
    },
    async sendRaw(branch, payload) {
      await client.publishAsync(topics.ack(branch), payload, { qos: 1 });
    },
    async sendDown(branch, stream, envelope) {
      const payload = typeof envelope === "string" ? envelope : JSON.stringify(envelope);
      await client.publishAsync(topics.down(branch, stream), payload, { qos: 1 });
    },
    async waitApplied(branch, stream, count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (list(key(branch, stream)).length < count) {
        if (Date.now() > deadline)
          throw new Error(
            `HQ has ${list(key(branch, stream)).length} of ${count} records of ${branch}/${stream}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async reconnect() {
      client.end(true);
      client = await connect();
    },
    async close() {
      await client.endAsync(true);
    },
  };
}

/** Polls `check` until it is true, or throws with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
