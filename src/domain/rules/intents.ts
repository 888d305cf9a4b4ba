import { isMapped, lastAnswered } from "../attribution/attribute-leg.ts";
import type { AssembledCall, CallRecord } from "../call/call-types.ts";
import type {
  ClientCreate,
  ClientReassign,
  ClientReopen,
  CrmSettings,
  Intent,
  IntentFacts,
  IntentRule,
  KnownClient,
  OrderCreate,
  TaskCreate,
  TaskPurpose,
  UnsortedCreate,
} from "./intent-types.ts";

export type * from "./intent-types.ts";

/** One call's intents, or why there are none. */
export interface IntentDecision {
  readonly intents: readonly Intent[];
  /** Why there are none, in one sentence (naming the rule where one says so); null when there are. */
  readonly none: string | null;
  /** The client's number has no E.164 form: nothing was decided, and the box counts it. */
  readonly unnumbered: boolean;
}

type Draft = Intent extends infer I ? (I extends Intent ? Omit<I, "id"> : never) : never;

/** Who talked to the client last: the leg that answered last (R0.2), and whether the roster knows its employee. */
interface Answerer {
  readonly employeeId: string | null;
  readonly extension: string;
  readonly mapped: boolean;
}

interface Context {
  readonly record: CallRecord;
  readonly number: string;
  readonly client: KnownClient | null;
  readonly settings: CrmSettings;
  readonly answerer: Answerer | null;
  /** R3.10: this call's client and order were sent when it started; never twice. */
  readonly createdAtStart: boolean;
  readonly normalise: (number: string) => string | null;
}

/**
 * What the CRM must do after a finished call (the retailCRM matrix R3.4–R3.9, R3.10's responsible,
 * amoCRM's unsorted R2.7), from its record (for a call split by R1.3, its last part: who had the
 * client at the end) and HQ's directory entry of the client's number. Pure; ids are
 * `<callId>:<n>`, so deciding the same call again gives the same ids.
 *
 * ALWAYS nothing for an internal call, and nothing for a client number with no E.164 form
 * (withheld, `unknown`): never a client invented for a number nobody can dial back.
 */
export function decideIntents(
  record: CallRecord,
  facts: IntentFacts,
  createdAtStart: boolean,
): IntentDecision {
  if (record.direction === "internal") return none("an internal call concerns no client");
  const raw = record.direction === "inbound" ? record.from.number : record.to.number;
  const number = raw === null ? null : facts.normalise(raw);
  if (number === null)
    return { ...none(`the client's number (${raw ?? "none"}) has no E.164 form`), unnumbered: true };
  const last = lastAnswered(record.legs);
  const ctx: Context = {
    record,
    number,
    client: facts.client(number),
    settings: facts.settings,
    answerer:
      last === null
        ? null
        : { employeeId: last.employeeId, extension: last.extension, mapped: isMapped(last) },
    createdAtStart,
    normalise: facts.normalise,
  };
  const drafts = record.direction === "outbound" ? outbound(ctx) : inbound(ctx);
  if (typeof drafts === "string") return none(drafts);
  return { intents: numbered(`${record.id}:`, drafts), none: null, unnumbered: false };
}

/**
 * R3.10 "create before pickup": as an inbound call from a new number starts, its client and order,
 * always on the senior manager. Nothing in any other mode, for a known number, or with "unsorted"
 * (amoCRM makes the contact itself, R2.7). Ids are `<callId>:start:<n>`.
 */
export function decideStartIntents(
  call: Pick<AssembledCall, "id" | "direction" | "from" | "did">,
  facts: IntentFacts,
): Intent[] {
  const { settings } = facts;
  if (settings.mode !== "create-before-pickup" || settings.unknownNumbers !== "create-client") return [];
  if (call.direction !== "inbound" || call.from.number === null) return [];
  const number = facts.normalise(call.from.number);
  if (number === null || facts.client(number) !== null) return [];
  const senior = settings.seniorManagerId;
  const reason = `a call from a new number started in "create before pickup" mode: on ${seniorName(settings)}`;
  const head = { callId: call.id, rule: "R3.10" as const, reason, number };
  return numbered(`${call.id}:start:`, [
    clientCreate({ ...head, responsibleEmployeeId: senior }),
    orderCreate({ ...head, clientId: null, responsibleEmployeeId: senior, did: call.did }),
  ]);
}

function inbound(ctx: Context): Draft[] | string {
  const { client, record } = ctx;
  if (client === null) return newNumber(ctx);
  if (record.outcome === "answered") return knownAnswered(ctx, client);
  const senior = ctx.settings.seniorManagerId;
  if (record.outcome === "voicemail") {
    const to = client.responsibleEmployeeId ?? senior;
    const whom = client.responsibleEmployeeId === null ? seniorName(ctx.settings) : to;
    return [task(ctx, "R3.9b", `the client left a voicemail: ${whom} calls back`, to, "open", "call-back")];
  }
  return [
    task(
      ctx,
      "R3.7a",
      `nobody answered the client (${record.outcome}): ${seniorName(ctx.settings)} hands the call out`,
      senior,
      "open",
      "distribute",
    ),
  ];
}

