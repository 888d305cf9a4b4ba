import { z } from "zod";
import type { CallRecord } from "../domain/call/call-types.ts";
import { ROSTER_FACT_KINDS, type RosterFact } from "../domain/roster/types.ts";
import {
  type ClientCreate,
  type ClientReassign,
  type ClientReopen,
  type OrderCreate,
  TASK_PURPOSES,
  type TaskCreate,
  type UnsortedCreate,
} from "../domain/rules/intent-types.ts";
import { e164 } from "./down-records.ts";
import { envelopeSchema, recordSchema, type UpStream } from "./protocol.ts";

/**
 * The `data` of each up record type, as zod schemas: what headquarters receives, and the source of
 * the JSON Schemas in docs/schemas/ (scripts/gen-schemas.ts). The domain keeps its plain
 * TypeScript types; the checks at the bottom of this file stop the build when a type and its
 * schema drift apart, and test/docs/record-schemas.test.ts parses records the box really wrote.
 *
 * Instants are integers, ms since the Unix epoch (the call API's ISO strings are an HTTP-edge
 * choice; the wire carries the record as the box stores it).
 */

const instant = z.number().int().min(0);
const nullableInstant = instant.nullable();

const party = z.strictObject({
  number: z.string().nullable().meta({ description: "As the PBX shows it (E.164 when the trunk gives it)." }),
  extension: z.string().nullable().meta({ description: "The branch extension, when the party is one." }),
});

const ownerRule = z.enum(["dedicated", "desk-checkin", "unmapped"]);
const attributionRule = z.enum([...ownerRule.options, "fallback", "responsible"]).meta({
  description:
    "How the owner was decided: the roster (dedicated extension, desk check-in, unmapped = nobody), the fallback employee (R1.1) or the client's responsible (R1.2).",
});

const leg = z.strictObject({
  id: z.string(),
  extension: z.string(),
  state: z.enum(["queued", "ringing", "answered", "ended"]),
  ending: z
    .enum(["completed", "transferred", "missed", "busy", "failed", "voicemail", "cancelled"])
    .nullable(),
  ringingAt: nullableInstant.meta({
    description: "When the handset began ringing; for the placing leg, when it began calling.",
  }),
  answeredAt: nullableInstant,
  endedAt: nullableInstant,
  endCause: z.enum(["normal", "busy", "no-answer", "cancelled", "answered-elsewhere", "failed"]).nullable(),
  transferredFrom: z
    .string()
    .nullable()
    .meta({ description: "The id of the leg that transferred the call here." }),
  placedCall: z.boolean().meta({ description: "The first leg of an outbound or internal call." }),
  employeeId: z.string().nullable(),
  rule: attributionRule,
  reason: z.string().meta({ description: "Why this owner, in one English sentence." }),
  decidedAt: nullableInstant.meta({
    description: "The instant ownership was decided at: answer time, or ring time for a leg never answered.",
  }),
});

/** `call.record` on the `calls` stream: a finished call, attributed. Sent again, same id, when it changes. */
export const callRecordDataSchema = z
  .strictObject({
    id: z.string().min(1),
    source: z.string().meta({ description: 'The PBX source instance, e.g. "ami:pbx.branch.local".' }),
    direction: z.enum(["inbound", "outbound", "internal"]),
    from: party,
    to: party,
    did: z.string().nullable().meta({ description: "The company number dialled, for an inbound call." }),
    startedAt: instant,
    answeredAt: nullableInstant,
    endedAt: nullableInstant,
    outcome: z.enum(["answered", "missed", "voicemail", "busy", "failed"]),
    legs: z.array(leg),
    owner: z.strictObject({ employeeId: z.string().nullable(), rule: attributionRule, reason: z.string() }),
    pops: z
      .array(
        z.strictObject({
          employeeId: z.string(),
          reason: z.enum(["answered", "answered-unmapped", "missed"]),
          rule: z.enum(["R3.1", "R3.2", "R3.3"]),
        }),
      )
      .meta({ description: "Who got a call card on the branch's screens, and by which rule." }),
    recordingUrl: z.string().nullable(),
    partOf: z.string().nullable().meta({
      description:
        "R1.3: the id of the call this part was split off from (a transfer between mapped and unmapped).",
    }),
    recovered: z
      .strictObject({
        via: z.enum(["cel", "cdr"]).meta({
          description:
            "The PBX's record it was read from: CEL (every channel event) or CDR (one summary per call).",
        }),
        at: instant.meta({ description: "When the box read it back; the delay is at - endedAt." }),
      })
      .nullable()
      .meta({
        description:
          "Null for a call the box saw live; set for a call read back from the PBX's own records after a gap in the link (the box was down or cut off).",
      }),
  })
  .meta({
    title: "call.record data",
    description: "A finished call with its legs and owner (stream `calls`).",
  });

