import type { AttributedLeg } from "../call/call-types.ts";
import { endedOn, isMapped, lastAnswered } from "./attribute-leg.ts";

/**
 * R1.3: every leg is attributed on its own, and where a transfer crosses between an extension that
 * maps to nobody and one the roster knows (either way), the call becomes separate parts: each part
 * is attributed by its own rules, as a call of its own.
 *
 * Legs are grouped by how many transfers led to them (`transferredFrom`, followed back): the legs
 * rung first, the legs rung after the first transfer, and so on. A group is mapped when the leg
 * that decides it is (the one that answered last, else the one it ended on). Consecutive groups
 * that agree stay one part; a part ends where mapped and unmapped meet.
 */
export function splitParts(legs: readonly AttributedLeg[]): AttributedLeg[][] {
  const byId = new Map(legs.map((leg) => [leg.id, leg]));
  const depth = new Map<string, number>();
  const depthOf = (leg: AttributedLeg, seen: Set<string>): number => {
    const known = depth.get(leg.id);
    if (known !== undefined) return known;
    const from = leg.transferredFrom === null ? undefined : byId.get(leg.transferredFrom);
    // A transfer from a leg this call does not hold (seen only in part) still counts as one step.
    const result =
      leg.transferredFrom === null
        ? 0
        : from === undefined || seen.has(from.id)
          ? 1
          : depthOf(from, seen.add(leg.id)) + 1;
    depth.set(leg.id, result);
    return result;
  };
  const groups: AttributedLeg[][] = [];
  for (const leg of legs) {
    const d = depthOf(leg, new Set());
    for (let i = groups.length; i <= d; i++) groups.push([]);
    groups[d]?.push(leg);
  }
  const parts: AttributedLeg[][] = [];
  let previous: boolean | null = null;
  for (const group of groups.filter((g) => g.length > 0)) {
    const decisive = lastAnswered(group) ?? endedOn(group);
    const mapped = decisive !== null && isMapped(decisive);
    const current = parts.at(-1);
    if (current !== undefined && mapped === previous) current.push(...group);
    else parts.push([...group]);
    previous = mapped;
  }
  return parts.length > 0 ? parts : [[]];
}
