import type { CrmConfig } from "../../hq-config.ts";
import type { CrmConnector, CrmConnectorDeps, CrmOutcome, CrmStep, CrmUsers } from "../crm-port.ts";
import {
  type AttachInput,
  type FinishInput,
  isPublicRecordingUrl,
  planBitrix24,
  type RegisterInput,
  STEP,
  type TaskInput,
  type UnreadableInput,
} from "./bitrix24-plan.ts";
import { type Bitrix24Rest, createBitrix24Rest, type RestReply } from "./bitrix24-rest.ts";

/** Bitrix24 drains 2 requests per second per application (5 on Enterprise; b24restdocs limits.md); `[hq.crm] rate_per_second` overrides. */
const BITRIX24_RATE = 2;

/** The tag that finds the task an intent made, so a task.create run twice adds one task. */
export const taskTag = (intentId: string) => `branchbox-${intentId}`;

/** Bitrix24's CRM entity type → the prefix UF_CRM_TASK binds a task with (tasks.task.add). */
const CRM_PREFIX: Readonly<Record<string, string>> = { CONTACT: "C", COMPANY: "CO", LEAD: "L", DEAL: "D" };

/**
 * Bitrix24 through a local application's REST (plan: bitrix24-plan.ts). A call is three steps of one
 * record: register (its CALL_ID kept as the step's result) → finish → attachRecord.
 *
 * Creating nothing twice:
 * - register first asks voximplant.statistic.get for a finished call with the call's
 *   EXTERNAL_CALL_ID (a call HQ already delivered, sent again with a change): found, the call is
 *   not registered again, finish is skipped and only the record is attached again (it replaces).
 * - a register repeated after a crash, before finish, carries the same EXTERNAL_CALL_ID, number,
 *   type, user and line: within 30 minutes Bitrix24 returns the same CALL_ID. Later it returns a new
 *   one; the first stays an unfinished registration, which makes no activity (only finish does), and
 *   its lead, if CRM_CREATE made one, is found by the number on the second try, so none is added.
 * - finish run again after it succeeded answers "Call is not found": the statistics are asked for
 *   the CALL_ID, and a finished call there is done.
 * - a task carries the tag `branchbox-<intent id>`; tasks.task.list by that tag comes first.
 *
 * ALWAYS: an employee with no Bitrix24 user parks with CRM.UNMAPPED_EMPLOYEE; a recording behind a
 * private URL parks with CRM.RECORDING_NOT_AVAILABLE until HQ can upload its bytes (FILE_CONTENT).
 */
export function createBitrix24Connector(config: CrmConfig, deps: CrmConnectorDeps): CrmConnector {
  const rest = createBitrix24Rest(config, { tokens: deps.tokens, now: deps.now, fetch: deps.fetch ?? fetch });
  const run = (step: CrmStep): Promise<CrmOutcome> => {
    switch (step.name) {
      case STEP.register:
        return register(rest, deps.users, step.input as unknown as RegisterInput);
      case STEP.finish:
        return finish(rest, deps.users, step);
      case STEP.attach:
        return attach(rest, step);
      case STEP.task:
        return addTask(rest, deps.users, step.input as unknown as TaskInput);
      case STEP.unreadable:
        return Promise.resolve(
          parked("CRM.UNREADABLE_RECORD", (step.input as unknown as UnreadableInput).reason),
        );
      default:
        return Promise.resolve(parked("CRM.UNREADABLE_RECORD", `no Bitrix24 step is called ${step.name}`));
    }
  };
  return {
    kind: "bitrix24",
    ratePerSecond: config.rate_per_second > 0 ? config.rate_per_second : BITRIX24_RATE,
    plan: planBitrix24,
    async run(step) {
      try {
        return await run(step);
      } catch (error) {
        deps.log.error("crm step failed unexpectedly", {
          step: step.id,
          name: step.name,
          error: String(error),
        });
        return { kind: "retry", reason: `unexpected: ${(error as Error).message}` };
      }
    },
  };
}

async function register(rest: Bitrix24Rest, users: CrmUsers, input: RegisterInput): Promise<CrmOutcome> {
  const known = await finishedCall(rest, { EXTERNAL_CALL_ID: input.externalCallId });
  if (!known.ok) return known.outcome;
  if (known.callId !== null) return { kind: "done", result: { CALL_ID: known.callId, finished: true } };
  const user = userOf(users, input.employeeId);
  if (typeof user !== "number" && typeof user !== "string") return user;
  const reply = await rest.call("telephony.externalcall.register", {
    USER_ID: user,
    PHONE_NUMBER: input.phone,
    TYPE: input.type,
    CALL_START_DATE: input.startDate,
    CRM_CREATE: 1,
    SHOW: 0,
    EXTERNAL_CALL_ID: input.externalCallId,
    ...(input.line === null ? {} : { LINE_NUMBER: input.line }),
  });
  if (!reply.ok) return reply.outcome;
  const callId = (reply.result as { CALL_ID?: unknown }).CALL_ID;
  return typeof callId === "string"
    ? { kind: "done", result: { CALL_ID: callId } }
    : { kind: "retry", reason: "telephony.externalcall.register answered without a CALL_ID" };
}

