import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { sameSecret } from "../../lib/token-auth.ts";

export const SESSION_COOKIE = "hq_session";
/** A signed-in browser stays signed in this long, then asks for the token again. */
export const SESSION_MS = 12 * 3600_000;
/** Wrong tokens from one address within LOCK_MS before it is refused for LOCK_MS. */
export const MAX_WRONG = 5;
export const LOCK_MS = 15 * 60_000;

/**
 * The fleet page's sign-in: the `[hq] token`, compared in constant time, opens a session held in
 * a signed (HMAC-SHA256) HttpOnly SameSite=Strict cookie carrying only its expiry. The signing key
 * is derived from the token, so a new token ends every session. Wrong tokens are counted per peer
 * address: after MAX_WRONG the address is refused for LOCK_MS, right token or not.
 */
export interface FleetSessions {
  /** "ok" (the cookie is set), "wrong", or "locked" with the minutes left. */
  signIn(
    c: Context,
    given: string,
    now: number,
  ): Promise<{ kind: "ok" | "wrong" } | { kind: "locked"; minutes: number }>;
  signedIn(c: Context, now: number): Promise<boolean>;
  signOut(c: Context): void;
}

export function fleetSessions(token: string): FleetSessions {
  const key = new Bun.CryptoHasher("sha256").update(`branchbox hq fleet session\0${token}`).digest("hex");
  const wrong = new Map<string, { first: number; count: number }>();
  return {
    async signIn(c, given, now) {
      const address = peerAddress(c);
      const tries = wrong.get(address);
      if (tries !== undefined && now - tries.first >= LOCK_MS) wrong.delete(address);
      const current = wrong.get(address);
      if (current !== undefined && current.count >= MAX_WRONG)
        return { kind: "locked", minutes: Math.ceil((current.first + LOCK_MS - now) / 60_000) };
      if (!sameSecret(given, token)) {
        if (wrong.size > 10_000) wrong.clear();
        wrong.set(address, { first: current?.first ?? now, count: (current?.count ?? 0) + 1 });
        return { kind: "wrong" };
      }
      wrong.delete(address);
      await setSignedCookie(c, SESSION_COOKIE, String(now + SESSION_MS), key, {
        path: "/fleet",
        httpOnly: true,
        sameSite: "Strict",
        secure: new URL(c.req.url).protocol === "https:",
        maxAge: SESSION_MS / 1000,
      });
      return { kind: "ok" };
    },
    async signedIn(c, now) {
      const value = await getSignedCookie(c, key, SESSION_COOKIE);
      return typeof value === "string" && Number(value) > now;
    },
    signOut(c) {
      deleteCookie(c, SESSION_COOKIE, { path: "/fleet" });
    },
  };
}

/** The socket's peer address as Bun's server saw it (never a header a client writes); "local" without one. */
function peerAddress(c: Context): string {
  const server = c.env as { requestIP?: (request: Request) => { address: string } | null } | undefined;
  return typeof server?.requestIP === "function"
    ? (server.requestIP(c.req.raw)?.address ?? "local")
    : "local";
}
