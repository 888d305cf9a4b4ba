import { z } from "zod";
import { absenceRangesSchema, forwardingSettingSchema, weeklyScheduleSchema } from "./rules-settings.ts";

/**
 * The records headquarters sends down, by stream: `record.type` names the shape of `record.data`.
 * Every record of an envelope must match, or the whole envelope is rejected (nothing of it applied).
 *
 * - `staff`:    `staff.upsert` (one employee, whole), `staff.remove`
 * - `clients`:  `clients.snapshot` (the whole directory, replaces), `clients.delta` (on top of version - 1)
 * - `settings`: `settings.update` (HQ's attribution settings, whole: a key left out falls back to the config)
 * - `commands`: `command.run` (runs at most once, never after `expiresAt`; answered on `up/replies`)
 * - `pbx`:      `mango.event` (issue 17: a Mango Office webhook HQ received for this branch, as sent),
 *               `mango.result` (how a `pbx.command` the branch sent up ended)
 * - `presence`: `staff.elsewhere` (issue 18, R0.3d: one of the branch's employees checked in at another branch)
 *
 * Up, on `replies`: `command.reply`, `clients.resync` (the box asks for a snapshot) and `pbx.command`
 * (issue 17: a command for Mango Office, which HQ sends for the branch).
 */

const employeeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

/**
 * A PHC-format Argon2id hash (what Bun.password, libsodium and the argon2 packages write). PINs
 * never travel in clear: HQ hashes them, the box verifies against the hash.
 */
export const ARGON2ID_HASH =
  /^\$argon2id\$v=19\$m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]{8,}\$[A-Za-z0-9+/]{16,}$/;

