// One MQTT connection and a clean end, through connectMqtt ("ours") or mqtt.js's own
// connectAsync ("stock"): the test of the deprecation warning reads this process's stderr.
import mqtt from "mqtt";
import { connectMqttAsync } from "../../src/lib/mqtt-transport.ts";

const [how, url] = process.argv.slice(2);
if ((how !== "ours" && how !== "stock") || url === undefined) {
  console.error("usage: relay-url-probe.ts ours|stock MQTT_URL");
  process.exit(2);
}
const options = { protocolVersion: 5 as const };
const client = how === "ours" ? await connectMqttAsync(url, options) : await mqtt.connectAsync(url, options);
await client.endAsync();
