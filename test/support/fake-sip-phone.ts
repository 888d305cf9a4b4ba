/**
 * A SIP server and desk phone in one, at the wire, for click-to-call paths a baresip phone cannot
 * be made to take on cue (a REFER refused, a sipfrag failure, a hang-up before the REFER, a link
 * dropped mid-command). A Bun WebSocket server with the `sip` subprotocol (RFC 7118) on a free
 * loopback port: it answers the box's INVITE, REFER and BYE as `script` says, sends the refer
 * subscription's NOTIFYs (message/sipfrag, RFC 3515 §2.4.5) in the dialog, and keeps the method
 * of every request it got in order. SUBSCRIBE and OPTIONS get a plain 200.
 */
export interface FakePhoneScript {
  /** `answer`: 180 then 200 (with SDP); `ring`: 180 only (a CANCEL gets 200 and the INVITE 487); a status: that final answer. */
  invite: "answer" | "ring" | number;
  /** `accept`: 202; a status: that answer; `ignore`: none; `drop`: the WebSocket closes. Default accept. */
  refer?: "accept" | "ignore" | "drop" | number;
  /** NOTIFY bodies sent after the 202, in order (e.g. `SIP/2.0 180 Ringing`). */
  sipfrags?: readonly string[];
  /** The employee hangs up (BYE) as soon as the box ACKs the answer. */
  hangUpAfterAnswer?: boolean;
}

export interface FakeSipPhone {
  readonly wsUrl: string;
  /** How the next requests are answered; change it between tests. */
  script: FakePhoneScript;
  /** The method of every request received, in order (SUBSCRIBE and OPTIONS left out). */
  readonly received: readonly string[];
  /** The headers of the last INVITE, lower-cased names. */
  readonly invite: ReadonlyMap<string, string> | null;
  /** Resolves once `method` has been received `count` times in all. */
  waitFor(method: string, count?: number, timeoutMs?: number): Promise<void>;
  stop(): void;
}

interface Dialog {
  readonly ws: Bun.ServerWebSocket<unknown>;
  readonly callId: string;
  /** The phone's side (the INVITE's To, with the phone's tag). */
  readonly local: string;
  /** The box's side (the INVITE's From). */
  readonly remote: string;
  readonly target: string;
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

const SDP =
  "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=inactive\r\n";

export function startFakeSipPhone(script: FakePhoneScript): FakeSipPhone {
  const received: string[] = [];
  let invite: Map<string, string> | null = null;
  let dialog: Dialog | null = null;
  const state = { script };

  const reply = (
    ws: Bun.ServerWebSocket<unknown>,
    headers: Map<string, string>,
    status: string,
    more: { to?: string; body?: string } = {},
  ) => {
    const h = (name: string) => headers.get(name) ?? "";
    const body = more.body ?? "";
    ws.send(
      `SIP/2.0 ${status}\r\nVia: ${h("via")}\r\nFrom: ${h("from")}\r\nTo: ${more.to ?? h("to")}\r\n` +
        `Call-ID: ${h("call-id")}\r\nCSeq: ${h("cseq")}\r\nContact: <sip:phone@127.0.0.1;transport=ws>\r\n` +
        `${body === "" ? "" : "Content-Type: application/sdp\r\n"}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  const request = (d: Dialog, method: string, extra: string, body = "", type = "") => {
    d.cseq++;
    d.ws.send(
      `${method} ${d.target} SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1;branch=z9hG4bK${crypto.randomUUID()}\r\n` +
        `Max-Forwards: 70\r\nFrom: ${d.local}\r\nTo: ${d.remote}\r\nCall-ID: ${d.callId}\r\nCSeq: ${d.cseq} ${method}\r\n` +
        `Contact: <sip:phone@127.0.0.1;transport=ws>\r\n${extra}` +
        `${type === "" ? "" : `Content-Type: ${type}\r\n`}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, srv) =>
      srv.upgrade(req, { headers: { "Sec-WebSocket-Protocol": "sip" } })
        ? undefined
        : new Response("no", { status: 400 }),
    websocket: {
      message(ws, data) {
        const { start, headers } = parse(String(data));
        if (start.startsWith("SIP/2.0 ")) return;
        const method = start.split(" ")[0] ?? "";
        if (method === "SUBSCRIBE" || method === "OPTIONS") return reply(ws, headers, "200 OK");
        received.push(method);
        const s = state.script;
        const h = (name: string) => headers.get(name) ?? "";
        if (method === "INVITE") {
          invite = headers;
          const to = `${h("to")};tag=phone-${received.length}`;
          dialog = {
            ws,
            callId: h("call-id"),
            local: to,
            remote: h("from"),
            target: /<([^>]+)>/.exec(h("contact"))?.[1] ?? "",
            cseq: 0,
          };
          if (typeof s.invite === "number") return reply(ws, headers, `${s.invite} Scripted`, { to });
          reply(ws, headers, "180 Ringing", { to });
          if (s.invite === "answer") reply(ws, headers, "200 OK", { to, body: SDP });
        } else if (method === "CANCEL") {
          reply(ws, headers, "200 OK");
          if (invite !== null && dialog !== null)
            reply(ws, new Map([...invite, ["to", dialog.local]]), "487 Request Terminated");
        } else if (method === "ACK") {
          if (s.hangUpAfterAnswer && dialog !== null) request(dialog, "BYE", "");
        } else if (method === "REFER") {
          const refer = s.refer ?? "accept";
          if (refer === "drop") return ws.close();
          if (refer === "ignore") return;
          if (typeof refer === "number") return reply(ws, headers, `${refer} Scripted`);
          reply(ws, headers, "202 Accepted");
          const d = dialog;
          if (d === null) return;
          for (const [i, frag] of (s.sipfrags ?? []).entries()) {
            const last = i === (s.sipfrags?.length ?? 0) - 1 && !frag.startsWith("SIP/2.0 1");
            const sub = last ? "terminated;reason=noresource" : "active;expires=60";
            request(
              d,
              "NOTIFY",
              `Event: refer\r\nSubscription-State: ${sub}\r\n`,
              `${frag}\r\n`,
              "message/sipfrag",
            );
          }
        } else {
          reply(ws, headers, "200 OK");
        }
      },
    },
  });

  return {
    wsUrl: `ws://127.0.0.1:${server.port}`,
    get script() {
      return state.script;
    },
    set script(next) {
      state.script = next;
    },
    received,
    get invite() {
      return invite;
    },
    async waitFor(method, count = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.filter((m) => m === method).length < count) {
        if (Date.now() > deadline)
          throw new Error(
            `fake phone: ${count} ${method} not within ${timeoutMs} ms (got ${received.join(", ")})`,
          );
        await Bun.sleep(10);
      }
    },
    stop: () => void server.stop(true),
  };
}
