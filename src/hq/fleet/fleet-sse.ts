import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Logger } from "../../log/logger.ts";

/** Bun closes a connection idle for 10 s; a comment line well inside that keeps it open. */
const HEARTBEAT_MS = 5_000;

export interface FleetStreams {
  /**
   * An SSE stream of re-rendered HTML for htmx's `hx-sse:connect` (unnamed messages, swapped into
   * the connecting element): once at connect, then after changes, at most one render per
   * `minIntervalMs` (a drain of thousands of records is a few renders, not thousands), and at
   * least every `refreshMs` (ages and "offline since" grow by themselves). 503 beyond the cap.
   */
  open(
    c: Context,
    subscribe: (listener: () => void) => () => void,
    render: () => Promise<string>,
  ): Response | Promise<Response>;
}

/**
 * The fleet page's live streams, capped in all: HQ's page is for a few people at headquarters.
 * (The box's src/http/sse.ts does the same for the kiosk with its own per-client caps; HQ never
 * imports the box's HTTP.)
 */
export function fleetStreams(options: {
  readonly max: number;
  readonly minIntervalMs: number;
  readonly refreshMs: number;
  readonly log: Logger;
}): FleetStreams {
  let open = 0;
  return {
    open(c, subscribe, render) {
      if (open >= options.max)
        return c.text("too many live pages open: close one and reload this page", 503, {
          "Retry-After": "10",
        });
      open++;
      return streamSSE(c, async (stream) => {
        let dirty = true;
        let wake: (() => void) | null = null;
        const stop = subscribe(() => {
          dirty = true;
          wake?.();
        });
        stream.onAbort(() => wake?.());
        let renderedAt = 0;
        try {
          await stream.write(": connected\n\n");
          while (!stream.aborted && !stream.closed) {
            const wait = renderedAt + options.minIntervalMs - performance.now();
            if (dirty && wait <= 0) {
              dirty = false;
              renderedAt = performance.now();
              await stream.writeSSE({ data: await render(), retry: 2000 });
              continue;
            }
            const timeout = dirty
              ? wait
              : Math.min(HEARTBEAT_MS, renderedAt + options.refreshMs - performance.now());
            const changed = await new Promise<boolean>((resolve) => {
              const timer = setTimeout(() => resolve(false), Math.max(0, timeout));
              wake = () => {
                clearTimeout(timer);
                resolve(true);
              };
            });
            wake = null;
            if (changed || stream.aborted) continue;
            if (performance.now() - renderedAt >= options.refreshMs) dirty = true;
            else if (!dirty) await stream.write(": heartbeat\n\n");
          }
        } catch (error) {
          options.log.debug("fleet stream ended", { error: String(error) });
        } finally {
          stop();
          open--;
        }
      });
    },
  };
}
