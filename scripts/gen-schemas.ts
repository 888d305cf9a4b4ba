// `npm run schemas`: writes docs/schemas/*.schema.json, the JSON Schemas of the sync protocol for
// headquarters integrators, from the zod schemas the box and the HQ consumer validate with
// (src/contract/protocol.ts, src/contract/up-records.ts, src/contract/down-records.ts). test/docs/schemas.test.ts regenerates them in
// memory and fails when the files on disk differ, so what integrators read is what the code checks.
//
// The text goes through Biome's formatter, so the files pass `biome ci` like every other file.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import {
  clientsResyncSchema,
  commandReplySchema,
  DOWN_RECORD_SCHEMAS,
  pbxCommandSchema,
} from "../src/contract/down-records.ts";
import {
  ackSchema,
  DOWN_STREAMS,
  envelopeSchema,
  hqPresenceSchema,
  PROTOCOL_VERSION,
  presenceSchema,
  recordSchema,
} from "../src/contract/protocol.ts";
import { typedEnvelopeSchema, UP_RECORD_TYPES } from "../src/contract/up-records.ts";

const ROOT = resolve(import.meta.dir, "..");
export const SCHEMA_DIR = join(ROOT, "docs/schemas");
const BIOME = join(ROOT, "node_modules/.bin/biome");

type JsonSchema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };

const ENVELOPE_RULES =
  "Not expressible in JSON Schema, checked by both ends: seqFrom and seqTo are the first and last record's seq, and the records' seqs are consecutive (seqFrom, seqFrom + 1, … seqTo). `branch` and `stream` equal the topic's segments. Records of one (branch, stream) carry a 64-bit seq that never repeats; JSON carries it as a number below 2^53.";

/** Descriptions for the protocol's fields (the zod schemas in protocol.ts carry theirs as comments). */
const FIELD_NOTES: Record<string, Record<string, string>> = {
  envelope: {
    v: "Protocol version.",
    branch: "The sending branch's id (the `{branch}` topic segment, the MQTT username).",
    epoch: "The sender's connection counter: grows on every connect of the branch.",
    stream: "The stream (the last topic segment).",
    seqFrom: "The first record's seq.",
    seqTo: "The last record's seq.",
    historical: "true: backlog drained after an outage; false: live.",
    records: "Consecutive in seq, at most 10,000.",
  },
  record: {
    id: "Stable id of what the record is about (a call id, `fact-{seq}`): the same call sent again after a change keeps its id; upsert by it.",
    seq: "Position in the (branch, stream): 1, 2, 3 … without holes, never reused.",
    ts: "When the branch committed the record, ms since the Unix epoch.",
    type: "The record type, e.g. `roster.fact`, `call.record`: says what `data` is.",
    data: "The record's payload; its schema depends on `type`.",
  },
  ack: {
    v: "Protocol version.",
    stream: "The up stream acknowledged.",
    through: "Every record of the stream with seq <= through is committed at headquarters.",
    replay: "true: headquarters saw a gap; send again from through + 1.",
  },
  presence: {
    online: "true: the birth message; false: the Last Will, or a clean stop.",
    epoch: "The branch's connection counter: a message with a lower epoch than one already seen is stale.",
    version: "The box's software version (birth only).",
    backlog: "Records waiting for headquarters' ack, all streams (birth only).",
  },
  hqPresence: {
    online:
      "true while at least one headquarters consumer is connected; branches drain their backlog only then.",
  },
};

function describe(schema: JsonSchema, notes: Record<string, string> | undefined): JsonSchema {
  for (const [name, description] of Object.entries(notes ?? {})) {
    const property = schema.properties?.[name];
    if (property !== undefined) property.description = description;
  }
  return schema;
}

function jsonSchema(
  schema: z.ZodType,
  head: { title: string; description: string },
  notes?: Record<string, string>,
): JsonSchema {
  // io "input": what a sender must produce (a field with a default may be left out).
  const generated = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as JsonSchema;
  const { $schema, ...rest } = generated;
  return describe({ $schema, ...head, ...rest }, notes);
}

/** The streams whose record types have schemas, and those types. */
const STREAMS: readonly { direction: "up" | "down"; stream: string; types: Record<string, z.ZodType> }[] = [
  { direction: "up", stream: "roster", types: { "roster.fact": UP_RECORD_TYPES["roster.fact"].data } },
  { direction: "up", stream: "calls", types: { "call.record": UP_RECORD_TYPES["call.record"].data } },
  {
    direction: "up",
    stream: "intents",
    types: Object.fromEntries(
      Object.entries(UP_RECORD_TYPES).flatMap(([type, { stream, data }]) =>
        stream === "intents" ? [[type, data]] : [],
      ),
    ),
  },
  {
    direction: "up",
    stream: "replies",
    types: {
      "command.reply": commandReplySchema,
      "clients.resync": clientsResyncSchema,
      "pbx.command": pbxCommandSchema,
    },
  },
  ...DOWN_STREAMS.map((stream) => ({
    direction: "down" as const,
    stream,
    types: DOWN_RECORD_SCHEMAS[stream],
  })),
];