/** R3.4, R3.7b, R3.9a; R2.7 in "unsorted" mode; R3.10 names who the client and order are on. */
function newNumber(ctx: Context): Draft[] {
  const { record, settings, answerer } = ctx;
  if (settings.unknownNumbers === "unsorted") {
    const pipeline = pipelineFor(record.did, settings, ctx.normalise);
    const reason = `a call from a number the CRM does not know goes to "unsorted", pipeline ${pipeline ?? "(the CRM's default)"} for the number dialled ${record.did ?? "(unknown)"}`;
    return [unsorted({ ...head(ctx, "R2.7", reason), did: record.did, pipeline })];
  }
  const senior = settings.seniorManagerId;
  const onSenior = seniorName(settings);
  const answered = record.outcome === "answered";
  const cell: IntentRule = answered ? "R3.4" : record.outcome === "voicemail" ? "R3.9a" : "R3.7b";
  const drafts: Draft[] = [];
  if (!ctx.createdAtStart) {
    const { rule, owner, why } = newClientOwner(ctx, cell);
    const reason = `a call from a new number: a new client and order, ${why}`;
    drafts.push(
      clientCreate({ ...head(ctx, rule, reason), responsibleEmployeeId: owner }),
      orderCreate({
        ...head(ctx, rule, reason),
        clientId: null,
        responsibleEmployeeId: owner,
        did: record.did,
      }),
    );
  }
  if (answered && answerer?.mapped)
    drafts.push(
      task(
        ctx,
        "R3.4",
        `${answerer.employeeId} answered the new client`,
        answerer.employeeId,
        "completed",
        "call-logged",
      ),
    );
  else if (answered) drafts.push(checkSettings(ctx));
  else if (record.outcome === "voicemail")
    drafts.push(
      task(
        ctx,
        "R3.9a",
        `a new number left a voicemail: ${onSenior} calls back`,
        senior,
        "open",
        "call-back",
      ),
    );
  else
    drafts.push(
      task(
        ctx,
        "R3.7b",
        `nobody answered a new number (${record.outcome}): ${onSenior} hands it out`,
        senior,
        "open",
        "distribute",
      ),
    );
  return drafts;
}

/** Whom a new number's client and order are on, and why: R3.10's senior manager, else the answerer the roster knows, else the senior manager. */
function newClientOwner(
  ctx: Context,
  cell: IntentRule,
): { rule: IntentRule; owner: string | null; why: string } {
  const { settings, answerer, record } = ctx;
  const onSenior = `on ${seniorName(settings)}`;
  if (settings.mode === "create-before-pickup")
    return {
      rule: "R3.10",
      owner: settings.seniorManagerId,
      why: `"create before pickup" mode: ${onSenior}`,
    };
  if (record.outcome !== "answered")
    return {
      rule: cell,
      owner: settings.seniorManagerId,
      why: `nobody answered (${record.outcome}): ${onSenior}`,
    };
  if (answerer?.mapped)
    return { rule: cell, owner: answerer.employeeId, why: `${answerer.employeeId} answered` };
  const why = `answered on ${answerer?.extension ?? "(no extension)"}, which maps to nobody: ${onSenior}`;
  return { rule: cell, owner: settings.seniorManagerId, why };
}

const seniorName = (settings: CrmSettings) =>
  `the senior manager ${settings.seniorManagerId ?? "(none configured)"}`;

/** R3.5a–c, R3.6a–b: an inbound call answered, from a client HQ knows. */
function knownAnswered(ctx: Context, client: KnownClient): Draft[] {
  const answerer = ctx.answerer;
  if (answerer === null || !answerer.mapped || answerer.employeeId === null) return [checkSettings(ctx)];
  const by = answerer.employeeId;
  const responsible = client.responsibleEmployeeId;
  const logged = (rule: IntentRule, reason: string) =>
    task(ctx, rule, reason, by, "completed", "call-logged");
  if (!client.openOrder && client.lastOrderClosed) {
    const order = (rule: IntentRule) =>
      orderCreate({
        ...head(ctx, rule, `the client's last order is closed: a new order on ${by}, who answered`),
        clientId: client.clientId,
        responsibleEmployeeId: by,
        did: ctx.record.did,
      });
    if (by === responsible) {
      const reopen = `${by}, the client's responsible, answered a client whose last order is closed: the client is reopened`;
      return [
        clientReopen({ ...head(ctx, "R3.6a", reopen), clientId: client.clientId }),
        logged("R3.6a", `${by}, the client's responsible, answered`),
        order("R3.6a"),
      ];
    }
    const drafts: Draft[] = [
      logged("R3.6b", `${by} answered a client whose last order is closed`),
      clientReassign({
        ...head(
          ctx,
          "R3.6b",
          `${by} answered a client whose last order is closed and becomes the responsible`,
        ),
        clientId: client.clientId,
        from: responsible,
        to: by,
      }),
    ];
    if (responsible !== null)
      drafts.push(
        task(
          ctx,
          "R3.6b",
          `${by} took over ${responsible}'s former client: ${responsible} gets a task about the client`,
          responsible,
          "open",
          "review-call",
        ),
      );
    drafts.push(order("R3.6b"));
    return drafts;
  }
  if (by === responsible) return [logged("R3.5a", `${by}, the client's responsible, answered`)];
  return [
    logged(
      "R3.5b",
      `${by} answered ${responsible === null ? "a client with no responsible" : `${responsible}'s client`}`,
    ),
    ...reviewBy(ctx, responsible, "R3.5b", `${by} answered`),
  ];
}

