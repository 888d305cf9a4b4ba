import type { CrmConfig } from "../../hq-config.ts";
import type { CrmConnectorDeps, CrmOutcome } from "../crm-port.ts";

/** One request's wait for retailCRM's answer: past it the step is retried, never lost. */
const TIMEOUT_MS = 15_000;

/**
 * retailCRM API v5 over HTTP, each call ending as a CrmOutcome. The key goes in the `X-API-KEY`
 * header (the official PHP client's HeaderAuthenticatorHandler), NEVER in a URL, a log line or a
 * reason. Bodies are forms whose entity fields are JSON (`calls`, `customer`, `order`, `task`).
 *
 * How an answer ends a step: success → done; 429, 5xx, a network error or a timeout → retry
 * (after Retry-After when given); any other 4xx → park with retailCRM's `errorMsg` and `errors`.
 */
export interface RetailcrmClient {
  /** `telephony/calls/upload` of one call; `externalId` in `duplicateCalls` is done too. */
  uploadCall(call: Record<string, unknown>, externalId: string): Promise<CrmOutcome>;
  /** `GET <entity>/<externalId>?by=externalId`, then `<entity>/create` only if it is not there. */
  createOnce(
    entity: "customers" | "orders",
    externalId: string,
    fields: Record<string, unknown>,
  ): Promise<CrmOutcome>;
  /** `GET tasks?filter[text]=<marker>`, then `tasks/create` only if no task has the marker. */
  createTaskOnce(marker: string, task: Record<string, unknown>): Promise<CrmOutcome>;
  /** `customers/<externalId>/edit?by=externalId`. */
  editCustomer(externalId: string, fields: Record<string, unknown>): Promise<CrmOutcome>;
}

type Answer = { readonly kind: "answer"; readonly status: number; readonly body: Record<string, unknown> };
type Failed = Extract<CrmOutcome, { kind: "retry" | "park" }>;

export function createRetailcrmClient(config: CrmConfig, deps: CrmConnectorDeps): RetailcrmClient {
  const base = `${config.url.replace(/\/+$/, "")}/api/v5/`;
  const doFetch = deps.fetch ?? fetch;
  const singular = { customers: "customer", orders: "order" } as const;

  const request = async (
    method: "GET" | "POST",
    path: string,
    query: Record<string, string>,
    form?: Record<string, string>,
  ): Promise<Answer | Failed> => {
    const url = `${base}${path}?${new URLSearchParams(query)}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: {
          "X-API-KEY": config.api_key,
          ...(form === undefined ? {} : { "Content-Type": "application/x-www-form-urlencoded" }),
        },
        body: form === undefined ? undefined : new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      return {
        kind: "retry",
        reason: `retailCRM unreachable: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    const text = await res.text().catch(() => "");
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
        body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON (a proxy's page): the status decides.
    }
    if (res.status === 429 || res.status >= 500) {
      const afterMs = retryAfterMs(res.headers.get("retry-after"), deps.now());
      return {
        kind: "retry",
        reason: `retailCRM ${path}: HTTP ${res.status}${errorText(body)}`,
        ...(afterMs === undefined ? {} : { afterMs }),
      };
    }
    return { kind: "answer", status: res.status, body };
  };

  const park = (path: string, answer: Answer): Failed => ({
    kind: "park",
    code: "CRM.REJECTED",
    reason: `retailCRM ${path}: HTTP ${answer.status}${errorText(answer.body)}`,
  });
  const ok = (a: Answer) => a.status >= 200 && a.status < 300 && a.body.success === true;
  const done = (a: Answer): CrmOutcome => ({
    kind: "done",
    result: typeof a.body.id === "number" ? { id: a.body.id } : {},
  });
  const site = { site: config.site };

  return {
    async uploadCall(call, externalId) {
      const path = "telephony/calls/upload";
      const a = await request("POST", path, {}, { calls: JSON.stringify([{ ...call, site: config.site }]) });
      if (a.kind !== "answer") return a;
      if (!ok(a)) return park(path, a);
      const duplicate = Array.isArray(a.body.duplicateCalls) && a.body.duplicateCalls.includes(externalId);
      return { kind: "done", result: { duplicate } };
    },
    async createOnce(entity, externalId, fields) {
      const byExternal = { by: "externalId", ...site };
      const getPath = `${entity}/${encodeURIComponent(externalId)}`;
      const found = await request("GET", getPath, byExternal);
      if (found.kind !== "answer") return found;
      if (ok(found)) {
        const entityBody = found.body[singular[entity]] as { id?: unknown } | undefined;
        return { kind: "done", result: typeof entityBody?.id === "number" ? { id: entityBody.id } : {} };
      }
      if (found.status !== 404) return park(getPath, found);
      const path = `${entity}/create`;
      const a = await request("POST", path, {}, { [singular[entity]]: JSON.stringify(fields), ...site });
      if (a.kind !== "answer") return a;
      return ok(a) ? done(a) : park(path, a);
    },
    async createTaskOnce(marker, task) {
      const found = await request("GET", "tasks", { "filter[text]": marker });
      if (found.kind !== "answer") return found;
      if (!ok(found)) return park("tasks", found);
      const tasks = Array.isArray(found.body.tasks)
        ? (found.body.tasks as { id?: unknown; text?: unknown }[])
        : [];
      const mine = tasks.find((t) => typeof t.text === "string" && t.text.includes(marker));
      if (mine !== undefined)
        return { kind: "done", result: typeof mine.id === "number" ? { id: mine.id } : {} };
      const path = "tasks/create";
      const a = await request("POST", path, {}, { task: JSON.stringify(task), ...site });
      if (a.kind !== "answer") return a;
      return ok(a) ? done(a) : park(path, a);
    },
    async editCustomer(externalId, fields) {
      const path = `customers/${encodeURIComponent(externalId)}/edit`;
      const a = await request(
        "POST",
        path,
        {},
        { by: "externalId", customer: JSON.stringify(fields), ...site },
      );
      if (a.kind !== "answer") return a;
      return ok(a) ? done(a) : park(path, a);
    },
  };
}

/** `: <errorMsg> (<errors>)` of retailCRM's error body, or nothing. The key is never in it. */
function errorText(body: Record<string, unknown>): string {
  const msg = typeof body.errorMsg === "string" ? body.errorMsg : "";
  const errors = body.errors;
  const list =
    errors === undefined || errors === null
      ? ""
      : Array.isArray(errors)
        ? errors.map(String).join("; ")
        : Object.entries(errors as Record<string, unknown>)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join("; ");
  if (msg === "" && list === "") return "";
  return `: ${msg}${list === "" ? "" : ` (${list})`}`;
}

/** Retry-After in seconds or as an HTTP date → ms; undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
