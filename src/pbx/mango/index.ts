import type { MangoConfig } from "../../config/pbx-sections.ts";
import type { PbxEvent, PbxEventSource, PbxSourceStatus } from "../../domain/call/pbx-event.ts";
import type { Logger } from "../../log/logger.ts";
import type { PbxDownRow, PbxDownStream, PbxModule } from "../pbx-module.ts";
import { createMangoControl } from "./mango-control.ts";
import type { MangoLegChange } from "./mango-legs.ts";
import { mangoRouting } from "./mango-routing.ts";
import { type MangoRecordData, MangoTranslator } from "./mango-translate.ts";

type Deliver = (events: readonly PbxEvent[]) => Promise<void>;

/**
 * `[pbx.mango]` for the registry: the events come from headquarters, there is nothing to reach; the
 * control sends its commands through headquarters too, and routes inbound calls by R2.6.
 */
export const mangoPbx: PbxModule<MangoConfig> = {
  create: (section, deps) => {
    const stream = deps.downStream ?? null;
    let onLiveLeg: ((change: MangoLegChange) => void) | undefined;
    const control = createMangoControl({
      stream,
      commands: stream?.relayed === true ? (deps.upCommands ?? null) : null,
      log: deps.log,
      now: deps.now,
      onLiveLeg: (change) => onLiveLeg?.(change),
      ...(deps.numbers === undefined ? {} : { numbers: deps.numbers }),
    });
    if (deps.routing !== undefined)
      onLiveLeg = mangoRouting({ routing: deps.routing, control, log: deps.log, now: deps.now });
    return {
      source: createMangoSource({
        stream,
        log: deps.log,
        now: deps.now,
        graceMs: section.grace_seconds * 1000,
        reorderMs: section.reorder_seconds * 1000,
      }),
      control,
    };
  },
  probe: async () => ({
    ok: true,
    detail:
      "Mango Office's events come from headquarters ([hq.mango]) on the pbx down stream: nothing to reach from the box",
  }),
};

export interface MangoSourceOptions {
  /** The `pbx` down stream's kept records; null: nothing to read (the source idles). */
  readonly stream: PbxDownStream | null;
  readonly log: Logger;
  readonly now: () => number;
  readonly graceMs: number;
  readonly reorderMs: number;
  /** How often the translator's time passes (grace periods, seq gaps). */
  readonly tickMs?: number;
  /** How far back a start (or a failed delivery) reads the records again to rebuild open calls. */
  readonly refeedMs?: number;
}

const KINDS = new Set(["call", "summary", "recording", "dtmf", "stats"]);

/** A row's data as the inbox checked it (mangoEventSchema); null if it is not one after all. */
function recordOf(row: PbxDownRow): MangoRecordData | null {
  const data = row.data as Partial<Record<string, unknown>> | null;
  if (data === null || typeof data !== "object") return null;
  const { kind, json } = data;
  if (typeof kind !== "string" || !KINDS.has(kind) || json === null || typeof json !== "object") return null;
  // The box's own commit time: the clock `tick(now)` runs on (HQ's `receivedAt` stays in the row).
  return {
    kind: kind as MangoRecordData["kind"],
    json: json as Record<string, unknown>,
    receivedAt: row.receivedAt,
  };
}

/**
 * Issue 17: Mango Office's cloud PBX as a PbxEventSource. Headquarters receives Mango's webhooks
 * and relays them on the `pbx` down stream; the inbox keeps each new record in its own commit
 * (the `pbx_down` table) and wakes this source, which reads the rows not yet consumed in arrival
 * order, feeds them to the MangoTranslator, delivers the PbxEvents to the pipeline and only then
 * marks the rows consumed. One pass at a time, so the events keep the records' order.
 *
 * - A restart (or a delivery that failed) starts a fresh translator on the rows of the last hour
 *   and every unconsumed one: the calls still open are rebuilt, and what was delivered before comes
 *   again under the same keys, which the journal drops.
 * - `tick(now)` runs every second while started: a seq that waited too long, a call with no
 *   `events/summary` ended by the grace period.
 * - The link is headquarters': `connected` whenever the box has an `[mqtt] url`.
 */
