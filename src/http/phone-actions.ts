import { Hono } from "hono";
import type { ErrorCode } from "../domain/error-codes.ts";
import type { PhonesPort } from "../service/phones.ts";
import { errorBody } from "./api/errors.ts";
import { statusOf } from "./error-catalogue.ts";
import { createRateLimiter, peerAddress } from "./rate-limit.ts";

/** Action-URL requests one address may make in a minute: a phone sends a few per call. */
export const PHONE_REQUESTS_PER_MINUTE = 120;

/**
 * `GET /phone/<token>/<event>?remote=…` (issue 17): the desk phones' action URLs, enrichment only.
 * Not behind the admin token (a phone cannot send one) but behind the Host check; GET only, as
 * every vendor sends them, so no CSRF. The phone's token in the path and its address are checked
 * by `PhonesPort.report`; the answer is a short text a phone ignores, with the code when refused.
 */
export function phoneActionRoutes(phones: PhonesPort, now: () => number): Hono {
  const limiter = createRateLimiter(PHONE_REQUESTS_PER_MINUTE, 60_000);
  const routes = new Hono();
  routes.get("/:token/:event", (c) => {
    const address = peerAddress(c);
    if (!limiter.take(address ?? "unknown", now())) return refusal("PHONE.RATE_LIMITED", "too many requests");
    const result = phones.report(
      {
        token: c.req.param("token"),
        address,
        event: c.req.param("event"),
        query: (name) => c.req.query(name),
      },
      now(),
    );
    return result.ok ? c.text("OK") : refusal(result.error.code, result.error.message);
  });
  return routes;
}

function refusal(code: ErrorCode, message: string): Response {
  return Response.json(errorBody(code, message), { status: statusOf(code) });
}
