import type { Context } from "hono";
import type { Instant } from "../domain/roster/types.ts";

/**
 * A fixed-window counter per client: enough to stop someone cycling through PINs of every
 * employee from one screen, which the per-employee lock alone would not.
 */
export interface RateLimiter {
  /** Counts one attempt; false when the client is over the limit for the current window. */
  take(client: string, now: Instant): boolean;
}

export function createRateLimiter(limit: number, windowMs: number): RateLimiter {
  const windows = new Map<string, { start: Instant; count: number }>();
  return {
    take(client, now) {
      if (windows.size > 10_000) {
        for (const [key, w] of windows) if (now - w.start >= windowMs) windows.delete(key);
      }
      const current = windows.get(client);
      if (current === undefined || now - current.start >= windowMs) {
        windows.set(client, { start: now, count: 1 });
        return true;
      }
      current.count += 1;
      return current.count <= limit;
    },
  };
}

interface BunServerLike {
  requestIP(request: Request): { address: string } | null;
}

/** The peer address when served by Bun (`fetch(request, server)`); "local" under `app.request()`. */
export function clientAddress(c: Context): string {
  return peerAddress(c) ?? "local";
}

/**
 * The socket's peer address as Bun's server saw it; null with no socket (`app.request()` without
 * an env). Never a header: X-Forwarded-For is whatever the client wrote.
 */
export function peerAddress(c: Context): string | null {
  const env = c.env as Partial<BunServerLike> | { server?: Partial<BunServerLike> } | undefined;
  const server =
    env !== undefined && "server" in env ? env.server : (env as Partial<BunServerLike> | undefined);
  if (typeof server?.requestIP !== "function") return null;
  return server.requestIP(c.req.raw)?.address ?? null;
}
