import { DEFAULT_TUNING } from "./relay/relay-types.ts";

export interface LinkReport {
  readonly status: "OK" | "WARN" | "FAIL";
  readonly detail: string;
  readonly fix?: string;
}

const BY_THE_BOX = "(reported by the running box)";

/**
 * The broker link as the running box's relay sees it, read from its `/metrics` with the admin
 * token: what `branchbox doctor` says instead of connecting itself. A connection with the box's
 * credentials would be the box's own client on a broker that binds the client id to them
 * (firmware-config/mosquitto): it would take the link from the relay. So this never connects to
 * the broker, whatever /metrics answers. A box just started (install.sh runs the doctor right
 * after `systemctl start`) may still be on its first connect: that one is waited for, up to the
 * relay's connect timeout.
 */
export async function reportRunningBoxLink(
  baseUrl: string,
  adminToken: string,
  firstConnectMs = DEFAULT_TUNING.connectTimeoutMs,
): Promise<LinkReport> {
  const deadline = Date.now() + firstConnectMs;
  for (;;) {
    const metrics = await readMetrics(baseUrl, adminToken);
    if (typeof metrics !== "string") return metrics;
    const one = (name: string) => samples(metrics, name)[0] ?? 0;
    const firstConnect =
      one("branchbox_sync_enabled") === 1 &&
      one("branchbox_sync_connected") === 0 &&
      one("branchbox_sync_reconnects_total") === 0;
    if (!firstConnect || Date.now() >= deadline) return judge(metrics);
    await Bun.sleep(250);
  }
}

/** The /metrics text, or what to report when the box does not give it. */
async function readMetrics(baseUrl: string, adminToken: string): Promise<string | LinkReport> {
  let text: string;
  try {
    const response = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(3000),
    });
    text = await response.text();
    if (response.status === 401)
      return {
        status: "FAIL",
        detail: `the running box refused this config's admin token at ${baseUrl}/metrics`,
        fix: "run the doctor with the config file the service uses (--config)",
      };
    if (response.status !== 200)
      return {
        status: "FAIL",
        detail: `the running box answered ${baseUrl}/metrics with HTTP ${response.status}`,
        fix: "look at the service's log: `journalctl -u branchbox`",
      };
  } catch (error) {
    return {
      status: "FAIL",
      detail: `the running box did not answer ${baseUrl}/metrics: ${(error as Error).message}`,
      fix: "look at the service's log: `journalctl -u branchbox`",
    };
  }
  return text;
}

function judge(text: string): LinkReport {
  const one = (name: string) => samples(text, name)[0] ?? 0;
  if (one("branchbox_sync_enabled") !== 1)
    return {
      status: "FAIL",
      detail: `the running box has no headquarters broker configured ${BY_THE_BOX}`,
      fix: "it runs with another config, or was not restarted since [mqtt] was set: `systemctl restart branchbox`",
    };
  const backlog = samples(text, "branchbox_sync_backlog").reduce((a, b) => a + b, 0);
  if (one("branchbox_sync_connected") !== 1)
    return {
      status: "FAIL",
      detail: `the running box is not connected to the broker: see /admin ${BY_THE_BOX}`,
      fix: `/admin shows the broker's last error; the box keeps trying (${one("branchbox_sync_reconnects_total")} reconnect(s) so far, ${backlog} record(s) waiting)`,
    };
  if (one("branchbox_sync_hq_online") !== 1)
    return {
      status: "WARN",
      detail: `connected; headquarters is offline, ${backlog} record(s) waiting ${BY_THE_BOX}`,
      fix: "headquarters' consumer (`branchbox hq`) is not running: the box sends its backlog once it is",
    };
  return {
    status: "OK",
    detail: `connected, headquarters online, ${backlog} record(s) waiting ${BY_THE_BOX}`,
  };
}

/** The values of one metric in the Prometheus text format, every label set. */
function samples(text: string, name: string): number[] {
  const values: number[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) values.push(value);
  }
  return values;
}
