/**
 * A SIP notifier at the wire, for what a real Kamailio cannot be made to do on cue: send a hostile
 * dialog-info body, or watch how the subscriber answers each NOTIFY. A Bun WebSocket server with
 * the `sip` subprotocol (RFC 7118) on a free loopback port: it accepts every SUBSCRIBE (200, one
 * dialog per subscription) and sends the NOTIFYs a test asks for; the subscriber's answers to them
 * are kept by CSeq.
 */
export interface FakeNotifier {
  readonly wsUrl: string;
  /** Resolves with the subscription of `extension` once its SUBSCRIBE came. */
  subscribed(extension: string, timeoutMs?: number): Promise<void>;
  /** Sends a NOTIFY on `extension`'s subscription; resolves with the status the subscriber answered. */
  notify(extension: string, body: string, timeoutMs?: number): Promise<number>;
  /** Closes every WebSocket (the server stays: the subscriber reconnects). */
  dropConnections(): void;
  /** While frozen, nothing is answered and sockets stay open: a server gone quiet behind them. */
  freeze(frozen: boolean): void;
  /** While offline, every WebSocket is closed and every new one refused (503): a server that is down. */
  offline(down: boolean): void;
  /** Every WebSocket upgrade asked for: when (performance.now()), and whether it was refused (offline). */
  readonly attempts: readonly { readonly at: number; readonly refused: boolean }[];
  /** WebSocket connections accepted so far. */
  readonly connections: number;
  /** WebSocket connections open now. */
  readonly open: number;
  readonly subscribes: number;
  /** OPTIONS pings answered so far (a frozen notifier answers none). */
  readonly optionsAnswered: number;
  /** SUBSCRIBEs for extensions in `refuse` answered 404, so far. */
  readonly refusals: number;
  stop(): void;
}

interface Subscription {
  readonly ws: Bun.ServerWebSocket<unknown>;
  readonly callId: string;
  readonly fromHeader: string;
  readonly toHeader: string;
  readonly contact: string;
  cseq: number;
}

function parse(text: string): { start: string; headers: Map<string, string> } {
  const head = text.split("\r\n\r\n")[0] ?? "";
  const [start = "", ...lines] = head.split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const cut = line.indexOf(":");
    if (cut > 0) headers.set(line.slice(0, cut).trim().toLowerCase(), line.slice(cut + 1).trim());
  }
  return { start, headers };
}

export interface FakeNotifierOptions {
  /** SUBSCRIBEs for these extensions are answered 404. */
  readonly refuse?: readonly string[];
  /**
   * Called once a new subscription is accepted, as a server then sends its first NOTIFY (the full
   * state, RFC 6665 §4.2.1): the hook may send it with `notify`.
   */
  readonly onSubscribe?: (extension: string) => void;
}

