import type { Hono } from "hono";
import htmxSse from "htmx.org/dist/ext/hx-sse.min.js" with { type: "text" };
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import icon from "../../web/icon.svg" with { type: "text" };
import css from "../../web/kiosk.css" with { type: "text" };
import kioskJs from "../../web/kiosk.js" with { type: "text" };
import kioskOfflineJs from "../../web/kiosk-offline.js" with { type: "text" };

/**
 * The browser-side files, embedded in the binary at build time: nothing is read from disk and
 * nothing comes from a CDN. URLs carry a content hash, so a new binary is never served stale.
 */
const FILES = {
  // htmx 4 starts on a timer as soon as it runs, and an extension registered after that start is
  // never applied: a page whose SSE extension arrived a moment late never opened its live streams.
  // One file, the extension right after htmx, registers it before the start.
  "htmx.min.js": { body: `${htmx}\n;\n${htmxSse}`, type: "text/javascript; charset=utf-8" },
  "kiosk.js": { body: kioskJs, type: "text/javascript; charset=utf-8" },
  "kiosk-offline.js": { body: kioskOfflineJs, type: "text/javascript; charset=utf-8" },
  "kiosk.css": { body: css, type: "text/css; charset=utf-8" },
  "icon.svg": { body: icon, type: "image/svg+xml" },
} as const;

export type AssetName = keyof typeof FILES;

const HASHES = Object.fromEntries(
  Object.entries(FILES).map(([name, file]) => [name, Bun.hash(file.body).toString(36)]),
) as Record<AssetName, string>;

/** The URL of an embedded asset, with its content hash for caching. */
export const assetUrl = (name: AssetName): string => `/assets/${name}?v=${HASHES[name]}`;

/** Adds `GET /assets/:name` to a router. */
export function mountAssets(app: Hono): void {
  app.get("/assets/:name", (c) => {
    const name = c.req.param("name");
    if (!Object.hasOwn(FILES, name)) return c.notFound();
    const file = FILES[name as AssetName];
    const etag = `"${HASHES[name as AssetName]}"`;
    c.header("ETag", etag);
    c.header(
      "Cache-Control",
      c.req.query("v") === undefined ? "no-cache" : "public, max-age=31536000, immutable",
    );
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    return c.body(file.body, 200, { "Content-Type": file.type });
  });
}
