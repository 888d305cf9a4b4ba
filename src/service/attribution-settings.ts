import type { Config } from "../config/schema.ts";
import type { AttributionSettings } from "../domain/attribution/attribute.ts";
import type { EmployeeView } from "./roster-port.ts";

/**
 * The attribution settings from the config's [calls] section and the staff list: managers are
 * the staff with a manager role. (Headquarters' settings stream replaces the config later.)
 */
export function attributionSettings(config: Config, staff: readonly EmployeeView[]): AttributionSettings {
  const known = new Set(staff.map((s) => s.id));
  const pick = (id: string) => (id !== "" && known.has(id) ? id : null);
  return {
    fallbackEmployeeId: pick(config.calls.fallback_employee),
    seniorManagerId: pick(config.calls.senior_manager),
    managerIds: staff.filter((s) => s.role === "manager" || s.role === "senior_manager").map((s) => s.id),
    assignResponsibleForMissedGroupCalls: config.calls.assign_responsible_for_missed_group_calls,
    // The client directory comes from headquarters (the sync issue); until then nobody is known.
    responsibleFor: () => null,
  };
}
