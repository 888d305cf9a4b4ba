import type { Instant } from "../roster/types.ts";
import { type NumberRules, normaliseNumber } from "./phone-number.ts";
import {
  type Absence,
  defaultForwarding,
  type Forwarding,
  type ForwardNotice,
  type RulesFacts,
} from "./rules-types.ts";
import { type PhoneToday, phoneToday, type RosterToday } from "./whereabouts.ts";

/**
 * Whom the PBX rings for a call, decided by the box for the PBX to carry out (issue 16): R2.6 the
 * client's responsible manager where they are today, R4.6 then the branch's fallback over their
 * own forwarding, R4.7 nobody absent, R4.1–R4.3 what a direct call nobody answers does. Pure:
 * the roster, the directory and the facts come in as values, the time as an instant. Every
 * decision carries its rule id and a reason in words (English, like the roster's owner reasons).
 */

/** The branch's routing settings (`[rules]`). */
export interface RoutingSettings {
  /** R2.6: how long the responsible manager rings. */
  readonly ringSeconds: number;
  /** R4.6: the extension a call goes to when the responsible does not answer; null: the PBX's own route. */
  readonly fallback: string | null;
}

/** What the routing needs of a client of headquarters' directory. */
export interface RoutedClient {
  readonly name: string;
  readonly responsibleEmployeeId: string | null;
}

/** What follows when the responsible manager does not answer. */
export type RouteNext =
  | { readonly kind: "pbx-route" }
  | { readonly kind: "forward"; readonly extension: string };

/**
 * The decision for one inbound call:
 * - `ring` (R2.6): ring `target` for `timeoutSeconds`, then `next`;
 * - `pbx-route`: no rule of the box applies (no outside number, not a client, no responsible,
 *   R4.7 the responsible is absent): the PBX's own route, at once.
 */
export type RouteDecision =
  | {
      readonly kind: "ring";
      readonly rule: "R2.6";
      readonly target: string;
      readonly employeeId: string;
      readonly timeoutSeconds: number;
      readonly next: RouteNext;
      readonly reason: string;
    }
  | { readonly kind: "pbx-route"; readonly rule: "R2.6" | "R4.7"; readonly reason: string };

export interface RouteInput {
  /** The caller's number as the PBX gives it (`agi_callerid`, `CALLERID(num)`). */
  readonly caller: string | null;
  readonly at: Instant;
  readonly numbers: NumberRules;
  /** The directory's client for an E.164 number; null: not a client. */
  readonly clientOf: (e164: string) => RoutedClient | null;
  readonly today: RosterToday;
  readonly facts: RulesFacts;
  readonly settings: RoutingSettings;
}

const pbxRoute = (rule: "R2.6" | "R4.7", reason: string): RouteDecision => ({
  kind: "pbx-route",
  rule,
  reason,
});

/** R2.6, R4.6, R4.7 for one inbound call. NEVER throws; a fact it cannot use is the PBX's own route. */
export function decideRoute(input: RouteInput): RouteDecision {
  const e164 = normaliseNumber(input.caller, input.numbers);
  if (e164 === null)
    return pbxRoute(
      "R2.6",
      `caller id ${JSON.stringify(input.caller ?? "")} is no outside number: the PBX's own route`,
    );
  const client = input.clientOf(e164);
  if (client === null)
    return pbxRoute("R2.6", `${e164} is not a client in the directory: the PBX's own route`);
  if (client.responsibleEmployeeId === null)
    return pbxRoute(
      "R2.6",
      `client ${client.name} (${e164}) has no responsible manager: the PBX's own route`,
    );
  return describeFor(
    responsibleRoute(client.responsibleEmployeeId, input.today, input.facts, input.settings, input.at),
    `${client.name} (${e164})`,
  );
}

/**
 * How a responsible manager's clients are routed now, whoever calls: the part of `decideRoute`
 * that depends on the employee only (the AstDB push computes it once per employee). The reason
 * has `{client}` where the client is named.
 */
