import type { DomainError } from "../errors.ts";
import type {
  Desk,
  HolderSpan,
  Instant,
  Owner,
  OwnerRule,
  OwnerWhy,
  RosterChange,
  RosterFact,
  RosterFactKind,
  Shift,
  ShiftEnd,
  StaffMember,
} from "./types.ts";

export type RosterErrorCode =
  | "ROSTER.UNKNOWN_EMPLOYEE"
  | "ROSTER.UNKNOWN_DESK"
  | "ROSTER.ALREADY_ON_SHIFT"
  | "ROSTER.NOT_ON_SHIFT"
  | "ROSTER.ALREADY_ON_BREAK"
  | "ROSTER.NOT_ON_BREAK"
  | "ROSTER.ALREADY_HOLDS_PHONE";

export interface RosterTimelineOptions {
  readonly desks: readonly Desk[];
  readonly staff: readonly StaffMember[];
  /** A shift still open this long after it started closes by itself (`roster.max_shift_hours`). */
  readonly maxShiftMs: number;
}

/** A command before it is a fact: what `check()` validates. */
export interface RosterCommand {
  readonly kind: RosterFactKind;
  readonly employeeId: string;
  readonly deskId: string | null;
  readonly at: Instant;
}

/** What the board shows for one employee on shift now. */
export interface OnShift {
  readonly shift: Shift;
  readonly onBreak: boolean;
  readonly holdsPhone: boolean;
}

const byTime = (a: RosterFact, b: RosterFact) => a.at - b.at || a.seq - b.seq;

/**
 * The shift roster as a timeline. Facts go in (in any order: a manager's late correction lands in
 * the past); intervals come out, and every question is "who held extension 101 at t?", answered
 * from the intervals alone. A CRM login is on record but never moves a call (R0.3a); a profile
 * extension that is a desk's extension is ignored, because the desk is shared (R0.3b–d).
 *
 * Facts are folded in time order. A fact that does not apply where it lands (a check-out of
 * someone not on shift, which a later correction can cause) is kept on record and changes nothing,
 * so replaying the same facts always gives the same timeline.
 */
export class RosterTimeline {
  private readonly maxShiftMs: number;
  private readonly desks = new Map<string, Desk>();
  private readonly deskByExtension = new Map<string, Desk>();
  private staff = new Map<string, StaffMember>();
  private staffByExtension = new Map<string, StaffMember[]>();
  private facts: RosterFact[] = [];
  private fold: Fold;

  constructor(options: RosterTimelineOptions, facts: readonly RosterFact[] = []) {
    this.maxShiftMs = options.maxShiftMs;
    for (const desk of options.desks) {
      this.desks.set(desk.id, desk);
      this.deskByExtension.set(desk.extension, desk);
    }
    this.setStaff(options.staff);
    this.facts = [...facts].sort(byTime);
    this.fold = this.refold();
  }

  setStaff(staff: readonly StaffMember[]): void {
    this.staff = new Map(staff.map((s) => [s.id, s]));
    this.staffByExtension = new Map();
    for (const member of staff) {
      // A receptionist's profile extension is some front desk's shared phone, maybe another
      // branch's that this box does not know: it is never dedicated (R0.3b–d). Desks decide.
      if (
        member.extension === null ||
        member.role === "reception" ||
        this.deskByExtension.has(member.extension)
      ) {
        continue;
      }
      const list = this.staffByExtension.get(member.extension) ?? [];
      list.push(member);
      this.staffByExtension.set(member.extension, list);
    }
  }