export const staffUpsertSchema = z.strictObject({
  id: employeeId,
  name: z.string().trim().min(1).max(120),
  role: z.enum(["reception", "manager", "senior_manager"]),
  extension: z
    .string()
    .regex(/^[0-9*#+]{1,16}$/)
    .nullish()
    .transform((v) => v ?? null),
  pinHash: z.string().regex(ARGON2ID_HASH, "an Argon2id hash ($argon2id$v=19$…)"),
  // Issue 16, all optional (an older HQ still validates): left out, the box keeps what it has.
  schedule: weeklyScheduleSchema.nullable().optional(),
  absences: absenceRangesSchema.optional(),
  forwarding: forwardingSettingSchema.nullable().optional(),
});

export const staffRemoveSchema = z.strictObject({ id: employeeId });

/** E.164: `+`, country code, subscriber number; 8 to 15 digits in all. */
export const e164 = z.string().regex(/^\+[1-9]\d{7,14}$/, "an E.164 number, e.g. +79161234567");

export const directoryClientSchema = z.strictObject({
  number: e164,
  clientId: z.string().min(1).max(200),
  name: z.string().max(300),
  responsibleEmployeeId: employeeId.nullish().transform((v) => v ?? null),
  openOrder: z.boolean(),
  /** R3.6: no open order and the last one closed ("a client from before"). Added in issue 16: an older HQ leaves it out. */
  lastOrderClosed: z.boolean().default(false),
});

const directoryVersion = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const clientsSnapshotSchema = z.strictObject({
  version: directoryVersion,
  clients: z.array(directoryClientSchema),
});

export const clientsDeltaSchema = z.strictObject({
  version: directoryVersion,
  upsert: z.array(directoryClientSchema).default([]),
  remove: z.array(e164).default([]),
});

export const settingsUpdateSchema = z.strictObject({
  fallbackEmployeeId: employeeId.nullable().optional(),
  seniorManagerId: employeeId.nullable().optional(),
  assignResponsibleForMissedGroupCalls: z.boolean().optional(),
  /** R3.10: when a new number's client and order are made: after the call, or as it starts (on the senior manager). */
  crmMode: z.enum(["create-after-call", "create-before-pickup"]).optional(),
  /** R2.7: a new number's inbound call makes a client and an order (retailCRM) or goes to "unsorted" (amoCRM). */
  unknownNumbers: z.enum(["create-client", "unsorted"]).optional(),
  /** R2.7: the "unsorted" pipeline per company number dialled (DID, as the PBX gives it or E.164). */
  unsortedPipelines: z.record(z.string().min(1).max(32), z.string().min(1).max(200)).optional(),
  /** R2.7: the pipeline of any other DID; null: the CRM's own default. */
  unsortedDefaultPipeline: z.string().min(1).max(200).nullable().optional(),
});

export const commandSchema = z.strictObject({
  commandId: z.string().min(1).max(200),
  /** e.g. `click-to-call`; a kind the box cannot run is answered `unsupported`. */
  kind: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
  /** ms since the epoch (the box's clock): not run at or after this instant. */
  expiresAt: z.number().int().min(0),
  args: z.record(z.string(), z.unknown()).default({}),
});

/** The Mango Office webhooks HQ terminates (`POST /mango/events/<kind>`). */
export const MANGO_WEBHOOK_KINDS = ["call", "summary", "recording", "dtmf"] as const;
export type MangoWebhookKind = (typeof MANGO_WEBHOOK_KINDS)[number];

/**
 * The webhooks, and `stats`: a call HQ found in Mango's statistics (`stats/request`) for a gap
 * in which it could have missed the webhooks, and of which it holds none. Its `json` is
 * `{entry_id, rows}`: `rows` are the entry's statistics rows as Mango gave them, each an object
 * keyed by the field names HQ asked for (src/hq/mango/mango-stats.ts), values as text.
 */
export const MANGO_EVENT_KINDS = [...MANGO_WEBHOOK_KINDS, "stats"] as const;
export type MangoEventKind = (typeof MANGO_EVENT_KINDS)[number];

/**
 * Down on `pbx` (issue 17), record id `mango:<kind>:<first 32 hex chars of sha256(json text)>`, so
 * a webhook Mango delivers twice is one record. `json` is the event's JSON object exactly as Mango
 * sent it (its fields are Mango's, numbers or strings as they came: the box reads them);
 * `receivedAt` is HQ's clock when the signed request arrived, ms.
 */
export const mangoEventSchema = z.strictObject({
  kind: z.enum(MANGO_EVENT_KINDS),
  json: z.record(z.string(), z.unknown()),
  receivedAt: z.number().int().min(0),
});

/**
 * The Mango Office commands a branch may ask headquarters to send for it (issue 17), by the path
 * under `<api_url>commands/` (and the `result/<name>` callback Mango answers with: `callback`,
 * `callback_group`, `route`, `transfer`, `hangup`, `recording`).
 */
export const MANGO_COMMANDS = [
  "callback",
  "callback_group",
  "route",
  "transfer",
  "call/hangup",
  "recording/start",
] as const;
export type MangoCommand = (typeof MANGO_COMMANDS)[number];

/**
 * Down on `pbx` (issue 17), record id `mango:result:<commandId>`: how one `pbx.command` ended
 * before the PBX's events tell the rest. `by: "mango"`: Mango's own result code, from its
 * `result/<name>` callback or the HTTP 420 `{code}` it answered the command with (1000 done; 2xxx
 * billing, 3xxx bad parameters, 4xxx not possible now, 5xxx Mango's fault: read by class).
 * `by: "hq"`: headquarters did not send it (`result` null, `reason` says why: not this branch's
 * extension, line or call; expired; Mango out of reach). One per command: the first wins.
 */
export const mangoResultSchema = z.strictObject({
  commandId: z.string().min(1).max(128),
  command: z.enum(MANGO_COMMANDS),
  result: z.number().int().nullable(),
  by: z.enum(["mango", "hq"]),
  reason: z.string().max(500).optional(),
  /** HQ's clock when the result came (or HQ decided), ms. */
  receivedAt: z.number().int().min(0),
});

const branchRef = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);

/**
 * Down on `presence` (issue 18, R0.3d), record id `elsewhere:<branch>:<employeeId>:<at>`: the
 * employee checked in (or took a desk's phone) at another branch at `at`, that branch's roster
 * instant. HQ sends it to every other branch whose roster it has seen the employee on. The box
 * closes a shift of theirs open at `at` then (`closed-elsewhere`, at `at`, audited; a shift begun
 * after `at` stays open) and shows where they are for the rest of its day, until they check in
 * there again; the routing skips them meanwhile (R4.7).
 */
export const staffElsewhereSchema = z.strictObject({
  employeeId,
  branch: branchRef,
  /** The other branch's name when HQ knows one; null: the box shows its id. */
  branchName: z.string().trim().min(1).max(120).nullable(),
  at: z.number().int().min(0),
});

export const DOWN_RECORD_SCHEMAS = {
  staff: { "staff.upsert": staffUpsertSchema, "staff.remove": staffRemoveSchema },
  clients: { "clients.snapshot": clientsSnapshotSchema, "clients.delta": clientsDeltaSchema },
  settings: { "settings.update": settingsUpdateSchema },
  commands: { "command.run": commandSchema },
  pbx: { "mango.event": mangoEventSchema, "mango.result": mangoResultSchema },
  presence: { "staff.elsewhere": staffElsewhereSchema },
} as const;

/**
 * - `done`, `failed` (with the PBX's reason), `expired` (never run: its `expiresAt` passed);
 * - `unsupported`: the box cannot run this kind (no PBX control, or an unknown kind);
 * - `refused` (issue 15): the box would not run it as asked, with a reason: the employee is not on
 *   shift, no such call or employee, a number that is not a number. Nothing was sent to the PBX.
 */
export const COMMAND_STATUSES = ["done", "failed", "expired", "unsupported", "refused"] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** Up on `replies`, record id = commandId: the one and only answer to a command. */
export const commandReplySchema = z.strictObject({
  commandId: z.string(),
  status: z.enum(COMMAND_STATUSES),
  reason: z.string().optional(),
});

/**
 * Up on `replies` (issue 17), record id = commandId: a command for a cloud PBX the box has no
 * link to (Mango Office), for headquarters to check and send. `params` are the command's fields
 * as Mango's API names them, WITHOUT `command_id` (HQ sets it to `commandId`, so the events the
 * command causes carry it). HQ sends only what names this branch's own extensions, lines and
 * calls, never at or after `expiresAt` (HQ's clock), at most once per commandId; it answers on
 * down `pbx` with a `mango.result`, and Mango's events follow on the same stream.
 */
export const pbxCommandSchema = z.strictObject({
  commandId: z.string().min(1).max(128),
  pbx: z.literal("mango"),
  command: z.enum(MANGO_COMMANDS),
  params: z.record(z.string(), z.unknown()),
  expiresAt: z.number().int().min(0),
});

/** Up on `replies`: a delta did not follow the directory's version; send a snapshot. */
export const clientsResyncSchema = z.strictObject({
  haveVersion: z.number().int(),
  gotVersion: z.number().int(),
});

export type StaffUpsert = z.infer<typeof staffUpsertSchema>;
export type DirectoryClient = z.infer<typeof directoryClientSchema>;
export type ClientsSnapshot = z.infer<typeof clientsSnapshotSchema>;
export type ClientsDelta = z.infer<typeof clientsDeltaSchema>;
export type HqSettings = z.infer<typeof settingsUpdateSchema>;
export type Command = z.infer<typeof commandSchema>;
export type CommandReply = z.infer<typeof commandReplySchema>;
export type MangoEvent = z.infer<typeof mangoEventSchema>;
export type MangoResult = z.infer<typeof mangoResultSchema>;
export type PbxCommand = z.infer<typeof pbxCommandSchema>;
export type StaffElsewhere = z.infer<typeof staffElsewhereSchema>;

export type DownRecord =
  | { type: "staff.upsert"; data: StaffUpsert }
  | { type: "staff.remove"; data: { id: string } }
  | { type: "clients.snapshot"; data: ClientsSnapshot }
  | { type: "clients.delta"; data: ClientsDelta }
  | { type: "settings.update"; data: HqSettings }
  | { type: "command.run"; data: Command }
  | { type: "mango.event"; data: MangoEvent }
  | { type: "mango.result"; data: MangoResult }
  | { type: "staff.elsewhere"; data: StaffElsewhere };
