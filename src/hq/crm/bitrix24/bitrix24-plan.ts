import { callRecordDataSchema, taskCreateDataSchema } from "../../../contract/up-records.ts";
import type { CallRecord } from "../../../domain/call/call-types.ts";
import type { TaskCreate } from "../../../domain/rules/intent-types.ts";
import type { CrmRecord, CrmStepPlan } from "../crm-port.ts";

/**
 * What Bitrix24 is told of each record HQ holds (pure; time is in the record):
 *
 * | record                | steps                                                                   |
 * |-----------------------|-------------------------------------------------------------------------|
 * | `call.record` in/out  | `call.register` → `call.finish` → `call.attach-record` (with a recording) |
 * | `call.record` internal| none: no client is on the line                                          |
 * | `crm.task.create`     | `task.create` (tasks.task.add, bound to the number's CRM entity)         |
 * | `crm.client.create`, `crm.unsorted.create` | none: the call's register has `CRM_CREATE=1`, so Bitrix24 makes the lead for an unknown number itself |
 * | `crm.order.create`, `crm.client.reopen`, `crm.client.reassign` | none yet: Bitrix24 has no order of retailCRM's kind; a deal per order is left for later |
 *
 * A record whose data does not parse becomes one `record.unreadable` step that parks with the
 * reason: never an exception, never silence.
 */
export const STEP = {
  register: "call.register",
  finish: "call.finish",
  attach: "call.attach-record",
  task: "task.create",
  unreadable: "record.unreadable",
} as const;

/** `telephony.externalcall.register`'s TYPE: 1 outgoing, 2 incoming. */
const CALL_TYPE = { outbound: 1, inbound: 2 } as const;

/**
 * `telephony.externalcall.finish`'s STATUS_CODE for the call's outcome (SIP-like codes, b24restdocs
 * telephony-external-call-finish.md): 200 talked, 304 missed (a voicemail is a missed call, R4.5),
 * 486 busy, OTHER for a failure the PBX could not name.
 */
const STATUS_CODE: Readonly<Record<CallRecord["outcome"], string>> = {
  answered: "200",
  missed: "304",
  voicemail: "304",
  busy: "486",
  failed: "OTHER",
};

export interface RegisterInput {
  readonly externalCallId: string;
  readonly employeeId: string | null;
  readonly phone: string;
  readonly type: 1 | 2;
  readonly startDate: string;
  readonly line: string | null;
}

export interface FinishInput {
  readonly employeeId: string | null;
  readonly duration: number;
  readonly statusCode: string;
}

export interface AttachInput {
  readonly recordingUrl: string;
}

export interface TaskInput {
  readonly intentId: string;
  readonly employeeId: string | null;
  readonly phone: string;
  readonly title: string;
  readonly description: string;
  readonly completed: boolean;
}

export interface UnreadableInput {
  readonly reason: string;
}

export function planBitrix24(crmRecord: CrmRecord): readonly CrmStepPlan[] {
  const { record } = crmRecord;
  if (record.type === "call.record") {
    const call = callRecordDataSchema.safeParse(record.data);
    return call.success ? planCall(call.data) : unreadable(record.id, call.error.message);
  }
  if (record.type === "crm.task.create") {
    const task = taskCreateDataSchema.safeParse(record.data);
    return task.success ? [planTask(record.id, task.data)] : unreadable(record.id, task.error.message);
  }
  return [];
}

function planCall(call: CallRecord): readonly CrmStepPlan[] {
  if (call.direction === "internal") return [];
  const client = call.direction === "inbound" ? call.from.number : call.to.number;
  if (client === null) return unreadable(call.id, `the ${call.direction} call has no client number`);
  const employeeId =
    call.owner.employeeId ?? call.legs.find((leg) => leg.employeeId !== null)?.employeeId ?? null;
  const register: RegisterInput = {
    externalCallId: call.id,
    employeeId,
    phone: client,
    type: CALL_TYPE[call.direction],
    startDate: new Date(call.startedAt).toISOString(),
    line: call.did,
  };
  const talked = call.answeredAt !== null && call.endedAt !== null ? call.endedAt - call.answeredAt : 0;
  const finish: FinishInput = {
    employeeId,
    duration: Math.max(0, Math.round(talked / 1000)),
    statusCode: STATUS_CODE[call.outcome],
  };
  const steps: CrmStepPlan[] = [
    { name: STEP.register, orderKey: client, input: { ...register } },
    { name: STEP.finish, orderKey: client, input: { ...finish } },
  ];
  if (call.recordingUrl !== null) {
    const attach: AttachInput = { recordingUrl: call.recordingUrl };
    steps.push({ name: STEP.attach, orderKey: client, input: { ...attach } });
  }
  return steps;
}

/** The task's words are Russian: they are read by the company's staff in Bitrix24. */
const TASK_TITLE: Readonly<Record<TaskCreate["purpose"], string>> = {
  "call-logged": "Звонок",
  "review-call": "Проверить звонок с клиентом",
  distribute: "Распределить пропущенный звонок",
  "call-back": "Перезвонить клиенту",
  "check-settings": "Проверить настройки добавочного и переназначить",
};

function planTask(intentId: string, task: TaskCreate): CrmStepPlan {
  const input: TaskInput = {
    intentId,
    employeeId: task.assigneeEmployeeId,
    phone: task.number,
    title: `${TASK_TITLE[task.purpose]} ${task.number}`,
    description: [task.reason, `${task.rule}`, task.recordingUrl ?? ""]
      .filter((line) => line !== "")
      .join("\n"),
    completed: task.status === "completed",
  };
  return { name: STEP.task, orderKey: task.number, input: { ...input } };
}

function unreadable(recordId: string, reason: string): readonly CrmStepPlan[] {
  const input: UnreadableInput = { reason };
  return [{ name: STEP.unreadable, orderKey: recordId, input: { ...input } }];
}

const PRIVATE_HOST =
  /^(localhost|.*\.local|.*\.lan|.*\.internal|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|169\.254\.\d+\.\d+|0\.0\.0\.0|\[.*\])$/i;

/**
 * Bitrix24 fetches a RECORD_URL itself and blocks one that "resolves to a non-public address"
 * (attachRecord's error table), so only an http(s) URL on a public name or address is handed over.
 * ALWAYS conservative: an IPv6 literal or a LAN-looking name counts as private.
 */
export function isPublicRecordingUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  return url.hostname.includes(".") && !PRIVATE_HOST.test(url.hostname);
}
