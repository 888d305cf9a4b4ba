import { Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { StorageError, toStorageError } from "../lib/storage-error.ts";
import { errorBody, statusOf } from "./api/errors.ts";
import { apiRoutes } from "./api/routes.ts";
import { adminAuth } from "./auth.ts";
import type { HttpDeps } from "./deps.ts";
import { hostCheck } from "./host-check.ts";
import { metricsRoutes } from "./metrics.ts";
import { phoneActionRoutes } from "./phone-actions.ts";
import { createStreamLimit, limitStreams } from "./stream-limit.ts";

export interface PageRoutes {
  /** The kiosk, mounted at "/". */
  readonly kiosk?: Hono;
  /** The admin page, mounted at "/admin" behind the admin token. */
  readonly admin?: Hono;
}

/**
 * The box's whole HTTP surface. Security by default: a CSP that allows only the box's own
 * scripts and styles, only the box's own host names (DNS rebinding, see host-check.ts), CSRF
 * (Origin) checks on every form post, the admin token on /admin and /api, live streams capped
 * per client and in all, and no secret in any log line.
 */
export function createHttpApp(deps: HttpDeps, pages: PageRoutes = {}): Hono {
  const app = new Hono();
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: "no-referrer",
    }),
  );
  // Before CSRF: a rebound name makes a hostile page same-origin, which CSRF would let through.
  app.use(
    hostCheck({
      listen: deps.config.http.listen,
      allowed: deps.config.http.allowed_hosts,
      log: deps.log,
      now: deps.now,
    }),
  );
  app.use(
    limitStreams(
      createStreamLimit({
        maxStreams: deps.config.http.sse_max_streams,
        maxPerClient: deps.config.http.sse_max_streams_per_client,
        log: deps.log,
        now: deps.now,
      }),
    ),
  );
  // The API is bearer-authenticated (a browser never sends it by itself); forms elsewhere are not.
  app.use(async (c, next) => (c.req.path.startsWith("/api/") ? next() : csrf()(c, next)));

  app.get("/healthz", (c) => c.json({ status: "ok", version: deps.version }));
  app.use("/api/v1/*", adminAuth(deps.config.http.admin_token));
  app.use("/metrics", adminAuth(deps.config.http.admin_token));
  app.route("/metrics", metricsRoutes(deps));
  app.route("/api/v1", apiRoutes(deps));
  // Phones cannot send the admin token: their own per-phone token and address (phone-actions.ts).
  app.route("/phone", phoneActionRoutes(deps.phones, deps.now));
  if (pages.admin !== undefined) {
    app.use("/admin", adminAuth(deps.config.http.admin_token, { realm: "branchbox admin" }));
    app.use("/admin/*", adminAuth(deps.config.http.admin_token, { realm: "branchbox admin" }));
    app.route("/admin", pages.admin);
    app.get("/admin/", (c) => c.redirect("/admin"));
  }
  if (pages.kiosk !== undefined) app.route("/", pages.kiosk);

  app.onError((thrown, c) => {
    // Middleware refusals (CSRF 403, body limit) carry their own response.
    if (thrown instanceof HTTPException) return thrown.getResponse();
    const error = toStorageError("the database", thrown);
    const code = error instanceof StorageError ? error.code : "INTERNAL";
    deps.log.error("request failed", { method: c.req.method, path: c.req.path, code, error });
    const message =
      error instanceof StorageError ? error.message : "something went wrong on the box; try again";
    return c.json(errorBody(code, message), statusOf(code));
  });
  return app;
}
