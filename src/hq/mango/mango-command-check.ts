import { z } from "zod";
import { type MangoCommand, type PbxCommand, pbxCommandSchema } from "../../contract/down-records.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import type { MangoConfig } from "../hq-config.ts";
import type { MangoLeg } from "../store/mango-command-store-port.ts";

export type MangoCommandRefusal = "MANGO.COMMAND_INVALID" | "MANGO.COMMAND_EXPIRED" | "MANGO.COMMAND_NOT_OWN";

export type MangoCommandCheck =
  | { readonly ok: true; readonly command: PbxCommand }
  /** Refused, answerable: a `mango.result` `{by: "hq"}` with `code: reason` goes to the branch. */
  | {
      readonly ok: false;
      readonly code: MangoCommandRefusal;
      readonly reason: string;
      readonly commandId: string;
      readonly command: MangoCommand;
    }
  /** Not even a commandId and a known command to answer with: logged and counted only. */
  | {
      readonly ok: false;
      readonly code: "MANGO.COMMAND_INVALID";
      readonly reason: string;
      readonly commandId: null;
    };

/** Mango takes numbers as strings or numbers alike (control-rules §3.1). */
const party = z.union([z.string().min(1).max(128), z.number().int().nonnegative()]);
const sipHeaders = z.record(z.string().max(64), z.string().max(256));

/**
 * The fields each command may carry, as Mango's VPBX API names them (control-rules §3.5), without
 * `command_id` (HQ sets it). Strict: a field Mango's document does not list is refused, so nothing
 * the check did not read reaches Mango.
 */
const PARAMS = {
  callback: z.strictObject({
    from: z.strictObject({ extension: party, number: party.optional() }),
    to_number: party,
    line_number: party.optional(),
    sip_headers: sipHeaders.optional(),
  }),
  callback_group: z.strictObject({ from: party, to: party, line_number: party }),
  route: z.strictObject({
    call_id: z.string().min(1).max(128),
    to_number: party,
    sip_headers: sipHeaders.optional(),
  }),
  transfer: z.strictObject({
    call_id: z.string().min(1).max(128),
    method: z.enum(["blind", "hold"]),
    to_number: party,
    initiator: party,
  }),
  "call/hangup": z.strictObject({ call_id: z.string().min(1).max(128) }),
  "recording/start": z.strictObject({ call_id: z.string().min(1).max(128), call_party_number: party }),
} satisfies Record<MangoCommand, z.ZodType>;

/** The `call_id` a command's params name, if any (the commander looks its leg up before the check). */
export function callIdOf(data: unknown): string | null {
  const params = (data as { params?: { call_id?: unknown } } | null)?.params;
  return typeof params?.call_id === "string" ? params.call_id : null;
}

/**
 * Whether HQ may send `data`, a `pbx.command` record of `branch` (id `recordId`), to Mango at
 * `now` (HQ's clock). ALWAYS refuses, in this order: a record that is not a pbx.command or whose
 * id is not its commandId; `expiresAt` at or before `now`; params that are not the command's own
 * fields; and anything that is not the branch's own — `from.extension` and a group command's
 * short number in its `extensions`, `line_number` in its `lines`, `call_id` a leg HQ relayed to
 * THIS branch (`leg`, looked up by the caller), `initiator` and `call_party_number` its extension
 * or a party of that leg, and never another branch's extension as `to_number`, `to`, `from`,
 * `initiator` or `call_party_number`. Mango itself scopes nothing (§3.1): this is the only check.
 */
