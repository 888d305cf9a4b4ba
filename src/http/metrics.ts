import { Hono } from "hono";
import { storageFaults } from "../store/storage-faults.ts";
import type { HttpDeps } from "./deps.ts";

type Sample = readonly [labels: Record<string, string>, value: number];

/** One metric in the Prometheus text format (0.0.4). */
function metric(name: string, type: "gauge" | "counter", help: string, samples: readonly Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
      .join(",");
    lines.push(`${name}${text === "" ? "" : `{${text}}`} ${value}`);
  }
  return lines.join("\n");
}

/**
 * `GET /metrics` for Prometheus (scrape with the admin token as a bearer token): the sync
 * backlog and progress per stream, the links to headquarters and to the PBX, and what the call
 * pipeline received, dropped and recorded.
 */
export function metricsRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.get("/", (c) => {
    const sync = deps.sync();
    const pbx = deps.pbx();
    const streams = sync === null ? [] : Object.entries(sync.streams);
    const inbound = deps.inbound();
    const down = Object.entries(inbound.streams);
    const storage = storageFaults.status();
    const pins = deps.roster.pinStatus(deps.now());
    const body = [
      metric("branchbox_build_info", "gauge", "The running version.", [[{ version: deps.version }, 1]]),
      metric("branchbox_sync_enabled", "gauge", "1 when [mqtt] url is set.", [[{}, sync === null ? 0 : 1]]),
      metric("branchbox_sync_connected", "gauge", "1 while connected to the headquarters broker.", [
        [{}, sync?.state === "connected" ? 1 : 0],
      ]),
      metric("branchbox_sync_hq_online", "gauge", "1 while headquarters says it is online.", [
        [{}, sync?.hqOnline ? 1 : 0],
      ]),
      metric("branchbox_sync_epoch", "gauge", "The sync epoch (grows on every connect).", [
        [{}, sync?.epoch ?? 0],
      ]),
      metric("branchbox_sync_reconnects_total", "counter", "Connects to the broker after the first.", [
        [{}, sync?.reconnects ?? 0],
      ]),
      metric("branchbox_sync_bad_acks_total", "counter", "Acks from headquarters refused as malformed.", [
        [{}, sync?.badAcks ?? 0],
      ]),
      metric(
        "branchbox_sync_backlog",
        "gauge",
        "Records waiting for headquarters' ack, per stream.",
        streams.map(([stream, s]) => [{ stream }, s.backlog]),
      ),
      metric(
        "branchbox_sync_inflight",
        "gauge",
        "Envelopes published and not yet acknowledged by the broker, per stream.",
        streams.map(([stream, s]) => [{ stream }, s.inflight]),
      ),
      metric(
        "branchbox_sync_acked_seq",
        "gauge",
        "The highest seq headquarters has acknowledged, per stream.",
        streams.map(([stream, s]) => [{ stream }, s.ackedThrough]),
      ),
      metric(
        "branchbox_sync_down_seq",
        "gauge",
        "The highest seq applied from headquarters, per down stream.",
        down.map(([stream, s]) => [{ stream }, s.through]),
      ),
      metric(
        "branchbox_sync_down_applied_total",
        "counter",
        "Records applied from headquarters, per down stream.",
        down.map(([stream, s]) => [{ stream }, s.applied]),
      ),
      metric(
        "branchbox_sync_down_duplicates_total",
        "counter",
        "Down records already applied (a replayed seq), per stream.",
        down.map(([stream, s]) => [{ stream }, s.duplicates]),
      ),
      metric(
        "branchbox_sync_down_rejected_total",
        "counter",
        "Down messages refused, by code.",
        Object.entries(inbound.rejected).map(([code, n]) => [{ code }, n]),
      ),
      metric(
        "branchbox_sync_down_store_failures_total",
        "counter",
        "Down messages not committed (not acknowledged).",
        [[{}, inbound.storeFailures]],
      ),
      metric(
        "branchbox_clients_directory_version",
        "gauge",
        "The client directory's version from headquarters.",
        [[{}, inbound.clients.version]],
      ),
      metric("branchbox_clients_directory_stale", "gauge", "1 while deltas wait for a new snapshot.", [
        [{}, inbound.clients.stale ? 1 : 0],
      ]),
      metric(
        "branchbox_commands_total",
        "counter",
        "Commands from headquarters, by how they ended.",
        (["done", "failed", "expired", "unsupported", "refused", "duplicates"] as const).map((k) => [
          { outcome: k },
          inbound.commands[k],
        ]),
      ),
      metric(
        "branchbox_pbx_connected",
        "gauge",
        "1 while the PBX source is connected.",
        pbx.sources.map(({ name, status }) => [{ source: name }, status.state === "connected" ? 1 : 0]),
      ),
      metric(
        "branchbox_pbx_bad_frames_total",
        "counter",
        "Frames from the PBX that could not be read.",
        pbx.sources.map(({ name, status }) => [{ source: name }, status.badFrames]),
      ),
      metric(
        "branchbox_pbx_orphan_events_total",
        "counter",
        "PBX events about a call the source never saw begin (nor a resync show), dropped: no call made of them.",
        pbx.sources.flatMap(({ name, status }) =>
          Object.entries(status.orphans ?? {}).map(([kind, n]) => [{ source: name, event: kind }, n]),
        ),
      ),
      metric(
        "branchbox_pbx_duplicate_frames_total",
        "counter",
        "PBX events sent twice on one link (AMI: a repeated SequenceNumber), dropped.",
        pbx.sources.flatMap(({ name, status }) =>
          status.duplicateFrames === undefined ? [] : [[{ source: name }, status.duplicateFrames]],
        ),
      ),
      metric(
        "branchbox_pbx_capture_on",
        "gauge",
        "1 while the raw capture for support ([pbx.ami] capture_dir) writes; 0 once it stopped, with the reason.",
        pbx.sources.flatMap(({ name, status }) =>
          status.capture === undefined
            ? []
            : [
                [
                  { source: name, dir: status.capture.dir, reason: status.capture.reason ?? "" },
                  status.capture.on ? 1 : 0,
                ],
              ],
        ),
      ),
      metric(
        "branchbox_pbx_capture_bytes",
        "gauge",
        "What the raw capture files hold now.",
        pbx.sources.flatMap(({ name, status }) =>
          status.capture === undefined ? [] : [[{ source: name }, status.capture.keptBytes]],
        ),
      ),
      metric(
        "branchbox_pbx_unplaced_endpoints",
        "gauge",
        "Endpoints whose channels the PBX source saw but could not place (no desk, employee or handsets entry names them); /admin lists them.",
        pbx.sources.flatMap(({ name, status }) =>
          status.unplaced === undefined ? [] : [[{ source: name }, status.unplaced.length]],
        ),
      ),
      metric(
        "branchbox_pbx_endpoints",
        "gauge",
        "The PBX's own endpoints as read at the last login, by how the box judges them (mapped, guessed, trunk, unmapped).",
        pbx.sources.flatMap(({ name, status }) =>
          Object.entries(status.endpoints?.counts ?? {}).map(([kind, n]) => [{ source: name, kind }, n]),
        ),
      ),
      metric(
        "branchbox_pbx_subscription_active",
        "gauge",
        "1 while a PBX subscription (SIP: one per watched extension) is active.",
        pbx.sources.flatMap(({ name, status }) =>
          (status.subscriptions ?? []).map((sub) => [
            { source: name, target: sub.target },
            sub.state === "active" ? 1 : 0,
          ]),
        ),
      ),
      metric(
        "branchbox_memory_table_entries",
        "gauge",
        "Entries held in memory per call table (bounded by live calls or a cap), per part: the call pipeline or a PBX source.",
        [
          ...Object.entries(pbx.pipeline.tables).map(([table, n]): Sample => [{ part: "calls", table }, n]),
          ...pbx.sources.flatMap(({ name, status }) =>
            Object.entries(status.tables ?? {}).map(([table, n]): Sample => [{ part: name, table }, n]),
          ),
        ],
      ),
      metric("branchbox_calls_events_received_total", "counter", "PBX events delivered to the journal.", [
        [{}, pbx.pipeline.received],
      ]),
      metric("branchbox_calls_events_duplicate_total", "counter", "PBX events already in the journal.", [
        [{}, pbx.pipeline.duplicates],
      ]),
      metric(
        "branchbox_calls_events_rejected_total",
        "counter",
        "PBX events refused (invalid, illegal move).",
        [[{}, pbx.pipeline.rejected]],
      ),
      metric("branchbox_calls_recorded_total", "counter", "Call records written.", [
        [{}, pbx.pipeline.recorded],
      ]),
      metric(
        "branchbox_crm_intents_total",
        "counter",
        "CRM intents written for headquarters (R3.4–R3.10, R2.7).",
        [[{}, pbx.pipeline.intents]],
      ),
      metric(
        "branchbox_crm_intents_unnumbered_total",
        "counter",
        "Calls whose client's number has no E.164 form: no CRM intent made.",
        [[{}, pbx.pipeline.unnumbered]],
      ),
      metric(
        "branchbox_storage_errors_total",
        "counter",
        "Writes the storage refused outside a request (full disk, I/O), retries included.",
        [[{}, storage.errors]],
      ),
      metric("branchbox_storage_failing", "gauge", "1 while a refused write waits to be retried.", [
        [{}, storage.failing.length > 0 ? 1 : 0],
      ]),
      metric(
        "branchbox_pin_locked",
        "gauge",
        "1 for each employee locked out of the kiosk now (too many wrong PINs).",
        pins.locked.map((l) => [{ employee: l.employeeId }, 1]),
      ),
      metric(
        "branchbox_pin_wrong_today",
        "gauge",
        "Wrong PINs today (the branch's day), per employee.",
        pins.wrongToday.map((w) => [{ employee: w.employeeId }, w.count]),
      ),
      metric("branchbox_pin_wrong_total", "counter", "Wrong PINs judged since the box started.", [
        [{}, pins.wrongSinceStart],
      ]),
      metric(
        "branchbox_pin_refused_locked_total",
        "counter",
        "PINs refused unjudged because a lock held, since the box started.",
        [[{}, pins.refusedLockedSinceStart]],
      ),
    ];
    return c.text(`${body.join("\n")}\n`, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
  return app;
}
