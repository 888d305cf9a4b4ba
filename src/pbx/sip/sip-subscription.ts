import { type LogConnector, Subscriber, SubscriptionState, UserAgent } from "sip.js";
import type { Logger } from "../../log/logger.ts";

export interface DialogSubscriptionHandler {
  /**
   * One NOTIFY's body (empty when it has none) and its subscription's Call-ID. The NOTIFY is
   * answered 200 when the promise resolves, 500 when it rejects.
   */
  onNotify(body: string, subscription: string): Promise<void>;
  /** The subscription ended without our asking (refused, terminated by the server, refresh failed). */
  onEnded(reason: string): void;
}

/** `SUBSCRIBE <target>` for the dialog event package, asking for dialog-info+xml only. */
export function subscribeDialog(
  ua: UserAgent,
  target: string,
  expiresSec: number,
  handler: DialogSubscriptionHandler,
): Subscriber {
  const uri = UserAgent.makeURI(target);
  if (uri === undefined) throw new Error(`not a SIP URI: ${target}`);
  const subscriber = new Subscriber(ua, uri, "dialog", {
    expires: expiresSec,
    extraHeaders: ["Accept: application/dialog-info+xml"],
  });
  let notified = false;
  subscriber.delegate = {
    onNotify: (notification) => {
      notified = true;
      const request = notification.request;
      handler.onNotify(request.body ?? "", request.callId).then(
        () => notification.accept(),
        () => notification.reject({ statusCode: 500 }),
      );
    },
  };
  subscriber.stateChange.addListener((state) => {
    if (state !== SubscriptionState.Terminated) return;
    handler.onEnded(notified ? "terminated by the server" : "refused or unanswered");
  });
  subscriber
    .subscribe()
    .catch((error: unknown) => handler.onEnded(`SUBSCRIBE failed: ${(error as Error).message}`));
  return subscriber;
}

/**
 * sip.js's own log lines into ours, at warn and above only: its debug lines carry whole SIP
 * messages (Authorization headers among them), which have no place in the box's log.
 */
export function sipLogConnector(log: Logger): LogConnector {
  return (level, category, _label, content) => {
    const fields = { category, message: content.slice(0, 300) };
    if (level === "error") log.error("sip.js", fields);
    else if (level === "warn") log.warn("sip.js", fields);
  };
}

/**
 * One OPTIONS to the server over the link, with Max-Forwards 0 so that the first hop answers it
 * itself (RFC 3261 §11). Resolves true on any answer within `timeoutMs`: a server that stopped
 * answering behind a socket that still looks open (a VPN gone, a frozen PBX) is found by this.
 */
export function pingServer(ua: UserAgent, domain: string, timeoutMs: number): Promise<boolean> {
  const target = UserAgent.makeURI(`sip:${domain}`);
  if (target === undefined) return Promise.resolve(false);
  const core = ua.userAgentCore;
  const message = core.makeOutgoingRequestMessage("OPTIONS", target, ua.configuration.uri, target, {});
  message.setHeader("max-forwards", "0");
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const answered = () => {
      clearTimeout(timer);
      resolve(true);
    };
    core.request(message, {
      onAccept: answered,
      onProgress: answered,
      onRedirect: answered,
      onReject: answered,
    });
  });
}
