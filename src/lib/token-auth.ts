import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";

const digest = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest();

/** Constant-time: both sides are hashed to the same length first, so neither length nor content leaks. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export interface TokenAuthOptions {
  /** Where the token is configured, for the 401's message (e.g. "http.admin_token"). */
  readonly setting: string;
  /** Also take HTTP basic auth with the token as the password (any user name). */
  readonly basic?: boolean;
  /** Ask a browser for basic auth under this realm: branch IT opens /admin in a browser. */
  readonly realm?: string;
}

/** The token a request carries: `Authorization: Bearer <token>`, or basic auth's password if allowed. */
function givenToken(header: string, basic: boolean): string | null {
  const bearer = /^bearer (.+)$/i.exec(header)?.[1];
  if (bearer !== undefined) return bearer;
  const encoded = basic ? /^basic (.+)$/i.exec(header)?.[1] : undefined;
  if (encoded === undefined) return null;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  return decoded.slice(decoded.indexOf(":") + 1);
}

/** One bearer check for the box's admin API and pages and for HQ's API: 401 AUTH.UNAUTHORIZED otherwise. */
export function tokenAuth(token: string, options: TokenAuthOptions): MiddlewareHandler {
  return async (c, next) => {
    const given = givenToken(c.req.header("authorization") ?? "", options.basic === true);
    if (given !== null && sameSecret(given, token)) return next();
    if (options.realm !== undefined)
      c.header("WWW-Authenticate", `Basic realm="${options.realm}", charset="UTF-8"`);
    return c.json(
      { error: { code: "AUTH.UNAUTHORIZED", message: `send Authorization: Bearer <${options.setting}>` } },
      401,
    );
  };
}
