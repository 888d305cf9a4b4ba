// A wire fake of Mango Office's VPBX API (issue 17): the part HQ calls (commands/…, stats/…). It
// speaks the documented protocol (control-rules §3.1, §3.5, §3.6): every request must be a POST form
// of vpbx_api_key, sign and json with sign = sha256(key + json + salt) over the json text as sent;
// anything else is answered as Mango would (HTTP 401/403 for a bad key or signature, 400 for a bad
// form) and counted in `rejected`, so a test sees what HQ got wrong. What it accepted is kept in
// `requests`; how it answers each path is the test's (`answer`), by default 200 `{"result":1000}`.
import { mangoForm, mangoSign } from "../../src/hq/mango/mango-sign.ts";

export interface FakeMangoRequest {
  readonly path: string;
  /** The json field exactly as sent (what the signature covers) and parsed. */
  readonly raw: string;
  readonly json: Record<string, unknown>;
  readonly at: number;
}

export type FakeMangoAnswer = (request: FakeMangoRequest) => Response | Promise<Response>;

export interface FakeMango {
  /** `[hq.mango] api_url` for HQ: `http://127.0.0.1:<port>/vpbx/`. */
  readonly apiUrl: string;
  readonly requests: FakeMangoRequest[];
  readonly rejected: { readonly path: string; readonly reason: string }[];
  /** How `path` (e.g. `commands/callback`) is answered from now on. */
  answer(path: string, answer: FakeMangoAnswer): void;
  stop(): Promise<void>;
}

export function startFakeMango(secrets: { readonly apiKey: string; readonly salt: string }): FakeMango {
  const requests: FakeMangoRequest[] = [];
  const rejected: { path: string; reason: string }[] = [];
  const answers = new Map<string, FakeMangoAnswer>();
  const reject = (path: string, status: number, reason: string) => {
    rejected.push({ path, reason });
    return Response.json({ code: status === 400 ? 3100 : 3101, reason }, { status });
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (!url.pathname.startsWith("/vpbx/")) return new Response("not found", { status: 404 });
      const path = url.pathname.slice("/vpbx/".length);
      if (req.method !== "POST") return reject(path, 405, `${req.method}, not POST`);
      if (!(req.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded"))
        return reject(path, 400, "not a form");
      const form = new URLSearchParams(await req.text());
      const key = form.get("vpbx_api_key");
      const sign = form.get("sign");
      const raw = form.get("json");
      if (key === null || sign === null || raw === null) return reject(path, 400, "a form field is missing");
      if (key !== secrets.apiKey) return reject(path, 401, "wrong vpbx_api_key");
      if (sign !== mangoSign(secrets.apiKey, raw, secrets.salt)) return reject(path, 403, "wrong sign");
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return reject(path, 400, "json is not JSON");
      }
      if (typeof json !== "object" || json === null || Array.isArray(json))
        return reject(path, 400, "json is not an object");
      const request = { path, raw, json: json as Record<string, unknown>, at: Date.now() };
      requests.push(request);
      const answer = answers.get(path);
      return answer === undefined ? Response.json({ result: 1000 }) : answer(request);
    },
  });
  return {
    apiUrl: `http://127.0.0.1:${server.port}/vpbx/`,
    requests,
    rejected,
    answer: (path, answer) => void answers.set(path, answer),
    stop: () => server.stop(true),
  };
}

/** A webhook or result as Mango posts it to HQ: the form of key, json text and its signature. */
export function postAsMango(
  url: string,
  json: string,
  secrets: { readonly apiKey: string; readonly salt: string },
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: mangoForm(json, secrets),
    signal: AbortSignal.timeout(5000),
  });
}