type Entry = {
  /** What generates the JSON Schema. */
  readonly zod: z.ZodType;
  /** What a message must pass: `zod`, plus the envelope's cross-field rules for envelopes. */
  readonly check: z.ZodType;
  readonly title: string;
  readonly description: string;
  readonly notes?: Record<string, string>;
  readonly envelope?: boolean;
};

function entries(): Map<string, Entry> {
  const all = new Map<string, Entry>();
  const add = (name: string, entry: Omit<Entry, "check"> & { check?: z.ZodType }) =>
    all.set(name, { check: entry.zod, ...entry });
  add("envelope.schema.json", {
    zod: envelopeSchema,
    title: `branchbox sync envelope v${PROTOCOL_VERSION}`,
    description: `Every message on branchbox/v1/{branch}/up/{stream} and branchbox/v1/{branch}/down/{stream} (except down/ack). ${ENVELOPE_RULES}`,
    notes: FIELD_NOTES.envelope,
    envelope: true,
  });
  add("record.schema.json", {
    zod: recordSchema,
    title: "branchbox sync record",
    description: "One record inside an envelope's `records`.",
    notes: FIELD_NOTES.record,
  });
  add("ack.schema.json", {
    zod: ackSchema,
    title: "branchbox cumulative ack",
    description:
      "Headquarters → branch on branchbox/v1/{branch}/down/ack, published only after the records it covers are committed. Cumulative: a later ack covers everything an earlier one did.",
    notes: FIELD_NOTES.ack,
  });
  add("presence.schema.json", {
    zod: presenceSchema,
    title: "branchbox branch presence",
    description:
      "Retained on branchbox/v1/{branch}/state: the birth message {online: true, epoch, version, backlog} on every connect, and the Last Will {online: false, epoch} of that connection.",
    notes: FIELD_NOTES.presence,
  });
  add("hq-presence.schema.json", {
    zod: hqPresenceSchema,
    title: "branchbox headquarters presence",
    description:
      "Retained on branchbox/v1/hq/state, published by headquarters' consumers (and their Last Will). An empty retained message counts as offline.",
    notes: FIELD_NOTES.hqPresence,
  });
  for (const { direction, stream, types } of STREAMS) {
    for (const [type, data] of Object.entries(types)) {
      const meta = z.globalRegistry.get(data);
      add(`${type}.schema.json`, {
        zod: data,
        title: meta?.title ?? `${type} data`,
        description:
          `The \`data\` of a record of type \`${type}\` on the ${direction} stream \`${stream}\`. ${meta?.description ?? ""}`.trim(),
      });
    }
    const typed = typedEnvelopeSchema(stream, types);
    add(`${direction}-${stream}.envelope.schema.json`, {
      zod: typed,
      check: envelopeSchema.pipe(typed),
      title: `branchbox envelope on branchbox/v1/{branch}/${direction}/${stream}`,
      description: `The envelope with each record's \`data\` checked by its \`type\` (${Object.keys(types).join(", ")}). ${ENVELOPE_RULES}`,
      notes: FIELD_NOTES.envelope,
      envelope: true,
    });
  }
  return all;
}

/** Every schema file: name → the zod schema a message of it must pass (for tests of examples). */
export function schemaZod(): Map<string, z.ZodType> {
  return new Map([...entries()].map(([name, entry]) => [name, entry.check]));
}

/** Every schema file: name → JSON Schema object. */
export function schemaObjects(): Map<string, JsonSchema> {
  const files = new Map<string, JsonSchema>();
  for (const [name, entry] of entries()) {
    const schema = jsonSchema(entry.zod, { title: entry.title, description: entry.description }, entry.notes);
    const records = schema.properties?.records as { items?: JsonSchema } | undefined;
    if (entry.envelope && records?.items !== undefined) describe(records.items, FIELD_NOTES.record);
    files.set(name, schema);
  }
  return files;
}

/** Formats like `biome format` does for a file at that path under the repo. */
function biomeFormat(name: string, text: string): string {
  const result = spawnSync(BIOME, ["format", `--stdin-file-path=docs/schemas/${name}`], {
    cwd: ROOT,
    input: text,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`biome format ${name} failed: ${result.stderr || result.error}`);
  return result.stdout;
}

/** Every schema file: name → its text exactly as it should be on disk. */
export function schemaFiles(): Map<string, string> {
  const texts = new Map<string, string>();
  for (const [name, schema] of schemaObjects())
    texts.set(name, biomeFormat(name, JSON.stringify(schema, null, 2)));
  return texts;
}

if (import.meta.main) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  const files = schemaFiles();
  for (const old of readdirSync(SCHEMA_DIR)) {
    if (old.endsWith(".schema.json") && !files.has(old)) rmSync(join(SCHEMA_DIR, old));
  }
  for (const [name, text] of files) writeFileSync(join(SCHEMA_DIR, name), text);
  console.log(`wrote ${files.size} schemas to docs/schemas/`);
}
