import type { CrmConfig } from "../../hq-config.ts";
import type { CrmOutcome, CrmTokenStore, CrmTokens } from "../crm-port.ts";

/** Bitrix24's authorisation server: one for every portal (b24restdocs settings/oauth/auto-renewal.md). */
export const BITRIX24_OAUTH_URL = "https://oauth.bitrix.info/oauth/token/";

/** Refresh this long before the access token's end, so a request never leaves with a dying token. */
const EARLY_MS = 60_000;

/** A method's answer: its `result`, or how the step ends (with Bitrix24's error, for callers that look closer). */
export type RestReply =
  | { readonly ok: true; readonly result: unknown }
  | {
      readonly ok: false;
      readonly outcome: Exclude<CrmOutcome, { kind: "done" }>;
      readonly error: string;
      readonly description: string;
    };

export interface Bitrix24Rest {
  call(method: string, params: Readonly<Record<string, unknown>>): Promise<RestReply>;
}

interface Deps {
  readonly tokens: CrmTokenStore;
  readonly now: () => number;
  readonly fetch: typeof fetch;
}

/**
 * Calls `<url>/rest/<method>.json?auth=<access_token>` as a local application (telephony.externalcall.*
 * refuse a webhook with WRONG_AUTH_TYPE). The token pair rotates on every refresh: it lives in the
 * CrmTokenStore, replaced by compare-and-set, so consumers that share the store never use a spent
 * refresh token; the first pair comes from `[hq.crm] refresh_token`.
 *
 * Errors (b24restdocs _includes/system-errors.md): `expired_token` (401) refreshes and repeats the
 * call once; `QUERY_LIMIT_EXCEEDED` (503, refused before it ran), other 5xx and the network are
 * retried; any other error parks with Bitrix24's code and description. NEVER a token or the client
 * secret in a reason: a reason is shown on the fleet page and logged.
 */
export function createBitrix24Rest(config: CrmConfig, deps: Deps): Bitrix24Rest {
  const base = `${config.url.replace(/\/+$/, "")}/rest/`;
  let refreshing: Promise<CrmTokens | RestReply> | null = null;
  const secrets = () => [config.client_secret, config.refresh_token];
  const scrub = (text: string, tokens: CrmTokens | null) =>
    [...secrets(), tokens?.accessToken ?? "", tokens?.refreshToken ?? ""]
      .filter((secret) => secret.length >= 4)
      .reduce((out, secret) => out.replaceAll(secret, "***"), text);

  /** One refresh at a time in this process; another consumer's is seen through the store. */
  const refresh = (spent: CrmTokens | null): Promise<CrmTokens | RestReply> => {
    refreshing ??= refreshOnce(spent).finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  const refreshOnce = async (spent: CrmTokens | null): Promise<CrmTokens | RestReply> => {
    const stored = await deps.tokens.get("bitrix24");
    if (
      stored !== null &&
      stored.refreshToken !== spent?.refreshToken &&
      stored.expiresAt > deps.now() + EARLY_MS
    )
      return stored;
    const refreshToken = stored?.refreshToken ?? config.refresh_token;
    const query = new URLSearchParams({
      grant_type: "refresh_token",
      client_id: config.client_id,
      client_secret: config.client_secret,
      refresh_token: refreshToken,
    });
    const answer = await send(`${BITRIX24_OAUTH_URL}?${query}`, { method: "GET" }, stored);
    if (!answer.ok) {
      const now = await deps.tokens.get("bitrix24");
      // Another consumer refreshed with the same token first: its pair is the one to use.
      if (now !== null && now.refreshToken !== refreshToken) return now;
      return answer.outcome.kind === "retry"
        ? answer
        : park(
            "CRM.REAUTHORISE",
            `Bitrix24 refused the application's refresh token (${answer.error}): authorise the application again`,
          );
    }
    const body = answer.result as { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== "string" || typeof body.refresh_token !== "string")
      return retry("oauth.bitrix.info answered without a token pair");
    const fresh: CrmTokens = {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      expiresAt: deps.now() + (typeof body.expires_in === "number" ? body.expires_in : 3600) * 1000,
    };
    if (await deps.tokens.put("bitrix24", fresh, stored?.refreshToken ?? null)) return fresh;
    const winner = await deps.tokens.get("bitrix24");
    return winner ?? retry("the token store lost the Bitrix24 tokens");
  };

  /** A request and its JSON: `{result}` is ok, `{error, error_description}` is sorted into retry or park. */
  const send = async (url: string, init: RequestInit, tokens: CrmTokens | null): Promise<RestReply> => {
    let response: Response;
    let body: Record<string, unknown>;
    try {
      response = await deps.fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch (error) {
      return retry(scrub(`Bitrix24 unreachable: ${(error as Error).message}`, tokens));
    }
    if (response.ok && !("error" in body)) return { ok: true, result: "result" in body ? body.result : body };
    const code = typeof body.error === "string" ? body.error : "";
    const description = scrub(
      typeof body.error_description === "string" ? body.error_description : "",
      tokens,
    );
    const reason = `HTTP ${response.status} ${code}${description === "" ? "" : `: ${description}`}`;
    const transient = code === "QUERY_LIMIT_EXCEEDED" || response.status >= 500 || response.status === 429;
    return {
      ok: false,
      outcome: transient ? { kind: "retry", reason } : { kind: "park", code: "CRM.REJECTED", reason },
      error: code,
      description,
    };
  };

  const current = async (): Promise<CrmTokens | RestReply> => {
    const stored = await deps.tokens.get("bitrix24");
    return stored !== null && stored.expiresAt > deps.now() + EARLY_MS ? stored : refresh(stored);
  };

  const callWith = (tokens: CrmTokens, method: string, params: Readonly<Record<string, unknown>>) =>
    send(
      `${base}${method}.json?auth=${encodeURIComponent(tokens.accessToken)}`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) },
      tokens,
    );

  return {
    async call(method, params) {
      const tokens = await current();
      if ("ok" in tokens) return tokens;
      const reply = await callWith(tokens, method, params);
      if (reply.ok || reply.error !== "expired_token") return named(method, reply);
      const fresh = await refresh(tokens);
      if ("ok" in fresh) return fresh;
      return named(method, await callWith(fresh, method, params));
    },
  };
}

function named(method: string, reply: RestReply): RestReply {
  if (reply.ok) return reply;
  return { ...reply, outcome: { ...reply.outcome, reason: `${method}: ${reply.outcome.reason}` } };
}

function retry(reason: string): RestReply {
  return { ok: false, outcome: { kind: "retry", reason }, error: "", description: reason };
}

function park(code: string, reason: string): RestReply {
  return { ok: false, outcome: { kind: "park", code, reason }, error: "", description: reason };
}