  /** Validates a command against the roster as it stood at `command.at`. */
  check(command: RosterCommand): DomainError<RosterErrorCode> | null {
    const { kind, employeeId, deskId, at } = command;
    if (!this.staff.has(employeeId)) {
      return { code: "ROSTER.UNKNOWN_EMPLOYEE", message: `no employee with id "${employeeId}"` };
    }
    if ((kind === "check-in" || kind === "handover") && (deskId === null || !this.desks.has(deskId))) {
      return { code: "ROSTER.UNKNOWN_DESK", message: `no desk with id "${deskId ?? ""}"` };
    }
    const shift = this.shiftAt(employeeId, at);
    const onBreak = shift !== null && isOnBreak(shift, at);
    switch (kind) {
      case "check-in":
        return shift?.deskId === deskId
          ? { code: "ROSTER.ALREADY_ON_SHIFT", message: `${employeeId} is already on shift at ${deskId}` }
          : null;
      case "check-out":
      case "closed-elsewhere":
      case "break-start":
      case "break-end":
        if (shift === null) return { code: "ROSTER.NOT_ON_SHIFT", message: `${employeeId} is not on shift` };
        if (kind === "break-start" && onBreak) {
          return { code: "ROSTER.ALREADY_ON_BREAK", message: `${employeeId} is already on a break` };
        }
        if (kind === "break-end" && !onBreak) {
          return { code: "ROSTER.NOT_ON_BREAK", message: `${employeeId} is not on a break` };
        }
        return null;
      case "handover":
        return this.holderAt(deskId ?? "", at)?.employeeId === employeeId
          ? {
              code: "ROSTER.ALREADY_HOLDS_PHONE",
              message: `${employeeId} already holds the phone of ${deskId}`,
            }
          : null;
      default:
        return null;
    }
  }

  /** Adds a fact. In time order it folds in place; a fact in the past (a correction) refolds all. */
  add(fact: RosterFact): void {
    const last = this.facts.at(-1);
    if (last === undefined || byTime(last, fact) <= 0) {
      this.facts.push(fact);
      this.fold.apply(fact);
      return;
    }
    const index = this.facts.findIndex((f) => byTime(f, fact) > 0);
    this.facts.splice(index, 0, fact);
    this.fold = this.refold();
  }

  /** Who owned `extension` at `t`, by which rule, and why (R0.2, R0.3, R0.4). */
  ownerOf(extension: string, t: Instant): Owner {
    const owner = (
      employeeId: string | null,
      rule: OwnerRule,
      why: OwnerWhy,
      desk?: Desk,
      since?: Instant,
    ): Owner => ({
      extension,
      at: t,
      employeeId,
      rule,
      reason: describeWhy(extension, why),
      why,
      deskId: desk?.id ?? null,
      since: since ?? null,
    });
    const desk = this.deskByExtension.get(extension);
    if (desk !== undefined) {
      const holder = this.holderAt(desk.id, t);
      if (holder !== null) {
        const why = {
          kind: "desk-holder",
          deskName: desk.name,
          holderName: this.nameOf(holder.employeeId),
        } as const;
        return owner(holder.employeeId, "desk-checkin", why, desk, holder.from);
      }
      // The usual reason a desk is unmapped in the middle of a shift: its last holder is on a break.
      const last = lastStartingBy(this.fold.spans.get(desk.id) ?? [], t);
      const lastShift = last === undefined ? null : this.shiftAt(last.employeeId, t);
      const away = lastShift?.deskId === desk.id && isOnBreak(lastShift, t);
      const onBreakName = away ? this.nameOf(lastShift.employeeId) : null;
      return owner(null, "unmapped", { kind: "desk-nobody", deskName: desk.name, onBreakName }, desk);
    }
    const claimants = this.staffByExtension.get(extension) ?? [];
    const [only] = claimants;
    if (only !== undefined && claimants.length === 1) {
      return owner(only.id, "dedicated", { kind: "dedicated", holderName: only.name });
    }
    if (claimants.length > 1) {
      return owner(null, "unmapped", { kind: "several-profiles", names: claimants.map((c) => c.name) });
    }
    return owner(null, "unmapped", { kind: "unknown-extension" });
  }

  /** The span of the employee holding the desk's phone at `t`, or null. */
  holderAt(deskId: string, t: Instant): { employeeId: string; from: Instant } | null {
    const spans = this.fold.spans.get(deskId);
    if (spans === undefined) return null;
    const span = lastStartingBy(spans, t);
    if (span === undefined) return null;
    if (span.to !== null) return t < span.to ? span : null;
    if (t < span.shiftCap) return span;
    return this.fold.projectTo(t).holders.get(deskId) ?? null;
  }

  /** The employee's shift covering `t`, or null. */
  shiftAt(employeeId: string, t: Instant): Shift | null {
    const shifts = this.fold.shiftsByEmployee.get(employeeId);
    if (shifts === undefined) return null;
    const shift = lastStartingBy(shifts, t);
    return shift !== undefined && t < endOf(shift) ? shift : null;
  }

