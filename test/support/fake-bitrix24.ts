// A wire fake of a Bitrix24 portal and its authorisation server (issue 19), for the parts HQ's
// connector calls, answering as b24restdocs documents (test/fixtures/crm/bitrix24/real/ holds the
// documented answers it copies the shapes of):
// - GET /oauth/token/?grant_type=refresh_token&client_id&client_secret&refresh_token issues a new
//   pair and spends the refresh token (a second use: 400 invalid_grant);
// - POST /rest/<method>.json?auth=<access_token>: an unknown token is 401 NO_AUTH_FOUND, an expired
//   one 401 expired_token; past `ratePerSecond` requests in the last second, 503
//   QUERY_LIMIT_EXCEEDED (refused before it ran); then the method, its fields checked, errors as
//   documented ({"error","error_description"}).
// Calls are kept by CALL_ID: registered, then finished into the statistics, then with a record.
// Everything it accepted is in `requests`, what it refused in `refused`.
import { BITRIX24_OAUTH_URL } from "../../src/hq/crm/bitrix24/bitrix24-rest.ts";

export interface FakeBitrixRequest {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly at: number;
}

export interface FakeBitrixCall {
  readonly CALL_ID: string;
  readonly EXTERNAL_CALL_ID: string | null;
  readonly USER_ID: number;
  readonly PHONE_NUMBER: string;
  readonly TYPE: number;
  readonly LINE_NUMBER: string | null;
  readonly registeredAt: number;
  finished: { DURATION: number; STATUS_CODE: string } | null;
  record: string | null;
}

export interface FakeBitrix24 {
  /** `[hq.crm] url`. */
  readonly url: string;
  /** A fetch for the connector that sends oauth.bitrix.info's requests here. */
  readonly fetch: typeof fetch;
  readonly requests: FakeBitrixRequest[];
  readonly refused: { readonly method: string; readonly error: string; readonly description: string }[];
  readonly calls: Map<string, FakeBitrixCall>;
  readonly leads: Map<string, number>;
  readonly tasks: { id: number; fields: Record<string, unknown> }[];
  /** Refresh tokens issued so far (the first is the one the test configures). */
  readonly refreshTokens: string[];
  /** The access tokens issued so far now answer expired_token. */
  expireAccessTokens(): void;
  /** The portal's clock (the 30-minute re-register window), ms. */
  advance(ms: number): void;
  stop(): Promise<void>;
}

export interface FakeBitrixOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  /** Active portal users' ids. */
  readonly users: readonly number[];
  readonly ratePerSecond?: number;
}

const REREGISTER_WINDOW_MS = 30 * 60_000;