async function finish(rest: Bitrix24Rest, users: CrmUsers, step: CrmStep): Promise<CrmOutcome> {
  const registered = step.earlier[STEP.register];
  const callId = registered?.CALL_ID;
  if (typeof callId !== "string") return parked("CRM.UNREADABLE_RECORD", "finish has no registered CALL_ID");
  if (registered?.finished === true) return { kind: "done", result: { CALL_ID: callId } };
  const input = step.input as unknown as FinishInput;
  const user = userOf(users, input.employeeId);
  if (typeof user !== "number" && typeof user !== "string") return user;
  const reply = await rest.call("telephony.externalcall.finish", {
    CALL_ID: callId,
    USER_ID: user,
    DURATION: input.duration,
    STATUS_CODE: input.statusCode,
  });
  if (reply.ok) return { kind: "done", result: { CALL_ID: callId } };
  if (!/call is not found/i.test(reply.description)) return reply.outcome;
  const known = await finishedCall(rest, { CALL_ID: callId });
  if (!known.ok) return known.outcome;
  return known.callId !== null ? { kind: "done", result: { CALL_ID: callId } } : reply.outcome;
}

async function attach(rest: Bitrix24Rest, step: CrmStep): Promise<CrmOutcome> {
  const callId = step.earlier[STEP.register]?.CALL_ID;
  if (typeof callId !== "string")
    return parked("CRM.UNREADABLE_RECORD", "attachRecord has no registered CALL_ID");
  const { recordingUrl } = step.input as unknown as AttachInput;
  if (!isPublicRecordingUrl(recordingUrl))
    return parked(
      "CRM.RECORDING_NOT_AVAILABLE",
      "the recording's URL is not public and Bitrix24 blocks private ones; HQ cannot upload its bytes yet",
    );
  const reply = await rest.call("telephony.externalcall.attachRecord", {
    CALL_ID: callId,
    RECORD_URL: recordingUrl,
    ...recordFileName(recordingUrl),
  });
  return reply.ok ? { kind: "done", result: { CALL_ID: callId } } : reply.outcome;
}

async function addTask(rest: Bitrix24Rest, users: CrmUsers, input: TaskInput): Promise<CrmOutcome> {
  const tag = taskTag(input.intentId);
  const found = await rest.call("tasks.task.list", { filter: { TAG: tag }, select: ["ID"] });
  if (!found.ok) return found.outcome;
  const existing = (found.result as { tasks?: { id?: unknown }[] }).tasks?.[0]?.id;
  if (existing !== undefined) return { kind: "done", result: { taskId: String(existing) } };
  const user = userOf(users, input.employeeId);
  if (typeof user !== "number" && typeof user !== "string") return user;
  const entities = await rest.call("telephony.externalCall.searchCrmEntities", { PHONE_NUMBER: input.phone });
  if (!entities.ok) return entities.outcome;
  const bind = (Array.isArray(entities.result) ? entities.result : [])
    .map((entity: { CRM_ENTITY_TYPE?: unknown; CRM_ENTITY_ID?: unknown }) => {
      const prefix = CRM_PREFIX[String(entity.CRM_ENTITY_TYPE)];
      return prefix === undefined ? null : `${prefix}_${entity.CRM_ENTITY_ID}`;
    })
    .filter((binding) => binding !== null);
  const added = await rest.call("tasks.task.add", {
    fields: {
      TITLE: input.title,
      DESCRIPTION: input.description,
      RESPONSIBLE_ID: user,
      // tasks.task.list's REAL_STATUS: 5 completed, 2 waiting.
      STATUS: input.completed ? 5 : 2,
      TAGS: [tag],
      ...(bind.length === 0 ? {} : { UF_CRM_TASK: bind.slice(0, 1) }),
    },
  });
  if (!added.ok) return added.outcome;
  const id = (added.result as { task?: { id?: unknown } }).task?.id;
  return { kind: "done", result: { taskId: String(id) } };
}

/** The CALL_ID of a finished call matching `filter` in voximplant.statistic.get, or null. */
async function finishedCall(
  rest: Bitrix24Rest,
  filter: Readonly<Record<string, string>>,
): Promise<{ ok: true; callId: string | null } | { ok: false; outcome: CrmOutcome }> {
  const reply: RestReply = await rest.call("voximplant.statistic.get", { FILTER: filter });
  if (!reply.ok) return reply;
  const rows = Array.isArray(reply.result) ? (reply.result as { CALL_ID?: unknown }[]) : [];
  const callId = rows[0]?.CALL_ID;
  return { ok: true, callId: typeof callId === "string" ? callId : null };
}

/** A Bitrix24 user id (a number when it is one, as the API documents USER_ID), or the parked outcome. */
function userOf(users: CrmUsers, employeeId: string | null): number | string | CrmOutcome {
  if (employeeId === null) return parked("CRM.UNMAPPED_EMPLOYEE", "the call or task names no employee");
  const user = users.userOf(employeeId);
  if (user === null)
    return parked("CRM.UNMAPPED_EMPLOYEE", `employee ${employeeId} has no Bitrix24 user in [[hq.crm.users]]`);
  return /^\d+$/.test(user) ? Number(user) : user;
}

/** attachRecord takes only wav and mp3; a URL that names one gives its FILENAME, else Bitrix24 takes it from the URL. */
function recordFileName(url: string): { FILENAME?: string } {
  const name = new URL(url).pathname.split("/").pop() ?? "";
  return /\.(wav|mp3)$/i.test(name) ? { FILENAME: name } : {};
}

function parked(code: string, reason: string): CrmOutcome {
  return { kind: "park", code, reason };
}
