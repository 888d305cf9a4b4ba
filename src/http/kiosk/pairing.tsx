import type { Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../../domain/error-codes.ts";
import { StorageError, toStorageError } from "../../lib/storage-error.ts";
import type { HttpDeps } from "../deps.ts";
import { peerAddress } from "../rate-limit.ts";
import type { LangEnv } from "../ui/lang.ts";
import { kioskError } from "./error-text.ts";
import { PairingScreen } from "./pairing-screen.tsx";

export const DEVICE_COOKIE = "bb_device";
/** Chromium caps a cookie's life at 400 days. */
const DEVICE_COOKIE_DAYS = 400;
/** Refused addresses logged; after that they are refused quietly (a scan must not fill the log). */
const LOGGED_CLIENTS_MAX = 32;

type C = Context<LangEnv>;
type Screen = (
  c: C,
  body: HtmlEscapedString | Promise<HtmlEscapedString>,
  status?: ContentfulStatusCode,
) => Response | Promise<Response>;

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (a socket listening on [::]). */
export function isLoopback(address: string): boolean {
  const v4 = address.toLowerCase().replace(/^::ffff:/, "");
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1";
}

/**
 * Issue 14 (8): the kiosk and the desk screens answer only paired screens. Mounted before every
 * kiosk route (the assets stay open): an unpaired screen may see the pairing screen and post a
 * code, nothing else — no board, no names, no call cards, no PIN pad, no live stream, and no PIN
 * post (so it cannot spend anyone's tries). Paired is: `[kiosk] require_pairing = false`; the box's
 * own screen (the socket's peer on loopback, unless `loopback_paired = false`); or a device cookie
 * whose token the box paired and has not revoked. An unknown peer (no socket) is not loopback.
 */
export function mountPairing(app: Hono<LangEnv>, deps: HttpDeps, screen: Screen): void {
  const { config, devices, log } = deps;
  const logged = new Set<string>();

  const paired = (c: C): boolean => {
    if (!config.kiosk.require_pairing) return true;
    const peer = peerAddress(c);
    if (peer !== null && config.kiosk.loopback_paired && isLoopback(peer)) return true;
    const token = getCookie(c, DEVICE_COOKIE) ?? "";
    const from = peer ?? "unknown";
    if (!known(token, from)) return false;
    // Every answer renews the cookie, so a screen in use never reaches the 400 days.
    keepCookie(c, token);
    // A revoke also ends the screen's open live streams (checked before every message they send).
    c.set("streamStillAllowed", () => known(token, from));
    return true;
  };

  /** Fails closed: a database that cannot say whether a token is paired pairs nothing. */
  const known = (token: string, from: string): boolean => {
    try {
      return devices.deviceOf(token, from, deps.now()) !== null;
    } catch (error) {
      log.error("paired screens unreadable: screen refused", { code: storageCode(error), error });
      return false;
    }
  };

  const keepCookie = (c: C, token: string) =>
    setCookie(c, DEVICE_COOKIE, token, {
      path: "/",
      httpOnly: true,
      sameSite: "Strict",
      secure: new URL(c.req.url).protocol === "https:",
      maxAge: DEVICE_COOKIE_DAYS * 86_400,
    });

  const pairingScreen = (c: C, next: string, status: ContentfulStatusCode, error?: string) => {
    c.header("Vary", "HX-Request, Cookie");
    c.header("Cache-Control", "no-store");
    return screen(c, <PairingScreen t={c.get("t")} next={next} error={error} />, status);
  };

  app.get("/pair", (c) => pairingScreen(c, localPath(c.req.query("next")), 200));

  app.post("/pair", async (c) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const field = (name: string) => (typeof body[name] === "string" ? body[name].trim() : "");
    const next = localPath(field("next"));
    let result: ReturnType<typeof devices.pair>;
    try {
      result = devices.pair(field("code"), peerAddress(c) ?? "unknown", deps.now());
    } catch (error) {
      // Not the kiosk's onError: its answer is the home board, which an unpaired screen may not see.
      const code = storageCode(error);
      log.error("screen not paired: the pairing cannot be saved", { code, error });
      const { text, status } = kioskError(code, c.get("t"));
      return pairingScreen(c, next, status, text);
    }
    if (!result.ok) {
      const { text, status } = kioskError(result.error.code, c.get("t"));
      return pairingScreen(c, next, status, text);
    }
    keepCookie(c, result.value.token);
    return c.redirect(next, 303);
  });

  app.use(async (c, next) => {
    // The kiosk is mounted at "/", so this runs before routes added later too: a PBX source's own
    // (/pbx/<source>/…, phone action URLs) answer devices that are not screens, by their own rules.
    if (c.req.path.startsWith("/pbx/") || paired(c)) return next();
    const code = "KIOSK.NOT_PAIRED";
    const { text, status } = kioskError(code, c.get("t"));
    const client = peerAddress(c) ?? "unknown";
    if (c.req.method !== "GET" && logged.size < LOGGED_CLIENTS_MAX && !logged.has(client)) {
      logged.add(client);
      log.warn("kiosk post from an unpaired screen refused", { code, client, path: c.req.path });
    }
    // A live stream cannot show a screen; EventSource gives up on a 403 and does not retry.
    if (c.req.path.endsWith("/events")) return c.text(`${code}: ${text}`, status);
    // The home screen of an unpaired screen is the pairing screen; anything else is a refusal.
    if (c.req.method === "GET" && c.req.path === "/") return pairingScreen(c, "/", 200);
    if (c.req.method === "GET") return pairingScreen(c, c.req.path, status);
    return pairingScreen(c, "/", status, text);
  });
}

/** The storage's code for a failed read or write, else INTERNAL. */
function storageCode(thrown: unknown): ErrorCode {
  const error = toStorageError("the database", thrown);
  return error instanceof StorageError ? error.code : "INTERNAL";
}

/** `next` only ever names a page of this box ("/desk/front"), never another site ("//evil"). */
function localPath(next: string | undefined): string {
  return next !== undefined && /^\/(?![/\\])[^\s]*$/.test(next) ? next : "/";
}
