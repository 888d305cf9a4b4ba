import { outcomeOf } from "../call/call-outcome.ts";
import type { AssembledCall, AttributedLeg, CallOutcome, CallRecord, Pop } from "../call/call-types.ts";
import type { Instant } from "../roster/types.ts";
import { attributeLeg, endedOn, isMapped, lastAnswered } from "./attribute-leg.ts";
import type { AttributionSettings, OwnershipLookup } from "./attribution-types.ts";
import { splitParts } from "./call-parts.ts";

export type { AttributionSettings, OwnershipLookup } from "./attribution-types.ts";

type RecordOwner = CallRecord["owner"];

/**
 * A finished call as records: one, or one per part when a transfer crossed between a mapped and an
 * unmapped extension (R1.3; the first part keeps the call's id, the next are `${id}#2`, `${id}#3`…
 * with `partOf` naming the call). Every leg gets an owner, a rule and a reason (R0.2, R0.3, R1.1);
 * each record gets its owner and its pops (R3.1–R3.3). Nothing is dropped: a call nobody owns is
 * still a record, with owner null.
 *
 * Pure in (call, roster, settings): after a manager corrects the roster, attributing the same call
 * again gives the corrected owners.
 */
export function attribute(
  call: AssembledCall,
  roster: OwnershipLookup,
  settings: AttributionSettings,
): CallRecord[] {
  const legs = call.legs.map((leg) => attributeLeg(leg, call, roster, settings));
  const parts = splitParts(legs);
  return parts.map((part, index) => {
    const first = index === 0;
    const last = index === parts.length - 1;
    const outcome = outcomeOf(part, last ? call.voicemail : null);
    return {
      id: first ? call.id : `${call.id}#${index + 1}`,
      source: call.source,
      direction: call.direction,
      from: call.from,
      to: call.to,
      did: call.did,
      startedAt: first
        ? call.startedAt
        : (earliest(part.map((l) => l.ringingAt ?? l.answeredAt)) ?? call.startedAt),
      answeredAt: earliest(part.map((l) => l.answeredAt)),
      endedAt: last ? call.endedAt : (latest(part.map((l) => l.endedAt)) ?? call.endedAt),
      outcome,
      legs: part,
      owner: ownerOf(call, part, settings),
      pops: popsOf(call, part, outcome, settings),
      recordingUrl: call.recordingUrl,
      partOf: first ? null : call.id,
      recovered: call.recovered,
    };
  });
}

/** The client's number: the caller's on an inbound call, the dialled one on an outbound call. */
export function clientNumber(call: AssembledCall): string | null {
  if (call.direction === "inbound") return call.from.number;
  return call.direction === "outbound" ? call.to.number : null;
}

const ownerOfLeg = (leg: AttributedLeg): RecordOwner => ({
  employeeId: leg.employeeId,
  rule: leg.rule,
  reason: leg.reason,
});

/**
 * The leg that answered last decides (R0.2). Unanswered, a call the PBX sent on after its first
 * extension did not answer is that extension's (R4.5: forwarded and not answered, missed by A);
 * else the leg the call ended on decides; when that extension maps to nobody and the call rang a
 * group, R1.2 may hand it to the client's responsible instead of the fallback employee.
 */
function ownerOf(
  call: AssembledCall,
  legs: readonly AttributedLeg[],
  settings: AttributionSettings,
): RecordOwner {
  const answered = lastAnswered(legs);
  if (answered !== null) return ownerOfLeg(answered);
  const last = endedOn(legs);
  if (last === null) {
    const fallback = settings.fallbackEmployeeId;
    return fallback === null
      ? { employeeId: null, rule: "unmapped", reason: "the call reached no extension (R1.1)" }
      : {
          employeeId: fallback,
          rule: "fallback",
          reason: "the call reached no extension; fallback employee (R1.1)",
        };
  }
  const forwarded = forwardedFrom(legs);
  if (forwarded !== null && forwarded !== last && isMapped(forwarded))
    return {
      ...ownerOfLeg(forwarded),
      reason: `not answered at ${forwarded.extension} nor where the PBX sent it on: missed by the one it was for (R4.5); ${forwarded.reason}`,
    };
  const group = legs.filter((leg) => !leg.placedCall).length > 1;
  if (isMapped(last) || !group) return ownerOfLeg(last);
  const missedOn = `a missed group call ended on extension ${last.extension}, which maps to nobody`;
  if (settings.assignResponsibleForMissedGroupCalls) {
    const responsible = settings.responsibleFor(clientNumber(call));
    if (responsible !== null) {
      return {
        employeeId: responsible,
        rule: "responsible",
        reason: `${missedOn}: the client's responsible (R1.2)`,
      };
    }
  }
  return { ...ownerOfLeg(last), reason: `${missedOn} (R1.2): ${last.reason}` };
}

/**
 * R4.5: the leg an unanswered call rang first, when it rang alone and ended before any other leg
 * rang (a direct call not answered in its time, then forwarded by the PBX); null when the first
 * legs rang together (a ring group) or nothing rang.
 */
function forwardedFrom(legs: readonly AttributedLeg[]): AttributedLeg | null {
  const rung = legs
    .filter((leg) => !leg.placedCall && leg.ringingAt !== null)
    .sort((a, b) => (a.ringingAt ?? 0) - (b.ringingAt ?? 0));
  const [first, ...later] = rung;
  if (first === undefined || first.endedAt === null || later.length === 0) return null;
  const endedAt = first.endedAt;
  return later.every((leg) => (leg.ringingAt ?? 0) >= endedAt) ? first : null;
}

/**
 * R3.1: whoever answered, when the roster maps the extension to them — for an outbound call, the
 * placing employee (the far end answered). R3.2: answered on an extension that maps to nobody →
 * the senior manager; the fallback employee gets no pop (R1.4). R3.3: a missed inbound call (also
 * busy or voicemail: nobody answered the client) → every manager. An employee's own unanswered
 * outgoing or internal call pops nobody.
 */
function popsOf(
  call: AssembledCall,
  legs: readonly AttributedLeg[],
  outcome: CallOutcome,
  settings: AttributionSettings,
): Pop[] {
  const pops: Pop[] = [];
  const add = (pop: Pop) => {
    if (!pops.some((p) => p.employeeId === pop.employeeId && p.rule === pop.rule)) pops.push(pop);
  };
  if (outcome !== "answered") {
    if (call.direction === "inbound") {
      for (const employeeId of settings.managerIds) add({ employeeId, reason: "missed", rule: "R3.3" });
    }
    return pops;
  }
  const answered = legs.filter((leg) => leg.answeredAt !== null);
  const rung = answered.filter((leg) => !leg.placedCall);
  const answerers = (rung.length > 0 ? rung : answered).sort(
    (a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0),
  );
  for (const leg of answerers) {
    if (isMapped(leg) && leg.employeeId !== null)
      add({ employeeId: leg.employeeId, reason: "answered", rule: "R3.1" });
    else if (settings.seniorManagerId !== null) {
      add({ employeeId: settings.seniorManagerId, reason: "answered-unmapped", rule: "R3.2" });
    }
  }
  return pops;
}

function earliest(instants: readonly (Instant | null)[]): Instant | null {
  const known = instants.filter((t): t is Instant => t !== null);
  return known.length === 0 ? null : Math.min(...known);
}

function latest(instants: readonly (Instant | null)[]): Instant | null {
  const known = instants.filter((t): t is Instant => t !== null);
  return known.length === 0 ? null : Math.max(...known);
}
