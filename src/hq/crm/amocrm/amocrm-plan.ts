import {
  callRecordDataSchema,
  clientCreateDataSchema,
  clientReassignDataSchema,
  orderCreateDataSchema,
  taskCreateDataSchema,
  unsortedCreateDataSchema,
} from "../../../contract/up-records.ts";
import type { TaskPurpose } from "../../../domain/rules/intent-types.ts";
import type { CrmRecord, CrmStepPlan } from "../crm-port.ts";

/**
 * What amoCRM (API v4) is told about each record HQ holds. Pure: `run` (index.ts) sends it.
 *
 * | record                                | amoCRM                                                    |
 * |---------------------------------------|-----------------------------------------------------------|
 * | `call.record` inbound / outbound      | `call.add`: `POST /api/v4/calls`, `uniq` = the call's id   |
 * | `call.record` internal                | nothing: no client                                        |
 * | `crm.unsorted.create` (R2.7)          | `unsorted.sip`: `POST /api/v4/leads/unsorted/sip`          |
 * | `crm.client.create`                   | `contact.create`: a contact with the number (PHONE)        |
 * | `crm.order.create`                    | `lead.create`: a lead on the number's contact              |
 * | `crm.task.create`                     | `task.create`: a task on the number's contact              |
 * | `crm.client.reassign` (R3.6b)         | `contact.reassign`: the contact's `responsible_user_id`    |
 * | `crm.client.reopen` (R3.6a)           | nothing: amoCRM has no closed client; R3.6a's order is the new lead |
 *
 * A record that does not parse becomes one `unreadable` step that parks with the reason.
 */

/** What amoCRM shows as the calls' and unsorted items' source. */
export const AMO_SOURCE = "branchbox";

/** amoCRM's `call_status`: 1 left a message, 4 conversation, 6 not reached, 7 busy (CallInterface.php). */
const CALL_STATUS = { answered: 4, voicemail: 1, missed: 6, busy: 7, failed: 6 } as const;

/** The task's text in the CRM (the company's language), by purpose. */
const TASK_TEXT: Record<TaskPurpose, string> = {
  "call-logged": "Звонок",
  "review-call": "Прослушать разговор с клиентом",
  distribute: "Распределить пропущенный звонок",
  "call-back": "Перезвонить клиенту",
  "check-settings": "Проверить настройки: ответили с добавочного без сотрудника",
};

/** An open task is due an hour after the call; amoCRM needs a `complete_till`. */
const OPEN_TASK_DUE_S = 3600;

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The text that marks what HQ created, so a re-run finds it instead of creating it twice. */
export const marker = (recordId: string) => `[branchbox ${recordId}]`;

export function planAmocrm({ record }: CrmRecord): readonly CrmStepPlan[] {
  const unreadable = (reason: string): CrmStepPlan[] => [
    { name: "unreadable", orderKey: record.id, input: { reason } },
  ];
  const parse = <T>(schema: { safeParse(d: unknown): { success: true; data: T } | { success: false } }) => {
    const parsed = schema.safeParse(record.data);
    return parsed.success ? parsed.data : null;
  };
  switch (record.type) {
    case "call.record": {
      const call = parse(callRecordDataSchema);
      if (call === null) return unreadable(`call.record ${record.id} does not match its schema`);
      if (call.direction === "internal") return [];
      const phone = call.direction === "inbound" ? call.from.number : call.to.number;
      if (phone === null) return unreadable(`call ${call.id} has no client number; amoCRM needs one`);
      const duration =
        call.answeredAt !== null && call.endedAt !== null
          ? Math.round((call.endedAt - call.answeredAt) / 1000)
          : 0;
      return [
        {
          name: "call.add",
          orderKey: phone,
          input: {
            uniq: call.id,
            direction: call.direction,
            phone,
            duration,
            link: call.recordingUrl,
            callStatus: CALL_STATUS[call.outcome],
            callResult: call.outcome,
            createdAt: seconds(call.startedAt),
            employeeId: call.owner.employeeId,
          },
        },
      ];
    }
    case "crm.unsorted.create": {
      const intent = parse(unsortedCreateDataSchema);
      if (intent === null) return unreadable(`${record.type} ${record.id} does not match its schema`);
      if (intent.pipeline !== null && !/^\d+$/.test(intent.pipeline))
        return unreadable(`pipeline "${intent.pipeline}" is not an amoCRM pipeline id`);
      return [
        {
          name: "unsorted.sip",
          orderKey: intent.number,
          input: {
            uniq: intent.callId,
            phone: intent.number,
            pipelineId: intent.pipeline === null ? null : Number(intent.pipeline),
            calledAt: seconds(record.ts),
          },
        },
      ];
    }
    case "crm.client.create": {
      const intent = parse(clientCreateDataSchema);
      if (intent === null) return unreadable(`${record.type} ${record.id} does not match its schema`);
      return [
        {
          name: "contact.create",
          orderKey: intent.number,
          input: { phone: intent.number, employeeId: intent.responsibleEmployeeId },
        },
      ];
    }
    case "crm.order.create": {
      const intent = parse(orderCreateDataSchema);
      if (intent === null) return unreadable(`${record.type} ${record.id} does not match its schema`);
      return [
        {
          name: "lead.create",
          orderKey: intent.number,
          input: {
            phone: intent.number,
            employeeId: intent.responsibleEmployeeId,
            marker: marker(record.id),
          },
        },
      ];
    }
    case "crm.task.create": {
      const intent = parse(taskCreateDataSchema);
      if (intent === null) return unreadable(`${record.type} ${record.id} does not match its schema`);
      const text = [TASK_TEXT[intent.purpose], intent.reason, intent.recordingUrl, marker(record.id)]
        .filter((line) => line !== null)
        .join("\n");
      const completed = intent.status === "completed";
      return [
        {
          name: "task.create",
          orderKey: intent.number,
          input: {
            phone: intent.number,
            employeeId: intent.assigneeEmployeeId,
            text,
            marker: marker(record.id),
            completed,
            completeTill: seconds(record.ts) + (completed ? 0 : OPEN_TASK_DUE_S),
          },
        },
      ];
    }
    case "crm.client.reassign": {
      const intent = parse(clientReassignDataSchema);
      if (intent === null) return unreadable(`${record.type} ${record.id} does not match its schema`);
      return [
        {
          name: "contact.reassign",
          orderKey: intent.number,
          input: { phone: intent.number, employeeId: intent.to },
        },
      ];
    }
    default:
      // roster facts, crm.client.reopen (see the table) and anything amoCRM keeps no trace of
      return [];
  }
}
