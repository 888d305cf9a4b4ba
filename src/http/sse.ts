import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Logger } from "../log/logger.ts";

/** Bun closes a connection idle for 10 s; a comment line well inside that keeps it open. */
export const HEARTBEAT_MS = 5_000;

export interface LiveHtmlOptions {
  /** Registers for change notifications; returns the unsubscribe function. */
  readonly subscribe: (listener: () => void) => () => void;
  /** Renders the current HTML; sent once at connect and again after every change. */
  readonly render: () => string | Promise<string>;
  readonly heartbeatMs?: number;
  readonly log: Logger;
}

/**
 * An SSE stream of re-rendered HTML for htmx's `hx-sse:connect`: every message is unnamed, so
 * htmx swaps it into the connecting element. Bursts of changes are coalesced into one render.
 * The subscription ends when the client goes away.
 */
export function liveHtml(c: Context, options: LiveHtmlOptions): Response {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  return streamSSE(c, async (stream) => {
    let dirty = true;
    let first = true;
    let wake: (() => void) | null = null;
    let subscribed = true;
    const stop = options.subscribe(() => {
      dirty = true;
      wake?.();
    });
    const unsubscribe = () => {
      if (subscribed) stop();
      subscribed = false;
    };
    stream.onAbort(() => {
      unsubscribe();
      wake?.();
    });
    try {
      await stream.write(": connected\n\n");
      while (!stream.aborted && !stream.closed) {
        if (dirty) {
          dirty = false;
          // The first message also tells the browser to reconnect quickly after a restart of the box.
          const data = await options.render();
          await stream.writeSSE(first ? { data, retry: 2000 } : { data });
          first = false;
          continue;
        }
        const changed = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        wake = null;
        if (!changed && !stream.aborted) await stream.write(": heartbeat\n\n");
      }
    } catch (error) {
      options.log.debug("sse stream ended", { error: String(error) });
    } finally {
      unsubscribe();
    }
  });
}
