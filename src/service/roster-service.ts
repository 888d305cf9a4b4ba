import type { Database } from "bun:sqlite";
import type { Config } from "../config/schema.ts";
import { fail, ok, type Result } from "../domain/errors.ts";
import { closeForElsewhere, type Elsewhere, elsewhereNow } from "../domain/roster/elsewhere.ts";
import { RosterTimeline, workedBetween } from "../domain/roster/roster-timeline.ts";
import type { Instant, Owner, RosterFact, StaffMember } from "../domain/roster/types.ts";
import type { BranchZone } from "../domain/rules/absence.ts";
import type { Logger } from "../log/logger.ts";
import { type ElsewhereStore, elsewhereStore } from "../store/elsewhere-store.ts";
import { type OutboxStore, outboxStore } from "../store/outbox-store.ts";
import { type RosterStore, rosterStore } from "../store/roster-store.ts";
import { type StaffRow, type StaffStore, staffStore } from "../store/staff-store.ts";
import { pinUnlockDetail, rosterAuditDetail } from "./audit-detail.ts";
import { branchZone } from "./branch-zone.ts";
import type {
  AuditEntry,
  BoardView,
  DeskView,
  ElsewhereView,
  EmployeeView,
  OnShiftView,
  PhoneAfterLeaving,
  PinResult,
  PinStatusView,
  RecordError,
  RosterCommandInput,
  RosterPort,
  ShiftView,
} from "./roster-port.ts";

const MINUTE = 60_000;
/** A fact this far in the future is a wrong clock or a typo, not a plan. */
const MAX_FUTURE_MS = MINUTE;
/** Corrections reach back a month at most; older history is settled. */
const MAX_PAST_MS = 31 * 24 * 60 * MINUTE;
/** A fact older than this when recorded is a correction and leaves an audit entry. */
const CORRECTION_AFTER_MS = MINUTE;

interface PendingCommand {
  readonly input: RosterCommandInput;
  readonly now: Instant;
  readonly resolve: (result: Result<RosterFact, RecordError>) => void;
  readonly reject: (error: unknown) => void;
}

const isManager = (s: StaffMember | undefined) => s?.role === "manager" || s?.role === "senior_manager";

/**
 * The roster as the box runs it: facts go to SQLite and into the in-memory timeline that answers
 * every ownership question; nobody hears "done" before the commit, and a failed commit leaves
 * the timeline as the disk has it.
 */
