import type { Config } from "../config/schema.ts";
import type { DirectoryClient, HqSettings } from "../contract/down-records.ts";
import type { AttributionSettings } from "../domain/attribution/attribute.ts";
import type { EmployeeView } from "./roster-port.ts";

/** Headquarters' client directory as attribution and the call cards read it (sync keeps it). */
export interface ClientDirectory {
  /** The client of a number as the PBX gave it (E.164, or a Russian 8…/7… trunk form); null if unknown. */
  byNumber(number: string | null): DirectoryClient | null;
}

/** What headquarters has sent down: its settings (null before the first) and its client directory. */
export interface HqAttributionSource {
  settings(): HqSettings | null;
  readonly directory: ClientDirectory;
}

/**
 * The attribution settings: HQ's `settings` stream where it set a key (null there means "off"),
 * else the config's [calls] section; managers are the staff with a manager role; the client's
 * responsible comes from HQ's client directory, when it names someone on the staff.
 */
export function attributionSettings(
  config: Config,
  staff: readonly EmployeeView[],
  hq?: HqAttributionSource,
): AttributionSettings {
  const known = new Set(staff.map((s) => s.id));
  const pick = (id: string | null) => (id !== null && id !== "" && known.has(id) ? id : null);
  const fromHq = hq?.settings() ?? {};
  return {
    fallbackEmployeeId: pick(
      fromHq.fallbackEmployeeId !== undefined ? fromHq.fallbackEmployeeId : config.calls.fallback_employee,
    ),
    seniorManagerId: pick(
      fromHq.seniorManagerId !== undefined ? fromHq.seniorManagerId : config.calls.senior_manager,
    ),
    managerIds: staff.filter((s) => s.role === "manager" || s.role === "senior_manager").map((s) => s.id),
    assignResponsibleForMissedGroupCalls:
      fromHq.assignResponsibleForMissedGroupCalls ?? config.calls.assign_responsible_for_missed_group_calls,
    responsibleFor: (clientNumber) =>
      pick(hq?.directory.byNumber(clientNumber)?.responsibleEmployeeId ?? null),
  };
}
