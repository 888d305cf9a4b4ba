import type { z } from "zod";
import { UP_RECORD_TYPES } from "../../../contract/up-records.ts";
import type { TaskPurpose } from "../../../domain/rules/intent-types.ts";
import type { CrmRecord, CrmStepPlan } from "../crm-port.ts";

/**
 * What retailCRM (API v5) must be told of one record HQ holds: pure, total, time-free. The steps'
 * `input` is close to retailCRM's own fields; `run` adds the site, the CRM user of `employeeId`
 * and the key. Every step carries retailCRM's dedupe key or what `run` looks for first:
 * - `call.record` → `call.upload` (`telephony/calls/upload`, deduped by `externalId` = the call's
 *   id: a re-upload comes back in `duplicateCalls`). Internal calls, and calls with no client
 *   number (retailCRM files a call by `phone`), need nothing.
 * - `crm.client.create` → `customer.create`, `externalId` = HQ's client id, or for a new number
 *   `newClientExternalId(number)`, which the call's `crm.order.create` (clientId null) finds it by.
 * - `crm.order.create` → `order.create`, `externalId` = the intent's id.
 * - `crm.task.create` → `task.create`; retailCRM tasks have no external id, so the text ends with
 *   `taskMarker(id)` and `run` first looks for a task with it.
 * - `crm.client.reassign` → `customer.edit` (managerId; the same edit twice is the same state).
 * - `crm.client.reopen` (R3.6a) needs nothing: a retailCRM customer has no open/closed state; the
 *   new order the same call sends is what reopens the client.
 * - `crm.unsorted.create` (R2.7) needs nothing: "unsorted" is amoCRM's; retailCRM's matrix for new
 *   numbers is client + order + task (`unknownNumbers = "create-client"`).
 * A record of a known type whose data does not parse becomes one `unreadable` step that parks.
 */
export function planRetailcrm(crmRecord: CrmRecord): readonly CrmStepPlan[] {
  const { record } = crmRecord;
  const known = UP_RECORD_TYPES[record.type as keyof typeof UP_RECORD_TYPES];
  if (known === undefined || record.type === "roster.fact") return [];
  const parsed = (known.data as z.ZodType).safeParse(record.data);
  if (!parsed.success)
    return [
      {
        name: "unreadable",
        orderKey: record.id,
        input: {
          type: record.type,
          issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
        },
      },
    ];
  const data = parsed.data as Record<string, unknown>;
  switch (record.type) {
    case "call.record":
      return planCall(data as Data<"call.record">);
    case "crm.client.create": {
      const intent = data as Data<"crm.client.create">;
      return [
        step("customer.create", intent.number, {
          externalId: newClientExternalId(intent.number),
          phone: intent.number,
          employeeId: intent.responsibleEmployeeId,
        }),
      ];
    }
    case "crm.order.create": {
      const intent = data as Data<"crm.order.create">;
      return [
        step("order.create", intent.number, {
          externalId: record.id,
          customerExternalId: intent.clientId ?? newClientExternalId(intent.number),
          phone: intent.number,
          employeeId: intent.responsibleEmployeeId,
        }),
      ];
    }
    case "crm.task.create": {
      const intent = data as Data<"crm.task.create">;
      return [
        step("task.create", intent.number, {
          marker: taskMarker(record.id),
          text: `${TASK_TEXT[intent.purpose]} ${intent.number} ${taskMarker(record.id)}`,
          commentary: [intent.reason, intent.recordingUrl].filter((s) => s !== null).join("\n"),
          complete: intent.status === "completed",
          customerExternalId: intent.clientId ?? newClientExternalId(intent.number),
          employeeId: intent.assigneeEmployeeId,
        }),
      ];
    }
    case "crm.client.reassign": {
      const intent = data as Data<"crm.client.reassign">;
      return [step("customer.edit", intent.number, { externalId: intent.clientId, employeeId: intent.to })];
    }
    default:
      return [];
  }
}

/** The externalId of a customer created for a new number: the same number, the same customer. */
export function newClientExternalId(e164: string): string {
  return `branchbox-${e164.replace(/\D/g, "")}`;
}

/** Ends a task's text: retailCRM has no task externalId, so `run` finds a task it made by this. */
export function taskMarker(intentId: string): string {
  return `[branchbox ${intentId}]`;
}

/** The task's first words, in the CRM users' language (Russian: the companies are). */
const TASK_TEXT: Record<TaskPurpose, string> = {
  "call-logged": "Звонок клиента",
  "review-call": "Проверить звонок клиента",
  distribute: "Распределить пропущенный звонок клиента",
  "call-back": "Перезвонить клиенту",
  "check-settings": "Звонок принят на неназначенном номере: проверить настройки и переназначить клиента",
};

type Data<T extends keyof typeof UP_RECORD_TYPES> = z.output<(typeof UP_RECORD_TYPES)[T]["data"]>;
type CallData = Data<"call.record">;

const RESULT: Record<CallData["outcome"], string> = {
  answered: "answered",
  missed: "no answer",
  voicemail: "no answer",
  busy: "busy",
  failed: "failed",
};

function planCall(call: CallData): readonly CrmStepPlan[] {
  if (call.direction === "internal") return [];
  const phone = call.direction === "inbound" ? call.from.number : call.to.number;
  if (phone === null || phone === "") return [];
  const ended = call.endedAt ?? call.answeredAt ?? call.startedAt;
  const talkMs = call.answeredAt === null ? 0 : Math.max(0, ended - call.answeredAt);
  const waitMs = Math.max(0, (call.answeredAt ?? ended) - call.startedAt);
  return [
    step("call.upload", phone, {
      date: retailcrmDate(call.startedAt),
      type: call.direction === "inbound" ? "in" : "out",
      phone,
      result: RESULT[call.outcome],
      duration: Math.round(talkMs / 1000),
      durationWaiting: Math.round(waitMs / 1000),
      externalId: call.id,
      externalPhone: call.did,
      // retailCRM fetches recordUrl itself: only an absolute URL is one it can reach.
      recordUrl:
        call.recordingUrl !== null && /^https?:\/\//.test(call.recordingUrl) ? call.recordingUrl : null,
      employeeId: call.owner.employeeId,
    }),
  ];
}

/** retailCRM's "Y-m-d H:i:s", in UTC (the account's own zone is not known to HQ). */
export function retailcrmDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function step(name: string, orderKey: string, input: Record<string, unknown>): CrmStepPlan {
  return { name, orderKey, input };
}