  /** Everyone on shift at `t`, earliest first: the board "now", or the roster at any past instant. */
  onShiftAt(t: Instant): OnShift[] {
    const result: OnShift[] = [];
    for (const employeeId of this.fold.shiftsByEmployee.keys()) {
      const shift = this.shiftAt(employeeId, t);
      if (shift === null) continue;
      const holdsPhone = this.holderAt(shift.deskId, t)?.employeeId === employeeId;
      result.push({ shift, onBreak: isOnBreak(shift, t), holdsPhone });
    }
    return result.sort((a, b) => a.shift.from - b.shift.from);
  }

  /** Every shift with a moment in `[from, to)`, earliest first (the manager's corrections list). */
  shiftsBetween(from: Instant, to: Instant): Shift[] {
    const result: Shift[] = [];
    for (const shifts of this.fold.shiftsByEmployee.values()) {
      for (const shift of shifts) if (shift.from < to && endOf(shift) > from) result.push(shift);
    }
    return result.sort((a, b) => a.from - b.from);
  }

  /**
   * Who would hold the desk's phone if `employeeId` left it at `t` (a break or a check-out): the
   * colleague on shift there longest, not on a break; null when nobody would. Undefined when the
   * employee does not hold a phone at `t`, so leaving changes no phone.
   */
  phoneAfterLeaving(employeeId: string, t: Instant): { deskId: string; next: string | null } | undefined {
    const shift = this.shiftAt(employeeId, t);
    if (shift === null || this.holderAt(shift.deskId, t)?.employeeId !== employeeId) return undefined;
    const others = this.onShiftAt(t)
      .map((s) => s.shift)
      .filter((s) => s.employeeId !== employeeId);
    return { deskId: shift.deskId, next: nextHolder(others, shift.deskId, t)?.employeeId ?? null };
  }

  /**
   * Roster changes with `from <= at < to`, in time order, including the automatic ones: also those
   * past the last fact (a shift running out at its cap tonight is listed before any new fact folds it).
   */
  changesBetween(from: Instant, to: Instant): RosterChange[] {
    const folded = this.fold.changes;
    const result: RosterChange[] = [];
    for (let i = firstAtOrAfter(folded, from); i < folded.length; i++) {
      const change = folded[i] as RosterChange;
      if (change.at >= to) return result;
      result.push(change);
    }
    for (const change of this.fold.projectTo(to).changes)
      if (change.at >= from && change.at < to) result.push(change);
    return result;
  }

  /** Every holder span, for the stores and benchmarks that index them elsewhere. */
  spans(): ReadonlyMap<string, readonly HolderSpan[]> {
    return this.fold.spans;
  }

  get factCount(): number {
    return this.facts.length;
  }

  private nameOf(employeeId: string): string {
    return this.staff.get(employeeId)?.name ?? employeeId;
  }

  private refold(): Fold {
    const fold = new Fold(new Set(this.desks.keys()), this.maxShiftMs);
    for (const fact of this.facts) fold.apply(fact);
    return fold;
  }
}

/** The mutable state of one pass over the facts, in time order. */
class Fold {
  readonly spans = new Map<string, HolderSpan[]>();
  readonly shiftsByEmployee = new Map<string, Shift[]>();
  readonly open = new Map<string, Shift>();
  readonly holders = new Map<string, HolderSpan>();
  readonly changes: RosterChange[] = [];
  /** No open shift reaches its cap before this instant (a lower bound; Infinity when none is open). */
  private earliestCap = Number.POSITIVE_INFINITY;

  constructor(
    private readonly deskIds: ReadonlySet<string>,
    private readonly maxShiftMs: number,
  ) {}

  apply(fact: RosterFact): void {
    this.closeExpired(fact.at);
    const t = fact.at;
    const shift = this.open.get(fact.employeeId);
    const caused = this.changes.length;
    const applied = this.applyKind(fact, shift);
    if (applied) {
      const namesDesk = fact.kind === "check-in" || fact.kind === "handover";
      // Listed before the automatic changes it caused (the phone passing on), cause before effect.
      this.changes.splice(caused, 0, {
        at: t,
        kind: fact.kind,
        employeeId: fact.employeeId,
        // Only check-in and handover name a desk; for the rest it is the desk of the shift.
        deskId: namesDesk ? fact.deskId : (shift?.deskId ?? null),
        source: fact.source,
        actorId: fact.actorId,
        recordedAt: fact.recordedAt,
      });
    }
  }

