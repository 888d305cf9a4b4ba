import type { Database } from "bun:sqlite";
import {
  type ForwardingSetting,
  MAX_TIMEOUT_SECONDS,
  MIN_TIMEOUT_SECONDS,
} from "../contract/rules-settings.ts";
import { fail, ok, type Result } from "../domain/errors.ts";
import type { Instant, StaffMember } from "../domain/roster/types.ts";
import {
  type AbsencePlan,
  type AbsenceRange,
  absenceAt,
  type BranchZone,
  parseDay,
  scheduleProblem,
  type WeeklySchedule,
} from "../domain/rules/absence.ts";
import type { Absence, Forwarding, RulesFacts } from "../domain/rules/rules-types.ts";
import type { Logger } from "../log/logger.ts";
import { type RulesStore, rulesStore, type StoredRange, type StoredSchedule } from "../store/rules-store.ts";
import { absenceDetail, forwardingDetail, type RulesActor, scheduleDetail } from "./audit-detail.ts";
import { branchZone } from "./branch-zone.ts";

/** The kiosk's and the API's input is the wire's shape (HQ's staff.upsert carries the same). */
export {
  absenceRangeSchema,
  type ForwardingSetting,
  forwardingSettingSchema,
  MAX_TIMEOUT_SECONDS,
  MIN_TIMEOUT_SECONDS,
  toRange,
  toSchedule,
  WEEKDAYS,
  weeklyScheduleSchema,
} from "../contract/rules-settings.ts";

export type RulesErrorCode =
  | "ROSTER.UNKNOWN_EMPLOYEE"
  | "ROSTER.NOT_A_MANAGER"
  | "RULES.BAD_FORWARDING"
  | "RULES.BAD_ABSENCE"
  | "RULES.UNKNOWN_ABSENCE";

export type RulesResult<T> = Result<T, { code: RulesErrorCode; message: string }>;

/** An employee's absences as the kiosk and the API show them. */
export interface AbsencesView {
  readonly schedule: StoredSchedule | null;
  /** HQ's and the box's ranges, by first day. */
  readonly ranges: readonly StoredRange[];
}

/** What the kiosk and the API may ask of the rules' facts besides what the routing reads. */
export interface RulesSettingsPort extends RulesFacts {
  absences(employeeId: string): AbsencesView;
  setForwarding(
    employeeId: string,
    setting: ForwardingSetting | null,
    actor: RulesActor,
    now: Instant,
  ): RulesResult<Forwarding | null>;
  setSchedule(
    employeeId: string,
    hours: WeeklySchedule | null,
    actor: RulesActor,
    now: Instant,
  ): RulesResult<null>;
  addRange(
    employeeId: string,
    range: AbsenceRange,
    actor: RulesActor,
    now: Instant,
  ): RulesResult<StoredRange>;
  removeRange(employeeId: string, id: number, actor: RulesActor, now: Instant): RulesResult<StoredRange>;
  replaceAbsences(
    employeeId: string,
    next: { readonly schedule: WeeklySchedule | null; readonly ranges: readonly AbsenceRange[] },
    actor: RulesActor,
    now: Instant,
  ): RulesResult<AbsencesView>;
}

/** A vacation or sick leave longer than this is a typo. */
const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

const isManager = (member: StaffMember | undefined) =>
  member?.role === "manager" || member?.role === "senior_manager";

/**
 * R4.1–R4.7's facts as the box runs them: absences and forwarding in SQLite, and in memory for the
 * routing, which reads them while a caller waits (`RulesFacts`: never a query, never a throw).
 * Every change on the box (kiosk, API) is checked, written with its audit entry in one transaction,
 * then the memory is re-read and the listeners told; HQ's changes arrive through the inbox, which
 * calls `reload()` after its commit.
 *
 * Who may change what (R4.4): an employee their own forwarding; a manager anyone's forwarding and
 * anyone's absences; the API (branch IT's token, `actorId` null) anything.
 */
