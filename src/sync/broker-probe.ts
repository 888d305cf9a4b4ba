import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import type { Config } from "../config/schema.ts";
import { connectMqttAsync, parseBrokerUrl } from "./mqtt-transport.ts";
import { safeUrl } from "./relay/connect-options.ts";

export interface BrokerProbeResult {
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
}

/**
 * One connection to headquarters' broker as `branchbox doctor` makes it: the configured
 * credentials and TLS files, a client id of its own (so the relay's session is never taken
 * over), and no Last Will. Says what failed and what to check; never prints the password.
 */
export async function probeBroker(
  mqttConfig: Config["mqtt"],
  branch: string,
  timeoutMs = 5000,
): Promise<BrokerProbeResult> {
  const url = safeUrl(mqttConfig.url);
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: `branchbox-doctor-${branch}-${process.pid}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  };
  try {
    if (mqttConfig.username !== "") options.username = mqttConfig.username;
    if (mqttConfig.password !== "") options.password = mqttConfig.password;
    if (mqttConfig.ca !== "") options.ca = readFileSync(mqttConfig.ca);
    if (mqttConfig.cert !== "") options.cert = readFileSync(mqttConfig.cert);
    if (mqttConfig.key !== "") options.key = readFileSync(mqttConfig.key);
  } catch (error) {
    return {
      ok: false,
      detail: `cannot read a TLS file: ${(error as Error).message}`,
      fix: "check [mqtt] ca, cert and key paths and their permissions",
    };
  }
  try {
    const secure = parseBrokerUrl(mqttConfig.url).tls;
    const client = await connectMqttAsync(mqttConfig.url, options);
    await client.endAsync();
    return {
      ok: true,
      detail: `${url}: connected${secure ? " over TLS, broker certificate verified" : " (no TLS)"}`,
    };
  } catch (error) {
    const message = (error as Error).message;
    const refused = /not authorized|bad user name|password|0x86|0x87|0x8c/i.test(message);
    return {
      ok: false,
      detail: `${url}: ${message}`,
      fix: refused
        ? "the broker refused this branch's credentials: check [mqtt] username/password or the client certificate"
        : "check [mqtt] url (host, port), the network to headquarters and, for mqtts, the CA file",
    };
  }
}
