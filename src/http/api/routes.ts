import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { parseIsoInstant } from "../../lib/iso-time.ts";
import { lazy } from "../../lib/lazy.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import type { RosterCommandInput } from "../../service/roster-port.ts";
import type { HttpDeps } from "../deps.ts";
import { callsApi } from "./calls.ts";
import { commandsApi } from "./commands.ts";
import { apiError } from "./errors.ts";
import { rulesApi } from "./rules.ts";

// Built on the first API call: the kiosk does not use the API.
const isoInstant = lazy(() =>
  z
    .string()
    .max(40)
    .regex(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/,
      "an ISO-8601 time with a zone, e.g. 2026-11-21T09:00:00+03:00",
    ),
);

const bodies = lazy(() => {
  const id = z.string().min(1).max(64);
  const at = isoInstant().optional();
  return {
    "check-in": z.strictObject({ employeeId: id, deskId: id, at }),
    handover: z.strictObject({ employeeId: id, deskId: id, at }),
    "check-out": z.strictObject({ employeeId: id, at }),
    "break-start": z.strictObject({ employeeId: id, at }),
    "break-end": z.strictObject({ employeeId: id, at }),
  } as const;
});

type Kind = keyof ReturnType<typeof bodies>;

/** Two months: a branch that installs the box mid-month reads the month back, not a year. */
const MAX_BACKFILL_MS = 62 * 24 * 3600 * 1000;
// A Record, so the compiler insists every kind gets its route (without building the bodies).
const KINDS = Object.keys({
  "check-in": true,
  handover: true,
  "check-out": true,
  "break-start": true,
  "break-end": true,
} satisfies Record<Kind, true>) as Kind[];

/** `/api/v1`: JSON in, JSON out, every error `{error: {code, message}}` with a stable code. */
export function apiRoutes(deps: HttpDeps): Hono {
  const api = new Hono();
  api.use(
    bodyLimit({
      maxSize: 16 * 1024,
      onError: (c) => apiError(c, "API.TOO_LARGE", "the body is over 16 KiB"),
    }),
  );

  api.get("/desks", (c) =>
    c.json(
      deps.roster.board(deps.now()).desks.map((d) => ({
        id: d.id,
        name: d.name,
        extension: d.extension,
        holder: d.holder === null ? null : { ...d.holder, since: new Date(d.holder.since).toISOString() },
      })),
    ),
  );

  api.get("/owner", (c) => {
    const extension = c.req.query("extension");
    const atText = c.req.query("at");
    if (extension === undefined || !/^[0-9*#+]{1,16}$/.test(extension)) {
      return apiError(c, "API.INVALID_QUERY", "extension: required, digits (e.g. ?extension=101)");
    }
    let at = deps.now();
    if (atText !== undefined) {
      const parsed = isoInstant().safeParse(atText);
      const ms = parsed.success ? parseIsoInstant(atText) : null;
      if (ms === null)
        return apiError(c, "ROSTER.BAD_TIME", `at: expected an ISO-8601 time with a zone, got "${atText}"`);
      at = ms;
    }
    const owner = deps.roster.ownerOf(extension, at);
    return c.json({
      extension,
      at: new Date(at).toISOString(),
      employeeId: owner.employeeId,
      rule: owner.rule,
      reason: owner.reason,
    });
  });

  for (const kind of KINDS) {
    api.post(`/roster/${kind}`, async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        return apiError(c, "API.BAD_JSON", "the body is not valid JSON");
      }
      const parsed = bodies()[kind].safeParse(json);
      if (!parsed.success)
        return apiError(c, "API.INVALID_BODY", describeIssues(parsed.error.issues, "body"));
      const body = parsed.data;
      const at = body.at === undefined ? undefined : parseIsoInstant(body.at);
      if (at === null) return apiError(c, "ROSTER.BAD_TIME", `at: "${body.at}" is not a real time`);
      const input: RosterCommandInput = {
        kind,
        employeeId: body.employeeId,
        deskId: "deskId" in body ? (body.deskId as string) : null,
        source: "api",
        ...(at === undefined ? {} : { at }),
      };
      const result = await deps.roster.record(input, deps.now());
      if (!result.ok) return apiError(c, result.error.code, result.error.message);
      const fact = result.value;
      return c.json({
        seq: fact.seq,
        kind: fact.kind,
        employeeId: fact.employeeId,
        deskId: fact.deskId,
        at: new Date(fact.at).toISOString(),
      });
    });
  }

  api.route("/", callsApi(deps));
  api.route("/", commandsApi(deps));
  api.route("/", rulesApi(deps));

  // Issue 14: lift an employee's PIN lock (audited, like /admin's button).
  api.post("/pins/:employeeId/unlock", (c) => {
    const employeeId = c.req.param("employeeId");
    const result = deps.roster.unlockPin(employeeId, { actorId: null, via: "api" }, deps.now());
    if (!result.ok) return apiError(c, result.error.code, result.error.message);
    return c.json({ employeeId, wasLocked: result.value.wasLocked });
  });

  // Issue 13: `branchbox backfill` reads a period back from the PBX's records.
  api.post("/pbx/backfill", async (c) => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      return apiError(c, "API.BAD_JSON", "the body is not valid JSON");
    }
    const parsed = z.strictObject({ from: isoInstant(), to: isoInstant() }).safeParse(json);
    if (!parsed.success) return apiError(c, "API.INVALID_BODY", describeIssues(parsed.error.issues, "body"));
    const from = parseIsoInstant(parsed.data.from);
    const to = parseIsoInstant(parsed.data.to);
    if (from === null || to === null || from >= to || to - from > MAX_BACKFILL_MS)
      return apiError(c, "API.INVALID_BODY", "body: from before to, at most 62 days apart, both real times");
    const gaps = (await deps.backfill?.({ from, to })) ?? [];
    if (gaps.length === 0)
      return apiError(
        c,
        "PBX.NO_HISTORY",
        "no PBX source keeps a history to read: set [pbx.ami] cel_url or cel_csv",
      );
    return c.json({
      gaps: gaps.map((g) => ({
        source: g.source,
        state: g.state,
        calls: g.calls,
        events: g.events,
        skipped: g.skipped,
        detail: g.detail,
      })),
    });
  });

  // A sub-app's notFound is not consulted once mounted: a catch-all route answers instead.
  api.all("*", (c) => apiError(c, "API.NOT_FOUND", `no such endpoint: ${c.req.method} ${c.req.path}`));
  return api;
}
