import { ConfigError } from "../../config/load.ts";
import type { ErrorCode } from "../../domain/error-codes.ts";
import type { CrmConfig } from "../hq-config.ts";
import type { CrmConnector, CrmConnectorDeps, CrmKind, CrmUsers } from "./crm-port.ts";

/** `create<Kind>Connector`, each in `src/hq/crm/<kind>/`. */
export type CrmConnectorFactory = (config: CrmConfig, deps: CrmConnectorDeps) => CrmConnector;

/** Each CRM's factory, imported only when `[hq.crm] kind` names it. */
export type CrmConnectors = Partial<Record<CrmKind, () => Promise<CrmConnectorFactory>>>;

export const CRM_CONNECTORS: CrmConnectors = {
  retailcrm: async () => (await import("./retailcrm/index.ts")).createRetailcrmConnector,
  amocrm: async () => (await import("./amocrm/index.ts")).createAmocrmConnector,
  bitrix24: async () => (await import("./bitrix24/index.ts")).createBitrix24Connector,
};

/**
 * The connector `[hq.crm] kind` names. A kind this build has no connector for stops the start
 * (ConfigError, CRM.NO_CONNECTOR) rather than queueing steps nothing would ever run.
 */
export async function createCrmConnector(
  config: CrmConfig,
  deps: CrmConnectorDeps,
  connectors: CrmConnectors = CRM_CONNECTORS,
): Promise<CrmConnector> {
  const load = connectors[config.kind];
  const code: ErrorCode = "CRM.NO_CONNECTOR";
  if (load === undefined)
    throw new ConfigError([
      `hq.crm.kind: this build has no connector for "${config.kind}" (${code}); it has: ${
        Object.keys(connectors).join(", ") || "none"
      }`,
    ]);
  return (await load())(config, deps);
}

/** `[[hq.crm.users]]` as the connectors ask it: an employee's CRM user, or null (unmapped). */
export function crmUsers(config: Pick<CrmConfig, "users">): CrmUsers {
  const users = new Map(config.users.map((u) => [u.employee, u.user]));
  return { userOf: (employeeId) => users.get(employeeId) ?? null };
}