/** `roster.fact` on the `roster` stream: one immutable fact of the shift roster. */
export const rosterFactDataSchema = z
  .strictObject({
    seq: z
      .number()
      .int()
      .min(1)
      .meta({ description: "The branch's order of recording (the record id is `fact-{seq}`)." }),
    kind: z.enum(ROSTER_FACT_KINDS),
    employeeId: z.string(),
    deskId: z.string().nullable().meta({ description: "Set for check-in and handover." }),
    at: instant.meta({ description: "When it happened; a correction may be hours in the past." }),
    recordedAt: instant,
    source: z.enum(["kiosk", "api", "manager", "hq"]),
    actorId: z.string().nullable().meta({ description: "The manager who entered a correction." }),
  })
  .meta({
    title: "roster.fact data",
    description:
      "A fact of the shift roster (stream `roster`). Facts are never edited: a correction is a new fact.",
  });

const intentRule = z
  .enum([
    "R2.7",
    "R3.4",
    "R3.5a",
    "R3.5b",
    "R3.5c",
    "R3.6a",
    "R3.6b",
    "R3.7a",
    "R3.7b",
    "R3.8a",
    "R3.8b",
    "R3.9a",
    "R3.9b",
    "R3.10",
  ])
  .meta({ description: "The rule (docs/rules.md) that made the intent." });
const employee = z.string().min(1);

/** What every intent carries: its call, its rule, why, and the client's number. */
const intentHead = {
  callId: z
    .string()
    .min(1)
    .meta({ description: "The `call.record` (stream `calls`) this intent comes from." }),
  rule: intentRule,
  reason: z.string().min(1).meta({ description: "Why, in one English sentence naming who." }),
  number: e164.meta({ description: "The client's number, E.164: how the CRM finds the client." }),
};
const clientId = z.string().min(1).nullable().meta({
  description: "HQ's client id; null for the client created by the same call (find it by `number`).",
});
const responsible = employee.nullable().meta({
  description: "The responsible employee; null only when the senior manager is meant and none is configured.",
});

const intentMeta = (type: string, description: string) => ({
  title: `${type} data`,
  description: `${description} (stream \`intents\`; the record id \`<callId>:<n>\` is stable: dedupe by it).`,
});

/** `crm.client.create` on `intents`: a new client for a new number (R3.4, R3.7b, R3.9a, R3.10). */
export const clientCreateDataSchema = z
  .strictObject({ ...intentHead, responsibleEmployeeId: responsible })
  .meta(intentMeta("crm.client.create", "Create a client for a number the CRM does not know"));

/** `crm.order.create` on `intents`: a new order (R3.4, R3.6a/b, R3.7b, R3.9a, R3.10). */
export const orderCreateDataSchema = z
  .strictObject({
    ...intentHead,
    clientId,
    responsibleEmployeeId: responsible,
    did: z.string().nullable().meta({ description: "The company number dialled, as the PBX gave it." }),
  })
  .meta(intentMeta("crm.order.create", "Create an order for the client"));

/** `crm.task.create` on `intents`: a task on the client (R3.4–R3.9). */
export const taskCreateDataSchema = z
  .strictObject({
    ...intentHead,
    clientId,
    assigneeEmployeeId: responsible,
    status: z.enum(["completed", "open"]),
    purpose: z.enum(TASK_PURPOSES).meta({
      description:
        "call-logged: the call's own entry; review-call: the responsible checks a call someone else had with their client; distribute: the senior manager hands a missed call out; call-back: call the client back; check-settings: answered on an extension that maps to nobody.",
    }),
    recordingUrl: z
      .string()
      .nullable()
      .meta({ description: "The PBX's recording of the call or voicemail, when there is one." }),
  })
  .meta(intentMeta("crm.task.create", "Create a task for an employee about the client"));

