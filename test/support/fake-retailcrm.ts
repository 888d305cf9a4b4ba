// A wire fake of retailCRM API v5 (issue 19), the part HQ's connector calls: telephony/calls/upload,
// customers (get by externalId, create, edit), orders (get, create), tasks (list by text, create).
// It checks what the real one checks (the X-API-KEY header, the method, a form with JSON entity
// fields and their required keys) and answers as test/fixtures/crm/retailcrm/real/ shows: success
// bodies with ids, `duplicateCalls` for a call whose externalId it has, `{success: false,
// errorMsg, errors}` for the rest. A test may script the next answers of a path (`failNext`: 429
// with Retry-After, 503, 400…). What it accepted or refused is in `requests`.

export interface FakeRetailcrmRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly form: Record<string, string>;
  readonly status: number;
  readonly at: number;
}

export interface FakeRetailcrm {
  /** `[hq.crm] url`: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: FakeRetailcrmRequest[];
  readonly calls: Map<string, Record<string, unknown>>;
  readonly customers: Map<string, Record<string, unknown>>;
  readonly orders: Map<string, Record<string, unknown>>;
  readonly tasks: Record<string, unknown>[];
  /** The next `times` requests to `path` (e.g. `telephony/calls/upload`) get this answer instead. */
  failNext(path: string, response: () => Response, times?: number): void;
  stop(): Promise<void>;
}

const CALL_TYPES = new Set(["in", "out"]);
const CALL_RESULTS = new Set(["answered", "busy", "failed", "no answer", "not allowed", "unknown"]);
const DATE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

