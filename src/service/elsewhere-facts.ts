import type { Elsewhere } from "../domain/roster/elsewhere.ts";
import type { Instant } from "../domain/roster/types.ts";
import type { RulesFacts } from "../domain/rules/rules-types.ts";

/**
 * R4.7 with R0.3d: an employee HQ says checked in at another branch today is away here too (not
 * rung: the responsible-manager intercept R2.6 skips them, their dedicated extension is absent)
 * until the branch's day ends or they check in here again. The rules' own absences come first.
 * Answers from memory like both sides.
 */
export function withElsewhere(
  facts: RulesFacts,
  roster: { elsewhereNow(employeeId: string, now: Instant): Elsewhere | null },
): RulesFacts {
  return {
    absence: (employeeId, at) =>
      facts.absence(employeeId, at) ??
      (roster.elsewhereNow(employeeId, at) === null ? null : { reason: "elsewhere", until: null }),
    forwarding: (employeeId) => facts.forwarding(employeeId),
    subscribe: (listener) => facts.subscribe(listener),
  };
}
