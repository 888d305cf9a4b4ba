import { Hono } from "hono";
import { z } from "zod";
import type { CallRecord } from "../../domain/call/call-types.ts";
import { parseIsoInstant } from "../../lib/iso-time.ts";
import { lazy } from "../../lib/lazy.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import type { HttpDeps } from "../deps.ts";
import { apiError } from "./errors.ts";

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** The wire shape of a call record: instants as ISO-8601 strings, everything else as recorded. */
export function callJson(record: CallRecord) {
  return {
    id: record.id,
    partOf: record.partOf,
    direction: record.direction,
    from: record.from,
    to: record.to,
    did: record.did,
    startedAt: iso(record.startedAt),
    answeredAt: iso(record.answeredAt),
    endedAt: iso(record.endedAt),
    outcome: record.outcome,
    legs: record.legs.map((leg) => ({
      id: leg.id,
      extension: leg.extension,
      employeeId: leg.employeeId,
      rule: leg.rule,
      reason: leg.reason,
      state: leg.state,
      ending: leg.ending,
      ringingAt: iso(leg.ringingAt),
      answeredAt: iso(leg.answeredAt),
      endedAt: iso(leg.endedAt),
      transferredFrom: leg.transferredFrom,
    })),
    owner: record.owner,
    pops: record.pops,
    recordingUrl: record.recordingUrl,
    /** Read back from the PBX's records after a gap (issue 13): how, and when; null: seen live. */
    recovered: record.recovered === null ? null : { via: record.recovered.via, at: iso(record.recovered.at) },
  };
}

/** An ISO-8601 time with a zone that exists (not 2026-11-31), as epoch milliseconds. */
const instant = () =>
  z.string().transform((text, ctx) => {
    const ms = parseIsoInstant(text);
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: "expected an ISO-8601 time with a zone that exists" });
      return z.NEVER;
    }
    return ms;
  });

/** Built on the first `/api/v1/calls` (the kiosk does not use the API). */
const query = lazy(() =>
  z.strictObject({
    since: instant().optional(),
    until: instant().optional(),
    employee: z.string().min(1).max(64).optional(),
    outcome: z.enum(["answered", "missed", "voicemail", "busy", "failed"]).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  }),
);

/** `GET /api/v1/calls?since=<ISO>&until=&employee=&outcome=&limit=`: finished calls, newest first. */
export function callsApi(deps: HttpDeps): Hono {
  const api = new Hono();
  api.get("/calls", (c) => {
    const parsed = query().safeParse(c.req.query());
    if (!parsed.success) {
      return apiError(c, "API.INVALID_QUERY", describeIssues(parsed.error.issues, "query"));
    }
    const q = parsed.data;
    const records = deps.calls.list({
      limit: q.limit,
      ...(q.since === undefined ? {} : { since: q.since }),
      ...(q.until === undefined ? {} : { until: q.until }),
      ...(q.employee === undefined ? {} : { employeeId: q.employee }),
      ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
    });
    return c.json(records.map(callJson));
  });
  return api;
}
