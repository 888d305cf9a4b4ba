import type { Database } from "bun:sqlite";
import type { AbsenceRange, WeeklySchedule } from "../domain/rules/absence.ts";
import type { Forwarding } from "../domain/rules/rules-types.ts";

/** Where a range came from: headquarters' staff list, or the box (a manager on the kiosk, the API). */
export type RangeSource = "hq" | "box";

export interface StoredRange extends AbsenceRange {
  readonly id: number;
  readonly employeeId: string;
  readonly source: RangeSource;
  /** The manager who entered it on the kiosk; null from HQ or the API. */
  readonly setBy: string | null;
  readonly createdAt: number;
}

export interface StoredSchedule {
  readonly employeeId: string;
  readonly hours: WeeklySchedule;
  readonly setVia: "manager" | "hq";
  readonly setBy: string | null;
  readonly updatedAt: number;
}

/**
 * Absences (R4.7) and no-answer forwarding (R4.1–R4.4) per employee. Writes are not transactions
 * of their own: the caller's transaction holds the change and its audit entry (or HQ's inbox
 * holds the whole envelope), so neither is written without the other.
 */
export interface RulesStore {
  forwardings(): Forwarding[];
  schedules(): StoredSchedule[];
  /** Every range, by employee then first day. */
  ranges(): StoredRange[];
  setForwarding(forwarding: Forwarding): void;
  /** Back to the default; false when the employee had none of their own. */
  clearForwarding(employeeId: string): boolean;
  /** `hours` null: no personal schedule. */
  setSchedule(
    employeeId: string,
    hours: WeeklySchedule | null,
    by: { via: "manager" | "hq"; employeeId: string | null },
    now: number,
  ): void;
  /** Headquarters' ranges of the employee, whole; the box's own stay. */
  replaceHqRanges(employeeId: string, ranges: readonly AbsenceRange[], now: number): void;
  addRange(employeeId: string, range: AbsenceRange, setBy: string | null, now: number): StoredRange;
  /** Removes one of the box's own ranges; null when there is none with that id for the employee. */
  removeBoxRange(employeeId: string, id: number): StoredRange | null;
  /**
   * Records what HQ's staff.upsert says of a field (JSON text); true when it differs from what HQ
   * said last (or HQ never said), i.e. when HQ's value should take effect.
   */
  hqChanged(employeeId: string, field: "schedule" | "forwarding", value: string): boolean;
  /** The employee left the staff: their schedule, ranges and forwarding go too. */
  removeEmployee(employeeId: string): void;
  audit(entry: { at: number; actorId: string | null; action: string; detail: string }): void;
}

interface ForwardingRow {
  employee_id: string;
  action: string;
  notice: string;
  timeout_seconds: number;
  set_via: Forwarding["setBy"]["via"];
  set_by: string | null;
  updated_at: number;
}

interface RangeRow {
  id: number;
  employee_id: string;
  kind: AbsenceRange["kind"];
  first_day: string;
  last_day: string;
  source: RangeSource;
  set_by: string | null;
  created_at: number;
}

const toRange = (r: RangeRow): StoredRange => ({
  id: r.id,
  employeeId: r.employee_id,
  kind: r.kind,
  first: r.first_day,
  last: r.last_day,
  source: r.source,
  setBy: r.set_by,
  createdAt: r.created_at,
});