export function responsibleRoute(
  employeeId: string,
  today: RosterToday,
  facts: RulesFacts,
  settings: RoutingSettings,
  at: Instant,
): RouteDecision {
  const phone = phoneToday(today, employeeId);
  if (phone.kind === "unknown-employee")
    return pbxRoute(
      "R2.6",
      `the responsible manager of {client}, ${employeeId}, is not on this branch's staff: the PBX's own route`,
    );
  const name = today.employees.find((e) => e.id === employeeId)?.name ?? employeeId;
  const absence = facts.absence(employeeId, at);
  if (absence !== null)
    return pbxRoute(
      "R4.7",
      `${name}, the responsible manager of {client}, is ${absenceWords(absence)}: skipped (R4.7), the PBX's own route at once`,
    );
  if (phone.kind === "off-shift")
    return pbxRoute(
      "R4.7",
      `${name}, the responsible manager of {client}, is not on shift: skipped (R4.7), the PBX's own route at once`,
    );
  if (phone.kind === "no-phone")
    return pbxRoute(
      "R2.6",
      `${name}, the responsible manager of {client}, holds no desk's phone and has no extension of their own: the PBX's own route`,
    );
  const next: RouteNext =
    settings.fallback === null ? { kind: "pbx-route" } : { kind: "forward", extension: settings.fallback };
  const thenWords =
    next.kind === "pbx-route"
      ? "then the PBX's own route"
      : `then ${next.extension} (R4.6, over ${name}'s own forwarding)`;
  return {
    kind: "ring",
    rule: "R2.6",
    target: phone.extension,
    employeeId,
    timeoutSeconds: settings.ringSeconds,
    next,
    reason: `${name} is the responsible manager of {client}, ${whereWords(phone)} today: ring ${phone.extension} for ${settings.ringSeconds} s, ${thenWords}`,
  };
}

/** The decision with the client named in its reason. */
export function describeFor(decision: RouteDecision, client: string): RouteDecision {
  return { ...decision, reason: decision.reason.replaceAll("{client}", client) };
}

function whereWords(phone: Extract<PhoneToday, { kind: "desk" | "dedicated" }>): string {
  return phone.kind === "desk"
    ? `at ${phone.deskName} (${phone.extension})`
    : `at their own extension ${phone.extension}`;
}

function absenceWords(absence: Absence): string {
  const until = absence.until === null ? "" : ` until ${new Date(absence.until).toISOString()}`;
  const what = {
    "off-shift": "not on shift",
    schedule: "off by their schedule",
    vacation: "on vacation",
    sick: "on sick leave",
    elsewhere: "at another branch today",
  }[absence.reason];
  return `${what}${until}`;
}

/** What the dialplan does with a direct call nobody answered (R4.1–R4.3), per extension. */
export type NoAnswerStep =
  | { readonly kind: "busy" }
  | { readonly kind: "message" }
  | { readonly kind: "forward"; readonly extension: string }
  | { readonly kind: "voicemail"; readonly mailbox: string };

export interface NoAnswerPlan {
  /** The extension a direct call rings: the employee's dedicated one, or the desk they hold today. */
  readonly extension: string;
  readonly employeeId: string;
  readonly timeoutSeconds: number;
  readonly step: NoAnswerStep;
  readonly notice: ForwardNotice;
  /** R4.1 (nobody set anything: busy after 120 s) or R4.2 (the employee's, a manager's or HQ's setting). */
  readonly rule: "R4.1" | "R4.2";
  readonly reason: string;
}

/**
 * The no-answer plan of every extension a direct call can reach today: each employee's dedicated
 * extension (on shift or not) and each desk's phone with its holder. A forward to a colleague is
 * resolved to where the colleague is today; a colleague nowhere today makes the plan a busy tone.
 */
export function noAnswerPlans(today: RosterToday, facts: RulesFacts, at: Instant): NoAnswerPlan[] {
  const plans: NoAnswerPlan[] = [];
  const seen = new Set<string>();
  const add = (extension: string, employeeId: string) => {
    if (seen.has(extension)) return;
    seen.add(extension);
    plans.push(planFor(extension, employeeId, today, facts, at));
  };
  for (const desk of today.desks) if (desk.holderId !== null) add(desk.extension, desk.holderId);
  for (const e of today.employees)
    if (e.extension !== null && today.dedicatedOwner(e.extension) === e.id) add(e.extension, e.id);
  return plans.sort((a, b) => a.extension.localeCompare(b.extension));
}

