import { type Context, Hono } from "hono";
import { z } from "zod";
import { formatMinute } from "../../domain/rules/absence.ts";
import { defaultForwarding } from "../../domain/rules/rules-types.ts";
import { lazy } from "../../lib/lazy.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import type { RulesActor } from "../../service/audit-detail.ts";
import {
  absenceRangeSchema,
  forwardingSettingSchema,
  toRange,
  toSchedule,
  WEEKDAYS,
  weeklyScheduleSchema,
} from "../../service/rules-facts.ts";
import type { HttpDeps } from "../deps.ts";
import { apiError } from "./errors.ts";

const API: RulesActor = { via: "api", actorId: null };

// Built on the first call: the kiosk does not use the API.
const bodies = lazy(() => ({
  forwarding: forwardingSettingSchema.nullable(),
  absences: z.strictObject({
    schedule: weeklyScheduleSchema.nullable(),
    ranges: z.array(absenceRangeSchema).max(100),
  }),
}));

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * `/api/v1/employees/<id>/forwarding` (R4.1–R4.4) and `/absences` (R4.7): branch IT reads and sets
 * what a manager can on the kiosk. A PUT is whole and audited ("via api"); HQ's ranges are shown
 * (`source: "hq"`) and kept: a PUT replaces the box's own.
 */
export function rulesApi(deps: HttpDeps): Hono {
  const api = new Hono();
  const known = (id: string) => deps.roster.employees(deps.now()).some((e) => e.id === id);

  const forwardingView = (employeeId: string) => {
    const own = deps.rules.forwarding(employeeId);
    const shown = own ?? defaultForwarding(employeeId, deps.now());
    return {
      employeeId,
      own: own !== null,
      action: shown.action,
      notice: shown.notice,
      timeoutSeconds: shown.timeoutSeconds,
      setBy: own === null ? null : own.setBy,
      updatedAt: own === null ? null : iso(own.updatedAt),
    };
  };

  const absencesView = (employeeId: string) => {
    const { schedule, ranges } = deps.rules.absences(employeeId);
    const now = deps.rules.absence(employeeId, deps.now());
    return {
      employeeId,
      schedule:
        schedule === null
          ? null
          : schedule.hours.map((h) => ({
              day: WEEKDAYS[h.day - 1],
              from: formatMinute(h.from),
              to: formatMinute(h.to),
            })),
      ranges: ranges.map((r) => ({
        id: r.id,
        kind: r.kind,
        firstDay: r.first,
        lastDay: r.last,
        source: r.source,
      })),
      away: now === null ? null : { reason: now.reason, until: iso(now.until) },
    };
  };

  api.get("/employees/:id/forwarding", (c) => {
    const id = c.req.param("id");
    if (!known(id)) return unknown(c, id);
    return c.json(forwardingView(id));
  });

  api.put("/employees/:id/forwarding", async (c) => {
    const id = c.req.param("id");
    const body = await readBody(c, bodies().forwarding);
    if (!body.ok) return body.response;
    const result = deps.rules.setForwarding(id, body.value, API, deps.now());
    if (!result.ok) return apiError(c, result.error.code, result.error.message);
    return c.json(forwardingView(id));
  });

  api.get("/employees/:id/absences", (c) => {
    const id = c.req.param("id");
    if (!known(id)) return unknown(c, id);
    return c.json(absencesView(id));
  });

  api.put("/employees/:id/absences", async (c) => {
    const id = c.req.param("id");
    const body = await readBody(c, bodies().absences);
    if (!body.ok) return body.response;
    const next = {
      schedule: body.value.schedule === null ? null : toSchedule(body.value.schedule),
      ranges: body.value.ranges.map(toRange),
    };
    const result = deps.rules.replaceAbsences(id, next, API, deps.now());
    if (!result.ok) return apiError(c, result.error.code, result.error.message);
    return c.json(absencesView(id));
  });

  return api;
}

const unknown = (c: Context, id: string) =>
  apiError(c, "ROSTER.UNKNOWN_EMPLOYEE", `no employee with id "${id}" on the staff list`);

/** The JSON body checked by `schema`, or the coded 400 that says what is wrong with it. */
async function readBody<T>(
  c: Context,
  schema: z.ZodType<T>,
): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return { ok: false, response: apiError(c, "API.BAD_JSON", "the body is not valid JSON") };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      response: apiError(c, "API.INVALID_BODY", describeIssues(parsed.error.issues, "body")),
    };
  return { ok: true, value: parsed.data };
}