export class RulesFactsService implements RulesSettingsPort {
  private readonly store: RulesStore;
  private readonly zone: BranchZone;
  private plans = new Map<string, AbsencePlan>();
  private schedules = new Map<string, StoredSchedule>();
  private ranges = new Map<string, StoredRange[]>();
  private forwardings = new Map<string, Forwarding>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly db: Database,
    private readonly options: {
      readonly timeZone: string;
      /** The staff list as it stands (the roster's): roles for R4.4, ids for forward targets. */
      readonly staff: () => readonly StaffMember[];
      readonly log: Logger;
    },
  ) {
    this.store = rulesStore(db);
    this.zone = branchZone(options.timeZone);
    this.load();
  }

  absence(employeeId: string, at: Instant): Absence | null {
    const plan = this.plans.get(employeeId);
    return plan === undefined ? null : absenceAt(plan, at, this.zone);
  }

  forwarding(employeeId: string): Forwarding | null {
    return this.forwardings.get(employeeId) ?? null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads everything after a commit elsewhere (HQ's inbox) and tells the listeners. */
  reload(): void {
    this.load();
    this.notify();
  }

  absences(employeeId: string): AbsencesView {
    return { schedule: this.schedules.get(employeeId) ?? null, ranges: this.ranges.get(employeeId) ?? [] };
  }

  /** R4.1–R4.4: the employee's own forwarding, or back to the default (`setting` null). */
  setForwarding(
    employeeId: string,
    setting: ForwardingSetting | null,
    actor: RulesActor,
    now: Instant,
  ): RulesResult<Forwarding | null> {
    const allowed = this.may(employeeId, actor, "forwarding");
    if (!allowed.ok) return allowed;
    if (setting !== null) {
      const problem = this.forwardingProblem(employeeId, setting);
      if (problem !== null) return fail("RULES.BAD_FORWARDING", problem);
    }
    const self = actor.actorId === employeeId;
    const forwarding: Forwarding | null =
      setting === null
        ? null
        : {
            employeeId,
            ...setting,
            setBy: { via: self ? "self" : "manager", employeeId: actor.actorId },
            updatedAt: now,
          };
    this.write(() => {
      if (forwarding === null) this.store.clearForwarding(employeeId);
      else this.store.setForwarding(forwarding);
      this.audit(now, actor, "forwarding.set", forwardingDetail(employeeId, setting, actor));
    });
    this.options.log.info("forwarding set", { employeeId, by: actor.actorId ?? actor.via });
    return ok(forwarding);
  }

  /** R4.7: the weekly hours, or no personal schedule (`hours` null). A manager's, or the API's. */
  setSchedule(
    employeeId: string,
    hours: WeeklySchedule | null,
    actor: RulesActor,
    now: Instant,
  ): RulesResult<null> {
    const allowed = this.may(employeeId, actor, "absences");
    if (!allowed.ok) return allowed;
    const problem = hours === null ? null : scheduleProblem(hours);
    if (problem !== null) return fail("RULES.BAD_ABSENCE", problem);
    this.write(() => {
      this.store.setSchedule(employeeId, hours, { via: "manager", employeeId: actor.actorId }, now);
      this.audit(now, actor, "schedule.set", scheduleDetail(employeeId, hours, actor));
    });
    this.options.log.info("work schedule set", { employeeId, by: actor.actorId ?? actor.via });
    return ok(null);
  }

  /** R4.7: a vacation or sick leave entered on the box. */
  addRange(
    employeeId: string,
    range: AbsenceRange,
    actor: RulesActor,
    now: Instant,
  ): RulesResult<StoredRange> {
    const allowed = this.may(employeeId, actor, "absences");
    if (!allowed.ok) return allowed;
    const problem = rangeProblem(range);
    if (problem !== null) return fail("RULES.BAD_ABSENCE", problem);
    const stored = this.write(() => {
      this.audit(now, actor, "absence.add", absenceDetail(employeeId, range, "added", actor));
      return this.store.addRange(employeeId, range, actor.actorId, now);
    });
    this.options.log.info("absence added", { employeeId, kind: range.kind, by: actor.actorId ?? actor.via });
    return ok(stored);
  }

  /** Removes a range entered on the box (HQ's are HQ's to change). */
  removeRange(employeeId: string, id: number, actor: RulesActor, now: Instant): RulesResult<StoredRange> {
    const allowed = this.may(employeeId, actor, "absences");
    if (!allowed.ok) return allowed;
    const removed = this.write(() => {
      const row = this.store.removeBoxRange(employeeId, id);
      if (row !== null)
        this.audit(now, actor, "absence.remove", absenceDetail(employeeId, row, "removed", actor));
      return row;
    });
    if (removed === null)
      return fail(
        "RULES.UNKNOWN_ABSENCE",
        `no vacation or sick leave ${id} entered on the box for ${employeeId}`,
      );
    this.options.log.info("absence removed", {
      employeeId,
      kind: removed.kind,
      by: actor.actorId ?? actor.via,
    });
    return ok(removed);
  }

  /**
   * The API's PUT: the schedule and the box's own ranges, whole, in one transaction (HQ's ranges
   * stay). Each range added or removed and a changed schedule are audited on their own.
   */
  replaceAbsences(
    employeeId: string,
    next: { readonly schedule: WeeklySchedule | null; readonly ranges: readonly AbsenceRange[] },
    actor: RulesActor,
    now: Instant,
  ): RulesResult<AbsencesView> {
    const allowed = this.may(employeeId, actor, "absences");
    if (!allowed.ok) return allowed;
    const problem =
      (next.schedule === null ? null : scheduleProblem(next.schedule)) ??
      next.ranges.map(rangeProblem).find((p) => p !== null) ??
      null;
    if (problem !== null) return fail("RULES.BAD_ABSENCE", problem);
    const key = (r: AbsenceRange) => `${r.kind} ${r.first} ${r.last}`;
    const own = (this.ranges.get(employeeId) ?? []).filter((r) => r.source === "box");
    const wanted = new Set(next.ranges.map(key));
    const kept = new Set(own.map(key));
    const before = this.schedules.get(employeeId)?.hours ?? null;
    this.write(() => {
      for (const r of own)
        if (!wanted.has(key(r))) {
          this.store.removeBoxRange(employeeId, r.id);
          this.audit(now, actor, "absence.remove", absenceDetail(employeeId, r, "removed", actor));
        }
      for (const r of next.ranges)
        if (!kept.has(key(r))) {
          kept.add(key(r));
          this.store.addRange(employeeId, r, actor.actorId, now);
          this.audit(now, actor, "absence.add", absenceDetail(employeeId, r, "added", actor));
        }
      if (JSON.stringify(before) !== JSON.stringify(next.schedule)) {
        this.store.setSchedule(employeeId, next.schedule, { via: "manager", employeeId: actor.actorId }, now);
        this.audit(now, actor, "schedule.set", scheduleDetail(employeeId, next.schedule, actor));
      }
    });
    return ok(this.absences(employeeId));
  }

  /** R4.4: may this actor change this employee's forwarding or absences? */
  private may(employeeId: string, actor: RulesActor, what: "forwarding" | "absences"): RulesResult<null> {
    const staff = this.options.staff();
    if (!staff.some((s) => s.id === employeeId))
      return fail("ROSTER.UNKNOWN_EMPLOYEE", `no employee with id "${employeeId}"`);
    if (actor.actorId === null) return ok(null);
    const me = staff.find((s) => s.id === actor.actorId);
    if (me === undefined) return fail("ROSTER.UNKNOWN_EMPLOYEE", `no employee with id "${actor.actorId}"`);
    if (isManager(me) || (what === "forwarding" && actor.actorId === employeeId)) return ok(null);
    return fail(
      "ROSTER.NOT_A_MANAGER",
      what === "forwarding"
        ? "only a manager may change another employee's forwarding"
        : "only a manager may change absences",
    );
  }

  private forwardingProblem(employeeId: string, setting: ForwardingSetting): string | null {
    const { timeoutSeconds, action } = setting;
    if (
      !Number.isInteger(timeoutSeconds) ||
      timeoutSeconds < MIN_TIMEOUT_SECONDS ||
      timeoutSeconds > MAX_TIMEOUT_SECONDS
    )
      return `ring time ${timeoutSeconds} s: between ${MIN_TIMEOUT_SECONDS} and ${MAX_TIMEOUT_SECONDS} s`;
    if (action.kind !== "forward" || !("employeeId" in action.to)) return null;
    const to = action.to.employeeId;
    if (to === employeeId) return "a forward to the employee themself would ring the same phone again";
    if (!this.options.staff().some((s) => s.id === to))
      return `no colleague with id "${to}" on the staff list`;
    return null;
  }

  /** Runs a change in one transaction, then re-reads the memory and tells the listeners. */
  private write<T>(change: () => T): T {
    const result = this.db.transaction(change)();
    this.reload();
    return result;
  }

  private audit(now: Instant, actor: RulesActor, action: string, detail: string): void {
    this.store.audit({ at: now, actorId: actor.actorId, action, detail });
  }

  private load(): void {
    const schedules = new Map(this.store.schedules().map((s) => [s.employeeId, s]));
    const ranges = new Map<string, StoredRange[]>();
    for (const r of this.store.ranges()) ranges.set(r.employeeId, [...(ranges.get(r.employeeId) ?? []), r]);
    const plans = new Map<string, AbsencePlan>();
    for (const id of new Set([...schedules.keys(), ...ranges.keys()]))
      plans.set(id, { schedule: schedules.get(id)?.hours ?? null, ranges: ranges.get(id) ?? [] });
    this.schedules = schedules;
    this.ranges = ranges;
    this.plans = plans;
    this.forwardings = new Map(this.store.forwardings().map((f) => [f.employeeId, f]));
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error) {
        this.options.log.error("a rules listener failed", { error });
      }
    }
  }
}

/** What is wrong with a range entered on the box, or null. */
function rangeProblem(range: AbsenceRange): string | null {
  const first = parseDay(range.first);
  const last = parseDay(range.last);
  if (first === null || last === null) return "days are YYYY-MM-DD calendar days";
  if (range.last < range.first) return `the last day ${range.last} is before the first ${range.first}`;
  const days =
    (Date.UTC(last.year, last.month - 1, last.day) - Date.UTC(first.year, first.month - 1, first.day)) /
      DAY_MS +
    1;
  if (days > MAX_RANGE_DAYS)
    return `${days} days: a vacation or sick leave is at most ${MAX_RANGE_DAYS} days`;
  return null;
}