/** R3.8a–c: an outgoing call the far end answered. Unanswered ones make nothing: the matrix has no cell for them. */
function outbound(ctx: Context): Draft[] | string {
  const { client, answerer, record } = ctx;
  if (record.outcome !== "answered")
    return `an outgoing call nobody answered (${record.outcome}) makes no task`;
  if (client === null) return "R3.8c: an outgoing call to a number the CRM does not have makes no task";
  if (answerer === null || !answerer.mapped || answerer.employeeId === null) return [checkSettings(ctx)];
  const by = answerer.employeeId;
  const responsible = client.responsibleEmployeeId;
  if (by === responsible)
    return [
      task(
        ctx,
        "R3.8a",
        `${by}, the client's responsible, called the client`,
        by,
        "completed",
        "call-logged",
      ),
    ];
  return [
    task(
      ctx,
      "R3.8b",
      `${by} called ${responsible === null ? "a client with no responsible" : `${responsible}'s client`}`,
      by,
      "completed",
      "call-logged",
    ),
    ...reviewBy(ctx, responsible, "R3.8b", `${by} called`),
  ];
}

/** The open review task for the client's responsible after someone else talked to the client; none without one. */
function reviewBy(ctx: Context, responsible: string | null, rule: IntentRule, who: string): Draft[] {
  if (responsible === null) return [];
  return [
    task(
      ctx,
      rule,
      `${who} ${responsible}'s client: ${responsible} reviews the call`,
      responsible,
      "open",
      "review-call",
    ),
  ];
}

/** R3.5c: answered on an extension that maps to nobody; the senior manager checks the settings and reassigns. */
function checkSettings(ctx: Context): Draft {
  const senior = ctx.settings.seniorManagerId;
  const ext = ctx.answerer?.extension ?? "(none)";
  const reason = `the call was taken on extension ${ext}, which maps to nobody: ${seniorName(ctx.settings)} checks the settings and reassigns it`;
  return task(ctx, "R3.5c", reason, senior, "open", "check-settings");
}

/** R2.7: the pipeline of the dialled DID (compared in E.164 where both have one), else the default. */
export function pipelineFor(
  did: string | null,
  settings: Pick<CrmSettings, "unsortedPipelines" | "defaultPipeline">,
  normalise: (number: string) => string | null,
): string | null {
  if (did === null) return settings.defaultPipeline;
  const key = (n: string) => normalise(n) ?? n.replace(/[\s().-]/g, "");
  const want = key(did);
  for (const [tableDid, pipeline] of Object.entries(settings.unsortedPipelines))
    if (key(tableDid) === want) return pipeline;
  return settings.defaultPipeline;
}

function task(
  ctx: Context,
  rule: IntentRule,
  reason: string,
  assigneeEmployeeId: string | null,
  status: TaskCreate["status"],
  purpose: TaskPurpose,
): Draft {
  return {
    type: "crm.task.create",
    data: {
      ...head(ctx, rule, reason),
      clientId: ctx.client?.clientId ?? null,
      assigneeEmployeeId,
      status,
      purpose,
      recordingUrl: ctx.record.recordingUrl,
    },
  };
}

const head = (ctx: Context, rule: IntentRule, reason: string) => ({
  callId: ctx.record.id,
  rule,
  reason,
  number: ctx.number,
});

const clientCreate = (data: ClientCreate): Draft => ({ type: "crm.client.create", data });
const orderCreate = (data: OrderCreate): Draft => ({ type: "crm.order.create", data });
const clientReopen = (data: ClientReopen): Draft => ({ type: "crm.client.reopen", data });
const clientReassign = (data: ClientReassign): Draft => ({ type: "crm.client.reassign", data });
const unsorted = (data: UnsortedCreate): Draft => ({ type: "crm.unsorted.create", data });

const numbered = (prefix: string, drafts: readonly Draft[]): Intent[] =>
  drafts.map((draft, i) => ({ id: `${prefix}${i + 1}`, ...draft }) as Intent);

const none = (why: string): IntentDecision => ({ intents: [], none: why, unnumbered: false });
