#!/usr/bin/env bun
import mqtt from "mqtt";

/**
 * bench:mango's baseline relay, the least a webhook → MQTT bridge can do: Bun.serve takes the
 * same signed form HQ takes (read, nothing checked, nothing stored), answers 200 and then
 * publishes its `json` field at QoS 1 to `bench/mango/bare`, in arrival order, on the same broker.
 * Prints `listening <url>` on stderr once it accepts connections. SIGTERM stops it.
 */

const url = process.argv[2];
if (url === undefined) {
  console.error("usage: bare-server.ts MQTT_URL");
  process.exit(2);
}
const client = await mqtt.connectAsync(url, {
  protocolVersion: 5,
  clientId: `bench-mango-bare-${process.pid}`,
  clean: true,
  reconnectPeriod: 0,
});
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const form = new URLSearchParams(await req.text());
    const json = form.get("json") ?? "{}";
    // After the answer, as HQ relays after its 200.
    queueMicrotask(() => void client.publishAsync("bench/mango/bare", json, { qos: 1 }));
    return Response.json({ ok: true });
  },
});
console.error(`listening ${server.url.href}`);
const stop = async () => {
  server.stop(true);
  await client.endAsync();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
