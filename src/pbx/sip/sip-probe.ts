export interface SipProbeResult {
  readonly ok: boolean;
  /** What was found, for `branchbox doctor`. */
  readonly detail: string;
  /** What to do, when not ok. */
  readonly fix?: string;
}

/**
 * `branchbox doctor`'s visit to the SIP server: open its WebSocket with the `sip` subprotocol
 * (RFC 7118) and close it. It proves the URL, the network path and the server's WebSocket
 * listener; whether it sends dialog-info shows on the admin page once the box subscribes.
 */
export async function probeSipWebSocket(wsUrl: string, timeoutMs = 3000): Promise<SipProbeResult> {
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(wsUrl, "sip");
    } catch (error) {
      resolve({ ok: false, detail: `${wsUrl}: ${(error as Error).message}`, fix: "check [pbx.sip] ws_url" });
      return;
    }
    const timer = setTimeout(() => {
      socket.close();
      resolve({
        ok: false,
        detail: `${wsUrl}: no WebSocket answer in ${timeoutMs} ms`,
        fix: "check the host and port, and that the PBX's firewall lets this box in",
      });
    }, timeoutMs);
    socket.onopen = () => {
      clearTimeout(timer);
      const protocol = socket.protocol;
      socket.close();
      resolve(
        protocol === "sip"
          ? { ok: true, detail: `${wsUrl}: WebSocket open, subprotocol sip` }
          : {
              ok: false,
              detail: `${wsUrl}: WebSocket open but the server did not agree to the "sip" subprotocol`,
              fix: "point ws_url at the PBX's SIP WebSocket listener (Kamailio: websocket module)",
            },
      );
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
}