export function createMangoSource(options: MangoSourceOptions): PbxEventSource {
  const o = { tickMs: 1000, refeedMs: 60 * 60_000, ...options };
  const name = "mango";
  const log = o.log.child({ source: name });
  const newTranslator = () =>
    new MangoTranslator({ source: name, graceMs: o.graceMs, reorderMs: o.reorderMs });
  let translator = newTranslator();
  let deliver: Deliver | null = null;
  let started = false;
  let timer: ReturnType<typeof setInterval> | null = null;
  let unsubscribe = () => {};
  /** The pass under way (never rejects); `queued`: one more is waiting behind it. */
  let running: Promise<void> = Promise.resolve();
  let queued = false;
  let rebuild = true;
  const counts = { records: 0, events: 0, badRows: 0, failures: 0 };
  let state: Pick<PbxSourceStatus, "state" | "since"> & { reason: string } = {
    state: "stopped",
    since: o.now(),
    reason: "not started",
  };

  const setState = (next: PbxSourceStatus["state"], reason: string) => {
    if (next !== state.state) log.info("Mango source", { state: next, detail: reason });
    state = { state: next, since: next === state.state ? state.since : o.now(), reason };
  };

  const pass = async (): Promise<void> => {
    const stream = o.stream;
    const to = deliver;
    if (!started || stream === null || to === null) return;
    const now = o.now();
    const fresh = rebuild;
    if (fresh) translator = newTranslator();
    try {
      const rows = fresh ? stream.since(now - o.refeedMs) : stream.pending();
      const events: PbxEvent[] = [];
      for (const row of rows) {
        // A command's `mango.result` is the control's to read, not an event of a call.
        if (row.type !== "mango.event") continue;
        const record = recordOf(row);
        if (record === null) {
          counts.badRows++;
          continue;
        }
        counts.records++;
        events.push(...translator.accept(record));
      }
      events.push(...translator.tick(now));
      if (events.length > 0) await to(events);
      counts.events += events.length;
      const last = rows.at(-1);
      if (last !== undefined) stream.consume(last.n, o.now());
      rebuild = false;
    } catch (error) {
      // Nothing is lost: the rows stay unconsumed, and the next pass starts a fresh translator
      // on the recent ones (what was delivered dedupes by key).
      counts.failures++;
      rebuild = true;
      log.error("Mango events not stored; their records are read again", { error });
    }
  };

  const run = (): Promise<void> => {
    if (queued) return running;
    queued = true;
    running = running.then(() => {
      queued = false;
      return pass();
    });
    return running;
  };

  return {
    name,
    start(onEvents) {
      if (started) return;
      started = true;
      deliver = onEvents;
      rebuild = true;
      if (o.stream === null) {
        setState("connecting", "no pbx down stream to read");
        return;
      }
      setState(
        o.stream.relayed ? "connected" : "connecting",
        o.stream.relayed
          ? "reading headquarters' pbx down stream"
          : "no [mqtt] url: headquarters cannot relay Mango's events",
      );
      unsubscribe = o.stream.subscribe(() => void run());
      timer = setInterval(() => void run(), o.tickMs);
      void run();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      unsubscribe();
      unsubscribe = () => {};
      await running;
      started = false;
      setState("stopped", "stopped");
    },
    status(): PbxSourceStatus {
      const stats = translator.stats();
      const invalid =
        (stats.unplaced["invalid-call"] ?? 0) +
        (stats.unplaced["invalid-summary"] ?? 0) +
        (stats.unplaced["invalid-recording"] ?? 0);
      return {
        state: state.state,
        since: state.since,
        detail: `${state.reason}; ${counts.records} records read, ${counts.events} events delivered${
          counts.failures > 0 ? `, ${counts.failures} deliveries failed` : ""
        }`,
        eventsReceived: counts.records,
        badFrames: invalid + counts.badRows,
        orphans: { ...stats.unplaced },
        tables: { entries: stats.liveEntries },
      };
    },
  };
}
