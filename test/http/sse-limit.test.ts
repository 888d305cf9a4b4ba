import { afterEach, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { loadConfig } from "../../src/config/load.ts";
import { DEMO_CONFIG } from "../../src/demo.ts";
import { RETRY_AFTER_SECONDS } from "../../src/http/stream-limit.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type FakeCalls, fakeCalls } from "../support/fake-calls.ts";
import { type KioskBox, makeKioskBox } from "../support/kiosk-client.ts";

let box: KioskBox | undefined;
let calls: FakeCalls;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

async function start(caps: {
  sse_max_streams?: number;
  sse_max_streams_per_client?: number;
}): Promise<KioskBox> {
  calls = fakeCalls();
  box = await makeKioskBox({
    calls,
    // The caps count per client address, so the screens come from the LAN: unpaired is fine here.
    config: {
      http: { admin_token: TEST_TOKEN, listen: "127.0.0.1:0", ...caps },
      kiosk: { require_pairing: false },
    },
  });
  return box;
}

/** What Bun hands the app as its second `fetch` argument: here only the peer's address. */
const peer = (address: string) => ({ requestIP: () => ({ address }) });

/** Waits for `condition`, polling, until `ms` have passed. */
async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe("live stream caps (SSE)", () => {
  test("beyond sse_max_streams_per_client from one address, or sse_max_streams in all, a live screen is 503 with Retry-After; a closed stream frees its place", async () => {
    const b = await start({ sse_max_streams: 5, sse_max_streams_per_client: 3 });
    const open = (path: string, address: string) => b.web.request(path, {}, peer(address));
    // Every SSE route counts against the same caps.
    const kiosk = [
      await open("/events", "10.0.0.1"),
      await open("/calls/events", "10.0.0.1"),
      await open("/desk/front/events", "10.0.0.1"),
    ];
    for (const r of kiosk) expect(r.status).toBe(200);
    const fourth = await open("/calls/events", "10.0.0.1");
    expect(fourth.status).toBe(503);
    expect(fourth.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS));
    expect(await fourth.text()).toStartWith("HTTP.TOO_MANY_STREAMS:");

    const other = [await open("/events", "10.0.0.2"), await open("/calls/events", "10.0.0.2")];
    for (const r of other) expect(r.status).toBe(200);
    const overall = await open("/events", "10.0.0.3");
    expect(overall.status).toBe(503);
    expect(overall.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS));
    // Pages and the API are not streams: they are still served.
    expect((await open("/", "10.0.0.3")).status).toBe(200);

    await kiosk[0]?.body?.cancel();
    let third: Response | undefined;
    await until(
      async () => {
        third = await open("/events", "10.0.0.3");
        return third.status === 200;
      },
      2000,
      "a place freed by the closed stream",
    );
    for (const r of [...kiosk.slice(1), ...other, third]) await r?.body?.cancel();
    await until(() => calls.subscribers === 0, 2000, "every subscription to end");
  });

  test("a stream whose client disconnects (a real socket closed) gives its place back", async () => {
    const b = await start({ sse_max_streams_per_client: 2 });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: b.web.fetch });
    const port = server.port ?? 0;
    const sockets: Socket[] = [];
    try {
      const url = `http://127.0.0.1:${port}/calls/events`;
      for (let i = 0; i < 2; i++) sockets.push(await openRaw(port, "/calls/events"));
      const refused = await fetch(url);
      expect(refused.status).toBe(503);
      await refused.arrayBuffer();
      expect(calls.subscribers).toBe(2);

      sockets[0]?.destroy();
      let again: Response | undefined;
      await until(
        async () => {
          again = await fetch(url);
          if (again.status !== 200) await again.arrayBuffer();
          return again.status === 200;
        },
        15_000,
        "the disconnected client's place",
      );
      await again?.body?.cancel();
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.stop(true);
    }
    await until(() => calls.subscribers === 0, 15_000, "every subscription to end");
  });
});

describe("[http] sse caps", () => {
  test("default to 256 in all and 16 per client, take environment variables, and stop the start on 0", () => {
    const load = (http: Record<string, unknown>, env: Record<string, string> = {}) =>
      loadConfig({ base: { ...DEMO_CONFIG, http: { admin_token: TEST_TOKEN, ...http } }, env });
    expect(load({}).http).toMatchObject({ sse_max_streams: 256, sse_max_streams_per_client: 16 });
    expect(
      load({}, { BRANCHBOX_HTTP_SSE_MAX_STREAMS: "64", BRANCHBOX_HTTP_SSE_MAX_STREAMS_PER_CLIENT: "4" }).http,
    ).toMatchObject({ sse_max_streams: 64, sse_max_streams_per_client: 4 });
    expect(() => load({ sse_max_streams: 0 })).toThrow("http.sse_max_streams");
  });
});

/** A GET over a plain socket, resolved once the SSE stream has started (": connected"). */
function openRaw(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = "";
    socket.on("error", reject);
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    socket.on("data", (chunk) => {
      received += chunk.toString();
      if (received.includes(": connected")) resolve(socket);
      else if (/^HTTP\/1\.1 [^2]/.test(received)) reject(new Error(received.split("\r\n")[0]));
    });
  });
}
