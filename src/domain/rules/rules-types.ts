import type { Instant } from "../roster/types.ts";

/**
 * The facts the rules read besides the roster and the client directory (issue 16): who is known
 * to be away (R4.7) and what each employee wants done with a direct call they do not answer
 * (R4.1–R4.4). The routing (R2.6, R4.6) and the PBX pushes (AstDB, FastAGI) read them through
 * `RulesFacts`; the kiosk, the API and headquarters' staff list write them.
 */

/**
 * Why an employee is not rung at all (R4.7). Off shift comes from the roster, the rest from HQ or a
 * manager; `elsewhere`: checked in at another branch today (R0.3d, HQ's `staff.elsewhere`).
 */
export type AbsenceReason = "off-shift" | "schedule" | "vacation" | "sick" | "elsewhere";

export interface Absence {
  readonly reason: AbsenceReason;
  /** When it ends, when known (a vacation's last day, the schedule's next working hour). */
  readonly until: Instant | null;
}

/**
 * R4.2: what happens to a direct call an employee has not answered within the timeout:
 * - `drop`: the caller hears busy (`tone: "busy"`, R4.1's default) or a message that the employee
 *   cannot answer (`tone: "message"`);
 * - `forward`: to a colleague (rung where they are today) or a department (an extension: a ring
 *   group, a queue);
 * - `voicemail`: the employee's voicemail box.
 */
export type NoAnswerAction =
  | { readonly kind: "drop"; readonly tone: "busy" | "message" }
  | { readonly kind: "forward"; readonly to: ForwardTarget }
  | { readonly kind: "voicemail" };

export type ForwardTarget = { readonly employeeId: string } | { readonly extension: string };

/** R4.3: what the caller hears before a forward. */
export type ForwardNotice =
  | { readonly kind: "default" }
  | { readonly kind: "none" }
  /** A recording the PBX knows by this name (FreePBX: a System Recording), or a TTS text. */
  | { readonly kind: "custom"; readonly recording: string };

export interface Forwarding {
  readonly employeeId: string;
  readonly action: NoAnswerAction;
  readonly notice: ForwardNotice;
  /** R4.1: how long a direct call rings before the action; 120 unless set. */
  readonly timeoutSeconds: number;
  /** Who set it (R4.4): the employee, a manager (their id), or headquarters. */
  readonly setBy: { readonly via: "self" | "manager" | "hq"; readonly employeeId: string | null };
  readonly updatedAt: Instant;
}

/** R4.1: no setting is a busy tone after 120 s. */
export const DEFAULT_NO_ANSWER_SECONDS = 120;

export const defaultForwarding = (employeeId: string, now: Instant): Forwarding => ({
  employeeId,
  action: { kind: "drop", tone: "busy" },
  notice: { kind: "default" },
  timeoutSeconds: DEFAULT_NO_ANSWER_SECONDS,
  setBy: { via: "hq", employeeId: null },
  updatedAt: now,
});

/**
 * What the routing reads. ALWAYS answers from memory (a FastAGI caller is waiting), never throws.
 * `absence` covers schedule, vacation and sick leave; "off shift" is the roster's (the routing asks
 * the roster where the employee is today, and nowhere means not rung).
 */
export interface RulesFacts {
  absence(employeeId: string, at: Instant): Absence | null;
  /** The employee's own setting; null: the default (`defaultForwarding`). */
  forwarding(employeeId: string): Forwarding | null;
  /** Called after any change of absences or forwarding (the AstDB push re-sends what changed). */
  subscribe(listener: () => void): () => void;
}

/** No absences known and nobody's own forwarding: what a box without HQ's lists starts with. */
export const noRulesFacts: RulesFacts = {
  absence: () => null,
  forwarding: () => null,
  subscribe: () => () => {},
};
