import { jitteredDelay } from "../lib/backoff.ts";
import type { Logger } from "../log/logger.ts";
import type { ForwardItem, HqStore } from "./store/hq-store-port.ts";

export interface ForwarderOptions {
  readonly store: HqStore;
  readonly url: string;
  readonly token: string;
  readonly log: Logger;
  readonly now?: () => number;
  /** Retry backoff, ms. */
  readonly backoff?: { baseMs: number; capMs: number };
  readonly idleMs?: number;
  readonly timeoutMs?: number;
}

export interface Forwarder {
  readonly sent: number;
  readonly failures: number;
  stop(): Promise<void>;
}

/** While a POST is out, its row is leased for this long (to this consumer or, after a crash, to anyone). */
const LEASE_MS = 60_000;

/**
 * POSTs every applied record to the CRM from the durable forward queue, at least once and in seq
 * order per (branch, stream): only the oldest row of a stream is sent, and it leaves the queue
 * only on a 2xx. Any other answer, or none, is retried with backoff and full jitter, for as long
 * as it takes (a CRM outage loses nothing). `Idempotency-Key: {branch}:{stream}:{seq}` lets the CRM
 * ignore a record it already has — several consumers sharing the store may each send one.
 */
export function startForwarder(options: ForwarderOptions): Forwarder {
  const { store, log } = options;
  const now = options.now ?? Date.now;
  const backoff = options.backoff ?? { baseMs: 1000, capMs: 300_000 };
  let stopped = false;
  let sent = 0;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  async function post(item: ForwardItem): Promise<void> {
    const r = item.record;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "idempotency-key": `${item.branch}:${item.stream}:${r.seq}`,
    };
    if (options.token !== "") headers.authorization = `Bearer ${options.token}`;
    let problem: string;
    try {
      const response = await fetch(options.url, {
        method: "POST",
        headers,
        body: JSON.stringify({
          branch: item.branch,
          stream: item.stream,
          seq: r.seq,
          id: r.id,
          ts: r.ts,
          type: r.type,
          data: r.data,
          epoch: r.epoch,
          historical: r.historical,
        }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (response.ok) {
        await store.forwarded(item.queueId);
        sent++;
        return;
      }
      problem = `HTTP ${response.status}`;
    } catch (error) {
      problem = (error as Error).message;
    }
    failures++;
    const delay = Math.max(backoff.baseMs / 4, jitteredDelay(item.attempts, backoff));
    await store.forwardFailed(item.queueId, now() + delay, problem);
    log.warn("forward failed; will retry", {
      code: "HQ.FORWARD_FAILED",
      branch: item.branch,
      stream: item.stream,
      seq: r.seq,
      attempts: item.attempts + 1,
      problem,
      retryInMs: delay,
    });
  }

  async function round(): Promise<void> {
    let items: ForwardItem[] = [];
    try {
      items = await store.claimForward(now(), LEASE_MS, 64);
      // One row per stream: the streams go in parallel, each stays in order.
      await Promise.all(items.map(post));
    } catch (error) {
      log.error("forward round failed", { code: "HQ.FORWARD_FAILED", error });
    }
    if (!stopped)
      timer = setTimeout(() => (running = round()), items.length > 0 ? 0 : (options.idleMs ?? 200));
  }

  running = round();
  return {
    get sent() {
      return sent;
    },
    get failures() {
      return failures;
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
