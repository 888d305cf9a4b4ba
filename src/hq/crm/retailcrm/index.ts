import type { CrmConfig } from "../../hq-config.ts";
import type { CrmConnector, CrmConnectorDeps, CrmOutcome, CrmStep } from "../crm-port.ts";
import { createRetailcrmClient, type RetailcrmClient } from "./retailcrm-client.ts";
import { planRetailcrm } from "./retailcrm-plan.ts";

/**
 * retailCRM's API limit as its documentation states it: 10 requests a second per account (the
 * telephony methods allow more; one rate for all steps keeps under both). `[hq.crm]
 * rate_per_second` overrides it.
 */
const RETAILCRM_RATE = 10;

/**
 * The retailCRM connector (API v5): the calls go to `telephony/calls/upload`, the intents to
 * customers, orders and tasks (see retailcrm-plan.ts for which step each record becomes).
 * Employees are CRM users through `[[hq.crm.users]]` (employee → retailCRM user id, the `userId`
 * of a call and the `managerId` / `performerId` of what is created); an employee with none parks
 * the step with CRM.UNMAPPED_EMPLOYEE, never a silent drop.
 *
 * NOT HERE: the live pop-ups of R3.1–R3.3 (`telephony/call/event`): they need the call while it
 * rings, and HQ gets a call only when it has ended (`call.record`).
 */
export function createRetailcrmConnector(config: CrmConfig, deps: CrmConnectorDeps): CrmConnector {
  const client = createRetailcrmClient(config, deps);
  return {
    kind: "retailcrm",
    ratePerSecond:
      config.rate_per_second > 0 ? Math.min(config.rate_per_second, RETAILCRM_RATE) : RETAILCRM_RATE,
    plan: planRetailcrm,
    run: async (step) => {
      try {
        return await runStep(step, client, deps);
      } catch (err) {
        // A bug, not the CRM: the step is kept and tried again, never lost.
        deps.log.error("retailCRM step failed unexpectedly", {
          step: step.name,
          record: step.recordKey,
          err: String(err),
        });
        return { kind: "retry", reason: `unexpected: ${String(err)}` };
      }
    },
  };
}

async function runStep(step: CrmStep, client: RetailcrmClient, deps: CrmConnectorDeps): Promise<CrmOutcome> {
  const input = step.input;
  if (step.name === "unreadable")
    return {
      kind: "park",
      code: "CRM.UNREADABLE_RECORD",
      reason: `${String(input.type)} does not parse: ${(input.issues as string[]).join("; ")}`,
    };
  const user = userOf(input.employeeId, deps);
  if (user.kind === "park") return user;
  const { employeeId: _, ...fields } = input;
  switch (step.name) {
    case "call.upload": {
      const call = withoutNulls({ ...fields, userId: user.id });
      return client.uploadCall(call, String(input.externalId));
    }
    case "customer.create":
      return client.createOnce("customers", String(input.externalId), {
        externalId: input.externalId,
        phones: [{ number: input.phone }],
        ...(user.id === null ? {} : { managerId: user.id }),
      });
    case "order.create":
      return client.createOnce("orders", String(input.externalId), {
        externalId: input.externalId,
        orderMethod: "phone",
        phone: input.phone,
        customer: { externalId: input.customerExternalId },
        ...(user.id === null ? {} : { managerId: user.id }),
      });
    case "task.create":
      if (user.id === null)
        return {
          kind: "park",
          code: "CRM.UNMAPPED_EMPLOYEE",
          reason: "the task has no assignee (no senior manager is set) and retailCRM needs a performer",
        };
      return client.createTaskOnce(String(input.marker), {
        text: input.text,
        commentary: input.commentary,
        complete: input.complete,
        performerId: user.id,
        customer: { externalId: input.customerExternalId },
      });
    case "customer.edit":
      return client.editCustomer(String(input.externalId), { managerId: user.id });
    default:
      return { kind: "park", code: "CRM.UNREADABLE_RECORD", reason: `retailCRM has no step ${step.name}` };
  }
}

/** The CRM user of a step's employee: null when the step names none (the CRM's default applies). */
function userOf(
  employeeId: unknown,
  deps: CrmConnectorDeps,
): { kind: "user"; id: number | null } | Extract<CrmOutcome, { kind: "park" }> {
  if (typeof employeeId !== "string") return { kind: "user", id: null };
  const user = deps.users.userOf(employeeId);
  if (user === null)
    return {
      kind: "park",
      code: "CRM.UNMAPPED_EMPLOYEE",
      reason: `employee ${employeeId} has no retailCRM user in [[hq.crm.users]]`,
    };
  const id = Number(user);
  if (!Number.isSafeInteger(id))
    return {
      kind: "park",
      code: "CRM.UNMAPPED_EMPLOYEE",
      reason: `employee ${employeeId}'s retailCRM user "${user}" is not a user id (a number)`,
    };
  return { kind: "user", id };
}

function withoutNulls(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
}
