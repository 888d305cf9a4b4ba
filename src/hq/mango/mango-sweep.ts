import { startRounds } from "../../lib/rounds.ts";
import type { Logger } from "../../log/logger.ts";
import type { MangoConfig } from "../hq-config.ts";
import type { MangoStatsEvent, MangoSweep, MangoSweepStore } from "../store/mango-sweep-store-port.ts";
import type { MangoApi } from "./mango-api.ts";
import { branchOfMangoEvent } from "./mango-branch.ts";
import { mangoEventId } from "./mango-sign.ts";
import {
  downtimeWindow,
  MANGO_STATS_FIELDS,
  type MangoStatsRow,
  type MangoStatsWindow,
  parseMangoStatsCsv,
  splitMangoWindow,
} from "./mango-stats.ts";

/** A key Mango forgot (404) is asked for again this many times, then the sweep fails. */
const MAX_EXPIRED = 3;

/** Finished sweeps are kept this long for the page (and the newest periodic one always). */
const KEEP_SWEEPS_MS = 90 * 86_400_000;
const PRUNE_EVERY_MS = 86_400_000;

/** Mango out of reach: the next try after 30 s, doubling up to 10 min. */
const backoffMs = (attempts: number) => Math.min(600_000, 30_000 * 2 ** Math.max(0, attempts - 1));

export interface MangoSweeperCounters {
  sweeps: number;
  rows: number;
  newEntries: number;
  badLines: number;
  failures: number;
}

