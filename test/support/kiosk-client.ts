import { Hono } from "hono";
import type { ConfigInput } from "../../src/config/schema.ts";
import { adminRoutes } from "../../src/http/admin/index.tsx";
import { createHttpApp } from "../../src/http/app.ts";
import type { HttpDeps } from "../../src/http/deps.ts";
import { type KioskOptions, kioskRoutes } from "../../src/http/kiosk/index.tsx";
import type { CallCommandsPort } from "../../src/service/call-command-port.ts";
import type { CallsPort } from "../../src/service/calls-port.ts";
import type { StaffEntry } from "../../src/service/staff-import.ts";
import { makeTestBox, type TestBox } from "./box.ts";

/** The origin `app.request()` sees for a relative path; a same-origin form post sends it. */
export const SAME_ORIGIN = "http://localhost";

export interface KioskBox extends TestBox {
  /** The full app (CSP, CSRF, admin auth) with the kiosk at "/" and the admin page at "/admin". */
  readonly web: Hono;
  /** GET as a kiosk browser; `hx` marks an htmx request that swaps `#screen`. */
  get(path: string, options?: { hx?: boolean; cookie?: string }): Promise<Response>;
  /** A form post, same-origin unless `origin` says otherwise. */
  post(
    path: string,
    fields: Record<string, string>,
    options?: { hx?: boolean; origin?: string; cookie?: string },
  ): Promise<Response>;
  factCount(): number;
}

/**
 * A test box whose app has the kiosk and admin pages mounted through the lead's `createHttpApp`;
 * `calls` replaces the box's CallsPort (a fake-calls.ts fake) in that app, with a PBX link that is
 * up; `commands` replaces its CallCommandsPort (a fake-call-commands.ts fake); `config` adds to the
 * demo's.
 */
export async function makeKioskBox(
  options: {
    kiosk?: KioskOptions;
    calls?: CallsPort;
    commands?: CallCommandsPort;
    config?: Partial<ConfigInput>;
    staff?: StaffEntry[];
    dir?: string;
  } = {},
): Promise<KioskBox> {
  const box = await makeTestBox({
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.dir === undefined ? {} : { dir: options.dir }),
    ...(options.staff === undefined ? {} : { staff: options.staff }),
  });
  // Fake calls stand for a PBX: the screens see a linked one (issue 14 says when there is none).
  const linked = () => ({
    ...box.deps.pbx(),
    sources: [
      {
        name: "fake",
        status: {
          state: "connected" as const,
          since: 0,
          detail: "fake calls",
          eventsReceived: 0,
          badFrames: 0,
        },
      },
    ],
  });
  const withCalls =
    options.calls === undefined ? box.deps : { ...box.deps, calls: options.calls, pbx: linked };
  const deps = options.commands === undefined ? withCalls : { ...withCalls, commands: options.commands };
  const web = webApp(deps, options.kiosk);
  const headers = (o: { hx?: boolean; cookie?: string }) => ({
    ...(o.hx === true ? { "hx-request": "true", "hx-request-type": "partial" } : {}),
    ...(o.cookie !== undefined ? { cookie: o.cookie } : {}),
  });
  return {
    ...box,
    deps,
    web,
    get: async (path, o = {}) => web.request(path, { headers: headers(o) }),
    post: async (path, fields, o = {}) =>
      web.request(path, {
        method: "POST",
        headers: {
          ...headers(o),
          origin: o.origin ?? SAME_ORIGIN,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(fields).toString(),
      }),
    factCount: () => box.db.query<{ n: number }, []>("SELECT count(*) AS n FROM roster_facts").get()?.n ?? -1,
  };
}

/**
 * The app as the box's own screen reaches it: every request comes from a socket peer on loopback,
 * as Bun.serve would say (issue 14, item 8: the box's own screen is paired by itself).
 */
export function webApp(deps: HttpDeps, kiosk?: KioskOptions): Hono {
  return fromPeer(
    createHttpApp(deps, { kiosk: kioskRoutes(deps, kiosk), admin: adminRoutes(deps) }),
    LOOPBACK,
  );
}

export const LOOPBACK = "127.0.0.1";

/** What Bun.serve hands the app as its env: here only the socket peer's address. */
export const peer = (address: string) => ({ requestIP: () => ({ address }) });

/**
 * `app` with its requests coming from `address` (`server.requestIP`, which `app.request()` alone
 * has none of: src/http/rate-limit.ts peerAddress), unless a request names its own peer as its env.
 */
export function fromPeer(app: Hono, address: string): Hono {
  const served = new Hono();
  served.all("*", (c) => app.fetch(c.req.raw, c.env ?? peer(address)));
  return served;
}

/** The signed ticket in an action screen's forms. */
export function ticketIn(html: string): string {
  const match = /name="ticket" value="([^"]+)"/.exec(html);
  if (match?.[1] === undefined) throw new Error("no ticket in the page");
  return match[1];
}

/** The text of the element with this data-testid (first match), tags stripped. */
export function testIdText(html: string, testId: string): string | null {
  const at = html.indexOf(`data-testid="${testId}"`);
  if (at < 0) return null;
  const start = html.indexOf(">", at) + 1;
  let depth = 1;
  let i = start;
  const tag = /<(\/?)([a-z0-9]+)[^>]*?(\/?)>/gi;
  tag.lastIndex = start;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    if (m[3] === "/" || /^(input|br|meta|link|img)$/i.test(m[2] ?? "")) continue;
    depth += m[1] === "/" ? -1 : 1;
    if (depth === 0) {
      i = m.index;
      break;
    }
  }
  return decode(html.slice(start, i).replace(/<[^>]+>/g, ""))
    .replace(/\s+/g, " ")
    .trim();
}

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
