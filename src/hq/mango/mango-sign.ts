import { createHash, timingSafeEqual } from "node:crypto";
import {
  MANGO_WEBHOOK_KINDS,
  type MangoEventKind,
  type MangoWebhookKind,
} from "../../contract/down-records.ts";

/** Mango's request signature: hex sha256 of key, the `json` field as sent, and salt, concatenated. */
export function mangoSign(apiKey: string, json: string, salt: string): string {
  return createHash("sha256")
    .update(apiKey + json + salt, "utf8")
    .digest("hex");
}

/** A request as Mango's API sends and takes them both ways: the form of key, json text and its `sign`. */
export function mangoForm(json: string, secrets: { readonly apiKey: string; readonly salt: string }): string {
  return new URLSearchParams({
    vpbx_api_key: secrets.apiKey,
    sign: mangoSign(secrets.apiKey, json, secrets.salt),
    json,
  }).toString();
}

/** The contract's record id: one id per event however often Mango delivers it. */
export function mangoEventId(kind: MangoEventKind, json: string): string {
  return `mango:${kind}:${createHash("sha256").update(json, "utf8").digest("hex").slice(0, 32)}`;
}

/** A kind Mango posts to `/mango/events/<kind>` (never `stats`: HQ makes those itself). */
export function isMangoWebhookKind(kind: string): kind is MangoWebhookKind {
  return (MANGO_WEBHOOK_KINDS as readonly string[]).includes(kind);
}

export type MangoRefusal = "MANGO.BAD_FORM" | "MANGO.BAD_KEY" | "MANGO.BAD_SIGN" | "MANGO.BAD_JSON";

export type MangoCheck =
  | { readonly ok: true; readonly raw: string; readonly json: Record<string, unknown> }
  | { readonly ok: false; readonly code: MangoRefusal; readonly reason: string };

/**
 * Checks one webhook's form fields, in this order: the three fields are there, the key is ours,
 * the signature is `sha256(key + json + salt)` over the `json` text AS RECEIVED (before parsing:
 * a re-serialised object would not match), and only then that `json` is a JSON object. Key and
 * signature are compared in constant time (both sides hashed to 32 bytes, so the lengths are equal
 * whatever was sent). Reasons never repeat the key, the salt or the signature.
 */
export function checkMangoForm(
  form: { readonly [field: string]: unknown },
  secrets: { readonly apiKey: string; readonly salt: string },
): MangoCheck {
  const { vpbx_api_key: key, sign, json } = form;
  if (typeof key !== "string" || typeof sign !== "string" || typeof json !== "string")
    return {
      ok: false,
      code: "MANGO.BAD_FORM",
      reason: "vpbx_api_key, sign and json must each be one form field",
    };
  if (!sameSecret(key, secrets.apiKey))
    return { ok: false, code: "MANGO.BAD_KEY", reason: "vpbx_api_key is not this VPBX's" };
  if (!sameSecret(sign.toLowerCase(), mangoSign(secrets.apiKey, json, secrets.salt)))
    return { ok: false, code: "MANGO.BAD_SIGN", reason: "sign is not sha256(vpbx_api_key + json + salt)" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { ok: false, code: "MANGO.BAD_JSON", reason: `json is not JSON (${json.length} characters)` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return { ok: false, code: "MANGO.BAD_JSON", reason: "json is not a JSON object" };
  return { ok: true, raw: json, json: parsed as Record<string, unknown> };
}

/** Constant-time equality of two strings of any lengths (compares their sha256 digests). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
