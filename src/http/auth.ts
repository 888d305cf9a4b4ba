import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";

const digest = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest();

/** Constant-time: both sides are hashed to the same length first, so neither length nor content leaks. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Admin and API access: `Authorization: Bearer <http.admin_token>`, or HTTP basic auth with the
 * token as the password (any user name), so branch IT can open /admin in a browser.
 */
export function adminAuth(token: string, options: { realm?: string } = {}): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const [scheme, value = ""] = header.split(" ", 2);
    let given: string | null = null;
    if (scheme?.toLowerCase() === "bearer") given = value;
    else if (scheme?.toLowerCase() === "basic") {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      given = decoded.slice(decoded.indexOf(":") + 1);
    }
    if (given !== null && sameSecret(given, token)) return next();
    if (options.realm !== undefined)
      c.header("WWW-Authenticate", `Basic realm="${options.realm}", charset="UTF-8"`);
    return c.json(
      { error: { code: "AUTH.UNAUTHORIZED", message: "send Authorization: Bearer <http.admin_token>" } },
      401,
    );
  };
}
