// Issue 17: HQ's Mango API client against the wire fake, which checks each request's form and
// signature as Mango's API document (control-rules §3.1) says Mango does.
import { afterAll, expect, test } from "bun:test";
import { mangoApi } from "../../../src/hq/mango/mango-api.ts";
import { startFakeMango } from "../../support/fake-mango.ts";

const SECRETS = { apiKey: "api-key-17", salt: "api-salt-17" };
const mango = startFakeMango(SECRETS);
afterAll(() => mango.stop());

test("a command goes as a signed form of vpbx_api_key, sign and json; Mango's answer is read", async () => {
  const api = mangoApi({ apiUrl: mango.apiUrl, ...SECRETS });
  const answer = await api.post("commands/callback", { command_id: "c1", from: { extension: "101" } });
  expect(answer).toMatchObject({ kind: "answered", status: 200, json: { result: 1000 } });
  expect(mango.rejected).toEqual([]);
  expect(mango.requests.at(-1)).toMatchObject({ path: "commands/callback", json: { command_id: "c1" } });
});

test("HTTP 420 with Mango's code is a refusal carrying the code; a 5xx or no answer is unreachable", async () => {
  mango.answer("commands/route", () => Response.json({ code: "3104" }, { status: 420 }));
  mango.answer("commands/transfer", () => new Response("busy", { status: 503 }));
  const api = mangoApi({ apiUrl: mango.apiUrl, ...SECRETS });
  expect(await api.post("commands/route", { call_id: "x" })).toMatchObject({ kind: "refused", code: 3104 });
  expect(await api.post("commands/transfer", { call_id: "x" })).toMatchObject({ kind: "unreachable" });
  const nowhere = mangoApi({ apiUrl: "http://127.0.0.1:9/vpbx/", ...SECRETS, timeoutMs: 2000 });
  expect(await nowhere.post("commands/callback", {})).toMatchObject({ kind: "unreachable" });
});

test("the fake refuses what Mango would: another salt's signature is 403 and is never kept as a request", async () => {
  const before = mango.requests.length;
  const wrong = mangoApi({ apiUrl: mango.apiUrl, apiKey: SECRETS.apiKey, salt: "not-the-salt" });
  const answer = await wrong.post("commands/callback", { command_id: "c2" });
  expect(answer).toMatchObject({ kind: "refused", status: 403 });
  expect(JSON.stringify(answer)).not.toContain("not-the-salt");
  expect(mango.requests.length).toBe(before);
  expect(mango.rejected.at(-1)).toEqual({ path: "commands/callback", reason: "wrong sign" });
});
