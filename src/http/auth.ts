import type { MiddlewareHandler } from "hono";
import { tokenAuth } from "../lib/token-auth.ts";

/**
 * Admin and API access: `Authorization: Bearer <http.admin_token>`, or HTTP basic auth with the
 * token as the password (any user name), so branch IT can open /admin in a browser.
 */
export function adminAuth(token: string, options: { realm?: string } = {}): MiddlewareHandler {
  return tokenAuth(token, { setting: "http.admin_token", basic: true, ...options });
}
