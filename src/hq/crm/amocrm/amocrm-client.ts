import type { CrmConfig } from "../../hq-config.ts";
import type { CrmOutcome, CrmTokenStore, CrmTokens } from "../crm-port.ts";

/**
 * amoCRM's HTTP edge: OAuth 2 bearer tokens and the meaning of its answers.
 *
 * Tokens: amoCRM ROTATES the refresh token on every refresh (the old one is dead once used), so the
 * pair lives in the shared CrmTokenStore and is replaced by compare-and-set on the refresh token it
 * came from; a consumer that loses the race re-reads and uses the winner's. The access token is
 * refreshed a minute before it expires and once on a 401. A refresh refused (400, invalid_grant)
 * while the store still holds the refresh token just tried means the integration lost its grant:
 * the step parks with CRM.REAUTHORISE.
 *
 * Answers: 2xx is the body; 429 retries after Retry-After; 5xx and network failures retry; any
 * other 4xx parks with amoCRM's title and detail (CRM.REJECTED). NEVER a token in a reason or a log.
 */
export type AmoAnswer = { readonly kind: "ok"; readonly status: number; readonly body: unknown } | CrmOutcome;

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;
const TIMEOUT_MS = 30_000;
const DEFAULT_RETRY_AFTER_MS = 1000;

export interface AmoClientDeps {
  readonly tokens: CrmTokenStore;
  readonly now: () => number;
  readonly fetch: typeof fetch;
}

export interface AmoClient {
  request(method: "GET" | "POST" | "PATCH", path: string, body?: unknown): Promise<AmoAnswer>;
}

const reauthorise = (why: string): CrmOutcome => ({
  kind: "park",
  code: "CRM.REAUTHORISE",
  reason: `amoCRM refused the integration's refresh token (${why}): re-authorise the integration and put its new refresh_token in [hq.crm]`,
});

export function createAmoClient(config: CrmConfig, deps: AmoClientDeps): AmoClient {
  const base = config.url.replace(/\/+$/, "");

  const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    deps.fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });

  /** A fresh pair from `refreshToken`; `previous` is what the store must still hold for ours to win. */
  async function refresh(refreshToken: string, previous: string | null): Promise<string | CrmOutcome> {
    const res = await send(
      "POST",
      "/oauth2/access_token",
      {},
      {
        client_id: config.client_id,
        client_secret: config.client_secret,
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        redirect_uri: config.redirect_uri,
      },
    );
    if (res.status >= 500) return { kind: "retry", reason: `amoCRM's token endpoint answered ${res.status}` };
    if (!res.ok) {
      const theirs = await deps.tokens.get("amocrm");
      // Another consumer refreshed first: our refresh token was already spent; theirs is good.
      if (theirs !== null && theirs.refreshToken !== refreshToken) return theirs.accessToken;
      return reauthorise(`HTTP ${res.status}`);
    }
    const body = (await res.json()) as {
      access_token?: unknown;
      refresh_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof body.access_token !== "string" || typeof body.refresh_token !== "string")
      return { kind: "retry", reason: "amoCRM's token endpoint answered without tokens" };
    const tokens: CrmTokens = {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      expiresAt: deps.now() + Number(body.expires_in ?? 0) * 1000,
    };
    if (await deps.tokens.put("amocrm", tokens, previous)) return tokens.accessToken;
    const theirs = await deps.tokens.get("amocrm");
    return theirs === null
      ? { kind: "retry", reason: "the token store lost the amoCRM tokens" }
      : theirs.accessToken;
  }

  async function bearer(): Promise<string | CrmOutcome> {
    const stored = await deps.tokens.get("amocrm");
    if (stored === null) return refresh(config.refresh_token, null);
    if (stored.expiresAt - deps.now() > REFRESH_MARGIN_MS) return stored.accessToken;
    return refresh(stored.refreshToken, stored.refreshToken);
  }

  /** After a 401 with `used`: someone else's newer token, else one refresh of ours. */
  async function afterUnauthorised(used: string): Promise<string | CrmOutcome> {
    const stored = await deps.tokens.get("amocrm");
    if (stored === null) return refresh(config.refresh_token, null);
    if (stored.accessToken !== used) return stored.accessToken;
    return refresh(stored.refreshToken, stored.refreshToken);
  }

  return {
    async request(method, path, body) {
      try {
        let token = await bearer();
        if (typeof token !== "string") return token;
        let res = await send(method, path, { authorization: `Bearer ${token}` }, body);
        if (res.status === 401) {
          token = await afterUnauthorised(token);
          if (typeof token !== "string") return token;
          res = await send(method, path, { authorization: `Bearer ${token}` }, body);
          if (res.status === 401) return reauthorise("a fresh access token was refused with 401");
        }
        return await answer(res);
      } catch (error) {
        return {
          kind: "retry",
          reason: `amoCRM unreachable: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    },
  };
}

async function answer(res: Response): Promise<AmoAnswer> {
  if (res.status === 204) return { kind: "ok", status: 204, body: null };
  if (res.ok) return { kind: "ok", status: res.status, body: await res.json() };
  if (res.status === 429) {
    const after = Number(res.headers.get("retry-after"));
    return {
      kind: "retry",
      reason: "amoCRM: too many requests (429)",
      afterMs: Number.isFinite(after) && after > 0 ? after * 1000 : DEFAULT_RETRY_AFTER_MS,
    };
  }
  if (res.status >= 500) return { kind: "retry", reason: `amoCRM answered ${res.status}` };
  return {
    kind: "park",
    code: "CRM.REJECTED",
    reason: `amoCRM refused it (${res.status}): ${await problem(res)}`,
  };
}

/** amoCRM's problem+json: `title`, `detail` and, for a 400, `validation-errors[].errors[]{path, detail}`. */
async function problem(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as {
      title?: string;
      detail?: string;
      "validation-errors"?: { errors?: { path?: string; detail?: string }[] }[];
    };
    const fields = (body["validation-errors"] ?? [])
      .flatMap((v) => v.errors ?? [])
      .map((e) => `${e.path}: ${e.detail}`);
    return [body.title, body.detail, ...fields]
      .filter((part) => part !== undefined && part !== "")
      .join("; ");
  } catch {
    return text.slice(0, 200);
  }
}
