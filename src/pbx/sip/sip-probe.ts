export interface SipProbeResult {
  readonly ok: boolean;
  /** What was found, for `branchbox doctor`. */
  readonly detail: string;
  /** What to do, when not ok. */
  readonly fix?: string;
}

/**
 * `branchbox doctor`'s visit to the SIP server: open its WebSocket with the `sip` subprotocol
 * (RFC 7118), send one OPTIONS (Max-Forwards 0) and wait for any SIP answer (a 404 or 405 proves a SIP server as
 * well as a 200), then close. It proves the URL, the network path and that SIP is spoken there;
 * whether the server sends dialog-info shows on the admin page once the box subscribes.
 */
export async function probeSipWebSocket(wsUrl: string, timeoutMs = 3000): Promise<SipProbeResult> {
  let url: URL;
  let socket: WebSocket;
  try {
    url = new URL(wsUrl);
    socket = new WebSocket(wsUrl, "sip");
  } catch (error) {
    return { ok: false, detail: `${wsUrl}: ${(error as Error).message}`, fix: "check [pbx.sip] ws_url" };
  }
  let opened = false;
  const result = await new Promise<SipProbeResult>((resolve) => {
    const timer = setTimeout(
      () =>
        resolve(
          opened
            ? {
                ok: false,
                detail: `${wsUrl}: WebSocket open, but no SIP answer to OPTIONS in ${timeoutMs} ms`,
                fix: "point ws_url at the PBX's SIP WebSocket listener (Kamailio: the websocket module)",
              }
            : {
                ok: false,
                detail: `${wsUrl}: no WebSocket answer in ${timeoutMs} ms`,
                fix: "check the host and port, and that the PBX's firewall lets this box in",
              },
        ),
      timeoutMs,
    );
    // Kamailio sends SIP in binary frames as well as text ones.
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      opened = true;
      socket.send(options(url));
    };
    socket.onmessage = (message) => {
      const data = message.data;
      const text = typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer);
      const status = text.split("\r\n")[0] ?? "";
      if (!status.startsWith("SIP/2.0 ")) return;
      clearTimeout(timer);
      resolve({ ok: true, detail: `${wsUrl}: SIP over WebSocket answers OPTIONS (${status.slice(8)})` });
    };
    socket.onerror = () => {
      clearTimeout(timer);
      resolve({
        ok: false,
        detail: `${wsUrl}: WebSocket refused or closed`,
        fix: "check ws_url (ws:// or wss://, host, port, path) and that the PBX listens there",
      });
    };
  });
  socket.close();
  return result;
}

function options(url: URL): string {
  const branch = `z9hG4bK${crypto.randomUUID().replaceAll("-", "")}`;
  return [
    `OPTIONS sip:${url.hostname} SIP/2.0`,
    `Via: SIP/2.0/${url.protocol === "wss:" ? "WSS" : "WS"} branchbox-doctor.invalid;branch=${branch}`,
    // Max-Forwards 0: the first hop answers itself (RFC 3261 §11) instead of relaying it on.
    "Max-Forwards: 0",
    `From: <sip:doctor@${url.hostname}>;tag=${crypto.randomUUID().slice(0, 8)}`,
    `To: <sip:${url.hostname}>`,
    `Call-ID: ${crypto.randomUUID()}`,
    "CSeq: 1 OPTIONS",
    "User-Agent: branchbox doctor",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}
