import type { Database } from "bun:sqlite";
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { DomainError, Result } from "../domain/errors.ts";
import { fail, ok } from "../domain/errors.ts";
import type { Instant } from "../domain/roster/types.ts";
import type { Logger } from "../log/logger.ts";
import { type DeviceRow, deviceStore } from "../store/device-store.ts";

/** A pairing code lives this long after branch IT asked for it on /admin. */
export const PAIRING_CODE_TTL_MS = 10 * 60_000;
/** Wrong codes, from any screen, after which the pending code is void (one in 200,000 to guess it). */
export const PAIRING_CODE_TRIES = 5;
export const PAIRING_CODE_DIGITS = 6;
/** A device's last-seen time is written at most this often (every kiosk request would be a write). */
export const LAST_SEEN_EVERY_MS = 60_000;

export type PairedDevice = DeviceRow;

/** The code /admin shows until it is used, void or expired. */
export interface PairingCode {
  readonly code: string;
  /** The name the device gets, given on /admin where there is a keyboard. */
  readonly name: string;
  readonly expiresAt: Instant;
}

export type PairingError = DomainError<"KIOSK.PAIRING_CODE_REFUSED">;

/**
 * Issue 14 (8): which kiosk and desk screens may use the box. Branch IT asks for a one-time code
 * on /admin; the screen that types it gets a long-lived random token (its cookie), of which only
 * the SHA-256 is stored. Always: at most one code is pending; a code pairs once; it expires after
 * PAIRING_CODE_TTL_MS and is void after PAIRING_CODE_TRIES wrong tries from anywhere; a revoked
 * device's token pairs nothing from the next request on. Pairing and revoking are audited.
 */
export interface DevicePairing {
  /** A new code for a device called `name`; any earlier pending code is void. */
  newCode(name: string, now: Instant): PairingCode;
  pendingCode(now: Instant): PairingCode | null;
  /** The code typed on a screen at `from`; on success, the token the screen keeps in its cookie. */
  pair(
    code: string,
    from: string,
    now: Instant,
  ): Result<{ token: string; device: PairedDevice }, PairingError>;
  /**
   * The device a token belongs to, or null; notes it as seen at `from` (written at most once a
   * minute, and skipped when the disk refuses it). Throws when the devices cannot be read.
   */
  deviceOf(token: string, from: string, now: Instant): PairedDevice | null;
  devices(): readonly PairedDevice[];
  /** Forgets a device; false when there is none with that id. */
  revoke(id: number, now: Instant): boolean;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

export function createDevicePairing(db: Database, log: Logger): DevicePairing {
  const store = deviceStore(db);
  let pending: { code: PairingCode; wrong: number } | null = null;

  const pendingCode = (now: Instant): PairingCode | null => {
    if (pending !== null && pending.code.expiresAt <= now) pending = null;
    return pending?.code ?? null;
  };

  return {
    newCode(name, now) {
      const code = String(randomInt(0, 10 ** PAIRING_CODE_DIGITS)).padStart(PAIRING_CODE_DIGITS, "0");
      pending = { code: { code, name, expiresAt: now + PAIRING_CODE_TTL_MS }, wrong: 0 };
      log.info("pairing code issued", { name, expiresAt: new Date(pending.code.expiresAt).toISOString() });
      return pending.code;
    },
    pendingCode,
    pair(typed, from, now) {
      const code = pendingCode(now);
      const refused = fail("KIOSK.PAIRING_CODE_REFUSED", "the code is wrong, used or expired");
      // "Pair" tapped with too few digits is a slip, not a guess: it costs none of the tries.
      if (code === null || pending === null || typed.length !== PAIRING_CODE_DIGITS) return refused;
      if (!sameCode(typed, code.code)) {
        pending.wrong += 1;
        const spent = pending.wrong >= PAIRING_CODE_TRIES;
        log.warn("wrong pairing code", { code: refused.error.code, client: from, spent });
        if (spent) pending = null;
        return refused;
      }
      pending = null;
      const token = randomBytes(32).toString("base64url");
      const device = store.add(
        { tokenHash: sha256(token), name: code.name, at: now, from },
        { at: now, actorId: null, action: "device.pair", detail: `"${code.name}" paired from ${from}` },
      );
      log.info("screen paired", { device: device.id, name: device.name, client: from });
      return ok({ token, device });
    },
    deviceOf(token, from, now) {
      if (token === "") return null;
      const device = store.byTokenHash(sha256(token));
      if (device === null) return null;
      if (now - device.lastSeenAt < LAST_SEEN_EVERY_MS && from === device.lastSeenFrom) return device;
      try {
        store.seen(device.id, now, from);
      } catch (error) {
        // Only /admin's "last seen" is late: a full disk must not lock paired screens out.
        log.debug("screen's last-seen time not saved", { device: device.id, error: String(error) });
        return device;
      }
      return { ...device, lastSeenAt: now, lastSeenFrom: from };
    },
    devices: () => store.list(),
    revoke(id, now) {
      const revoked = store.remove(id, (device) => ({
        at: now,
        actorId: null,
        action: "device.revoke",
        detail: `"${device.name}" (paired from ${device.pairedFrom}) revoked`,
      }));
      if (revoked) log.info("screen pairing revoked", { device: id });
      return revoked;
    },
  };
}

/** Constant-time: how many digits of a guess are right must not show in the answer's timing. */
function sameCode(typed: string, code: string): boolean {
  const a = Buffer.from(typed);
  const b = Buffer.from(code);
  return a.length === b.length && timingSafeEqual(a, b);
}