/** `crm.client.reopen` on `intents`: R3.6a. */
export const clientReopenDataSchema = z
  .strictObject({ ...intentHead, clientId: z.string().min(1) })
  .meta(intentMeta("crm.client.reopen", "Reopen a client whose last order is closed"));

/** `crm.client.reassign` on `intents`: R3.6b. */
export const clientReassignDataSchema = z
  .strictObject({
    ...intentHead,
    clientId: z.string().min(1),
    from: employee.nullable().meta({ description: "The former responsible; null when the client had none." }),
    to: employee,
  })
  .meta(intentMeta("crm.client.reassign", "Make another employee the client's responsible"));

/** `crm.unsorted.create` on `intents`: R2.7. */
export const unsortedCreateDataSchema = z
  .strictObject({
    ...intentHead,
    did: z.string().nullable().meta({ description: "The company number dialled, as the PBX gave it." }),
    pipeline: z
      .string()
      .nullable()
      .meta({ description: "The pipeline of the dialled DID, else the default; null: the CRM's default." }),
  })
  .meta(intentMeta("crm.unsorted.create", 'Put a call from an unknown number into the CRM\'s "unsorted"'));

/** Every up record type with a schema: its stream and the schema of its `data`. */
export const UP_RECORD_TYPES = {
  "roster.fact": { stream: "roster", data: rosterFactDataSchema },
  "call.record": { stream: "calls", data: callRecordDataSchema },
  "crm.client.create": { stream: "intents", data: clientCreateDataSchema },
  "crm.order.create": { stream: "intents", data: orderCreateDataSchema },
  "crm.task.create": { stream: "intents", data: taskCreateDataSchema },
  "crm.client.reopen": { stream: "intents", data: clientReopenDataSchema },
  "crm.client.reassign": { stream: "intents", data: clientReassignDataSchema },
  "crm.unsorted.create": { stream: "intents", data: unsortedCreateDataSchema },
} as const satisfies Record<string, { stream: UpStream; data: z.ZodType }>;

/**
 * The envelope of one stream with each record's `data` checked by its `type`: a whole message in
 * one schema, for integrators. Without the envelope's cross-field rules (seqFrom, seqTo,
 * consecutive seqs): parse with `envelopeSchema` as well.
 */
export function typedEnvelopeSchema(stream: string, types: Readonly<Record<string, z.ZodType>>) {
  const variants = Object.entries(types).map(([type, data]) =>
    recordSchema.extend({ type: z.literal(type), data }),
  );
  const [first, ...rest] = variants;
  if (first === undefined) throw new Error(`no record types for stream ${stream}`);
  const record = rest.length === 0 ? first : z.discriminatedUnion("type", [first, ...rest]);
  return z.strictObject({
    ...envelopeSchema.shape,
    stream: z.literal(stream),
    records: z.array(record).min(1).max(10_000),
  });
}

// Drift guards: each line fails to compile when a domain type and its schema disagree in a field's
// presence, optionality or type (readonly aside: the wire has no readonly).
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
type Same<A, B> = [Writable<A>] extends [Writable<B>]
  ? [Writable<B>] extends [Writable<A>]
    ? true
    : false
  : false;
type Expect<T extends true> = T;
export type CallRecordSchemaMatchesType = Expect<Same<CallRecord, z.output<typeof callRecordDataSchema>>>;
export type RosterFactSchemaMatchesType = Expect<Same<RosterFact, z.output<typeof rosterFactDataSchema>>>;
export type ClientCreateSchemaMatchesType = Expect<
  Same<ClientCreate, z.output<typeof clientCreateDataSchema>>
>;
export type OrderCreateSchemaMatchesType = Expect<Same<OrderCreate, z.output<typeof orderCreateDataSchema>>>;
export type TaskCreateSchemaMatchesType = Expect<Same<TaskCreate, z.output<typeof taskCreateDataSchema>>>;
export type ClientReopenSchemaMatchesType = Expect<
  Same<ClientReopen, z.output<typeof clientReopenDataSchema>>
>;
export type ClientReassignSchemaMatchesType = Expect<
  Same<ClientReassign, z.output<typeof clientReassignDataSchema>>
>;
export type UnsortedCreateSchemaMatchesType = Expect<
  Same<UnsortedCreate, z.output<typeof unsortedCreateDataSchema>>
>;
