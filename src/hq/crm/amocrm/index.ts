import type { CrmConfig } from "../../hq-config.ts";
import type { CrmConnector, CrmConnectorDeps, CrmOutcome, CrmStep } from "../crm-port.ts";
import { type AmoAnswer, createAmoClient } from "./amocrm-client.ts";
import { AMO_SOURCE, planAmocrm } from "./amocrm-plan.ts";

/** amoCRM's documented limit per integration. */
const AMO_RATE_PER_SECOND = 7;
/**
 * amoCRM keeps a call, task or lead only on an existing contact; the contact may still be on its way
 * (the same call's `crm.client.create` or unsorted item). Tried this often, then parked.
 */
const NO_CONTACT_TRIES = 5;
const NO_CONTACT_RETRY_MS = 60_000;

type Input = Readonly<Record<string, unknown>>;
type Embedded = { _embedded?: Record<string, { id?: number; uid?: string; [k: string]: unknown }[]> };

/**
 * The amoCRM API v4 connector (issue 19): calls to `/api/v4/calls` deduplicated by `uniq`, unknown
 * numbers to unsorted (R2.7), contacts, leads and tasks from the intents (what maps to what:
 * amocrm-plan.ts). Steps that create something without a dedupe key first look for it (a task or
 * lead by its marker, a contact or unsorted item by its number) so a re-run creates nothing twice.
 */