export function startFakeBitrix24(options: FakeBitrixOptions): FakeBitrix24 {
  const requests: FakeBitrixRequest[] = [];
  const refused: { method: string; error: string; description: string }[] = [];
  const calls = new Map<string, FakeBitrixCall>();
  const leads = new Map<string, number>();
  const tasks: { id: number; fields: Record<string, unknown> }[] = [];
  const refreshTokens = [options.refreshToken];
  let liveRefresh = options.refreshToken;
  const liveAccess = new Set<string>();
  const expiredAccess = new Set<string>();
  const recent: number[] = [];
  let clockOffset = 0;
  let serial = 0;
  const now = () => Date.now() + clockOffset;

  const fail = (method: string, status: number, error: string, description: string) => {
    refused.push({ method, error, description });
    return Response.json({ error, error_description: description }, { status });
  };
  const result = (value: unknown) =>
    Response.json({ result: value, time: { start: now() / 1000, finish: now() / 1000, duration: 0 } });

  const oauth = (url: URL) => {
    const q = url.searchParams;
    if (q.get("grant_type") !== "refresh_token") return fail("oauth", 400, "invalid_request", "grant_type");
    if (q.get("client_id") !== options.clientId || q.get("client_secret") !== options.clientSecret)
      return fail("oauth", 401, "invalid_client", "Invalid client credentials");
    if (q.get("refresh_token") !== liveRefresh)
      return fail("oauth", 400, "invalid_grant", "Invalid refresh token");
    serial += 1;
    const access = `access-${serial}-${crypto.randomUUID()}`;
    liveRefresh = `refresh-${serial}-${crypto.randomUUID()}`;
    refreshTokens.push(liveRefresh);
    liveAccess.add(access);
    return Response.json({
      access_token: access,
      client_endpoint: `${url.origin}/rest/`,
      domain: "oauth.bitrix.info",
      expires: Math.floor(now() / 1000) + 3600,
      expires_in: 3600,
      member_id: "a223c6b3710f85df22e9377d6c4f7553",
      refresh_token: liveRefresh,
      scope: "crm,task,telephony",
      server_endpoint: "https://oauth.bitrix.info/rest/",
      status: "L",
      user_id: 1,
    });
  };

  const userOk = (value: unknown) => options.users.includes(Number(value));
  const statRow = (call: FakeBitrixCall) => ({
    CALL_ID: call.CALL_ID,
    EXTERNAL_CALL_ID: call.EXTERNAL_CALL_ID,
    PORTAL_USER_ID: String(call.USER_ID),
    PHONE_NUMBER: call.PHONE_NUMBER,
    PORTAL_NUMBER: call.LINE_NUMBER,
    CALL_DURATION: String(call.finished?.DURATION ?? 0),
    CALL_FAILED_CODE: call.finished?.STATUS_CODE ?? "",
    CALL_TYPE: String(call.TYPE),
    CALL_RECORD_URL: call.record,
  });

  const methods: Record<string, (method: string, p: Record<string, unknown>) => Response> = {
    "telephony.externalcall.register": (method, p) => {
      if (p.USER_ID === undefined && p.USER_PHONE_INNER === undefined)
        return fail(method, 400, "ERROR_CORE", "USER_ID or USER_PHONE_INNER should be set.");
      if (!userOk(p.USER_ID)) return fail(method, 400, "ERROR_CORE", "User is not found or is not active.");
      if (![1, 2, 3, 4, 5].includes(Number(p.TYPE))) return fail(method, 400, "ERROR_CORE", "Unknown TYPE.");
      if (typeof p.CALL_START_DATE !== "string" || Number.isNaN(Date.parse(p.CALL_START_DATE)))
        return fail(method, 400, "ERROR_CORE", "CALL_START_DATE should be in the ISO-8601 format.");
      if (typeof p.PHONE_NUMBER !== "string" || !/^\+?\d{5,15}$/.test(p.PHONE_NUMBER))
        return fail(method, 400, "ERROR_CORE", "Unsupported phone number format.");
      const same = [...calls.values()].find(
        (c) =>
          c.finished === null &&
          now() - c.registeredAt < REREGISTER_WINDOW_MS &&
          c.PHONE_NUMBER === p.PHONE_NUMBER &&
          c.TYPE === Number(p.TYPE) &&
          c.USER_ID === Number(p.USER_ID) &&
          c.LINE_NUMBER === (p.LINE_NUMBER ?? null) &&
          c.EXTERNAL_CALL_ID === (p.EXTERNAL_CALL_ID ?? null),
      );
      let created: number | null = null;
      if (Number(p.CRM_CREATE) === 1 && !leads.has(p.PHONE_NUMBER)) {
        created = 100 + leads.size;
        leads.set(p.PHONE_NUMBER, created);
      }
      const call: FakeBitrixCall = same ?? {
        CALL_ID: `externalCall.${crypto.randomUUID().replaceAll("-", "")}.${Math.floor(now() / 1000)}`,
        EXTERNAL_CALL_ID: typeof p.EXTERNAL_CALL_ID === "string" ? p.EXTERNAL_CALL_ID : null,
        USER_ID: Number(p.USER_ID),
        PHONE_NUMBER: p.PHONE_NUMBER,
        TYPE: Number(p.TYPE),
        LINE_NUMBER: typeof p.LINE_NUMBER === "string" ? p.LINE_NUMBER : null,
        registeredAt: now(),
        finished: null,
        record: null,
      };
      calls.set(call.CALL_ID, call);
      const lead = leads.get(p.PHONE_NUMBER);
      return result({
        CALL_ID: call.CALL_ID,
        CRM_CREATED_LEAD: created,
        CRM_CREATED_ENTITIES: created === null ? [] : [{ ENTITY_TYPE: "LEAD", ENTITY_ID: created }],
        CRM_ENTITY_TYPE: lead === undefined ? null : "LEAD",
        CRM_ENTITY_ID: lead ?? null,
      });
    },
    "telephony.externalcall.finish": (method, p) => {
      if (typeof p.CALL_ID !== "string")
        return fail(method, 400, "INVALID_ARGUMENT", "CALL_ID must be a string");
      if (!userOk(p.USER_ID)) return fail(method, 400, "ERROR_CORE", "User is not found or is not active");
      const call = calls.get(p.CALL_ID);
      if (call === undefined || call.finished !== null)
        return fail(
          method,
          400,
          "ERROR_CORE",
          "Call is not found (call should be registered prior to finishing)",
        );
      const duration = Number(p.DURATION ?? 0);
      call.finished = {
        DURATION: duration,
        STATUS_CODE: typeof p.STATUS_CODE === "string" ? p.STATUS_CODE : duration > 0 ? "200" : "304",
      };
      return result({ ...statRow(call), ID: calls.size, CRM_ACTIVITY_ID: 7943 });
    },
    "telephony.externalcall.attachrecord": (method, p) => {
      if (p.RECORD_URL === undefined && p.FILENAME === undefined)
        return fail(
          method,
          400,
          "",
          "Required parameters are not set. Request should contain either URL or FILENAME parameter",
        );
      const call = typeof p.CALL_ID === "string" ? calls.get(p.CALL_ID) : undefined;
      if (call?.finished == null)
        return fail(
          method,
          400,
          "",
          "Call is not found in the statistic table. It looks like it is not finished yet.",
        );
      if (typeof p.FILENAME === "string" && !/\.(wav|mp3)$/i.test(p.FILENAME))
        return fail(method, 400, "ERROR_CORE", "Wrong file extension. Only wav and mp3 are allowed");
      if (typeof p.RECORD_URL === "string") {
        const host = URL.canParse(p.RECORD_URL) ? new URL(p.RECORD_URL).hostname : "";
        if (!/\./.test(host) || /^(127\.|10\.|192\.168\.|localhost)/.test(host))
          return fail(method, 400, "", "Record URL resolves to a non-public address and was blocked.");
        call.record = p.RECORD_URL;
      }
      return result({ FILE_ID: 9000 + calls.size });
    },
    "voximplant.statistic.get": (_method, p) => {
      const filter = (p.FILTER ?? {}) as Record<string, unknown>;
      const rows = [...calls.values()]
        .filter((c) => c.finished !== null)
        .filter((c) => filter.CALL_ID === undefined || c.CALL_ID === filter.CALL_ID)
        .filter(
          (c) => filter.EXTERNAL_CALL_ID === undefined || c.EXTERNAL_CALL_ID === filter.EXTERNAL_CALL_ID,
        )
        .map(statRow);
      return Response.json({ result: rows, total: rows.length });
    },
    "telephony.externalcall.searchcrmentities": (_method, p) => {
      const lead = typeof p.PHONE_NUMBER === "string" ? leads.get(p.PHONE_NUMBER) : undefined;
      return result(
        lead === undefined
          ? []
          : [{ CRM_ENTITY_TYPE: "LEAD", CRM_ENTITY_ID: lead, ASSIGNED_BY_ID: 1, NAME: "Lead" }],
      );
    },
    "tasks.task.list": (_method, p) => {
      const tag = ((p.filter ?? {}) as Record<string, unknown>).TAG;
      const found = tasks.filter(
        (t) => tag === undefined || (t.fields.TAGS as unknown[] | undefined)?.includes(tag),
      );
      return result({ tasks: found.map((t) => ({ id: String(t.id) })) });
    },
    "tasks.task.add": (method, p) => {
      const fields = (p.fields ?? {}) as Record<string, unknown>;
      if (typeof fields.TITLE !== "string" || fields.TITLE === "")
        return fail(method, 400, "ERROR_CORE", "Не указано название задачи");
      if (!userOk(fields.RESPONSIBLE_ID)) return fail(method, 400, "ERROR_CORE", "Не указан ответственный");
      const id = 3711 + tasks.length;
      tasks.push({ id, fields });
      return result({
        task: { id: String(id), title: fields.TITLE, responsibleId: String(fields.RESPONSIBLE_ID) },
      });
    },
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/oauth/token/" && req.method === "GET") return oauth(url);
      const match = /^\/rest\/([\w.]+)\.json$/.exec(url.pathname);
      if (match === null || req.method !== "POST") return new Response("not found", { status: 404 });
      const method = (match[1] ?? "").toLowerCase();
      const auth = url.searchParams.get("auth") ?? "";
      if (expiredAccess.has(auth))
        return fail(method, 401, "expired_token", "The access token provided has expired.");
      if (!liveAccess.has(auth)) return fail(method, 401, "NO_AUTH_FOUND", "Wrong authorization data");
      const t = Date.now();
      while (recent.length > 0 && (recent[0] ?? 0) <= t - 1000) recent.shift();
      if (recent.length >= (options.ratePerSecond ?? 1000))
        return fail(method, 503, "QUERY_LIMIT_EXCEEDED", "Too many requests");
      recent.push(t);
      const handler = methods[method];
      if (handler === undefined) return fail(method, 404, "ERROR_METHOD_NOT_FOUND", "Method not found!");
      let params: Record<string, unknown>;
      try {
        params = (await req.json()) as Record<string, unknown>;
      } catch {
        return fail(method, 400, "INVALID_REQUEST", "the body is not JSON");
      }
      requests.push({ method, params, at: t });
      return handler(method, params);
    },
  });
  const url = `http://127.0.0.1:${server.port}`;
  const redirect = (input: string | URL | Request) => {
    const text = input instanceof Request ? input.url : String(input);
    return text.startsWith(BITRIX24_OAUTH_URL)
      ? `${url}/oauth/token/${text.slice(BITRIX24_OAUTH_URL.length)}`
      : text;
  };
  return {
    url,
    fetch: Object.assign(
      (input: string | URL | Request, init?: RequestInit) => fetch(redirect(input), init),
      {
        preconnect: fetch.preconnect,
      },
    ),
    requests,
    refused,
    calls,
    leads,
    tasks,
    refreshTokens,
    expireAccessTokens() {
      for (const token of liveAccess) expiredAccess.add(token);
      liveAccess.clear();
    },
    advance(ms) {
      clockOffset += ms;
    },
    stop: () => server.stop(true),
  };
}