export function startFakeNotifier(options: FakeNotifierOptions = {}): FakeNotifier {
  const refuse = new Set(options.refuse ?? []);
  let refusals = 0;
  const subscriptions = new Map<string, Subscription>();
  const answers = new Map<string, (status: number) => void>();
  const sockets = new Set<Bun.ServerWebSocket<unknown>>();
  let subscribes = 0;
  let frozen = false;
  let optionsAnswered = 0;
  let down = false;
  let connections = 0;
  const attempts: { at: number; refused: boolean }[] = [];
  let tags = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      attempts.push({ at: performance.now(), refused: down });
      if (down) return new Response("down", { status: 503 });
      return srv.upgrade(req, { headers: { "Sec-WebSocket-Protocol": "sip" } })
        ? undefined
        : new Response("no", { status: 400 });
    },
    websocket: {
      open: (ws) => {
        connections++;
        sockets.add(ws);
      },
      close: (ws) => void sockets.delete(ws),
      message(ws, data) {
        if (frozen) return;
        const text = String(data);
        const { start, headers } = parse(text);
        const h = (name: string) => headers.get(name) ?? "";
        if (start.startsWith("SIP/2.0 ")) {
          answers.get(`${h("call-id")} ${h("cseq")}`)?.(Number(start.split(" ")[1]));
          return;
        }
        const method = start.split(" ")[0];
        if (method !== "SUBSCRIBE") {
          if (method === "OPTIONS") optionsAnswered++;
          ws.send(
            `SIP/2.0 200 OK\r\nVia: ${h("via")}\r\nFrom: ${h("from")}\r\nTo: ${h("to")}\r\nCall-ID: ${h("call-id")}\r\nCSeq: ${h("cseq")}\r\nContent-Length: 0\r\n\r\n`,
          );
          return;
        }
        subscribes++;
        const target = /sip:([^@]+)@/.exec(h("to"))?.[1] ?? "";
        if (refuse.has(target)) {
          refusals++;
          ws.send(
            `SIP/2.0 404 Not Found\r\nVia: ${h("via")}\r\nFrom: ${h("from")}\r\nTo: ${h("to")};tag=nobody\r\nCall-ID: ${h("call-id")}\r\nCSeq: ${h("cseq")}\r\nContent-Length: 0\r\n\r\n`,
          );
          return;
        }
        const known = [...subscriptions.values()].find((s) => s.callId === h("call-id"));
        const to = known?.fromHeader ?? `${h("to")};tag=fake${++tags}`;
        const extension = /sip:([^@]+)@/.exec(h("to"))?.[1] ?? "";
        const contact = /<([^>]+)>/.exec(h("contact"))?.[1] ?? "";
        ws.send(
          `SIP/2.0 200 OK\r\nVia: ${h("via")}\r\nFrom: ${h("from")}\r\nTo: ${to}\r\nCall-ID: ${h("call-id")}\r\nCSeq: ${h("cseq")}\r\n` +
            `Contact: <sip:notifier@127.0.0.1;transport=ws>\r\nExpires: ${h("expires") || "600"}\r\nContent-Length: 0\r\n\r\n`,
        );
        if (known === undefined) {
          subscriptions.set(extension, {
            ws,
            callId: h("call-id"),
            fromHeader: to,
            toHeader: h("from"),
            contact,
            cseq: 0,
          });
          options.onSubscribe?.(extension);
        }
      },
    },
  });
  const wait = async (what: string, probe: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`fake notifier: ${what} not within ${timeoutMs} ms`);
      await Bun.sleep(10);
    }
  };
  return {
    wsUrl: `ws://127.0.0.1:${server.port}`,
    get subscribes() {
      return subscribes;
    },
    get optionsAnswered() {
      return optionsAnswered;
    },
    get refusals() {
      return refusals;
    },
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    attempts,
    subscribed: (extension, timeoutMs = 5000) =>
      wait(`SUBSCRIBE for ${extension}`, () => subscriptions.has(extension), timeoutMs),
    async notify(extension, body, timeoutMs = 5000) {
      const sub = subscriptions.get(extension);
      if (sub === undefined) throw new Error(`fake notifier: no subscription for ${extension}`);
      sub.cseq++;
      const cseq = `${sub.cseq} NOTIFY`;
      const answered = new Promise<number>((resolve, reject) => {
        answers.set(`${sub.callId} ${cseq}`, resolve);
        setTimeout(() => reject(new Error(`fake notifier: NOTIFY ${cseq} unanswered`)), timeoutMs);
      });
      const length = Buffer.byteLength(body);
      sub.ws.send(
        `NOTIFY ${sub.contact} SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1;branch=z9hG4bK${crypto.randomUUID()}\r\n` +
          `Max-Forwards: 70\r\nFrom: ${sub.fromHeader}\r\nTo: ${sub.toHeader}\r\nCall-ID: ${sub.callId}\r\nCSeq: ${cseq}\r\n` +
          `Contact: <sip:notifier@127.0.0.1;transport=ws>\r\nEvent: dialog\r\nSubscription-State: active;expires=600\r\n` +
          `${length > 0 ? "Content-Type: application/dialog-info+xml\r\n" : ""}Content-Length: ${length}\r\n\r\n${body}`,
      );
      return answered;
    },
    freeze(on) {
      frozen = on;
      subscriptions.clear();
    },
    offline(on) {
      down = on;
      if (!on) return;
      subscriptions.clear();
      for (const ws of sockets) ws.close();
    },
    dropConnections() {
      subscriptions.clear();
      for (const ws of sockets) ws.close();
    },
    stop: () => void server.stop(true),
  };
}
