import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Logger } from "../log/logger.ts";
import { openStream, tooManyStreams } from "./stream-limit.ts";

declare module "hono" {
  interface ContextVariableMap {
    /**
     * Set by the kiosk's pairing gate for a screen paired by its cookie: false once /admin revoked
     * it. A stream checks it before every message and ends when it turns false (issue 14, item 8).
     */
    streamStillAllowed: () => boolean;
  }
}

/** Bun closes a connection idle for 10 s; a comment line well inside that keeps it open. */
export const HEARTBEAT_MS = 5_000;

export type Subscribe = (listener: () => void) => () => void;

export interface LiveHtmlOptions {
  /** Registers for change notifications; returns the unsubscribe function. */
  readonly subscribe: Subscribe;
  /** Renders the current HTML; sent once at connect and again after every change. */
  readonly render: () => string | Promise<string>;
  readonly heartbeatMs?: number;
  /**
   * At most one render per this many ms: a change right after a render waits out the rest, so a
   * burst of changes (a ring group of six handsets) is one message. The first change after a
   * quiet spell renders at once. Default 0: only changes within one render coalesce.
   */
  readonly minIntervalMs?: number;
  /**
   * Re-render after this long without a change, in place of a heartbeat: what is shown can age
   * out by itself (a missed-call card after a few minutes). Default: never.
   */
  readonly refreshMs?: number;
  readonly log: Logger;
}

/** One subscription to several sources of change; unsubscribing ends them all. */
export function anyOf(...sources: readonly Subscribe[]): Subscribe {
  return (listener) => {
    const stops = sources.map((subscribe) => subscribe(listener));
    return () => {
      for (const stop of stops) stop();
    };
  };
}

/**
 * An SSE stream of re-rendered HTML for htmx's `hx-sse:connect`: every message is unnamed, so
 * htmx swaps it into the connecting element. Bursts of changes are coalesced into one render.
 * The subscription ends when the client goes away.
 *
 * Every SSE stream of the box is opened here, so that every one takes a slot under the caps of
 * `[http] sse_max_streams*` (503 beyond them) and gives it back, with its subscription and its
 * timer, when the client goes away or the stream ends.
 */
export function liveHtml(c: Context, options: LiveHtmlOptions): Response {
  const slot = openStream(c);
  if (slot === null) return tooManyStreams(c);
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const minIntervalMs = options.minIntervalMs ?? 0;
  const refreshMs = options.refreshMs ?? Number.POSITIVE_INFINITY;
  const allowed = (c.get("streamStillAllowed") as (() => boolean) | undefined) ?? (() => true);
  return streamSSE(c, async (stream) => {
    let dirty = true;
    let first = true;
    let renderedAt = 0;
    let wake: (() => void) | null = null;
    let subscribed = true;
    const stop = options.subscribe(() => {
      dirty = true;
      wake?.();
    });
    // Both on abort (the client went away) and at the end: whichever comes first frees the slot.
    const finish = () => {
      if (subscribed) stop();
      subscribed = false;
      slot.release();
    };
    stream.onAbort(() => {
      finish();
      wake?.();
    });
    try {
      await stream.write(": connected\n\n");
      while (!stream.aborted && !stream.closed && allowed()) {
        if (dirty) {
          const wait = renderedAt + minIntervalMs - performance.now();
          if (!first && wait > 0) await Bun.sleep(wait);
          if (stream.aborted || !allowed()) break;
          dirty = false;
          renderedAt = performance.now();
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
        if (changed || stream.aborted) continue;
        if (performance.now() - renderedAt >= refreshMs) dirty = true;
        else await stream.write(": heartbeat\n\n");
      }
    } catch (error) {
      options.log.debug("sse stream ended", { error: String(error) });
    } finally {
      finish();
    }
  });
}
