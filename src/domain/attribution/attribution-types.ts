import type { Instant, Owner } from "../roster/types.ts";

/** Who owned an extension at an instant, and why. `RosterTimeline` is one (R0.2, R0.3). */
export interface OwnershipLookup {
  ownerOf(extension: string, t: Instant): Owner;
}

/** The branch's attribution settings, as headquarters sends them down (R1.1, R1.2, R3.2, R3.3). */
export interface AttributionSettings {
  /** R1.1: who gets the calls of an extension that maps to nobody; null (the default) drops them. */
  readonly fallbackEmployeeId: string | null;
  /** R3.2: who hears about a call answered on an extension that maps to nobody. */
  readonly seniorManagerId: string | null;
  /** R3.3: who hears about a missed call. */
  readonly managerIds: readonly string[];
  /** R1.2: a missed group call that ended on an unmapped extension goes to the client's responsible. */
  readonly assignResponsibleForMissedGroupCalls: boolean;
  /** The client's responsible employee, from the headquarters directory; null when unknown. */
  responsibleFor(clientNumber: string | null): string | null;
}
