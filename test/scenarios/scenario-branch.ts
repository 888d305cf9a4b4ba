import type { AttributionSettings } from "../../src/domain/attribution/attribute.ts";
import { CallAssembler } from "../../src/domain/call/call-assembler.ts";
import type {
  AssembledCall,
  AttributionRule,
  CallDirection,
  CallOutcome,
  CallRecord,
  LegEnding,
  Pop,
} from "../../src/domain/call/call-types.ts";
import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import { RosterTimeline } from "../../src/domain/roster/roster-timeline.ts";
import type { Desk, Instant, StaffMember } from "../../src/domain/roster/types.ts";
import { FactLog } from "../fixtures/domain/roster-fixtures.ts";

/**
 * The branch the call scenarios (call-scenarios.ts) happen in, the shape of their expected records,
 * and how a source's records are put in that shape to compare. The day is 2024-11-21 (UTC): the
 * AMI transcripts' calls run from 09:12 to 11:45.
 */

export const day = (hhmm: string): Instant => Date.parse(`2024-11-21T${hhmm}:00.000Z`);

export const DESKS: readonly Desk[] = [
  { id: "front", name: "Front desk", extension: "101" },
  { id: "hall", name: "Hall desk", extension: "104" },
];

/** 102, 103, 105 are dedicated; 101 and 104 are desks; 106 (the corridor phone) maps to nobody. */
export const STAFF: readonly StaffMember[] = [
  { id: "bella", name: "Bella", role: "reception", extension: "101" },
  { id: "anna", name: "Anna", role: "reception", extension: null },
  // Off today; her profile still names the front desk (R0.3a).
  { id: "vera", name: "Vera", role: "reception", extension: "101" },
  // From branch 2; her profile names branch 2's desk 201 (R0.3b).
  { id: "kira", name: "Kira", role: "reception", extension: "201" },
  { id: "sergey", name: "Sergey", role: "manager", extension: "102" },
  { id: "maria", name: "Maria", role: "manager", extension: "103" },
  { id: "oleg", name: "Oleg", role: "senior_manager", extension: "105" },
];

export const MANAGERS = ["sergey", "maria", "oleg"] as const;

/** The usual morning: Bella at the front desk, Anna at the hall desk, both from 09:00. */
export const usualMorning = (log: FactLog): void => {
  log.checkIn("bella", "front", day("09:00"));
  log.checkIn("anna", "hall", day("09:00"));
};

export const DEFAULT_SETTINGS: AttributionSettings = {
  fallbackEmployeeId: null,
  seniorManagerId: "oleg",
  managerIds: MANAGERS,
  assignResponsibleForMissedGroupCalls: false,
  responsibleFor: () => null,
};

export interface ExpectedLeg {
  readonly extension: string;
  readonly employeeId: string | null;
  readonly rule: AttributionRule;
  readonly ending: LegEnding | null;
  /** The extension of the leg this one was transferred from. */
  readonly transferredFrom?: string | null;
}

export interface ExpectedRecord {
  readonly direction: CallDirection;
  readonly outcome: CallOutcome;
  /** The caller's number; omitted: not compared (a source may not know it). */
  readonly from?: string | null;
  /** The dialled company number; omitted: not compared (a resync cannot see it). */
  readonly did?: string | null;
  readonly legs: readonly ExpectedLeg[];
  readonly owner: { readonly employeeId: string | null; readonly rule: AttributionRule };
  readonly pops: readonly Pick<Pop, "employeeId" | "rule">[];
  /** R1.3: a part split off an earlier part of the same call. */
  readonly splitPart?: boolean;
}

export interface CallScenario {
  readonly name: string;
  readonly rules: readonly string[];
  readonly what: string;
  /** The roster facts of the day (default: the usual morning). */
  readonly roster?: (log: FactLog) => void;
  readonly settings?: Partial<AttributionSettings>;
  /** In the order the calls end. */
  readonly expected: readonly ExpectedRecord[];
}

export function rosterOf(scenario: CallScenario): RosterTimeline {
  const log = new FactLog();
  (scenario.roster ?? usualMorning)(log);
  return new RosterTimeline({ desks: DESKS, staff: STAFF, maxShiftMs: 14 * 3_600_000 }, log.all);
}

export const settingsOf = (scenario: CallScenario): AttributionSettings => ({
  ...DEFAULT_SETTINGS,
  ...scenario.settings,
});

/** Records in the comparable shape of `ExpectedRecord` (leg ids become extensions). */
export function comparable(
  records: readonly CallRecord[],
  expected: readonly ExpectedRecord[],
): ExpectedRecord[] {
  const extensionOf = new Map(records.flatMap((r) => r.legs.map((leg) => [leg.id, leg.extension] as const)));
  return records.map((record, i) => ({
    direction: record.direction,
    outcome: record.outcome,
    ...(expected[i]?.from === undefined ? {} : { from: record.from.number }),
    ...(expected[i]?.did === undefined ? {} : { did: record.did }),
    legs: record.legs.map((leg) => ({
      extension: leg.extension,
      employeeId: leg.employeeId,
      rule: leg.rule,
      ending: leg.ending,
      transferredFrom:
        leg.transferredFrom === null ? null : (extensionOf.get(leg.transferredFrom) ?? leg.transferredFrom),
    })),
    owner: { employeeId: record.owner.employeeId, rule: record.owner.rule },
    pops: record.pops.map((pop) => ({ employeeId: pop.employeeId, rule: pop.rule })),
    splitPart: record.partOf !== null,
  }));
}

/** The expected records with their defaults spelled out, to compare with `comparable`. */
export const normalized = (expected: readonly ExpectedRecord[]): ExpectedRecord[] =>
  expected.map((record) => ({
    ...record,
    legs: record.legs.map((leg) => ({ ...leg, transferredFrom: leg.transferredFrom ?? null })),
    splitPart: record.splitPart ?? false,
  }));

/** The journal's dedupe by key, then the assembler; every refusal is a failure here. */
export function assemble(events: readonly PbxEvent[]) {
  const assembler = new CallAssembler();
  const seen = new Set<string>();
  const finished: AssembledCall[] = [];
  const rejected: string[] = [];
  for (const event of events) {
    if (seen.has(event.key)) continue;
    seen.add(event.key);
    const update = assembler.apply(event);
    if (update.rejected !== null)
      rejected.push(`${event.key}: ${update.rejected.code} ${update.rejected.message}`);
    finished.push(...update.finished);
  }
  return { finished, rejected, live: assembler.live() };
}
