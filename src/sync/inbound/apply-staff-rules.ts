import type { StaffUpsert } from "../../contract/down-records.ts";
import { toRange, toSchedule } from "../../contract/rules-settings.ts";
import type { RulesStore } from "../../store/rules-store.ts";

/**
 * Issue 16: what HQ's `staff.upsert` says of the employee's schedule, absences and forwarding.
 * Runs inside the inbox's transaction. Which wins when HQ and the box both set something:
 * - a field left out changes nothing (an older HQ, or one that does not manage it);
 * - `absences` replaces HQ's own ranges whole; the ranges a manager entered on the box stay;
 * - `schedule` and `forwarding` take effect when HQ's value differs from what HQ sent last (or it
 *   is the first): the newest change wins, and the same staff list sent again does not undo an
 *   employee's or a manager's later change on the kiosk.
 */
export function applyStaffRules(rules: RulesStore, data: StaffUpsert, now: number): void {
  const id = data.id;
  if (data.schedule !== undefined && rules.hqChanged(id, "schedule", JSON.stringify(data.schedule)))
    rules.setSchedule(
      id,
      data.schedule === null ? null : toSchedule(data.schedule),
      { via: "hq", employeeId: null },
      now,
    );
  if (data.absences !== undefined) rules.replaceHqRanges(id, data.absences.map(toRange), now);
  const forwarding = data.forwarding;
  if (forwarding === undefined || !rules.hqChanged(id, "forwarding", JSON.stringify(forwarding))) return;
  if (forwarding === null) rules.clearForwarding(id);
  else
    rules.setForwarding({
      employeeId: id,
      ...forwarding,
      setBy: { via: "hq", employeeId: null },
      updatedAt: now,
    });
}
