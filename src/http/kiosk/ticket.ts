import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Instant } from "../../domain/roster/types.ts";

/**
 * The proof, carried in the action forms, that an employee typed her PIN a moment ago. It is
 * `<employeeId>.<expiresAt>.<hmac>`, signed with a key that lives only in this process: a restart
 * makes every open action screen go back to the PIN pad, which is what a kiosk should do. The PIN
 * itself never leaves the PIN form.
 */
export interface Ticketer {
  issue(employeeId: string, now: Instant): string;
  /** The employee id, or null when the ticket is forged, malformed or expired. */
  verify(ticket: string, now: Instant): string | null;
}

export function createTicketer(ttlMs: number, key: Uint8Array = randomBytes(32)): Ticketer {
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest("base64url");
  return {
    issue(employeeId, now) {
      const payload = `${Buffer.from(employeeId).toString("base64url")}.${now + ttlMs}`;
      return `${payload}.${sign(payload)}`;
    },
    verify(ticket, now) {
      const parts = ticket.split(".");
      if (parts.length !== 3) return null;
      const [id = "", expires = "", mac = ""] = parts;
      const expected = Buffer.from(sign(`${id}.${expires}`));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      const expiresAt = Number(expires);
      if (!Number.isSafeInteger(expiresAt) || now >= expiresAt) return null;
      return Buffer.from(id, "base64url").toString("utf8");
    },
  };
}