export interface MangoSweeper {
  readonly counters: MangoSweeperCounters;
  /**
   * A valid webhook HQ could not store at `at` (answered 503: Mango will not send it again). Kept
   * in memory; a margin after the first such instant, once hq.db takes writes again, ONE
   * `unstored` sweep of `[first − margin, last + margin]` is planned (failures in between
   * coalesce), asked once its end has passed. Memory is enough: HQ stopping while failures wait
   * leaves a last beat less than a margin after the first of them (or, with hq.db down, an older
   * one), so its restart's downtime window covers them.
   */
  unstored(at: number): void;
  /** Acts on what is due now (the timer calls it; tests may too). */
  step(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The statistics entries of one answer (issue 17): its rows grouped by `entry_id`, one `stats`
 * event per entry, `json` = `{entry_id, rows}` (rows as Mango gave them, in its order), placed by
 * the first row that names a configured branch's line or extension. A row with no `entry_id`
 * cannot be reconciled: it is counted with the bad lines, never relayed.
 */
export function mangoStatsEvents(
  rows: readonly MangoStatsRow[],
  branches: MangoConfig["branches"],
): { events: MangoStatsEvent[]; noEntry: number } {
  const byEntry = new Map<string, MangoStatsRow[]>();
  let noEntry = 0;
  for (const row of rows) {
    const entryId = row.entry_id ?? "";
    if (entryId === "") {
      noEntry++;
      continue;
    }
    byEntry.set(entryId, [...(byEntry.get(entryId) ?? []), row]);
  }
  const events = [...byEntry].map(([entryId, entryRows]): MangoStatsEvent => {
    const json = JSON.stringify({ entry_id: entryId, rows: entryRows });
    const branch = entryRows.map((row) => branchOfMangoEvent(asEvent(row), branches)).find((b) => b !== null);
    return { id: mangoEventId("stats", json), json, entryId, branch: branch ?? null };
  });
  return { events, noEntry };
}

/** A statistics row in the shape the webhooks' branch rules read (mango-branch.ts). */
function asEvent(row: MangoStatsRow): Record<string, unknown> {
  return {
    line_number: row.line_number,
    from: { number: row.from_number, extension: row.from_extension },
    to: { number: row.to_number, extension: row.to_extension },
  };
}

/**
 * Recovers the webhooks HQ could have missed (issue 17 "Gaps"): Mango sends none again.
 *
 * - At start, BEFORE its first heartbeat, it reads the last one: the window from it to now,
 *   widened by `gap_margin_s`, is swept (once the window's end has passed). Then it beats every
 *   `beatMs`. Every `sweep_every_s` (0: never) it sweeps from the end of the last periodic sweep
 *   to `gap_margin_s` ago: a webhook lost on the network while HQ ran.
 * - A sweep: `stats/request` {date_from, date_to, fields, request_id} → `{key}`; then `stats/result`
 *   {key} no more often than every `stats_poll_s` (≥ 5 s, the API's rule): 204 not ready; 200 the
 *   CSV, reconciled by `entry_id` and stored with the sweep's end in ONE transaction (the store's
 *   `complete`), then the relay is kicked; 404 the key expired: asked again (`MANGO.STATS_EXPIRED`,
 *   at most 3 times). Mango refuses (420 or another 4xx): the sweep fails, `MANGO.STATS_REFUSED`,
 *   shown, not retried. Mango out of reach: retried with backoff (`MANGO.STATS_UNREACHABLE`).
 *   Nothing is stored before the whole answer is read; sweeps run one at a time, oldest first.
 * - A webhook it could not store (`unstored`): a sweep of that moment, planned a margin after it
 *   and asked once the window's end has passed, not left to the next periodic sweep.
 * - Finished sweeps older than 90 days are deleted once a day (the newest periodic one is kept).
 * - A storage failure is logged and the step tried again on the next tick; it never ends HQ.
 */
export function startMangoSweeper(options: {
  readonly config: MangoConfig;
  readonly store: MangoSweepStore;
  readonly api: MangoApi;
  readonly log: Logger;
  readonly relay: () => void;
  readonly now?: () => number;
  readonly tickMs?: number;
  readonly beatMs?: number;
  /** Tests only: the poll interval in ms (the configuration cannot go under 5 s). */
  readonly pollMs?: number;
}): MangoSweeper {
  const { config, store, api, relay } = options;
  const log = options.log.child({ part: "mango-sweep" });
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? config.stats_poll_s * 1000;
  const marginS = config.gap_margin_s;
  const counters: MangoSweeperCounters = { sweeps: 0, rows: 0, newEntries: 0, badLines: 0, failures: 0 };
  const started = now();

  let gap: MangoStatsWindow | null = null;
  let initialised = false;
  /** The first step: the hole since the last run, read before HQ's own first beat. */
  const init = async () => {
    gap = downtimeWindow(await store.lastBeat(), started, marginS);
    if (gap !== null) {
      const windows = splitMangoWindow(gap);
      await store.plan(
        windows.map((w) => ({ reason: "downtime" as const, ...w, nextAt: w.to * 1000 })),
        started,
      );
      log.info("HQ was not running: Mango's statistics will be asked for the gap", {
        from: gap.from,
        to: gap.to,
        windows: windows.length,
      });
    }
    await store.beat(started);
    initialised = true;
  };

  const periodic = async (at: number) => {
    const to = Math.floor(at / 1000) - marginS;
    const since = gap?.to ?? Math.floor(started / 1000) - marginS;
    const from = ((await store.lastPeriodicTo()) ?? since) + 1;
    if (to < from) return;
    await store.plan(
      splitMangoWindow({ from, to }).map((w) => ({ reason: "periodic" as const, ...w, nextAt: at })),
      at,
    );
  };

  /** Instants of webhooks not stored, not yet planned: the first and the last (ms). */
  let lost: { first: number; last: number } | null = null;
  const noteLost = (at: number) => {
    lost =
      lost === null
        ? { first: at, last: at }
        : { first: Math.min(lost.first, at), last: Math.max(lost.last, at) };
  };
  const planLost = async (at: number) => {
    const taken = lost;
    if (taken === null) return;
    if (at < (Math.ceil(taken.first / 1000) + marginS) * 1000) return;
    const window = lostWindow(taken, marginS);
    lost = null;
    try {
      await store.plan(
        splitMangoWindow(window).map((w) => ({
          reason: "unstored" as const,
          ...w,
          nextAt: Math.max(at, w.to * 1000),
        })),
        at,
      );
    } catch (error) {
      noteLost(taken.first);
      noteLost(taken.last);
      throw error;
    }
    log.info("webhooks HQ could not store: Mango's statistics will be asked for that moment", {
      from: window.from,
      to: window.to,
    });
  };

  const fail = async (sweep: MangoSweep, code: string, error: string, at: number) => {
    counters.failures++;
    log.warn("Mango's statistics refused a gap sweep: it is not retried", {
      code,
      sweep: sweep.id,
      from: sweep.from,
      to: sweep.to,
      error,
    });
    await store.update(sweep.id, { ...keep(sweep), state: "failed", code, error, now: at });
  };
  const unreachable = async (sweep: MangoSweep, reason: string, at: number) => {
    const attempts = sweep.attempts + 1;
    if (attempts === 1 || attempts % 10 === 0)
      log.warn("Mango's statistics out of reach: the gap sweep is retried", {
        code: "MANGO.STATS_UNREACHABLE",
        sweep: sweep.id,
        attempts,
        error: reason,
      });
    await store.update(sweep.id, {
      ...keep(sweep),
      attempts,
      nextAt: at + backoffMs(attempts),
      code: "MANGO.STATS_UNREACHABLE",
      error: reason,
      now: at,
    });
  };

  const request = async (sweep: MangoSweep, at: number) => {
    const answer = await api.post("stats/request", {
      date_from: String(sweep.from),
      date_to: String(sweep.to),
      fields: MANGO_STATS_FIELDS.join(","),
      request_id: `branchbox-hq-sweep-${sweep.id}`,
    });
    if (answer.kind === "unreachable") return unreachable(sweep, answer.reason, at);
    const key = (answer.kind === "answered" ? (answer.json as { key?: unknown } | null)?.key : null) ?? null;
    if (typeof key !== "string" || key === "") {
      const why =
        answer.kind === "refused"
          ? `stats/request refused: HTTP ${answer.status}, code ${answer.code ?? "none"}`
          : "stats/request answered no key";
      return fail(sweep, "MANGO.STATS_REFUSED", why, at);
    }
    await store.update(sweep.id, { ...keep(sweep), state: "requested", key, nextAt: at + pollMs, now: at });
  };

  const result = async (sweep: MangoSweep, key: string, at: number) => {
    const answer = await api.post("stats/result", { key });
    if (answer.kind === "unreachable") return unreachable(sweep, answer.reason, at);
    if (answer.kind === "refused" && answer.status === 404) {
      const attempts = sweep.attempts + 1;
      if (attempts > MAX_EXPIRED)
        return fail(sweep, "MANGO.STATS_EXPIRED", `the key expired ${attempts} times (404)`, at);
      log.warn("Mango forgot the statistics key (404): asking again", {
        code: "MANGO.STATS_EXPIRED",
        sweep: sweep.id,
        attempts,
      });
      return store.update(sweep.id, {
        ...keep(sweep),
        state: "pending",
        key: null,
        attempts,
        nextAt: at,
        code: "MANGO.STATS_EXPIRED",
        error: "stats/result answered 404: the key is wrong or expired",
        now: at,
      });
    }
    if (answer.kind === "refused")
      return fail(sweep, "MANGO.STATS_REFUSED", `stats/result refused: HTTP ${answer.status}`, at);
    if (answer.status === 204)
      return store.update(sweep.id, { ...keep(sweep), nextAt: at + pollMs, now: at });
    const table = parseMangoStatsCsv(answer.text, MANGO_STATS_FIELDS);
    const { events, noEntry } = mangoStatsEvents(table.rows, config.branches);
    const badLines = table.bad.length + noEntry;
    const { newEntries } = await store.complete(sweep.id, {
      rows: table.rows.length,
      badLines,
      events,
      now: at,
    });
    counters.sweeps++;
    counters.rows += table.rows.length;
    counters.newEntries += newEntries;
    counters.badLines += badLines;
    if (badLines > 0)
      log.warn("Mango's statistics held rows HQ cannot read or reconcile: counted, not relayed", {
        code: "MANGO.STATS_BAD_ROWS",
        sweep: sweep.id,
        bad: table.bad.slice(0, 5),
        noEntry,
      });
    log.info("gap sweep done", {
      sweep: sweep.id,
      from: sweep.from,
      to: sweep.to,
      rows: table.rows.length,
      newEntries,
    });
    if (newEntries > 0) relay();
  };

  let nextPeriodic = started + config.sweep_every_s * 1000;
  let lastBeat = started;
  let nextPrune = started;
  const beatMs = options.beatMs ?? 5000;
  const step = async () => {
    if (!initialised) await init();
    const at = now();
    if (at - lastBeat >= beatMs) {
      await store.beat(at);
      lastBeat = at;
    }
    if (config.sweep_every_s > 0 && at >= nextPeriodic) {
      await periodic(at);
      nextPeriodic = at + config.sweep_every_s * 1000;
    }
    await planLost(at);
    if (at >= nextPrune) {
      await store.prune(at - KEEP_SWEEPS_MS);
      nextPrune = at + PRUNE_EVERY_MS;
    }
    const sweep = await store.due(at);
    if (sweep === null) return;
    if (sweep.state === "requested" && sweep.key !== null) await result(sweep, sweep.key, at);
    else await request(sweep, at);
  };

  const rounds = startRounds(step, {
    everyMs: options.tickMs ?? 1000,
    queue: false,
    now: false,
    failed: (error, streak) => {
      if (streak % 60 === 1)
        log.error("gap recovery could not use hq.db; trying again", {
          code: (error as { code?: string }).code ?? "STORAGE.FAILED",
          error,
        });
    },
  });
  return {
    counters,
    unstored: noteLost,
    async step() {
      await rounds.idle();
      rounds.kick();
      await rounds.idle();
    },
    stop: rounds.stop,
  };
}

/** The window around webhooks not stored between `first` and `last` (ms), widened by the margin. */
function lostWindow(lost: { first: number; last: number }, marginS: number): MangoStatsWindow {
  return { from: Math.floor(lost.first / 1000) - marginS, to: Math.ceil(lost.last / 1000) + marginS };
}

/** A sweep's fields as they stand, for an update that changes a few. */
function keep(sweep: MangoSweep) {
  return {
    state: sweep.state === "requested" ? ("requested" as const) : ("pending" as const),
    key: sweep.key,
    nextAt: sweep.nextAt,
    attempts: sweep.attempts,
    code: sweep.lastCode,
    error: sweep.lastError,
  };
}