  /**
   * A copy of the open state with the automatic closes up to `t` run on it: what the fold will hold
   * once a fact at or after `t` arrives, computed without touching this fold.
   */
  projectTo(t: Instant): Fold {
    const shadow = new Fold(this.deskIds, this.maxShiftMs);
    for (const [employeeId, shift] of this.open) {
      shadow.open.set(employeeId, { ...shift, breaks: shift.breaks.map((b) => ({ ...b })) });
    }
    for (const [deskId, span] of this.holders) shadow.holders.set(deskId, { ...span });
    shadow.earliestCap = this.earliestCap;
    shadow.closeExpired(t);
    return shadow;
  }

  /** Returns false, changing nothing, when the fact does not apply where it lands. */
  private applyKind(fact: RosterFact, shift: Shift | undefined): boolean {
    const t = fact.at;
    switch (fact.kind) {
      case "check-in": {
        // A desk no longer configured cannot take a shift, nor end the one the employee has.
        if (fact.deskId === null || !this.deskIds.has(fact.deskId) || shift?.deskId === fact.deskId)
          return false;
        if (shift !== undefined) this.closeShift(shift, t, "checked-in-elsewhere");
        this.openShift(fact.employeeId, fact.deskId, t);
        return true;
      }
      case "handover": {
        if (fact.deskId === null || !this.deskIds.has(fact.deskId)) return false;
        if (this.holders.get(fact.deskId)?.employeeId === fact.employeeId) return false;
        let current = shift;
        if (current?.deskId !== fact.deskId) {
          if (current !== undefined) this.closeShift(current, t, "checked-in-elsewhere");
          current = this.openShift(fact.employeeId, fact.deskId, t);
        }
        const openBreak = current.breaks.at(-1);
        if (openBreak !== undefined && openBreak.to === null) openBreak.to = t;
        const holder = this.holders.get(fact.deskId);
        if (holder?.employeeId === fact.employeeId) return true;
        if (holder !== undefined) this.endSpan(holder, t);
        this.startSpan(current, t);
        return true;
      }
      case "check-out":
      case "closed-elsewhere":
        if (shift === undefined) return false;
        this.closeShift(shift, t, fact.kind);
        return true;
      case "break-start": {
        if (shift === undefined || isOnBreak(shift, t)) return false;
        shift.breaks.push({ from: t, to: null });
        const holder = this.holders.get(shift.deskId);
        if (holder?.employeeId === shift.employeeId) {
          this.endSpan(holder, t);
          this.passPhone(shift.deskId, t);
        }
        return true;
      }
      case "break-end": {
        const openBreak = shift?.breaks.at(-1);
        if (shift === undefined || openBreak === undefined || openBreak.to !== null) return false;
        openBreak.to = t;
        if (!this.holders.has(shift.deskId)) this.startSpan(shift, t);
        return true;
      }
      case "crm-login":
        return true;
    }
  }

  private openShift(employeeId: string, deskId: string, t: Instant): Shift {
    const cap = t + this.maxShiftMs;
    const shift: Shift = { employeeId, deskId, from: t, to: null, endedBy: null, cap, breaks: [] };
    this.open.set(employeeId, shift);
    this.earliestCap = Math.min(this.earliestCap, cap);
    const list = this.shiftsByEmployee.get(employeeId) ?? [];
    list.push(shift);
    this.shiftsByEmployee.set(employeeId, list);
    if (!this.holders.has(deskId)) this.startSpan(shift, t);
    return shift;
  }

  private closeShift(shift: Shift, t: Instant, endedBy: ShiftEnd): void {
    shift.to = t;
    shift.endedBy = endedBy;
    const openBreak = shift.breaks.at(-1);
    if (openBreak !== undefined && openBreak.to === null) openBreak.to = t;
    this.open.delete(shift.employeeId);
    const holder = this.holders.get(shift.deskId);
    if (holder?.employeeId === shift.employeeId) {
      this.endSpan(holder, t);
      this.passPhone(shift.deskId, t);
    }
  }