export function startFakeRetailcrm(secrets: {
  readonly apiKey: string;
  readonly site: string;
}): FakeRetailcrm {
  const requests: FakeRetailcrmRequest[] = [];
  const calls = new Map<string, Record<string, unknown>>();
  const customers = new Map<string, Record<string, unknown>>();
  const orders = new Map<string, Record<string, unknown>>();
  const tasks: Record<string, unknown>[] = [];
  const scripted = new Map<string, (() => Response)[]>();
  let nextId = 1;

  const error = (status: number, errorMsg: string, errors?: Record<string, string>) =>
    Response.json({ success: false, errorMsg, ...(errors === undefined ? {} : { errors }) }, { status });
  const entity = (form: Record<string, string>, field: string): Record<string, unknown> | Response => {
    const raw = form[field];
    if (raw === undefined) return error(400, `Parameter '${field}' is missing`);
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === "object" && parsed !== null) return parsed as Record<string, unknown>;
    } catch {
      // answered below
    }
    return error(400, "Errors in the entity format", { [field]: "not JSON" });
  };
  const checkSite = (form: Record<string, string>, query: Record<string, string>) =>
    (form.site ?? query.site) === secrets.site
      ? null
      : error(400, "Errors in the entity format", { site: "unknown site" });

  const route = (
    method: string,
    path: string,
    query: Record<string, string>,
    form: Record<string, string>,
  ): Response => {
    if (method === "POST" && path === "telephony/calls/upload") {
      const list = entity(form, "calls");
      if (list instanceof Response) return list;
      if (!Array.isArray(list)) return error(400, "Errors in the entity format", { calls: "not an array" });
      const duplicateCalls: string[] = [];
      for (const [i, call] of (list as Record<string, unknown>[]).entries()) {
        const wrong = Object.entries({
          date: typeof call.date === "string" && DATE.test(call.date),
          type: CALL_TYPES.has(String(call.type)),
          phone: typeof call.phone === "string" && call.phone !== "",
          result: call.result === undefined || CALL_RESULTS.has(String(call.result)),
          site: call.site === secrets.site,
        }).find(([, good]) => !good);
        if (wrong !== undefined)
          return error(400, "Errors in the entity format", { [`calls[${i}].${wrong[0]}`]: "invalid" });
      }
      for (const call of list as Record<string, unknown>[]) {
        const externalId = typeof call.externalId === "string" ? call.externalId : null;
        if (externalId !== null && calls.has(externalId)) duplicateCalls.push(externalId);
        else calls.set(externalId ?? `noid-${nextId++}`, call);
      }
      return Response.json({
        success: true,
        processedCallsCount: list.length - duplicateCalls.length,
        ...(duplicateCalls.length === 0 ? {} : { duplicateCalls }),
      });
    }
    const createMatch = /^(customers|orders|tasks)\/create$/.exec(path);
    if (method === "POST" && createMatch !== null) {
      const kind = createMatch[1] as "customers" | "orders" | "tasks";
      const siteError = checkSite(form, query);
      if (siteError !== null) return siteError;
      const field = { customers: "customer", orders: "order", tasks: "task" }[kind];
      const body = entity(form, field);
      if (body instanceof Response) return body;
      const id = nextId++;
      if (kind === "tasks") {
        if (typeof body.text !== "string" || body.text === "")
          return error(400, "Errors in the entity format", { text: "blank" });
        if (typeof body.performerId !== "number")
          return error(400, "Errors in the entity format", { performerId: "blank" });
        tasks.push({ ...body, id });
        return Response.json({ success: true, id });
      }
      const store = kind === "customers" ? customers : orders;
      const externalId = String(body.externalId ?? `noid-${id}`);
      if (store.has(externalId))
        return error(400, `${field === "customer" ? "Customer" : "Order"} already exists.`);
      if (kind === "orders") {
        const customer = body.customer as { externalId?: unknown } | undefined;
        if (customer?.externalId !== undefined && !customers.has(String(customer.externalId)))
          return error(400, "Errors in the entity format", { customer: "Customer not found" });
      }
      store.set(externalId, { ...body, id });
      return Response.json({ success: true, id });
    }
    const getMatch = /^(customers|orders)\/([^/]+)$/.exec(path);
    if (method === "GET" && getMatch !== null) {
      if (query.by !== "externalId")
        return error(400, "Errors in the entity format", { by: "the fake knows externalId" });
      const store = getMatch[1] === "customers" ? customers : orders;
      const found = store.get(decodeURIComponent(getMatch[2] ?? ""));
      if (found === undefined) return error(404, "Not found");
      return Response.json({ success: true, [getMatch[1] === "customers" ? "customer" : "order"]: found });
    }
    const editMatch = /^customers\/([^/]+)\/edit$/.exec(path);
    if (method === "POST" && editMatch !== null) {
      if (form.by !== "externalId")
        return error(400, "Errors in the entity format", { by: "the fake knows externalId" });
      const externalId = decodeURIComponent(editMatch[1] ?? "");
      const found = customers.get(externalId);
      if (found === undefined) return error(404, "Not found");
      const body = entity(form, "customer");
      if (body instanceof Response) return body;
      customers.set(externalId, { ...found, ...body });
      return Response.json({ success: true, id: found.id });
    }
    if (method === "GET" && path === "tasks") {
      const text = query["filter[text]"] ?? "";
      const found = tasks.filter((t) => String(t.text).includes(text));
      return Response.json({
        success: true,
        pagination: { limit: 20, totalCount: found.length, currentPage: 1, totalPageCount: 1 },
        tasks: found,
      });
    }
    return error(405, "Method Not Allowed");
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname.replace(/^\/api\/v5\//, "");
      const query = Object.fromEntries(url.searchParams);
      const isForm = (req.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded");
      const form =
        req.method === "POST" && isForm ? Object.fromEntries(new URLSearchParams(await req.text())) : {};
      const answer = (): Response => {
        if (!url.pathname.startsWith("/api/v5/")) return error(404, "Not found");
        const key = req.headers.get("x-api-key");
        if (key === null) return error(400, '"apiKey" is missing.');
        if (key !== secrets.apiKey) return error(403, 'Wrong "apiKey" value.');
        if (req.method === "POST" && !isForm)
          return error(400, "Errors in the entity format", { body: "not a form" });
        const next = scripted.get(path)?.shift();
        return next === undefined ? route(req.method, path, query, form) : next();
      };
      const res = answer();
      requests.push({ method: req.method, path, query, form, status: res.status, at: Date.now() });
      return res;
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    calls,
    customers,
    orders,
    tasks,
    failNext(path, response, times = 1) {
      const queue = scripted.get(path) ?? [];
      for (let i = 0; i < times; i++) queue.push(response);
      scripted.set(path, queue);
    },
    stop: () => server.stop(true),
  };
}