export function checkMangoCommand(input: {
  readonly branch: string;
  readonly recordId: string;
  readonly data: unknown;
  readonly now: number;
  readonly branches: MangoConfig["branches"];
  readonly leg: MangoLeg | null;
}): MangoCommandCheck {
  const parsed = pbxCommandSchema.safeParse(input.data);
  if (!parsed.success) {
    const loose = input.data as { commandId?: unknown; command?: unknown } | null;
    const known = pbxCommandSchema.shape.command.safeParse(loose?.command);
    const reason = describeIssues(parsed.error.issues, "pbx.command");
    return typeof loose?.commandId === "string" && loose.commandId === input.recordId && known.success
      ? refuse("MANGO.COMMAND_INVALID", reason, loose.commandId, known.data)
      : { ok: false, code: "MANGO.COMMAND_INVALID", reason, commandId: null };
  }
  const command = parsed.data;
  const no = (code: MangoCommandRefusal, reason: string) =>
    refuse(code, reason, command.commandId, command.command);
  if (command.commandId !== input.recordId)
    return {
      ok: false,
      code: "MANGO.COMMAND_INVALID",
      reason: `record id ${input.recordId} is not its commandId`,
      commandId: null,
    };
  if (command.expiresAt <= input.now)
    return no("MANGO.COMMAND_EXPIRED", `expired ${input.now - command.expiresAt} ms before HQ could send it`);
  const params = PARAMS[command.command].safeParse(command.params);
  if (!params.success) return no("MANGO.COMMAND_INVALID", describeIssues(params.error.issues, "params"));
  const problem = notOwn(command.command, params.data as Record<string, unknown>, input);
  return problem === null ? { ok: true, command } : no("MANGO.COMMAND_NOT_OWN", problem);
}

function refuse(
  code: MangoCommandRefusal,
  reason: string,
  commandId: string,
  command: MangoCommand,
): MangoCommandCheck {
  return { ok: false, code, reason: reason.slice(0, 400), commandId, command };
}

/** The first field that names what is not `branch`'s own, as a sentence; null: all its own. */
function notOwn(
  command: MangoCommand,
  params: Record<string, unknown>,
  input: { branch: string; branches: MangoConfig["branches"]; leg: MangoLeg | null },
): string | null {
  const own = input.branches.find((b) => b.branch === input.branch);
  if (own === undefined) return `branch ${input.branch} has no [[hq.mango.branches]] entry`;
  const text = (value: unknown) => (value === undefined ? undefined : String(value));
  const otherBranch = (value: string) =>
    input.branches.find((b) => b.branch !== own.branch && b.extensions.includes(value))?.branch;
  const isOwnExtension = (value: string) => own.extensions.includes(value);
  const ofLeg = (value: string) => input.leg?.parties.includes(value) === true;

  const checks: [field: string, value: string | undefined, rule: "extension" | "line" | "party" | "any"][] =
    [];
  const from = params.from as Record<string, unknown> | string | number | undefined;
  if (command === "callback") {
    checks.push(["from.extension", text((from as Record<string, unknown>).extension), "extension"]);
    checks.push(["line_number", text(params.line_number), "line"]);
  }
  if (command === "callback_group") {
    checks.push(["line_number", text(params.line_number), "line"]);
    checks.push(["from", text(from), "any"], ["to", text(params.to), "any"]);
    if (!isOwnExtension(String(from)) && !isOwnExtension(String(params.to)))
      return `neither from ${String(from)} nor to ${String(params.to)} is an extension of branch ${own.branch}`;
  }
  checks.push(["to_number", text(params.to_number), "any"]);
  checks.push(["initiator", text(params.initiator), "party"]);
  checks.push(["call_party_number", text(params.call_party_number), "party"]);

  const callId = text(params.call_id);
  if (callId !== undefined && input.leg?.branch !== own.branch)
    return input.leg === null
      ? `call_id ${callId} is no call HQ has seen`
      : `call_id ${callId} is not a call of branch ${own.branch}`;
  for (const [field, value, rule] of checks) {
    if (value === undefined) continue;
    const other = otherBranch(value);
    if (other !== undefined) return `${field} ${value} is an extension of branch ${other}`;
    if (rule === "extension" && !isOwnExtension(value))
      return `${field} ${value} is not an extension of branch ${own.branch}`;
    if (rule === "line" && !own.lines.includes(value))
      return `${field} ${value} is not a line of branch ${own.branch}`;
    if (rule === "party" && !isOwnExtension(value) && !ofLeg(value))
      return `${field} ${value} is neither an extension of branch ${own.branch} nor a party of call ${callId}`;
  }
  return null;
}
