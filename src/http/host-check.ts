import { hostname, networkInterfaces } from "node:os";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../log/logger.ts";
import { errorBody } from "./api/errors.ts";
import { statusOf } from "./error-catalogue.ts";

/**
 * Why the box looks at `Host` at all: DNS rebinding. A page on evil.example, once loaded in a
 * browser on the branch LAN, can re-point evil.example at the box's address. Its scripts then
 * talk to the box as their own origin: the browser sends `Origin: http://evil.example:8080` and
 * `Sec-Fetch-Site: same-origin`, which is exactly what the CSRF check accepts, and reads the
 * answers. The one thing such a request cannot fake is the name it was sent to, so the box answers
 * only to names that are its own.
 */
export const BAD_HOST = "HTTP.BAD_HOST";

/** How often, at most, a request for an unknown host makes the box re-read its own names. */
export const MACHINE_REFRESH_MS = 10_000;

/** Distinct refused hosts logged; after that they are refused quietly (a scan must not fill the log). */
const LOGGED_HOSTS_MAX = 32;

export interface HostCheckOptions {
  /** `http.listen`; its host is allowed unless it is a wildcard (0.0.0.0, [::]). */
  readonly listen: string;
  /** `http.allowed_hosts`: the names a kiosk may use that the machine does not know itself. */
  readonly allowed: readonly string[];
  readonly log: Logger;
  readonly now: () => number;
  /** The machine's own names and addresses; tests pass fixed ones. */
  readonly machine?: () => Iterable<string>;
}

/**
 * Refuses, before anything else looks at it, a request whose `Host` names neither localhost, the
 * listen address, the machine (its host name, any interface address) nor `http.allowed_hosts`.
 * The port is not compared: a rebinding page cannot choose the name, and the name is enough.
 * Addresses can change under a running box (DHCP), so an unknown host re-reads the machine's
 * names first, at most once per MACHINE_REFRESH_MS.
 */
export function hostCheck(options: HostCheckOptions): MiddlewareHandler {
  const machine = options.machine ?? machineHosts;
  const fixed = new Set(["localhost", "127.0.0.1", "::1"]);
  const listenHost = normalizeHost(options.listen);
  if (listenHost !== "0.0.0.0" && listenHost !== "::") fixed.add(listenHost);
  for (const host of options.allowed) fixed.add(normalizeHost(host));
  let own = new Set(machine());
  let readAt = options.now();
  const logged = new Set<string>();

  const allows = (host: string): boolean => {
    if (fixed.has(host) || own.has(host)) return true;
    if (options.now() - readAt < MACHINE_REFRESH_MS) return false;
    own = new Set(machine());
    readAt = options.now();
    return own.has(host);
  };

  return async (c, next) => {
    const raw = c.req.header("host") ?? new URL(c.req.url).host;
    const host = normalizeHost(raw);
    if (allows(host)) return next();
    if (logged.size < LOGGED_HOSTS_MAX && !logged.has(host)) {
      logged.add(host);
      options.log.warn("request for a host this box does not answer for refused", {
        code: BAD_HOST,
        host: host.slice(0, 100),
        fix: "if a kiosk uses this name, add it to [http] allowed_hosts",
      });
    }
    const message = "this box does not answer for that host name; see [http] allowed_hosts";
    if (c.req.path.startsWith("/api/")) return c.json(errorBody(BAD_HOST, message), statusOf(BAD_HOST));
    return c.text(`${BAD_HOST}: ${message}`, statusOf(BAD_HOST));
  };
}

/** "Box.Local.:8080" → "box.local", "[FE80::1]:8080" → "fe80::1": the name without port or dot. */
export function normalizeHost(hostPort: string): string {
  const value = hostPort.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end < 0 ? value : value.slice(1, end);
  }
  // One colon is a port; more is a bare IPv6 address (only from config: a Host header brackets it).
  const colons = value.split(":").length - 1;
  const name = colons === 1 ? value.slice(0, value.indexOf(":")) : value;
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** The machine's host name (also short and with .local, as mDNS serves it) and interface addresses. */
export function machineHosts(): string[] {
  const name = hostname().toLowerCase();
  const short = name.split(".")[0] ?? name;
  const hosts = [name, short, `${short}.local`];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) hosts.push(address.address.toLowerCase().replace(/%.*$/, ""));
  }
  return hosts;
}
