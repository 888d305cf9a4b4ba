// Dialog states for extensions that have no phone: PUBLISH (RFC 3903) of dialog-info to the lab's
// Kamailio over its WebSocket, with sip.js's core (its Publisher resolves before the answer and
// cannot be paced). Kamailio's presence then NOTIFYs every watcher of the extension, as it does
// for the states pua_dialoginfo publishes for the phones' own calls.
import { type URI, UserAgent } from "sip.js";

export interface DialogPublisher {
  /**
   * PUBLISHes `body` as the extension's dialog state, replacing its previous one (same ETag);
   * `null` removes the publication (Expires: 0). Resolves with the final status code: 2xx, or
   * Kamailio's refusal (400 for a body it cannot parse, 412 for an update it will not take).
   */
  publish(ext: string, body: string | null): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Kamailio takes no update to a publication whose state is `terminated` (it logs "Trying to update
 * an already terminated state" and later answers 412): end a call with `terminated`, then `null`.
 */
export async function startDialogPublisher(options: {
  wsUrl: string;
  domain: string;
  user?: string;
}): Promise<DialogPublisher> {
  const ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${options.user ?? "lab-publisher"}@${options.domain}`),
    transportOptions: { server: options.wsUrl },
    logLevel: "error",
    logBuiltinEnabled: false,
  });
  await ua.start();
  const etags = new Map<string, string>();
  return {
    publish(ext, body) {
      const target = UserAgent.makeURI(`sip:${ext}@${options.domain}`) as URI;
      const core = ua.userAgentCore;
      const etag = etags.get(ext);
      const headers = [
        "Event: dialog",
        `Expires: ${body === null ? 0 : 600}`,
        ...(etag ? [`SIP-If-Match: ${etag}`] : []),
      ];
      const content =
        body === null
          ? undefined
          : { contentDisposition: "render", contentType: "application/dialog-info+xml", content: body };
      const request = core.makeOutgoingRequestMessage(
        "PUBLISH",
        target,
        target,
        target,
        {},
        headers,
        content,
      );
      return new Promise((resolve) => {
        core.publish(request, {
          onAccept: (response) => {
            const next = response.message.getHeader("SIP-ETag");
            if (body === null) etags.delete(ext);
            else if (next) etags.set(ext, next);
            resolve(response.message.statusCode ?? 0);
          },
          onReject: (response) => {
            etags.delete(ext);
            resolve(response.message.statusCode ?? 0);
          },
        });
      });
    },
    stop: () => ua.stop(),
  };
}
