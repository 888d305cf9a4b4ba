import { afterAll, expect, test } from "bun:test";
import { probeSipWebSocket } from "../../../src/pbx/sip/sip-probe.ts";
import { startFakeNotifier } from "../../support/fake-sip-notifier.ts";

const notifier = startFakeNotifier();
const plainWs = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("not a websocket", { status: 404 })),
  websocket: { message() {} },
});

afterAll(() => {
  notifier.stop();
  plainWs.stop(true);
});

test("doctor: a WebSocket that answers OPTIONS in SIP is OK", async () => {
  const result = await probeSipWebSocket(notifier.wsUrl);
  expect(result).toEqual({
    ok: true,
    detail: `${notifier.wsUrl}: SIP over WebSocket answers OPTIONS (200 OK)`,
  });
});

test("doctor: a WebSocket that speaks no SIP, a closed port, a bad URL: FAIL with what to do", async () => {
  const other = await probeSipWebSocket(`ws://127.0.0.1:${plainWs.port}`, 300);
  expect(other.ok).toBe(false);
  expect(other.detail).toContain("WebSocket open, but no SIP answer to OPTIONS in 300 ms");
  const port = plainWs.port;
  plainWs.stop(true);
  const closed = await probeSipWebSocket(`ws://127.0.0.1:${port}`);
  expect(closed).toMatchObject({ ok: false, detail: `ws://127.0.0.1:${port}: WebSocket refused or closed` });
  expect(closed.fix).toContain("ws_url");
  const bad = await probeSipWebSocket("not a url");
  expect(bad.ok).toBe(false);
  expect(bad.fix).toBe("check [pbx.sip] ws_url");
});
