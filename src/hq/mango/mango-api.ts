import { mangoForm } from "./mango-sign.ts";

/**
 * How Mango answered one API request. `answered`: HTTP 2xx (`json` parsed when the body is JSON,
 * else null; stats/result answers CSV text, 204 "not ready yet"). `refused`: Mango said no — HTTP
 * 420 with its result code (`{"code":3104}`, control-rules §3.1), or another 4xx (`code` null).
 * `unreachable`: no answer (network, timeout) or a 5xx: the request may not have been read.
 */
export type MangoAnswer =
  | { readonly kind: "answered"; readonly status: number; readonly text: string; readonly json: unknown }
  | { readonly kind: "refused"; readonly status: number; readonly code: number | null; readonly text: string }
  | { readonly kind: "unreachable"; readonly reason: string };

export interface MangoApiOptions {
  /** `[hq.mango] api_url`, ending in `/`: requests go to `<api_url><path>`. */
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly salt: string;
  /** Per request; Mango's commands answer in well under a second. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** Mango Office's VPBX API as HQ calls it (issue 17): commands, statistics. */
export interface MangoApi {
  /**
   * POSTs `body` to `<api_url><path>` (e.g. `commands/callback`, `stats/request`) as Mango's API
   * wants every request: a form of `vpbx_api_key`, `json` (the body's JSON text) and `sign` =
   * sha256(key + json + salt). NEVER rejects; NEVER puts the key, salt or signature in an answer.
   */
  post(path: string, body: Readonly<Record<string, unknown>>): Promise<MangoAnswer>;
}

export function mangoApi(options: MangoApiOptions): MangoApi {
  const send = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = options.apiUrl.endsWith("/") ? options.apiUrl : `${options.apiUrl}/`;
  return {
    async post(path, body) {
      const json = JSON.stringify(body);
      const form = mangoForm(json, options);
      let response: Response;
      let text: string;
      try {
        response = await send(new URL(path, base), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form,
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        return { kind: "unreachable", reason: `no answer from ${path}: ${(error as Error).message}` };
      }
      if (response.status >= 500)
        return { kind: "unreachable", reason: `${path} answered HTTP ${response.status}` };
      if (response.status >= 400)
        return { kind: "refused", status: response.status, code: resultCode(text), text: text.slice(0, 500) };
      return { kind: "answered", status: response.status, text, json: parsed(text) };
    },
  };
}

/** Mango's `{"code": 3104}` (or `{"result": …}`), numbers or strings alike; null when there is none. */
function resultCode(text: string): number | null {
  const body = parsed(text) as { code?: unknown; result?: unknown } | null;
  const value = body?.code ?? body?.result;
  const code = typeof value === "string" ? Number(value) : value;
  return typeof code === "number" && Number.isInteger(code) ? code : null;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
