import { type BackoffOptions, jitteredDelay } from "../../lib/backoff.ts";
import { rateLimit } from "../../lib/rate-limit.ts";
import { type Rounds, startRounds } from "../../lib/rounds.ts";
import type { Logger } from "../../log/logger.ts";
import type { HqStore } from "../store/hq-store-port.ts";
import type { CrmConnector, CrmOutcome, CrmStep, CrmStepPlan } from "./crm-port.ts";
import type { CrmStepStore } from "./crm-step-store-port.ts";

export interface CrmStepsOptions {
  readonly connector: CrmConnector;
  readonly steps: CrmStepStore;
  /** HQ's forward queue: every committed record, planned once and taken off it. */
  readonly queue: Pick<HqStore, "claimForward" | "forwardFailed">;
  readonly log: Logger;
  readonly now?: () => number;
  /** `[hq.crm] rate_per_second`; 0 or absent: the connector's own. */
  readonly ratePerSecond?: number;
  /** Retry backoff when the CRM names no Retry-After, ms (full jitter). */
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often each loop looks for work when idle, ms. */
  readonly everyMs?: number;
}

export interface CrmStepsCounters {
  readonly planned: number;
  readonly done: number;
  readonly retried: number;
  readonly parked: number;
}

export interface CrmSteps {
  readonly counters: CrmStepsCounters;
  /** Look for due steps now (the fleet page's retry button). */
  kick(): void;
  stop(): Promise<void>;
}

/** A claimed step (or forward row) is this consumer's for this long; after a crash, anyone's. */
const LEASE_MS = 60_000;
const PLAN_BATCH = 64;
const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 300_000 };

/**
 * The CRM's durable steps (issue 19, "Durable and polite"), two loops on `startRounds`:
 * - the planner takes the heads of HQ's forward queue, asks `connector.plan` for each record's
 *   steps and writes them in the transaction that takes the record off the queue (the store's
 *   `plan`); a `plan` that throws (a connector bug) leaves the row queued, retried with backoff;
 * - the runner claims due steps (in order per client, each record's in plan order) and runs each
 *   under ONE rate limit (`[hq.crm] rate_per_second` or the connector's): `done` keeps the result,
 *   `retry` waits the CRM's `afterMs` or a full-jitter backoff and tries again for as long as it
 *   takes (a CRM down for a day loses nothing), `park` holds the step for the fleet page.
 * NEVER ends the process: a storage failure fails the round (logged, with a streak), the next round
 * retries, and a step whose `done` was lost is claimed again when its lease ends (the connector's
 * dedupe key makes the second run harmless).
 */
export function startCrmSteps(options: CrmStepsOptions): CrmSteps {
  const { connector, steps, queue, log } = options;
  const now = options.now ?? Date.now;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const perSecond =
    options.ratePerSecond !== undefined && options.ratePerSecond > 0
      ? options.ratePerSecond
      : connector.ratePerSecond;
  const limit = rateLimit(perSecond, now, options.sleep);
  // Claim no more than the limit lets through in half a lease, so none is run after its lease.
  const batch = Math.max(1, Math.min(100, Math.floor((perSecond * LEASE_MS) / 2000)));
  const counters = { planned: 0, done: 0, retried: 0, parked: 0 };

  const failed = (what: string) => (error: unknown, streak: number) => {
    if (streak === 1 || streak % 60 === 0)
      log.error(`crm ${what} round failed`, { code: "CRM.STEP_FAILED", error, streak });
  };

  async function planRound(): Promise<void> {
    const items = await queue.claimForward(now(), LEASE_MS, PLAN_BATCH);
    for (const item of items) {
      let plan: readonly CrmStepPlan[];
      try {
        plan = connector.plan({ branch: item.branch, stream: item.stream, record: item.record });
      } catch (error) {
        const delay = jitteredDelay(item.attempts, backoff, random);
        await queue.forwardFailed(item.queueId, now() + delay, String((error as Error)?.message ?? error));
        log.error("crm plan failed; the record stays queued", {
          code: "CRM.STEP_FAILED",
          branch: item.branch,
          stream: item.stream,
          seq: item.record.seq,
          error,
        });
        continue;
      }
      if ((await steps.plan(item, plan, now())) === "planned") counters.planned += plan.length;
    }
    if (items.length > 0) {
      planner.kick();
      runner.kick();
    }
  }

  async function settle(step: CrmStep, outcome: CrmOutcome): Promise<void> {
    const at = now();
    if (outcome.kind === "done") {
      await steps.done(step.id, outcome.result ?? {}, at);
      counters.done++;
    } else if (outcome.kind === "retry") {
      const delay = outcome.afterMs ?? jitteredDelay(step.attempts, backoff, random);
      await steps.retry(step.id, at + delay, outcome.reason, at);
      counters.retried++;
      log.warn("crm step failed; will retry", {
        code: "CRM.STEP_RETRY",
        step: step.name,
        record: step.recordKey,
        attempts: step.attempts + 1,
        reason: outcome.reason,
        retryInMs: delay,
      });
    } else {
      await steps.park(step.id, outcome.code, outcome.reason, at);
      counters.parked++;
      log.warn("crm step parked; waits for retry on the fleet page", {
        code: outcome.code,
        step: step.name,
        record: step.recordKey,
        reason: outcome.reason,
      });
    }
  }

  async function runOne(step: CrmStep): Promise<void> {
    let outcome: CrmOutcome;
    try {
      outcome = await connector.run(step);
    } catch (error) {
      // `run` never rejects by contract; one that does is a bug, retried like a transient failure.
      outcome = {
        kind: "retry",
        reason: `the connector failed: ${String((error as Error)?.message ?? error)}`,
      };
    }
    await settle(step, outcome);
  }

  async function runRound(): Promise<void> {
    const claimed = await steps.claim(now(), LEASE_MS, batch);
    const running: Promise<void>[] = [];
    for (const step of claimed) {
      await limit.take();
      running.push(runOne(step));
    }
    const rejected = (await Promise.allSettled(running)).find((r) => r.status === "rejected");
    if (rejected !== undefined) throw rejected.reason;
    if (claimed.length > 0) runner.kick();
  }

  const everyMs = options.everyMs ?? 500;
  const planner: Rounds = startRounds(planRound, { everyMs, failed: failed("plan") });
  const runner: Rounds = startRounds(runRound, { everyMs, failed: failed("run") });
  return {
    counters,
    kick: () => runner.kick(),
    async stop() {
      await planner.stop();
      await runner.stop();
    },
  };
}