export function createAmocrmConnector(config: CrmConfig, deps: CrmConnectorDeps): CrmConnector {
  const client = createAmoClient(config, { tokens: deps.tokens, now: deps.now, fetch: deps.fetch ?? fetch });

  /** The CRM user for an employee: undefined = none named (amoCRM's default), null = unmapped. */
  const userOf = (employeeId: unknown): number | undefined | null => {
    if (typeof employeeId !== "string") return undefined;
    const user = deps.users.userOf(employeeId);
    return user === null || !/^\d+$/.test(user) ? null : Number(user);
  };
  const unmapped = (employeeId: unknown): CrmOutcome => ({
    kind: "park",
    code: "CRM.UNMAPPED_EMPLOYEE",
    reason: `employee ${String(employeeId)} has no numeric amoCRM user id in [[hq.crm.users]]`,
  });

  const items = (answer: AmoAnswer & { kind: "ok" }, key: string) =>
    (answer.body as Embedded | null)?._embedded?.[key] ?? [];

  async function contactOf(phone: string): Promise<number | null | CrmOutcome> {
    const found = await client.request("GET", `/api/v4/contacts?query=${encodeURIComponent(digits(phone))}`);
    if (found.kind !== "ok") return found;
    return items(found, "contacts")[0]?.id ?? null;
  }
  const noContact = (step: CrmStep, what: string): CrmOutcome =>
    step.attempts + 1 < NO_CONTACT_TRIES
      ? { kind: "retry", reason: `no amoCRM contact has ${what} yet`, afterMs: NO_CONTACT_RETRY_MS }
      : { kind: "park", code: "CRM.REJECTED", reason: `no amoCRM contact has ${what}` };

  const steps: Record<string, (input: Input, step: CrmStep) => Promise<CrmOutcome>> = {
    async unreadable(input) {
      return { kind: "park", code: "CRM.UNREADABLE_RECORD", reason: String(input.reason) };
    },

    async "call.add"(input, step) {
      const user = userOf(input.employeeId);
      if (user === null) return unmapped(input.employeeId);
      const answer = await client.request("POST", "/api/v4/calls", [
        {
          request_id: "0",
          direction: input.direction,
          uniq: input.uniq,
          duration: input.duration,
          source: AMO_SOURCE,
          phone: input.phone,
          ...(input.link === null ? {} : { link: input.link }),
          call_status: input.callStatus,
          call_result: input.callResult,
          created_at: input.createdAt,
          ...(user === undefined ? {} : { responsible_user_id: user, created_by: user }),
        },
      ]);
      if (answer.kind !== "ok") return answer;
      const added = items(answer, "calls")[0];
      if (added !== undefined) return { kind: "done", result: { id: added.id } };
      // A 2xx may still carry the call in `errors` (no contact with that number: amoCRM drops it).
      const errors = (answer.body as { errors?: { title?: string; detail?: string }[] } | null)?.errors ?? [];
      const why = errors.map((e) => [e.title, e.detail].filter(Boolean).join(": ")).join("; ");
      return noContact(step, `the number of call ${String(input.uniq)}${why === "" ? "" : ` (${why})`}`);
    },

    async "unsorted.sip"(input) {
      const phone = String(input.phone);
      const pipeline = input.pipelineId === null ? "" : `&filter[pipeline_id]=${input.pipelineId}`;
      const listed = await client.request(
        "GET",
        `/api/v4/leads/unsorted?filter[category][]=sip${pipeline}&order[created_at]=desc&limit=250`,
      );
      if (listed.kind !== "ok") return listed;
      const earlier = items(listed, "unsorted").find((u) => {
        const meta = u.metadata as { phone?: unknown; called_at?: unknown } | undefined;
        return digits(String(meta?.phone)) === digits(phone) && meta?.called_at === input.calledAt;
      });
      if (earlier !== undefined) return { kind: "done", result: { uid: earlier.uid } };
      const answer = await client.request("POST", "/api/v4/leads/unsorted/sip", [
        {
          request_id: "0",
          source_name: AMO_SOURCE,
          source_uid: AMO_SOURCE,
          ...(input.pipelineId === null ? {} : { pipeline_id: input.pipelineId }),
          created_at: input.calledAt,
          metadata: {
            is_call_event_needed: true,
            uniq: input.uniq,
            duration: 0,
            service_code: AMO_SOURCE,
            phone,
            called_at: input.calledAt,
            from: phone,
          },
          _embedded: { contacts: [{ name: phone, custom_fields_values: phoneField(phone) }] },
        },
      ]);
      if (answer.kind !== "ok") return answer;
      return { kind: "done", result: { uid: items(answer, "unsorted")[0]?.uid ?? null } };
    },

    async "contact.create"(input) {
      const user = userOf(input.employeeId);
      if (user === null) return unmapped(input.employeeId);
      const phone = String(input.phone);
      const existing = await contactOf(phone);
      if (typeof existing === "object" && existing !== null) return existing;
      if (existing !== null) return { kind: "done", result: { id: existing } };
      const answer = await client.request("POST", "/api/v4/contacts", [
        {
          name: phone,
          custom_fields_values: phoneField(phone),
          ...(user === undefined ? {} : { responsible_user_id: user }),
        },
      ]);
      if (answer.kind !== "ok") return answer;
      return { kind: "done", result: { id: items(answer, "contacts")[0]?.id ?? null } };
    },

    async "contact.reassign"(input, step) {
      const user = userOf(input.employeeId);
      if (user == null) return unmapped(input.employeeId);
      const contact = await contactOf(String(input.phone));
      if (typeof contact === "object" && contact !== null) return contact;
      if (contact === null) return noContact(step, `the number ${String(input.phone)}`);
      const answer = await client.request("PATCH", "/api/v4/contacts", [
        { id: contact, responsible_user_id: user },
      ]);
      return answer.kind === "ok" ? { kind: "done", result: { id: contact } } : answer;
    },

    async "lead.create"(input, step) {
      const user = userOf(input.employeeId);
      if (user === null) return unmapped(input.employeeId);
      const found = await client.request(
        "GET",
        `/api/v4/leads?query=${encodeURIComponent(String(input.marker))}`,
      );
      if (found.kind !== "ok") return found;
      const earlier = items(found, "leads").find((lead) => String(lead.name).includes(String(input.marker)));
      if (earlier !== undefined) return { kind: "done", result: { id: earlier.id } };
      const contact = await contactOf(String(input.phone));
      if (typeof contact === "object" && contact !== null) return contact;
      if (contact === null) return noContact(step, `the number ${String(input.phone)}`);
      const answer = await client.request("POST", "/api/v4/leads", [
        {
          name: `${String(input.phone)} ${String(input.marker)}`,
          ...(user === undefined ? {} : { responsible_user_id: user }),
          _embedded: { contacts: [{ id: contact }] },
        },
      ]);
      if (answer.kind !== "ok") return answer;
      return { kind: "done", result: { id: items(answer, "leads")[0]?.id ?? null } };
    },

    async "task.create"(input, step) {
      const user = userOf(input.employeeId);
      if (user === null) return unmapped(input.employeeId);
      const contact = await contactOf(String(input.phone));
      if (typeof contact === "object" && contact !== null) return contact;
      if (contact === null) return noContact(step, `the number ${String(input.phone)}`);
      const found = await client.request(
        "GET",
        `/api/v4/tasks?filter[entity_type]=contacts&filter[entity_id]=${contact}&limit=250`,
      );
      if (found.kind !== "ok") return found;
      const earlier = items(found, "tasks").find((task) => String(task.text).includes(String(input.marker)));
      if (earlier !== undefined) return { kind: "done", result: { id: earlier.id } };
      const answer = await client.request("POST", "/api/v4/tasks", [
        {
          text: input.text,
          complete_till: input.completeTill,
          entity_type: "contacts",
          entity_id: contact,
          task_type_id: CALL_TASK_TYPE,
          is_completed: input.completed,
          ...(user === undefined ? {} : { responsible_user_id: user }),
        },
      ]);
      if (answer.kind !== "ok") return answer;
      return { kind: "done", result: { id: items(answer, "tasks")[0]?.id ?? null } };
    },
  };

  return {
    kind: "amocrm",
    ratePerSecond: config.rate_per_second > 0 ? config.rate_per_second : AMO_RATE_PER_SECOND,
    plan: planAmocrm,
    async run(step) {
      const handler = steps[step.name];
      if (handler === undefined)
        return { kind: "park", code: "CRM.UNREADABLE_RECORD", reason: `amoCRM has no step "${step.name}"` };
      try {
        return await handler(step.input, step);
      } catch (error) {
        // The token store or a body amoCRM garbled: transient as far as we can tell; never a secret.
        const reason = error instanceof Error ? error.message : String(error);
        deps.log.warn("amoCRM step failed; will retry", { step: step.name, record: step.recordKey, reason });
        return { kind: "retry", reason };
      }
    },
  };
}

/** amoCRM's built-in task type 1, "Связаться" (follow up / call). */
const CALL_TASK_TYPE = 1;

const digits = (phone: string) => phone.replace(/\D/g, "");

const phoneField = (phone: string) => [
  { field_code: "PHONE", values: [{ value: phone, enum_code: "WORK" }] },
];
