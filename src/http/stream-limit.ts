import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../log/logger.ts";
import { statusOf } from "./error-catalogue.ts";
import { clientAddress } from "./rate-limit.ts";

export const TOO_MANY_STREAMS = "HTTP.TOO_MANY_STREAMS";

/** What a refused client is told to wait; htmx's SSE reconnect backs off by itself anyway. */
export const RETRY_AFTER_SECONDS = 10;

/** A refusal is logged at most once per this long, with how many there were since. */
const REFUSAL_LOG_MS = 60_000;

/** One open stream's place under the caps. */
export interface StreamSlot {
  /** Gives the place back; a second call does nothing. */
  release(): void;
}

/**
 * Open long-lived streams (SSE), counted per client address and in all. ALWAYS: a slot counts
 * from `acquire` until its first `release`; neither count exceeds its cap; a client with no open
 * stream has no entry, so a flood from many addresses leaves nothing behind once it closes.
 */
export interface StreamLimit {
  /** A slot for one more stream of `client`, or null when the client or the box is at its cap. */
  acquire(client: string): StreamSlot | null;
  /** Streams open now: in all, and (when named) of one client. */
  open(client?: string): number;
}

export interface StreamLimitOptions {
  readonly maxStreams: number;
  readonly maxPerClient: number;
  readonly log: Logger;
  readonly now: () => number;
}

export function createStreamLimit(options: StreamLimitOptions): StreamLimit {
  const byClient = new Map<string, number>();
  let total = 0;
  let refused = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;

  const refuse = (client: string): null => {
    refused += 1;
    const now = options.now();
    if (now - loggedAt >= REFUSAL_LOG_MS) {
      options.log.warn("live streams refused: at the cap", {
        code: TOO_MANY_STREAMS,
        refused,
        open: total,
        lastClient: client,
        fix: "[http] sse_max_streams and sse_max_streams_per_client",
      });
      loggedAt = now;
      refused = 0;
    }
    return null;
  };

  return {
    acquire(client) {
      const mine = byClient.get(client) ?? 0;
      if (total >= options.maxStreams || mine >= options.maxPerClient) return refuse(client);
      byClient.set(client, mine + 1);
      total += 1;
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          total -= 1;
          const left = (byClient.get(client) ?? 1) - 1;
          if (left > 0) byClient.set(client, left);
          else byClient.delete(client);
        },
      };
    },
    open: (client) => (client === undefined ? total : (byClient.get(client) ?? 0)),
  };
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set by `limitStreams` for the whole app; `openStream` takes its slots from it. */
    streamLimit: StreamLimit;
  }
}

/** Puts every stream opened below under `limit` (see `openStream`). */
export const limitStreams =
  (limit: StreamLimit): MiddlewareHandler =>
  async (c, next) => {
    c.set("streamLimit", limit);
    await next();
  };

const UNLIMITED: StreamSlot = { release() {} };

/**
 * A slot for a stream this request is about to open, counted against the request's client
 * address; null when over a cap. A router used without `limitStreams` (a test of its own) is
 * unlimited.
 */
export function openStream(c: Context): StreamSlot | null {
  const limit = c.get("streamLimit") as StreamLimit | undefined;
  return limit === undefined ? UNLIMITED : limit.acquire(clientAddress(c));
}

/** 503 with Retry-After: the answer to a stream beyond the caps. */
export function tooManyStreams(c: Context): Response {
  c.header("Retry-After", String(RETRY_AFTER_SECONDS));
  c.header("Cache-Control", "no-store");
  // A refused client keeps no connection (and no server memory) until Bun's idle timeout.
  c.header("Connection", "close");
  return c.text(
    `${TOO_MANY_STREAMS}: too many live screens are open on this box; try again shortly`,
    statusOf(TOO_MANY_STREAMS),
  );
}
