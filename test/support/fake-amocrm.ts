/**
 * A wire fake of amoCRM API v4 (Bun.serve on loopback) for the connector's tests. It answers as
 * amoCRM's documentation says and checks what it gets: the Bearer token, the OAuth refresh (client
 * credentials, grant_type, redirect_uri; the refresh token ROTATES and the old one is refused with
 * 400 after use), the required fields of a call, dedupe by `uniq`, and 7 requests per second
 * (429 with Retry-After past that). Everything it received is in `received`.
 */
export interface FakeAmoOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** The refresh token the integration was first given. */
  readonly refreshToken: string;
  /** Seconds an access token lives (amoCRM: 86400). */
  readonly expiresIn?: number;
  readonly ratePerSecond?: number;
}

export interface FakeAmoRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly auth: string | null;
  readonly body: unknown;
}

type Row = Record<string, unknown> & { id: number };

export interface FakeAmo {
  readonly url: string;
  readonly received: FakeAmoRequest[];
  readonly calls: Row[];
  readonly unsorted: (Record<string, unknown> & { uid: string })[];
  readonly contacts: Row[];
  readonly tasks: Row[];
  readonly leads: Row[];
  /** The refresh token amoCRM will accept next. */
  currentRefreshToken(): string;
  /** Kills every access token (as if they expired on amoCRM's side). */
  expireAccessTokens(): void;
  stop(): Promise<void>;
}

