import type { IClientOptions } from "mqtt";
import type { Config } from "../config/schema.ts";
import { connectMqtt, parseBrokerUrl } from "../lib/mqtt-transport.ts";
import { connectOptions, safeUrl } from "./relay/connect-options.ts";
import { DEFAULT_TUNING } from "./relay/relay-types.ts";

export interface BrokerProbeResult {
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
}

/**
 * One connection to headquarters' broker as `branchbox doctor` makes it while the box's service
 * is not running. Where the broker binds the client id to the certificate or user
 * (`use_username_as_clientid`, firmware-config/mosquitto), any connection with the box's
 * credentials IS the box's client, whatever id it asks for; so the probe connects as the relay
 * would and leaves the relay's session as it found it:
 * - the relay's client id and session expiry with clean start 0: a clean start would discard the
 *   session and with it what HQ queued for the box (staff, clients, settings, commands);
 * - no subscription and no Last Will;
 * - nothing the broker delivers is acknowledged. A resumed session's queued QoS 1 messages follow
 *   the CONNACK; without a PUBACK they stay in the session and the broker sends them again when the
 *   relay resumes it (MQTT 5 §4.4). mqtt.js sends a PUBACK only when `customHandleAcks` calls
 *   back, which ours never does; Receive Maximum 1 lets the broker send at most one meanwhile;
 * - DISCONNECT with reason 0 and no Session Expiry property: the session keeps the CONNECT's.
 * Says what failed and what to check; never prints the password.
 */
export async function probeBroker(
  mqttConfig: Config["mqtt"],
  branch: string,
  timeoutMs = 5000,
): Promise<BrokerProbeResult> {
  const url = safeUrl(mqttConfig.url);
  let options: IClientOptions;
  try {
    // Only the TLS file reads can throw here; the epoch goes with the Will, which is dropped.
    const { will: _will, ...relay } = connectOptions(mqttConfig, branch, 0, DEFAULT_TUNING, true);
    options = {
      ...relay,
      connectTimeout: timeoutMs,
      properties: { ...relay.properties, receiveMaximum: 1 },
      customHandleAcks: () => undefined,
    };
  } catch (error) {
    return {
      ok: false,
      detail: `cannot read a TLS file: ${(error as Error).message}`,
      fix: "check [mqtt] ca, cert and key paths and their permissions",
    };
  }
  try {
    const secure = parseBrokerUrl(mqttConfig.url).tls;
    const { client, sessionPresent } = await connectOnce(mqttConfig.url, options);
    await client.endAsync();
    const session = sessionPresent
      ? "the broker holds the box's session, left as it was"
      : "the broker holds no session for this box yet";
    return {
      ok: true,
      detail: `${url}: connected${secure ? " over TLS, broker certificate verified" : " (no TLS)"}; ${session}`,
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

/** Resolves on the CONNACK with its session-present flag; rejects (and closes) on an error or close. */
function connectOnce(
  url: string,
  options: IClientOptions,
): Promise<{ client: ReturnType<typeof connectMqtt>; sessionPresent: boolean }> {
  return new Promise((resolve, reject) => {
    const client = connectMqtt(url, { ...options, reconnectPeriod: 0 });
    const fail = (error: Error) => {
      client.removeAllListeners("connect");
      client.end(true);
      reject(error);
    };
    const closed = () => fail(new Error("the broker closed the connection"));
    client.once("connect", (connack) => {
      client.removeListener("error", fail);
      client.removeListener("close", closed);
      resolve({ client, sessionPresent: connack.sessionPresent });
    });
    client.once("error", fail);
    client.once("close", closed);
  });
}
