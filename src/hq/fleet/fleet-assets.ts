import type { Hono } from "hono";
import htmxSse from "htmx.org/dist/ext/hx-sse.min.js" with { type: "text" };
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import css from "../../../web/hq.css" with { type: "text" };

/** The fleet page's browser files, embedded at build time (nothing from disk, nothing from a CDN). */
const FILES = {
  // The SSE extension right after htmx, in one file: registered before htmx starts (see src/http/assets.ts).
  "htmx.min.js": { body: `${htmx}\n;\n${htmxSse}`, type: "text/javascript; charset=utf-8" },
  "hq.css": { body: css, type: "text/css; charset=utf-8" },
} as const;

type FleetAsset = keyof typeof FILES;

const HASHES = Object.fromEntries(
  Object.entries(FILES).map(([name, file]) => [name, Bun.hash(file.body).toString(36)]),
) as Record<FleetAsset, string>;

export const fleetAssetUrl = (name: FleetAsset): string => `/fleet/assets/${name}?v=${HASHES[name]}`;

/** `GET /assets/:name` on the fleet's router: open (no secret in them), cached by content hash. */
export function mountFleetAssets(app: Hono): void {
  app.get("/assets/:name", (c) => {
    const name = c.req.param("name");
    if (!Object.hasOwn(FILES, name)) return c.notFound();
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    return c.body(FILES[name as FleetAsset].body, 200, { "Content-Type": FILES[name as FleetAsset].type });
  });
}
