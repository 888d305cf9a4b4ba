import { CallAssembler } from "../call/call-assembler.ts";
import type { AssembledCall } from "../call/call-types.ts";
import type { PbxEvent } from "../call/pbx-event.ts";
import { at, desk, FactLog, MAX_SHIFT_MS, manager, reception } from "../roster/roster-fixtures.ts";
import { RosterTimeline } from "../roster/roster-timeline.ts";
import type { StaffMember } from "../roster/types.ts";
import type { AttributionSettings } from "./attribution-types.ts";

/**
 * A branch for attribution tests: the front desk (101, shared), Max the manager (102, dedicated),
 * Sara the senior manager (103, dedicated), and 109, an extension that maps to nobody. Alice and
 * Bella are receptionists; Fred is the fallback employee when a test configures one.
 */
export const FRONT = "101";
export const MAX = "102";
export const SARA = "103";
export const NOBODY = "109";

const staff: StaffMember[] = [
  reception("alice", "Alice"),
  reception("bella", "Bella"),
  reception("fred", "Fred"),
  manager("max", "Max", MAX),
  { id: "sara", name: "Sara", role: "senior_manager", extension: SARA },
];

/** The roster with Alice checked in at the front desk from 09:00, unless a log is given. */
export function branchRoster(log?: FactLog): RosterTimeline {
  const facts = log ?? new FactLog();
  if (log === undefined) facts.checkIn("alice", "front", at("09:00"));
  return new RosterTimeline(
    { desks: [desk("front", FRONT, "Front desk")], staff, maxShiftMs: MAX_SHIFT_MS },
    facts.all,
  );
}

export function settings(overrides: Partial<AttributionSettings> = {}): AttributionSettings {
  return {
    fallbackEmployeeId: null,
    seniorManagerId: "sara",
    managerIds: ["max", "sara"],
    assignResponsibleForMissedGroupCalls: false,
    responsibleFor: () => null,
    ...overrides,
  };
}

/** The call `events` assemble into (finished or live), for attribution. */
export function assembled(events: readonly PbxEvent[]): AssembledCall {
  const assembler = new CallAssembler();
  let last: AssembledCall | undefined;
  for (const event of events) {
    const update = assembler.apply(event);
    if (update.rejected !== null) throw new Error(`fixture event refused: ${update.rejected.message}`);
    last = update.changed.at(-1) ?? last;
  }
  if (last === undefined) throw new Error("no call assembled");
  return last;
}