export function startFakeAmo(options: FakeAmoOptions): FakeAmo {
  const received: FakeAmoRequest[] = [];
  const calls: Row[] = [];
  const unsorted: (Record<string, unknown> & { uid: string })[] = [];
  const contacts: Row[] = [];
  const tasks: Row[] = [];
  const leads: Row[] = [];
  const access = new Set<string>();
  let refresh = options.refreshToken;
  let minted = 0;
  let nextId = 1000;
  const window: number[] = [];
  const rate = options.ratePerSecond ?? 7;
  const digits = (s: unknown) => String(s).replace(/\D/g, "");
  const json = (body: unknown, status = 200) => Response.json(body, { status });
  const problem = (status: number, title: string, detail: string) =>
    Response.json({ title, type: `https://httpstatus.es/${status}`, status, detail }, { status });
  const phoneOf = (c: Row) =>
    ((c.custom_fields_values as { values: { value: string }[] }[] | undefined) ?? []).flatMap((f) =>
      f.values.map((v) => digits(v.value)),
    );

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const text = await req.text();
      const body = text === "" ? null : JSON.parse(text);
      received.push({
        method: req.method,
        path: url.pathname,
        query: decodeURIComponent(url.search),
        auth: req.headers.get("authorization"),
        body,
      });
      const now = Date.now();
      while (window.length > 0 && (window[0] ?? 0) <= now - 1000) window.shift();
      if (window.length >= rate)
        return new Response(JSON.stringify({ title: "Too Many Requests", status: 429 }), {
          status: 429,
          headers: { "retry-after": "1" },
        });
      window.push(now);

      if (url.pathname === "/oauth2/access_token") {
        const b = body as Record<string, string>;
        if (
          b.client_id !== options.clientId ||
          b.client_secret !== options.clientSecret ||
          b.redirect_uri !== options.redirectUri ||
          b.grant_type !== "refresh_token" ||
          b.refresh_token !== refresh
        )
          return json({ hint: "Token has been revoked", title: "Некорректный запрос", status: 400 }, 400);
        minted += 1;
        const accessToken = `access-${minted}`;
        refresh = `refresh-${minted}`;
        access.add(accessToken);
        return json({
          token_type: "Bearer",
          expires_in: options.expiresIn ?? 86400,
          access_token: accessToken,
          refresh_token: refresh,
        });
      }
      const auth = req.headers.get("authorization") ?? "";
      if (!auth.startsWith("Bearer ") || !access.has(auth.slice(7))) return problem(401, "Unauthorized", "");
      const rows = body as Record<string, unknown>[];
      const q = url.searchParams;
      const key = `${req.method} ${url.pathname}`;
      switch (key) {
        case "POST /api/v4/calls": {
          const added: unknown[] = [];
          const errors: unknown[] = [];
          for (const call of rows) {
            const missing = ["direction", "duration", "source", "phone"].filter((k) => call[k] === undefined);
            if (missing.length > 0)
              return json(
                {
                  title: "Bad Request",
                  status: 400,
                  "validation-errors": [
                    {
                      request_id: call.request_id,
                      errors: missing.map((path) => ({ path, detail: "This field is missing." })),
                    },
                  ],
                },
                400,
              );
            const contact = contacts.find((c) => phoneOf(c).includes(digits(call.phone)));
            if (contact === undefined) {
              errors.push({
                request_id: call.request_id,
                status: 404,
                title: "Not Found",
                detail: "Entity not found",
              });
              continue;
            }
            const earlier = calls.find((c) => call.uniq !== undefined && c.uniq === call.uniq);
            const row = earlier ?? { ...call, id: nextId++, entity_id: contact.id, entity_type: "contact" };
            if (earlier === undefined) calls.push(row);
            added.push({
              id: row.id,
              entity_id: contact.id,
              entity_type: "contact",
              request_id: call.request_id,
            });
          }
          return json({ _total_items: added.length, _embedded: { calls: added }, errors });
        }
        case "GET /api/v4/leads/unsorted": {
          const pipeline = q.get("filter[pipeline_id]");
          const found = unsorted.filter((u) => pipeline === null || String(u.pipeline_id) === pipeline);
          return found.length === 0
            ? new Response(null, { status: 204 })
            : json({ _embedded: { unsorted: found } });
        }
        case "POST /api/v4/leads/unsorted/sip": {
          const out = rows.map((item) => {
            const row = { ...item, uid: `uid-${nextId++}`, category: "sip" };
            unsorted.push(row);
            return { uid: row.uid, request_id: item.request_id };
          });
          return json({ _total_items: out.length, _embedded: { unsorted: out } });
        }
        case "GET /api/v4/contacts": {
          const found = contacts.filter((c) => phoneOf(c).some((p) => p.includes(digits(q.get("query")))));
          return found.length === 0
            ? new Response(null, { status: 204 })
            : json({ _embedded: { contacts: found } });
        }
        case "POST /api/v4/contacts": {
          const out = rows.map((c) => ({ ...c, id: nextId++ }));
          contacts.push(...out);
          return json({ _embedded: { contacts: out.map((c) => ({ id: c.id })) } });
        }
        case "PATCH /api/v4/contacts": {
          for (const change of rows) {
            const contact = contacts.find((c) => c.id === change.id);
            if (contact === undefined) return problem(404, "Not Found", "contact");
            Object.assign(contact, change);
          }
          return json({ _embedded: { contacts: rows.map((c) => ({ id: c.id })) } });
        }
        case "GET /api/v4/tasks": {
          const found = tasks.filter((t) => String(t.entity_id) === q.get("filter[entity_id]"));
          return found.length === 0
            ? new Response(null, { status: 204 })
            : json({ _embedded: { tasks: found } });
        }
        case "POST /api/v4/tasks": {
          const out = rows.map((t) => ({ ...t, id: nextId++ }));
          tasks.push(...out);
          return json({ _embedded: { tasks: out.map((t) => ({ id: t.id })) } });
        }
        case "GET /api/v4/leads": {
          const found = leads.filter((l) => String(l.name).includes(q.get("query") ?? ""));
          return found.length === 0
            ? new Response(null, { status: 204 })
            : json({ _embedded: { leads: found } });
        }
        case "POST /api/v4/leads": {
          const out = rows.map((l) => ({ ...l, id: nextId++ }));
          leads.push(...out);
          return json({ _embedded: { leads: out.map((l) => ({ id: l.id })) } });
        }
        default:
          return problem(404, "Not Found", key);
      }
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    received,
    calls,
    unsorted,
    contacts,
    tasks,
    leads,
    currentRefreshToken: () => refresh,
    expireAccessTokens: () => access.clear(),
    stop: () => server.stop(true),
  };
}
