import type { DomainError, Result } from "../domain/errors.ts";
import type { Elsewhere } from "../domain/roster/elsewhere.ts";
import type { RosterErrorCode } from "../domain/roster/roster-timeline.ts";
import type {
  FactSource,
  Instant,
  Owner,
  Role,
  RosterChange,
  RosterFact,
  RosterFactKind,
  ShiftEnd,
} from "../domain/roster/types.ts";

export type PinErrorCode = "ROSTER.UNKNOWN_EMPLOYEE" | "ROSTER.PIN_WRONG" | "ROSTER.PIN_LOCKED";
export type RecordErrorCode = RosterErrorCode | "ROSTER.BAD_TIME" | "ROSTER.NOT_A_MANAGER";
export type RecordError = DomainError<RecordErrorCode>;

export interface PinError extends DomainError<PinErrorCode> {
  /** For ROSTER.PIN_WRONG: tries left before the lock. */
  readonly attemptsLeft?: number;
  /** For ROSTER.PIN_LOCKED: when the lock lifts. */
  readonly lockedUntil?: Instant;
}

export type PinResult = Result<EmployeeView, PinError>;

/** Who is locked out of the kiosk now and who typed wrong PINs today (the branch's day). */
export interface PinStatusView {
  readonly locked: readonly { employeeId: string; name: string; until: Instant }[];
  readonly wrongToday: readonly { employeeId: string; name: string; count: number }[];
  readonly wrongSinceStart: number;
  readonly refusedLockedSinceStart: number;
}

export interface HolderView {
  readonly employeeId: string;
  readonly name: string;
  readonly since: Instant;
}

export interface DeskView {
  readonly id: string;
  readonly name: string;
  readonly extension: string;
  readonly holder: HolderView | null;
}

export interface OnShiftView {
  readonly employeeId: string;
  readonly name: string;
  readonly deskId: string;
  readonly deskName: string;
  readonly since: Instant;
  readonly onBreak: boolean;
  readonly holdsPhone: boolean;
}

export interface EmployeeView {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly extension: string | null;
  /** Null when the employee is not on shift now. */
  readonly onShift: OnShiftView | null;
}

/** One shift as the manager's corrections list shows it (issue 14). */
export interface ShiftView {
  readonly employeeId: string;
  readonly name: string;
  readonly deskId: string;
  readonly deskName: string;
  readonly from: Instant;
  /** Null while the shift is open. */
  readonly to: Instant | null;
  readonly endedBy: ShiftEnd | null;
}

/** What happens to a desk's phone when its holder leaves it (a break or a check-out). */
export interface PhoneAfterLeaving {
  readonly deskId: string;
  readonly deskName: string;
  readonly extension: string;
  /** The colleague who takes the phone; null when its calls will have nobody. */
  readonly next: { readonly employeeId: string; readonly name: string } | null;
}

/** R0.3d: an employee of this branch's staff at another branch today (HQ said so). */
export interface ElsewhereView {
  readonly employeeId: string;
  readonly name: string;
  readonly branchId: string;
  /** Null when HQ knows no name: show the id. */
  readonly branchName: string | null;
  /** When they checked in there. */
  readonly since: Instant;
}

export interface BoardView {
  readonly branch: { readonly id: string; readonly name: string; readonly timezone: string };
  readonly now: Instant;
  readonly desks: readonly DeskView[];
  readonly onShift: readonly OnShiftView[];
  /** Who of this branch's staff is at another branch today (R0.3d), until they check in here again. */
  readonly elsewhere: readonly ElsewhereView[];
}

export interface RosterCommandInput {
  readonly kind: Exclude<RosterFactKind, "crm-login" | "closed-elsewhere">;
  readonly employeeId: string;
  /** Required for check-in and handover. */
  readonly deskId: string | null;
  /** When it happened; defaults to now. A time in the past is a correction and leaves an audit entry. */
  readonly at?: Instant;
  readonly source: FactSource;
  /** The manager acting on someone else's shift (kiosk manager PIN); must have a manager role. */
  readonly actorId?: string | null;
  /** Why a correction was made (the manager's words), kept in the audit entry. */
  readonly reason?: string;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: Instant;
  readonly actorId: string | null;
  readonly action: string;
  readonly detail: string;
}

/**
 * What the kiosk, the admin page and the API may ask of the roster. Every method that records a
 * fact has made it durable (SQLite, synchronous=FULL) before it returns ok.
 */
export interface RosterPort {
  board(now: Instant): BoardView;
  employees(now: Instant): readonly EmployeeView[];
  /**
   * Checks a PIN; five wrong tries lock the employee for five minutes (durable across restarts),
   * however many arrive at once. Throws a storage error when the attempt cannot be recorded.
   */
  verifyPin(employeeId: string, pin: string, now: Instant): Promise<PinResult>;
  /** PIN locks in force and wrong PINs today, for /admin and /metrics. */
  pinStatus(now: Instant): PinStatusView;
  /**
   * Lifts `employeeId`'s PIN lock (issue 14): by a manager on the kiosk (`actorId`, after their own
   * PIN) or by branch IT on /admin or the API (`actorId` null). Audited either way. Throws a storage
   * error when it cannot be written.
   */
  unlockPin(
    employeeId: string,
    actor: { readonly actorId: string | null; readonly via: "kiosk" | "admin" | "api" },
    now: Instant,
  ): Result<{ readonly wasLocked: boolean }, RecordError>;
  /** Resolves once the fact is committed; rejects with a StorageError when the disk refuses it. */
  record(input: RosterCommandInput, now: Instant): Promise<Result<RosterFact, RecordError>>;
  /** Shifts with a moment in `[from, to)`, earliest first, for the manager's corrections. */
  shifts(from: Instant, to: Instant, now: Instant): readonly ShiftView[];
  /** Time at work in `[from, to)` (breaks not counted) up to `now`: "hours worked today". */
  workedBetween(employeeId: string, from: Instant, to: Instant, now: Instant): number;
  /** What leaving now would do to the phone the employee holds; null when they hold none. */
  phoneAfterLeaving(employeeId: string, now: Instant): PhoneAfterLeaving | null;
  ownerOf(extension: string, at: Instant): Owner;
  /** Owners now of every extension the box knows (desk extensions and dedicated ones), for R0.4. */
  owners(now: Instant): readonly Owner[];
  changesBetween(from: Instant, to: Instant): readonly RosterChange[];
  /**
   * The newest `limit` audit entries, newest first; with `between`, only those entered in
   * `[from, to)` (a correction is listed on the day it was entered, whatever day it corrects).
   * `detail` is read back as data by `readAuditDetail` (audit-detail.ts).
   */
  audit(limit: number, between?: { readonly from: Instant; readonly to: Instant }): readonly AuditEntry[];
  /** R0.3d: where the employee is today when HQ said they checked in at another branch; null: not known. */
  elsewhereNow(employeeId: string, now: Instant): Elsewhere | null;
  /** Called after every commit with the facts it recorded; returns the unsubscribe function. */
  subscribe(listener: (facts: readonly RosterFact[]) => void): () => void;
}
