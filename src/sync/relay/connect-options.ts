import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import { topics } from "../../contract/protocol.ts";
import type { MqttSection, RelayTuning } from "./relay-types.ts";

/**
 * mqtt.js options for one connection attempt. Choices, and why:
 * - `reconnectPeriod: 0`: the relay reconnects by itself (full-jitter backoff, a new epoch and a
 *   new Last Will each time); mqtt.js's fixed period would reconnect every box in lockstep.
 * - `clean: true` (MQTT 5 clean start, session expiry 0) for the up streams alone: nothing the
 *   relay needs lives in the broker's session. Unacknowledged records are re-read from SQLite after
 *   every connect, and a persistent session would only add a second, unordered replay on top of
 *   it. HQ's acks are cumulative, so an ack missed while offline is replaced by the next one.
 * - with down streams (`persistentSession`): `clean: false` and a session expiry, because the
 *   down direction has no other replay: the broker queues what HQ sends while the box is away and
 *   delivers again a message the box did not PUBACK (it died before its commit). A new mqtt.js
 *   client per connect keeps its in-memory outgoing store empty, so the up direction still
 *   replays only from SQLite; acks the broker queued meanwhile are cumulative and harmless.
 * - one client id per branch (`branchbox-{branch}`): a second box with the same id takes the
 *   session over, which the broker logs, rather than both sending under one name unnoticed.
 * - TLS files are read on every attempt, so a renewed certificate is picked up without a restart.
 */
export function connectOptions(
  config: MqttSection,
  branch: string,
  epoch: number,
  tuning: RelayTuning,
  persistentSession = false,
): IClientOptions {
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: `branchbox-${branch}`,
    clean: !persistentSession,
    reconnectPeriod: 0,
    connectTimeout: tuning.connectTimeoutMs,
    keepalive: tuning.keepaliveSec,
    queueQoSZero: false,
    properties: { sessionExpiryInterval: persistentSession ? tuning.sessionExpirySec : 0 },
    will: {
      topic: topics.state(branch),
      payload: Buffer.from(JSON.stringify({ online: false, epoch })),
      qos: 1,
      retain: true,
    },
  };
  if (config.username !== "") options.username = config.username;
  if (config.password !== "") options.password = config.password;
  if (config.ca !== "") options.ca = readFileSync(config.ca);
  if (config.cert !== "") options.cert = readFileSync(config.cert);
  if (config.key !== "") options.key = readFileSync(config.key);
  return options;
}

/** The broker URL without user info, for log lines (a password may be embedded in it). */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(unparsable url)";
  }
}
