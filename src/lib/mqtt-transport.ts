import { Duplex } from "node:stream";
import type { Socket } from "bun";
import { type IClientOptions, MqttClient } from "mqtt";

/**
 * An MQTT client (mqtt.js) whose byte stream is a Bun socket (`Bun.connect`), for `mqtt://` and
 * `mqtts://` broker URLs. Two reasons:
 * - memory: mqtt.js over node:net grew the relay's RSS by ~100 MB while it drained a backlog in
 *   256 KiB envelopes (publishing one prebuilt 256 KiB buffer 1,000 times: +81 MB through
 *   mqtt.js on node:net, +4 MB through Bun.connect). Bun's socket writes without a queue of its
 *   own: what the kernel does not take now stays in the one chunk we hold, and mqtt.js's writes
 *   wait on our callback (stream back-pressure) instead of piling up.
 * - mqtt.js parses a URL string with the deprecated `url.parse()` (DEP0169 on every start);
 *   here it gets parsed options and a stream builder, and never sees the URL.
 *
 * The client behaves as `mqtt.connect(url, options)` would: same options, same events, and
 * `reconnect()` opens a new socket through the same builder.
 */
export function connectMqtt(url: string, options: IClientOptions): MqttClient {
  const broker = parseBrokerUrl(url);
  const tls = broker.tls
    ? {
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
        serverName: broker.host,
        rejectUnauthorized: options.rejectUnauthorized !== false,
      }
    : undefined;
  const { ca: _ca, cert: _cert, key: _key, ...rest } = options;
  const client = new MqttClient(() => new SocketStream(broker.host, broker.port, tls), {
    ...rest,
    ...(options.username === undefined && broker.username !== undefined ? { username: broker.username } : {}),
    ...(options.password === undefined && broker.password !== undefined ? { password: broker.password } : {}),
  });
  // As mqtt.connect does: an error with no listener yet must not throw (callers listen for it).
  client.on("error", () => undefined);
  return client;
}

/** `connectMqtt`, resolved on CONNACK; rejected (and closed) on the first error or close. */
export function connectMqttAsync(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connectMqtt(url, { ...options, reconnectPeriod: 0 });
    const fail = (error: Error) => {
      client.removeListener("connect", ok);
      client.end(true);
      reject(error);
    };
    const closed = () => fail(new Error("the broker closed the connection"));
    const ok = () => {
      client.removeListener("error", fail);
      client.removeListener("close", closed);
      resolve(client);
    };
    client.once("connect", ok);
    client.once("error", fail);
    client.once("close", closed);
  });
}

export interface BrokerAddress {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

const SCHEMES: Record<string, { tls: boolean; port: number }> = {
  "mqtt:": { tls: false, port: 1883 },
  "tcp:": { tls: false, port: 1883 },
  "mqtts:": { tls: true, port: 8883 },
  "ssl:": { tls: true, port: 8883 },
  "tls:": { tls: true, port: 8883 },
};

/** `mqtt://host[:port]` or `mqtts://…` (user info allowed); throws, naming what is wrong, on anything else. */
export function parseBrokerUrl(url: string): BrokerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("the broker URL is not a URL (expected mqtts://host:8883 or mqtt://host:1883)");
  }
  const scheme = SCHEMES[parsed.protocol];
  if (scheme === undefined)
    throw new Error(`the broker URL's scheme ${parsed.protocol} is not supported (mqtt: or mqtts:)`);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (host === "") throw new Error("the broker URL has no host");
  return {
    tls: scheme.tls,
    host,
    port: parsed.port === "" ? scheme.port : Number(parsed.port),
    ...(parsed.username === "" ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === "" ? {} : { password: decodeURIComponent(parsed.password) }),
  };
}

type TlsFiles = {
  ca?: IClientOptions["ca"];
  cert?: IClientOptions["cert"];
  key?: IClientOptions["key"];
  serverName: string;
  rejectUnauthorized: boolean;
};

type Done = (error?: Error | null) => void;

/**
 * A Duplex over one Bun socket. Writes: each chunk goes to the kernel at once; what it does not
 * take waits (this one chunk, not a copy) for the socket's drain, and the write's callback (so
 * the next write) waits with it. Reads: every data chunk is pushed as it comes.
 */
class SocketStream extends Duplex {
  private link: Socket | undefined;
  private pending: { chunk: Uint8Array; offset: number; done: Done } | undefined;

  constructor(host: string, port: number, tls: TlsFiles | undefined) {
    super();
    Bun.connect({
      hostname: host,
      port,
      ...(tls === undefined ? {} : { tls }),
      socket: {
        open: (socket) => {
          if (this.destroyed) {
            socket.terminate();
            return;
          }
          this.link = socket;
          this.flush();
        },
        data: (_socket, data) => {
          this.push(data);
        },
        drain: () => this.flush(),
        end: () => {
          this.push(null);
        },
        close: (_socket, error) => {
          this.link = undefined;
          this.destroy(error);
        },
        error: (_socket, error) => {
          this.destroy(error);
        },
        connectError: (_socket, error) => {
          this.destroy(error);
        },
      },
    }).catch((error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))));
  }

  override _read(): void {
    // Data is pushed as it arrives.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: Done): void {
    this.send(chunk, done);
  }

  /** mqtt.js corks each packet: its small pieces go as one write, a large payload on its own. */
  override _writev(chunks: { chunk: Buffer }[], done: Done): void {
    const parts: Uint8Array[] = [];
    let small: Buffer[] = [];
    for (const { chunk } of chunks) {
      if (chunk.byteLength <= SMALL) {
        small.push(chunk);
        continue;
      }
      if (small.length > 0) parts.push(Buffer.concat(small));
      small = [];
      parts.push(chunk);
    }
    if (small.length > 0) parts.push(Buffer.concat(small));
    const next = (i: number) => (error?: Error | null) => {
      if (error || i === parts.length) done(error);
      else this.send(parts[i] as Uint8Array, next(i + 1));
    };
    next(0)();
  }

  override _final(done: Done): void {
    this.link?.end();
    done();
  }

  override _destroy(error: Error | null, done: Done): void {
    this.pending = undefined;
    this.link?.terminate();
    this.link = undefined;
    done(error);
  }

  private send(chunk: Uint8Array, done: Done): void {
    this.pending = { chunk, offset: 0, done };
    this.flush();
  }

  private flush(): void {
    const p = this.pending;
    const socket = this.link;
    if (p === undefined || socket === undefined) return;
    while (p.offset < p.chunk.byteLength) {
      // The length too: left out, Bun takes the whole buffer's length from the offset on.
      const wrote = socket.write(p.chunk, p.offset, p.chunk.byteLength - p.offset);
      if (wrote < 0) {
        this.destroy(new Error("write on a closed socket"));
        return;
      }
      if (wrote === 0) return; // the kernel's buffer is full: drain() calls us again
      p.offset += wrote;
    }
    this.pending = undefined;
    p.done();
  }
}

/** Pieces up to this size are copied into one write; bigger ones are written as they are. */
const SMALL = 16 * 1024;
