/**
 * A client of the kiosk's call-card stream (`GET /calls/events`), as a browser's EventSource
 * reads it: every message is stamped with the instant its last bytes were read (this process's
 * `performance.now()`, the same clock the peer stamps its writes with) and handed over whole.
 */

export interface SseClient {
  /** Messages so far (the first is the render at connect). */
  readonly messages: () => number;
  /** Resolves with the arrival instant of the next message. */
  nextMessage(): Promise<number>;
  close(): void;
}

const CARD = /data-testid="card-([^"]+)" data-state="([a-z]+)"/g;

export async function connectSse(
  url: string,
  onMessage: (data: string, at: number) => void = () => {},
): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream" }, signal: abort.signal });
  if (res.status !== 200 || res.body === null) throw new Error(`${url}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let count = 0;
  let waiters: ((at: number) => void)[] = [];
  let buffer = "";
  let first: () => void = () => {};
  const connected = new Promise<void>((resolve) => {
    first = resolve;
  });
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const at = performance.now();
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          // Comments (": heartbeat") are not messages.
          const data = message
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5))
            .join("\n");
          if (!message.split("\n").some((line) => line.startsWith("data:"))) continue;
          count++;
          onMessage(data, at);
          const ready = waiters;
          waiters = [];
          for (const wake of ready) wake(at);
          first();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  await connected;
  return {
    messages: () => count,
    nextMessage: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => abort.abort(),
  };
}

/** The `callId|state` of every card in a rendered message. */
export function cardsIn(html: string): string[] {
  return [...html.matchAll(CARD)].map((m) => `${m[1]}|${m[2]}`);
}
