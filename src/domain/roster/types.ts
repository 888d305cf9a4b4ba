/** Milliseconds since the Unix epoch. The domain never reads a clock: every instant is passed in. */
export type Instant = number;

export type Role = "reception" | "manager" | "senior_manager";

export interface StaffMember {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** The extension in the employee's headquarters profile. Only a non-desk extension is "dedicated". */
  readonly extension: string | null;
}

/** A front desk of this branch and its shared extension ("front desk = 101"). */
export interface Desk {
  readonly id: string;
  readonly name: string;
  readonly extension: string;
}

/**
 * Facts are never edited: a correction is a new fact with an earlier `at`.
 * - `check-in`: opens the employee's shift at a desk (closing one elsewhere in this branch).
 * - `check-out`: closes the employee's shift.
 * - `handover`: the employee takes the desk's phone (checking in there first if needed).
 * - `break-start` / `break-end`: the employee steps away and comes back; the phone passes on.
 * - `closed-elsewhere`: headquarters reports a check-in at another branch; the shift here ends.
 * - `crm-login`: recorded for the support screen (R0.4); it never changes ownership (R0.3a).
 */
/** Every kind of roster fact, for the schemas that check one on the wire or in a file. */
export const ROSTER_FACT_KINDS = [
  "check-in",
  "check-out",
  "handover",
  "break-start",
  "break-end",
  "closed-elsewhere",
  "crm-login",
] as const;

export type RosterFactKind = (typeof ROSTER_FACT_KINDS)[number];

/** Who put the fact on record. `manager` marks a correction or a forgotten shift closed by a manager. */
export type FactSource = "kiosk" | "api" | "manager" | "hq";

export interface RosterFact {
  /** Order of recording; breaks ties between facts with the same `at`. */
  readonly seq: number;
  readonly kind: RosterFactKind;
  readonly employeeId: string;
  /** Required for check-in and handover; ignored otherwise. */
  readonly deskId: string | null;
  /** When it happened (a correction may be hours in the past). */
  readonly at: Instant;
  /** When it was recorded. */
  readonly recordedAt: Instant;
  readonly source: FactSource;
  /** The manager who entered a correction, when source is `manager`. */
  readonly actorId: string | null;
}

export type OwnerRule = "dedicated" | "desk-checkin" | "unmapped";

/** The reason behind an owner, as data. Names are the staff list's and the config's. */
export type OwnerWhy =
  | { readonly kind: "desk-holder"; readonly deskName: string; readonly holderName: string }
  | { readonly kind: "desk-nobody"; readonly deskName: string; readonly onBreakName: string | null }
  | { readonly kind: "dedicated"; readonly holderName: string }
  | { readonly kind: "several-profiles"; readonly names: readonly string[] }
  | { readonly kind: "unknown-extension" };

export interface Owner {
  readonly extension: string;
  readonly at: Instant;
  readonly employeeId: string | null;
  readonly rule: OwnerRule;
  /** Why, in one English sentence for the API and logs (R0.4). */
  readonly reason: string;
  /** Why, as data, for screens that say it in their own language (R0.4). */
  readonly why: OwnerWhy;
  /** The desk, when the extension is a desk's. */
  readonly deskId: string | null;
  /** Since when the owner has held the extension (desk rule only). */
  readonly since: Instant | null;
}

/** One stretch of time during which one employee held a desk's phone: `[from, to)`. */
export interface HolderSpan {
  readonly deskId: string;
  readonly employeeId: string;
  readonly from: Instant;
  /** Exclusive end; `null` while open. An open span still ends at `shiftCap` (max shift length). */
  to: Instant | null;
  readonly shiftCap: Instant;
}

export type ShiftEnd = "check-out" | "auto-close" | "checked-in-elsewhere" | "closed-elsewhere";

/** One shift of one employee at one desk: `[from, to)`. */
export interface Shift {
  readonly employeeId: string;
  readonly deskId: string;
  readonly from: Instant;
  to: Instant | null;
  endedBy: ShiftEnd | null;
  readonly cap: Instant;
  /** Breaks taken during the shift, `[from, to)`, the last one maybe open. */
  readonly breaks: { from: Instant; to: Instant | null }[];
}

/** A change of the roster as the admin page lists it, including the closes nobody typed (auto-close). */
export interface RosterChange {
  readonly at: Instant;
  readonly kind: RosterFactKind | "auto-close" | "phone-passed";
  readonly employeeId: string;
  readonly deskId: string | null;
  readonly source: FactSource | "automatic";
  readonly actorId: string | null;
  readonly recordedAt: Instant | null;
}
