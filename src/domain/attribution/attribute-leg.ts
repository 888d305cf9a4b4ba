import type { AssembledCall, AssembledLeg, AttributedLeg } from "../call/call-types.ts";
import type { Instant } from "../roster/types.ts";
import type { AttributionSettings, OwnershipLookup } from "./attribution-types.ts";

/**
 * When a leg's owner is decided (R0.2): at its answer, or at its ring for a leg never answered.
 * A leg seen only ending (its ring and answer were missed, e.g. before the box started) is decided
 * at its end, and a leg with no instant at all at the call's start.
 */
export const decisionInstant = (leg: AssembledLeg, call: AssembledCall): Instant =>
  leg.answeredAt ?? leg.ringingAt ?? leg.endedAt ?? call.startedAt;

/**
 * One leg's owner, on its own (R1.3): the roster's answer for its extension at its decision
 * instant, with the rule and the reason (R0.2, R0.3). An extension that maps to nobody goes to the
 * fallback employee when one is configured, else to nobody — the leg is still kept (R1.1).
 */
export function attributeLeg(
  leg: AssembledLeg,
  call: AssembledCall,
  roster: OwnershipLookup,
  settings: AttributionSettings,
): AttributedLeg {
  const decidedAt = decisionInstant(leg, call);
  const owner = roster.ownerOf(leg.extension, decidedAt);
  if (owner.employeeId !== null && owner.rule !== "unmapped") {
    return { ...leg, employeeId: owner.employeeId, rule: owner.rule, reason: owner.reason, decidedAt };
  }
  if (settings.fallbackEmployeeId !== null) {
    const reason = `${owner.reason}; attributed to the fallback employee (R1.1)`;
    return { ...leg, employeeId: settings.fallbackEmployeeId, rule: "fallback", reason, decidedAt };
  }
  const reason = `${owner.reason}; no fallback employee is configured, so nobody owns it (R1.1)`;
  return { ...leg, employeeId: null, rule: "unmapped", reason, decidedAt };
}

/** Whether the roster itself found the leg's employee (not the fallback, not nobody). */
export const isMapped = (leg: AttributedLeg): boolean =>
  leg.rule === "dedicated" || leg.rule === "desk-checkin";

/** The leg that answered last (the call owner's, R0.2), or null; ties go to the later leg. */
export function lastAnswered<L extends AssembledLeg>(legs: readonly L[]): L | null {
  let last: L | null = null;
  for (const leg of legs) {
    if (leg.answeredAt !== null && (last === null || leg.answeredAt >= (last.answeredAt ?? 0))) last = leg;
  }
  return last;
}

/**
 * The leg an unanswered call ended on (R1.2): the one that rang last, the later end breaking a tie
 * (a ring group rings its handsets at once; a hunt group in turn), then the later leg.
 */
export function endedOn<L extends AssembledLeg>(legs: readonly L[]): L | null {
  let last: L | null = null;
  for (const leg of legs) {
    if (last === null) {
      last = leg;
      continue;
    }
    const ring = (leg.ringingAt ?? 0) - (last.ringingAt ?? 0);
    if (ring > 0 || (ring === 0 && (leg.endedAt ?? 0) >= (last.endedAt ?? 0))) last = leg;
  }
  return last;
}