export function rulesStore(db: Database): RulesStore {
  const allForwarding = db.query<ForwardingRow, []>("SELECT * FROM forwarding ORDER BY employee_id");
  const upsertForwarding = db.query(
    `INSERT INTO forwarding (employee_id, action, notice, timeout_seconds, set_via, set_by, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (employee_id) DO UPDATE SET action = ?2, notice = ?3, timeout_seconds = ?4, set_via = ?5,
       set_by = ?6, updated_at = ?7`,
  );
  const deleteForwarding = db.query("DELETE FROM forwarding WHERE employee_id = ?");
  const allSchedules = db.query<
    {
      employee_id: string;
      hours: string;
      set_via: "manager" | "hq";
      set_by: string | null;
      updated_at: number;
    },
    []
  >("SELECT * FROM work_schedules ORDER BY employee_id");
  const upsertSchedule = db.query(
    `INSERT INTO work_schedules (employee_id, hours, set_via, set_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (employee_id) DO UPDATE SET hours = ?2, set_via = ?3, set_by = ?4, updated_at = ?5`,
  );
  const deleteSchedule = db.query("DELETE FROM work_schedules WHERE employee_id = ?");
  const allRanges = db.query<RangeRow, []>(
    "SELECT * FROM absence_ranges ORDER BY employee_id, first_day, id",
  );
  const insertRange = db.query<RangeRow, [string, string, string, string, string, string | null, number]>(
    `INSERT INTO absence_ranges (employee_id, kind, first_day, last_day, source, set_by, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const deleteHqRanges = db.query("DELETE FROM absence_ranges WHERE employee_id = ? AND source = 'hq'");
  const deleteBoxRange = db.query<RangeRow, [string, number]>(
    "DELETE FROM absence_ranges WHERE employee_id = ? AND id = ? AND source = 'box' RETURNING *",
  );
  const deleteRanges = db.query("DELETE FROM absence_ranges WHERE employee_id = ?");
  const hqSent = db.query<{ value: string }, [string, string]>(
    "SELECT value FROM hq_rules_sent WHERE employee_id = ? AND field = ?",
  );
  const putHqSent = db.query(
    `INSERT INTO hq_rules_sent (employee_id, field, value) VALUES (?1, ?2, ?3)
     ON CONFLICT (employee_id, field) DO UPDATE SET value = ?3`,
  );
  const deleteHqSent = db.query("DELETE FROM hq_rules_sent WHERE employee_id = ?");
  const insertAudit = db.query("INSERT INTO audit (at, actor_id, action, detail) VALUES (?, ?, ?, ?)");
  return {
    forwardings: () =>
      allForwarding.all().map((r) => ({
        employeeId: r.employee_id,
        action: JSON.parse(r.action),
        notice: JSON.parse(r.notice),
        timeoutSeconds: r.timeout_seconds,
        setBy: { via: r.set_via, employeeId: r.set_by },
        updatedAt: r.updated_at,
      })),
    schedules: () =>
      allSchedules.all().map((r) => ({
        employeeId: r.employee_id,
        hours: JSON.parse(r.hours),
        setVia: r.set_via,
        setBy: r.set_by,
        updatedAt: r.updated_at,
      })),
    ranges: () => allRanges.all().map(toRange),
    setForwarding: (f) => {
      upsertForwarding.run(
        f.employeeId,
        JSON.stringify(f.action),
        JSON.stringify(f.notice),
        f.timeoutSeconds,
        f.setBy.via,
        f.setBy.employeeId,
        f.updatedAt,
      );
    },
    clearForwarding: (employeeId) => deleteForwarding.run(employeeId).changes > 0,
    setSchedule: (employeeId, hours, by, now) => {
      if (hours === null) deleteSchedule.run(employeeId);
      else upsertSchedule.run(employeeId, JSON.stringify(hours), by.via, by.employeeId, now);
    },
    replaceHqRanges: (employeeId, ranges, now) => {
      deleteHqRanges.run(employeeId);
      for (const r of ranges) insertRange.get(employeeId, r.kind, r.first, r.last, "hq", null, now);
    },
    addRange: (employeeId, r, setBy, now) => {
      const row = insertRange.get(employeeId, r.kind, r.first, r.last, "box", setBy, now);
      if (row === null) throw new Error("absence_ranges: INSERT … RETURNING gave no row");
      return toRange(row);
    },
    removeBoxRange: (employeeId, id) => {
      const row = deleteBoxRange.get(employeeId, id);
      return row === null ? null : toRange(row);
    },
    hqChanged: (employeeId, field, value) => {
      if (hqSent.get(employeeId, field)?.value === value) return false;
      putHqSent.run(employeeId, field, value);
      return true;
    },
    removeEmployee: (employeeId) => {
      deleteHqSent.run(employeeId);
      deleteForwarding.run(employeeId);
      deleteSchedule.run(employeeId);
      deleteRanges.run(employeeId);
    },
    audit: (e) => {
      insertAudit.run(e.at, e.actorId, e.action, e.detail);
    },
  };
}