export class RosterService implements RosterPort {
  private readonly facts: RosterStore;
  private readonly elsewhereRows: ElsewhereStore;
  private readonly zone: BranchZone;
  /** HQ's recent check-ins elsewhere (R0.3d), in memory: the routing asks while a caller waits. */
  private elsewhere: Elsewhere[];
  /** Facts `applyElsewhere` wrote in the inbox's open transaction, told to the listeners once it commits. */
  private elsewhereFacts: RosterFact[] = [];
  private readonly outbox: OutboxStore;
  private readonly staffRows: StaffStore;
  private timeline: RosterTimeline;
  private pending: PendingCommand[] = [];
  private readonly listeners = new Set<(facts: readonly RosterFact[]) => void>();
  private staff = new Map<string, StaffRow>();
  /** Desks' and staff's extensions; rebuilt after a staff reload. */
  private extensions: ReadonlySet<string> | null = null;
  private dataVersion = -1;
  private readonly dataVersionQuery;
  /** Wrong PINs judged and PINs refused unjudged by a lock, since the process started (/metrics). */
  private pinWrong = 0;
  private pinRefusedLocked = 0;

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.facts = rosterStore(db);
    this.outbox = outboxStore(db);
    this.staffRows = staffStore(db);
    this.elsewhereRows = elsewhereStore(db);
    this.zone = branchZone(config.branch.timezone);
    this.elsewhere = this.elsewhereRows.recent();
    this.dataVersionQuery = db.query<{ data_version: number }, []>("PRAGMA data_version");
    this.timeline = this.loadTimeline();
    this.refreshStaff();
  }

  /** The timeline as the facts on disk tell it. */
  private loadTimeline(): RosterTimeline {
    const maxShiftMs = this.config.roster.max_shift_hours * 60 * MINUTE;
    return new RosterTimeline(
      { desks: this.config.desks, staff: [...this.staff.values()], maxShiftMs },
      this.facts.facts(),
    );
  }

  /** Re-reads the staff list (after an import or an HQ staff update on this connection). */
  reloadStaff(): void {
    const rows = this.staffRows.list();
    this.staff = new Map(rows.map((r) => [r.id, r]));
    this.extensions = null;
    this.timeline.setStaff(rows);
  }

  /** Reloads staff when another connection (`branchbox staff import`) committed since the last look. */
  private refreshStaff(): void {
    const version = this.dataVersionQuery.get()?.data_version ?? 0;
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    this.reloadStaff();
  }

  /**
   * Every extension the branch knows: its desks' and its staff's (whoever is on shift). A PBX
   * source takes a channel on one of them for a handset, whatever its name looks like (issue 12).
   */
  knownExtensions(): ReadonlySet<string> {
    this.refreshStaff();
    this.extensions ??= new Set([
      ...this.config.desks.map((desk) => desk.extension),
      ...[...this.staff.values()].flatMap((member) => (member.extension === null ? [] : [member.extension])),
    ]);
    return this.extensions;
  }

  board(now: Instant): BoardView {
    this.refreshStaff();
    const desks: DeskView[] = this.config.desks.map((desk) => {
      const holder = this.timeline.holderAt(desk.id, now);
      return {
        ...desk,
        holder:
          holder === null
            ? null
            : { employeeId: holder.employeeId, name: this.nameOf(holder.employeeId), since: holder.from },
      };
    });
    const { id, name, timezone } = this.config.branch;
    const elsewhere: ElsewhereView[] = [...this.staff.values()].flatMap((member) => {
      const where = this.elsewhereNow(member.id, now);
      return where === null
        ? []
        : [
            {
              employeeId: member.id,
              name: member.name,
              branchId: where.branchId,
              branchName: where.branchName,
              since: where.at,
            },
          ];
    });
    return { branch: { id, name, timezone }, now, desks, onShift: this.onShift(now), elsewhere };
  }

  /**
   * R0.3d: HQ's word that employees checked in at another branch (the `presence` down stream),
   * inside the inbox's transaction: each record once (by its id); a shift of theirs open at that
   * instant closes AT that instant (`closed-elsewhere`, source hq, audited, sent up like any fact).
   */
  applyElsewhere(
    records: readonly { readonly id: string; readonly elsewhere: Elsewhere }[],
    now: Instant,
  ): void {
    this.refreshStaff();
    for (const { id, elsewhere } of records) {
      if (!this.elsewhereRows.add(id, elsewhere, now)) continue;
      this.elsewhere.push(elsewhere);
      const command = closeForElsewhere(this.timeline, elsewhere);
      if (command === null) continue;
      const where =
        elsewhere.branchName === null
          ? elsewhere.branchId
          : `${elsewhere.branchName} (${elsewhere.branchId})`;
      const audit = {
        at: now,
        actorId: null,
        action: `roster.${command.kind}`,
        detail: rosterAuditDetail({ ...command, via: "hq", actorId: null, reason: `checked in at ${where}` }),
      };
      const fact = this.facts.append({ ...command, recordedAt: now, source: "hq", actorId: null }, audit);
      this.outbox.add("roster", [{ id: `fact-${fact.seq}`, type: "roster.fact", data: fact }], now);
      this.timeline.add(fact);
      this.elsewhereFacts.push(fact);
    }
  }

  elsewhereSettled(committed: boolean): void {
    const facts = this.elsewhereFacts;
    this.elsewhereFacts = [];
    if (!committed) {
      this.timeline = this.loadTimeline();
      this.elsewhere = this.elsewhereRows.recent();
      return;
    }
    for (const fact of facts)
      this.log.info("roster fact", {
        kind: fact.kind,
        employeeId: fact.employeeId,
        source: fact.source,
        seq: fact.seq,
      });
    for (const listener of this.listeners) listener(facts);
  }

  /**
   * R0.3d: the other branch the employee checked in at today (the branch's day) and has not come
   * back from; null: none. From memory, never a query: the routing asks while a caller waits.
   */
  elsewhereNow(employeeId: string, now: Instant): Elsewhere | null {
    const relays = this.elsewhere.filter((r) => r.employeeId === employeeId);
    if (relays.length === 0) return null;
    const local = this.zone.local(now);
    return elsewhereNow(this.timeline, relays, this.zone.instant(local.year, local.month, local.day, 0), now);
  }

  employees(now: Instant): EmployeeView[] {
    this.refreshStaff();
    const onShift = new Map(this.onShift(now).map((s) => [s.employeeId, s]));
    return [...this.staff.values()].map((s) => this.view(s, onShift.get(s.id) ?? null));
  }

  /**
   * Claim, then judge: the attempt is counted (and, at the last one allowed, the lock set) in one
   * transaction before the slow Argon2 check, so parallel guesses share one budget of
   * `pin_max_attempts` and no failure can shorten a lock. A right PIN clears the count. When the
   * claim cannot be written (a full disk), no PIN is judged at all: the storage error goes up and
   * the lockout fails closed.
   */
  async verifyPin(employeeId: string, pin: string, now: Instant): Promise<PinResult> {
    this.refreshStaff();
    const member = this.staff.get(employeeId);
    if (member === undefined) return fail("ROSTER.UNKNOWN_EMPLOYEE", `no employee with id "${employeeId}"`);
    const max = this.config.roster.pin_max_attempts;
    const lockMs = this.config.roster.pin_lock_minutes * MINUTE;
    const claim = this.facts.claimPinAttempt(employeeId, now, max, lockMs);
    if (claim.kind === "locked") {
      this.pinRefusedLocked++;
      return {
        ok: false,
        error: { code: "ROSTER.PIN_LOCKED", message: "too many wrong PINs", lockedUntil: claim.lockedUntil },
      };
    }
    if (await Bun.password.verify(pin, member.pinHash)) {
      this.facts.clearPinAttempts(employeeId);
      return ok(this.view(member, this.onShift(now).find((s) => s.employeeId === employeeId) ?? null));
    }
    this.pinWrong++;
    try {
      this.facts.countWrongPin(employeeId, branchDay(now, this.config.branch.timezone));
    } catch (error) {
      // The attempt is already counted against the lock; only the admin page's tally misses it.
      this.log.error("cannot count a wrong PIN for today", { employeeId, error });
    }
    if (claim.lockedUntil > 0) {
      this.log.warn("pin locked", { employeeId, until: new Date(claim.lockedUntil).toISOString() });
      return {
        ok: false,
        error: { code: "ROSTER.PIN_LOCKED", message: "too many wrong PINs", lockedUntil: claim.lockedUntil },
      };
    }
    return {
      ok: false,
      error: { code: "ROSTER.PIN_WRONG", message: "wrong PIN", attemptsLeft: max - claim.attempt },
    };
  }

  unlockPin(
    employeeId: string,
    actor: { readonly actorId: string | null; readonly via: "kiosk" | "admin" | "api" },
    now: Instant,
  ): Result<{ readonly wasLocked: boolean }, RecordError> {
    this.refreshStaff();
    if (!this.staff.has(employeeId))
      return fail("ROSTER.UNKNOWN_EMPLOYEE", `no employee with id "${employeeId}"`);
    if (actor.actorId !== null && this.staff.get(actor.actorId)?.role === "reception")
      return fail("ROSTER.NOT_A_MANAGER", "only a manager may lift a PIN lock");
    const wasLocked = this.facts.unlockPin(employeeId, now, {
      at: now,
      actorId: actor.actorId,
      action: "pin.unlock",
      detail: pinUnlockDetail(employeeId, actor.via, lockInForce(this.facts.pinAttempts(employeeId), now)),
    });
    this.log.info("pin unlocked", { employeeId, by: actor.actorId ?? actor.via, wasLocked });
    return ok({ wasLocked });
  }

  pinStatus(now: Instant): PinStatusView {
    this.refreshStaff();
    const wrongToday = this.facts.wrongPinsOn(branchDay(now, this.config.branch.timezone));
    const locked = this.facts
      .pinLocks()
      .filter((row) => row.lockedUntil > now)
      .map((row) => ({
        employeeId: row.employeeId,
        name: this.nameOf(row.employeeId),
        until: row.lockedUntil,
      }));
    const wrong = [...wrongToday]
      .map(([employeeId, count]) => ({ employeeId, name: this.nameOf(employeeId), count }))
      .sort((a, b) => b.count - a.count || a.employeeId.localeCompare(b.employeeId));
    return {
      locked,
      wrongToday: wrong,
      wrongSinceStart: this.pinWrong,
      refusedLockedSinceStart: this.pinRefusedLocked,
    };
  }

  /**
   * Group commit: commands arriving in the same event-loop turn are checked in arrival order and
   * written in one transaction, one fsync for all, and each caller hears back only after that
   * commit. If the commit fails (a full disk), nothing of the batch is kept: the timeline is
   * rebuilt from what is on disk and every caller gets the storage error.
   */
  record(input: RosterCommandInput, now: Instant): Promise<Result<RosterFact, RecordError>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, now, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const results: Result<RosterFact, RecordError>[] = [];
    try {
      this.refreshStaff();
      this.db.transaction(() => {
        for (const { input, now } of batch) results.push(this.apply(input, now));
      })();
    } catch (error) {
      for (const { reject } of batch) reject(error);
      try {
        this.timeline = this.loadTimeline();
      } catch (reloadError) {
        this.log.error("cannot reload the roster from the database", { error: reloadError });
      }
      return;
    }
    for (const [i, { resolve }] of batch.entries()) resolve(results[i] as Result<RosterFact, RecordError>);
    const facts = results.flatMap((r) => (r.ok ? [r.value] : []));
    // Only now, after the commit: a line for a fact the disk refused would report what never was.
    for (const fact of facts) {
      this.log.info("roster fact", {
        kind: fact.kind,
        employeeId: fact.employeeId,
        deskId: fact.deskId,
        source: fact.source,
        seq: fact.seq,
      });
    }
    if (facts.length > 0) for (const listener of this.listeners) listener(facts);
  }

  /** Checks one command against the roster as it stood at its time, then appends and folds it. */
  private apply(input: RosterCommandInput, now: Instant): Result<RosterFact, RecordError> {
    const at = input.at ?? now;
    if (!Number.isFinite(at) || at > now + MAX_FUTURE_MS) {
      return fail("ROSTER.BAD_TIME", "the time is in the future; send the time it happened, or none for now");
    }
    if (at < now - MAX_PAST_MS) return fail("ROSTER.BAD_TIME", "the time is more than 31 days in the past");
    const actorId = input.actorId ?? null;
    if (actorId !== null && actorId !== input.employeeId && !isManager(this.staff.get(actorId))) {
      return fail(
        "ROSTER.NOT_A_MANAGER",
        `only a manager may change another employee's shift (${actorId} is not one)`,
      );
    }
    const command = { kind: input.kind, employeeId: input.employeeId, deskId: input.deskId, at };
    const problem = this.timeline.check(command);
    if (problem !== null) return { ok: false, error: problem };

    const correction = at < now - CORRECTION_AFTER_MS || (actorId !== null && actorId !== input.employeeId);
    const audit = correction
      ? {
          at: now,
          actorId,
          action: `roster.${input.kind}`,
          detail: rosterAuditDetail({ ...command, via: input.source, actorId, reason: input.reason }),
        }
      : null;
    const fact = this.facts.append({ ...command, recordedAt: now, source: input.source, actorId }, audit);
    // Headquarters hears of every fact: its outbox record is committed with it, or neither is.
    this.outbox.add("roster", [{ id: `fact-${fact.seq}`, type: "roster.fact", data: fact }], now);
    this.timeline.add(fact);
    return ok(fact);
  }

  shifts(from: Instant, to: Instant, now: Instant): ShiftView[] {
    this.refreshStaff();
    return this.timeline.shiftsBetween(from, to).map((shift) => {
      // A cap still ahead is not an end: the shift is open now.
      const closed = shift.to !== null || shift.cap <= now;
      return {
        employeeId: shift.employeeId,
        name: this.nameOf(shift.employeeId),
        deskId: shift.deskId,
        deskName: this.deskOf(shift.deskId)?.name ?? shift.deskId,
        from: shift.from,
        to: closed ? (shift.to ?? shift.cap) : null,
        endedBy: closed ? (shift.endedBy ?? "auto-close") : null,
      };
    });
  }

  workedBetween(employeeId: string, from: Instant, to: Instant, now: Instant): number {
    let worked = 0;
    for (const shift of this.timeline.shiftsBetween(from, to))
      if (shift.employeeId === employeeId) worked += workedBetween(shift, from, to, now);
    return worked;
  }

  phoneAfterLeaving(employeeId: string, now: Instant): PhoneAfterLeaving | null {
    this.refreshStaff();
    const after = this.timeline.phoneAfterLeaving(employeeId, now);
    const desk = after === undefined ? undefined : this.deskOf(after.deskId);
    if (after === undefined || desk === undefined) return null;
    const next = after.next === null ? null : { employeeId: after.next, name: this.nameOf(after.next) };
    return { deskId: desk.id, deskName: desk.name, extension: desk.extension, next };
  }

  ownerOf(extension: string, at: Instant): Owner {
    return this.timeline.ownerOf(extension, at);
  }

  owners(now: Instant): Owner[] {
    this.refreshStaff();
    const extensions = new Set(this.config.desks.map((d) => d.extension));
    for (const member of this.staff.values()) if (member.extension !== null) extensions.add(member.extension);
    return [...extensions].sort().map((ext) => this.timeline.ownerOf(ext, now));
  }

  changesBetween(from: Instant, to: Instant) {
    return this.timeline.changesBetween(from, to);
  }

  audit(limit: number, between?: { readonly from: Instant; readonly to: Instant }): AuditEntry[] {
    return this.facts.audit(limit, between);
  }

  subscribe(listener: (facts: readonly RosterFact[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onShift(now: Instant): OnShiftView[] {
    const deskNames = new Map(this.config.desks.map((d) => [d.id, d.name]));
    return this.timeline.onShiftAt(now).map(({ shift, onBreak, holdsPhone }) => ({
      employeeId: shift.employeeId,
      name: this.nameOf(shift.employeeId),
      deskId: shift.deskId,
      deskName: deskNames.get(shift.deskId) ?? shift.deskId,
      since: shift.from,
      onBreak,
      holdsPhone,
    }));
  }

  private view(member: StaffRow, onShift: OnShiftView | null): EmployeeView {
    return { id: member.id, name: member.name, role: member.role, extension: member.extension, onShift };
  }

  private deskOf(deskId: string) {
    return this.config.desks.find((d) => d.id === deskId);
  }

  private nameOf(employeeId: string): string {
    return this.staff.get(employeeId)?.name ?? employeeId;
  }
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The branch's calendar date (YYYY-MM-DD) at an instant: "today" for the admin page's tallies. */
function branchDay(at: Instant, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (format === undefined) {
    // en-CA writes dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    dayFormats.set(timeZone, format);
  }
  return format.format(at);
}

/** For the audit: when the lock being lifted would have ended, or null when none was in force. */
const lockInForce = (attempts: { lockedUntil: number }, now: Instant): Instant | null =>
  attempts.lockedUntil > now ? attempts.lockedUntil : null;
