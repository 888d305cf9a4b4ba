import { Hono } from "hono";
import { z } from "zod";
import { lazy } from "../../lib/lazy.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import type { CallCommandInput, CallCommandView } from "../../service/call-command-port.ts";
import type { HttpDeps } from "../deps.ts";
import { apiError } from "./errors.ts";

/** Built on the first `/api/v1/commands` (the kiosk does not use the API). */
const body = lazy(() => {
  const text = (max: number) => z.string().min(1).max(max);
  const commandId = text(200).optional();
  return z.discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("click-to-call"),
      commandId,
      employeeId: text(64).optional(),
      extension: text(16).optional(),
      number: text(32),
    }),
    z.strictObject({ kind: z.literal("hangup"), commandId, callId: text(200) }),
    z.strictObject({
      kind: z.literal("transfer"),
      commandId,
      callId: text(200),
      to: text(64),
      mode: z.enum(["blind", "attended"]),
    }),
    z.strictObject({ kind: z.literal("cancel-transfer"), commandId, callId: text(200) }),
  ]);
});

const iso = (t: number) => new Date(t).toISOString();

export const commandJson = (v: CallCommandView) => ({
  commandId: v.commandId,
  kind: v.kind,
  state: v.state,
  callId: v.callId,
  reason: v.reason,
  createdAt: iso(v.createdAt),
  updatedAt: iso(v.updatedAt),
});

/**
 * Issue 15: `POST /commands` acts on a call (click-to-call, hang up, transfer, cancel-transfer) and answers 202
 * `{commandId, state}` once the command is durable; the PBX's outcome is read with
 * `GET /commands/<commandId>`. The id is the header `Idempotency-Key`, else the field `commandId`,
 * else a new UUID: the same id again returns the same command and never acts twice.
 */
export function commandsApi(deps: HttpDeps): Hono {
  const api = new Hono();

  api.post("/commands", async (c) => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      return apiError(c, "API.BAD_JSON", "the body is not valid JSON");
    }
    const parsed = body().safeParse(json);
    if (!parsed.success) return apiError(c, "API.INVALID_BODY", describeIssues(parsed.error.issues, "body"));
    const { commandId: field, ...args } = parsed.data;
    const header = c.req.header("idempotency-key");
    if (header !== undefined && field !== undefined && header !== field)
      return apiError(c, "API.INVALID_BODY", "Idempotency-Key and commandId differ: give one, or the same");
    const commandId = header ?? field ?? crypto.randomUUID();
    const input = { ...args, commandId, origin: { via: "api" } } as CallCommandInput;
    const result = await deps.commands.submit(input, deps.now());
    if (!result.ok) return apiError(c, result.error.code, result.error.message);
    return c.json({ commandId: result.value.commandId, state: result.value.state }, 202);
  });

  api.get("/commands/:commandId", (c) => {
    const commandId = c.req.param("commandId");
    const found = deps.commands.get(commandId);
    if (found === null) return apiError(c, "API.NOT_FOUND", `no command ${commandId}`);
    return c.json(commandJson(found));
  });

  return api;
}
