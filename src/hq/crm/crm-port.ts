import type { Logger } from "../../log/logger.ts";
import type { StoredRecord } from "../store/hq-store-port.ts";

/**
 * Issue 19: HQ puts the branches' calls and CRM intents into the company's CRM itself. One
 * connector per CRM (`src/hq/crm/<kind>/`), chosen by `[hq.crm] kind`; the durable step queue
 * (`src/hq/crm/crm-steps.ts`, its store port `crm-step-store-port.ts`) is the same for all.
 *
 * The flow: every record HQ commits is in its forward queue (in seq order per branch and stream);
 * with `[hq.crm]` the planner takes each one, asks the connector's `plan` what the CRM must be
 * told, and writes those steps as rows in the same transaction that takes the record off the forward
 * queue. The runner then carries out the due steps with `run`: in order per `orderKey` (a client's
 * calls and tasks in call order), the steps of one record in plan order, under the CRM's rate limit;
 * a transient failure is retried with backoff and jitter for as long as it takes (a CRM down for a
 * day loses nothing), a permanent one parks the row with its reason for the fleet page's retry.
 */
export type CrmKind = "retailcrm" | "amocrm" | "bitrix24";

/** One thing the CRM must be told, planned from one record. Pure data, stored as JSON. */
export interface CrmStepPlan {
  /**
   * What the step does, unique within its record, e.g. `call.upload`, `task.create`,
   * `call.register`, `call.finish`, `call.attach-record`. With the record's key it names the step.
   */
  readonly name: string;
  /**
   * Steps with the same key run one at a time, oldest first: the client's E.164 number (so one
   * client's calls, tasks and orders reach the CRM in call order), else the call's id.
   */
  readonly orderKey: string;
  /** What `run` needs, built from the record (the CRM's own field names are the connector's). */
  readonly input: Readonly<Record<string, unknown>>;
}

/** A step as the runner hands it to `run`. */
export interface CrmStep {
  readonly id: number;
  /** `${branch}:${stream}:${seq}`: the record it came from. */
  readonly recordKey: string;
  readonly branch: string;
  /** The record's own id (the call's id, the intent's id). */
  readonly recordId: string;
  readonly name: string;
  readonly orderKey: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** Tries before this one (0: the first). */
  readonly attempts: number;
  /** What the earlier steps of the same record returned, by step name (Bitrix24's CALL_ID). */
  readonly earlier: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * How one try of a step ended:
 * - `done`: the CRM has it (also when the CRM says it had it already: a re-upload, a duplicate);
 *   `result` is kept for the record's later steps;
 * - `retry`: transient (network, timeout, 5xx, 429, an expired token being refreshed): tried again
 *   after `afterMs` (the CRM's Retry-After) or the runner's backoff with jitter;
 * - `park`: permanent (a 4xx the CRM will give again, an employee with no CRM user): the row waits
 *   with `code` and `reason` on the fleet page until someone presses retry.
 */
export type CrmOutcome =
  | { readonly kind: "done"; readonly result?: Readonly<Record<string, unknown>> }
  | { readonly kind: "retry"; readonly reason: string; readonly afterMs?: number }
  | { readonly kind: "park"; readonly code: string; readonly reason: string };

/** A record as the planner hands it over: where it came from and what it is. */
export interface CrmRecord {
  readonly branch: string;
  readonly stream: string;
  readonly record: StoredRecord;
}

/**
 * One CRM. ALWAYS: `plan` is pure and total (a record it cannot read becomes one step whose `run`
 * parks it with the reason, never an exception, never silence); `run` never rejects and never
 * logs a secret; running a step twice (HQ stopped between the CRM's answer and the row's update)
 * creates nothing twice — each step carries the CRM's own dedupe key (retailCRM `externalId`,
 * amoCRM `uniq`, Bitrix24 `EXTERNAL_CALL_ID`) or first looks for what it would create.
 */
export interface CrmConnector {
  readonly kind: CrmKind;
  /** Requests per second the CRM allows this integration (amoCRM: 7); the runner keeps under it. */
  readonly ratePerSecond: number;
  /** The steps one record becomes, in order; [] for a record the CRM needs nothing of. */
  plan(record: CrmRecord): readonly CrmStepPlan[];
  run(step: CrmStep): Promise<CrmOutcome>;
}

/**
 * Employees → CRM users (`[[hq.crm.users]]`). An employee with no CRM user is never a silent drop:
 * the step that needs one parks with `CRM.UNMAPPED_EMPLOYEE`, shown on the fleet page.
 */
export interface CrmUsers {
  userOf(employeeId: string): string | null;
}

/** Where a connector keeps OAuth tokens that rotate (amoCRM, Bitrix24): durable, shared by consumers. */
export interface CrmTokenStore {
  get(kind: CrmKind): Promise<CrmTokens | null>;
  /** Replaces them only if `previous` is still the stored refresh token (another consumer may have refreshed). */
  put(kind: CrmKind, tokens: CrmTokens, previous: string | null): Promise<boolean>;
}

export interface CrmTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
}

/** What `create<Kind>Connector(config, deps)` is given (src/hq/crm/registry.ts builds it). */
export interface CrmConnectorDeps {
  readonly users: CrmUsers;
  readonly tokens: CrmTokenStore;
  readonly log: Logger;
  readonly now: () => number;
  /** The HTTP client; absent: the global `fetch` (a test's wire fake may pass its own). */
  readonly fetch?: typeof fetch;
}