  /** Closes, at their cap, the shifts that ran past the maximum length before `t`, oldest cap first. */
  private closeExpired(t: Instant): void {
    // Most facts expire nothing: skip the scan until the earliest cap is reached.
    if (t < this.earliestCap) return;
    const expired = [...this.open.values()].filter((s) => s.cap <= t).sort((a, b) => a.cap - b.cap);
    for (const shift of expired) {
      this.changes.push({
        at: shift.cap,
        kind: "auto-close",
        employeeId: shift.employeeId,
        deskId: shift.deskId,
        source: "automatic",
        actorId: null,
        recordedAt: null,
      });
      this.closeShift(shift, shift.cap, "auto-close");
    }
    this.earliestCap = Number.POSITIVE_INFINITY;
    for (const shift of this.open.values()) this.earliestCap = Math.min(this.earliestCap, shift.cap);
  }

  /** When the holder leaves, the phone goes to the colleague at the desk who has been there longest. */
  private passPhone(deskId: string, t: Instant): void {
    const next = nextHolder(this.open.values(), deskId, t);
    if (next === undefined) return;
    this.startSpan(next, t);
    this.changes.push({
      at: t,
      kind: "phone-passed",
      employeeId: next.employeeId,
      deskId,
      source: "automatic",
      actorId: null,
      recordedAt: null,
    });
  }

  private startSpan(shift: Shift, t: Instant): void {
    const span: HolderSpan = {
      deskId: shift.deskId,
      employeeId: shift.employeeId,
      from: t,
      to: null,
      shiftCap: shift.cap,
    };
    this.holders.set(shift.deskId, span);
    const list = this.spans.get(shift.deskId) ?? [];
    list.push(span);
    this.spans.set(shift.deskId, list);
  }

  private endSpan(span: HolderSpan, t: Instant): void {
    span.to = t;
    this.holders.delete(span.deskId);
  }
}

function nextHolder(open: Iterable<Shift>, deskId: string, t: Instant): Shift | undefined {
  let best: Shift | undefined;
  for (const shift of open) {
    if (shift.deskId !== deskId || shift.cap <= t || isOnBreak(shift, t)) continue;
    if (best === undefined || shift.from < best.from) best = shift;
  }
  return best;
}

function isOnBreak(shift: Shift, t: Instant): boolean {
  const last = lastStartingBy(shift.breaks, t);
  return last !== undefined && (last.to === null || t < last.to);
}

/** Time at work within `[from, to)` (breaks not counted), as of `now` for a shift still open. */
export function workedBetween(shift: Shift, from: Instant, to: Instant, now: Instant): number {
  const end = Math.min(endOf(shift), now);
  const overlap = (a: Instant, b: Instant) => Math.max(0, Math.min(b, to, end) - Math.max(a, from));
  let worked = overlap(shift.from, end);
  for (const pause of shift.breaks) worked -= overlap(pause.from, pause.to ?? end);
  return worked;
}

function endOf(shift: Shift): Instant {
  return shift.to ?? shift.cap;
}

/** The last element with `from <= t` in an array sorted by `from` (binary search). */
function lastStartingBy<T extends { from: Instant }>(items: readonly T[], t: Instant): T | undefined {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as T).from <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : items[lo - 1];
}

/** The English sentence behind `Owner.reason`; screens translate `Owner.why` themselves. */
export function describeWhy(extension: string, why: OwnerWhy): string {
  switch (why.kind) {
    case "desk-holder":
      return `${why.holderName} is checked in at ${why.deskName} and holds its phone`;
    case "desk-nobody":
      return `${extension} is the shared phone of ${why.deskName} and nobody on shift there holds it${why.onBreakName === null ? "" : ` (${why.onBreakName} is on a break)`}`;
    case "dedicated":
      return `${extension} is the dedicated extension of ${why.holderName}`;
    case "several-profiles":
      return `${extension} is in the profiles of ${why.names.join(", ")}; give it to one employee or make it a desk`;
    case "unknown-extension":
      return `${extension} belongs to no desk and to no employee`;
  }
}

/** The index of the first change at or after `t` (binary search; changes are in time order). */
function firstAtOrAfter(changes: readonly RosterChange[], t: Instant): number {
  let lo = 0;
  let hi = changes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((changes[mid] as RosterChange).at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
