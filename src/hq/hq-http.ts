import { Hono } from "hono";
import { z } from "zod";
import { tokenAuth } from "../lib/token-auth.ts";
import { describeIssues } from "../lib/zod-issues.ts";
import { type FleetDeps, fleetRoutes } from "./fleet/fleet-routes.tsx";
import type { MangoCommanderCounters } from "./mango/mango-commander.ts";
import { mountMangoResults } from "./mango/mango-result-route.ts";
import type { MangoSweeperCounters } from "./mango/mango-sweep.ts";
import { type MangoWebhookDeps, mountMangoWebhook } from "./mango/mango-webhook.ts";
import type { HqStore } from "./store/hq-store-port.ts";
import type { MangoCommandStore } from "./store/mango-command-store-port.ts";
import type { MangoSweepStore } from "./store/mango-sweep-store-port.ts";

export interface HqStatus {
  readonly mqtt: "connected" | "disconnected";
  readonly counters: Record<string, number>;
  readonly waiting: { streams: number; records: number };
}

const recordsQuery = z.object({
  branch: z.string().min(1),
  stream: z.string().min(1),
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * HQ's HTTP API. `/healthz` is open (status only, 503 while the broker is out of reach);
 * `/api/v1/*` wants `Authorization: Bearer <hq.token>`.
 *
 * - `GET /api/v1/branches`: every branch HQ knows, with presence, backlog, last record and per
 *   stream the acknowledged high-water mark and duplicates; plus this consumer's counters.
 * - `GET /api/v1/records?branch=&stream=&after=0&limit=100`: records with seq > after, in seq
 *   order as applied, `data` parsed; `next` is the `after` for the following page (null: done).
 * - With `[hq.mango]` (issue 17): `POST /mango/events/<kind>`, Mango's own signature instead of
 *   the token (src/hq/mango/mango-webhook.ts), and `GET /api/v1/mango`: the endpoint's counters,
 *   what is stored and still to publish, the newest events of no configured branch, and the
 *   gap sweeps (the newest 20: window, state, rows, new entries, last error code) with counters.
 * - With its commands too (issue 17): `POST /mango/result/<name>` (Mango's signed callbacks,
 *   mango-result-route.ts), and `GET /api/v1/mango` adds `commands`: the commander's counters,
 *   the commands by outcome and the newest with branch, command, state and result.
 * - With `fleet` (issue 18): `/fleet`, the htmx fleet page behind its own sign-in (the same
 *   token, typed once into a form; a signed session cookie), and `/` sends a browser there.
 */
export function hqHttpApp(deps: {
  store: HqStore;
  token: string;
  status: () => HqStatus;
  mango?: MangoWebhookDeps;
  mangoSweeps?: { store: Pick<MangoSweepStore, "recent">; counters: MangoSweeperCounters };
  mangoCommands?: { store: MangoCommandStore; counters: MangoCommanderCounters };
  fleet?: Omit<FleetDeps, "store" | "token">;
}): Hono {
  const app = new Hono();
  const { mango, mangoCommands } = deps;
  if (mango !== undefined) mountMangoWebhook(app, mango);
  if (mango !== undefined && mangoCommands !== undefined)
    mountMangoResults(app, { ...mango, commands: mangoCommands.store });
  app.get("/healthz", async (c) => {
    const status = deps.status();
    const ok = status.mqtt === "connected";
    return c.json(
      { status: ok ? "ok" : "degraded", mqtt: status.mqtt, forwardQueue: await deps.store.forwardDepth() },
      ok ? 200 : 503,
    );
  });
  if (deps.fleet !== undefined) {
    app.route("/fleet", fleetRoutes({ ...deps.fleet, store: deps.store, token: deps.token }));
    app.get("/", (c) => c.redirect("/fleet"));
  }
  app.use("/api/*", tokenAuth(deps.token, { setting: "hq.token" }));
  app.get("/api/v1/branches", async (c) => {
    const status = deps.status();
    return c.json({
      branches: await deps.store.branches(),
      consumer: { mqtt: status.mqtt, ...status.counters, waiting: status.waiting },
    });
  });
  app.get("/api/v1/records", async (c) => {
    const query = recordsQuery.safeParse(c.req.query());
    if (!query.success) {
      return c.json(
        { error: { code: "HQ.BAD_QUERY", message: describeIssues(query.error.issues, "query") } },
        400,
      );
    }
    const { branch, stream, after, limit } = query.data;
    const records = await deps.store.records(branch, stream, after, limit);
    return c.json({
      branch,
      stream,
      records,
      next: records.length === limit ? (records.at(-1)?.seq ?? null) : null,
    });
  });
  app.get("/api/v1/mango", async (c) => {
    if (mango === undefined)
      return c.json({ error: { code: "HTTP.NOT_FOUND", message: "[hq.mango] is not configured" } }, 404);
    const unrouted = await mango.store.unrouted(100);
    return c.json({
      counters: mango.counters,
      store: await mango.store.counts(),
      unrouted: unrouted.map((e) => ({
        id: e.id,
        kind: e.kind,
        receivedAt: e.receivedAt,
        json: JSON.parse(e.json),
      })),
      ...(deps.mangoSweeps === undefined
        ? {}
        : {
            sweeps: {
              counters: deps.mangoSweeps.counters,
              recent: (await deps.mangoSweeps.store.recent(20)).map(({ key: _key, ...sweep }) => sweep),
            },
          }),
      ...(mangoCommands === undefined
        ? {}
        : {
            commands: {
              counters: mangoCommands.counters,
              outcomes: await mangoCommands.store.outcomes(),
              recent: await mangoCommands.store.recent(20),
            },
          }),
    });
  });
  app.notFound((c) => c.json({ error: { code: "HTTP.NOT_FOUND", message: "no such route" } }, 404));
  return app;
}