function planFor(
  extension: string,
  employeeId: string,
  today: RosterToday,
  facts: RulesFacts,
  at: Instant,
): NoAnswerPlan {
  const own = facts.forwarding(employeeId);
  const setting: Forwarding = own ?? defaultForwarding(employeeId, at);
  const name = today.employees.find((e) => e.id === employeeId)?.name ?? employeeId;
  const rule: NoAnswerPlan["rule"] = own === null ? "R4.1" : "R4.2";
  const after = `after ${setting.timeoutSeconds} s`;
  const base = {
    extension,
    employeeId,
    timeoutSeconds: setting.timeoutSeconds,
    notice: setting.notice,
    rule,
  };
  const action = setting.action;
  if (action.kind === "drop")
    return {
      ...base,
      step: { kind: action.tone },
      reason:
        action.tone === "busy"
          ? `${name}: ${after} the caller hears busy (${rule})`
          : `${name}: ${after} the caller hears that ${name} cannot answer (${rule})`,
    };
  if (action.kind === "voicemail")
    return {
      ...base,
      step: { kind: "voicemail", mailbox: extension },
      reason: `${name}: ${after} voicemail ${extension} (${rule})`,
    };
  const to = action.to;
  if ("extension" in to)
    return {
      ...base,
      step: { kind: "forward", extension: to.extension },
      reason: `${name}: ${after} forward to ${to.extension}${noticeWords(setting.notice)} (${rule}, R4.3)`,
    };
  const colleague = phoneToday(today, to.employeeId);
  const colleagueName = today.employees.find((e) => e.id === to.employeeId)?.name ?? to.employeeId;
  const away = facts.absence(to.employeeId, at);
  if ((colleague.kind === "desk" || colleague.kind === "dedicated") && away === null)
    return {
      ...base,
      step: { kind: "forward", extension: colleague.extension },
      reason: `${name}: ${after} forward to ${colleagueName}, ${whereWords(colleague)} today${noticeWords(setting.notice)} (${rule}, R4.3)`,
    };
  return {
    ...base,
    step: { kind: "busy" },
    notice: { kind: "none" },
    reason: `${name}: ${after} forward to ${colleagueName}, who is ${away !== null ? absenceWords(away) : "at no phone today"}: busy instead (${rule}, R4.7)`,
  };
}

function noticeWords(notice: ForwardNotice): string {
  if (notice.kind === "none") return ", no notice";
  if (notice.kind === "custom") return `, after the recording ${notice.recording}`;
  return ", after the default notice";
}

/** Everything the PBX's own database holds for the dialplan (the AstDB push writes it). */
export interface RoutingSnapshot {
  /** R2.6: the extension to ring first, by client number (E.164), for every client whose responsible rings now. */
  readonly responsible: ReadonlyMap<string, string>;
  /** R4.7: extensions whose owner is known to be away (schedule, vacation, sick): a direct call skips the ring. */
  readonly absent: readonly string[];
  readonly noAnswer: readonly NoAnswerPlan[];
  readonly settings: RoutingSettings;
}

/**
 * The snapshot at `at` for these clients (E.164 number and responsible). Each responsible's route
 * is decided once, whatever the number of their clients.
 */
export function routingSnapshot(
  clients: Iterable<{ readonly number: string; readonly responsibleEmployeeId: string | null }>,
  today: RosterToday,
  facts: RulesFacts,
  settings: RoutingSettings,
  at: Instant,
): RoutingSnapshot {
  const routes = new Map<string, RouteDecision>();
  const responsible = new Map<string, string>();
  for (const client of clients) {
    const id = client.responsibleEmployeeId;
    if (id === null) continue;
    let route = routes.get(id);
    if (route === undefined) {
      route = responsibleRoute(id, today, facts, settings, at);
      routes.set(id, route);
    }
    if (route.kind === "ring") responsible.set(client.number, route.target);
  }
  const absent: string[] = [];
  for (const e of today.employees)
    if (
      e.extension !== null &&
      today.dedicatedOwner(e.extension) === e.id &&
      facts.absence(e.id, at) !== null
    )
      absent.push(e.extension);
  return { responsible, absent: absent.sort(), noAnswer: noAnswerPlans(today, facts, at), settings };
}
