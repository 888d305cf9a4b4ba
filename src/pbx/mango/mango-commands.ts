import { type NumberRules, normaliseNumber } from "../../domain/rules/phone-number.ts";
import { integer, text } from "./mango-payload.ts";

/**
 * Mango Office's commands as the box asks headquarters to send them (issue 17, docs/contract.md
 * "Cloud PBX commands"): the path under `<api_url>commands/` and the fields as Mango names them,
 * WITHOUT `command_id` (HQ sets it to the commandId). Pure. The names are the contract's
 * MANGO_COMMANDS (src/contract/down-records.ts; src/pbx may not import the contract: the
 * composition root checks every command against its schema before it is written).
 */
export type MangoCommandName =
  | "callback"
  | "callback_group"
  | "route"
  | "transfer"
  | "call/hangup"
  | "recording/start";

export interface MangoCommandRequest {
  readonly command: MangoCommandName;
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * A number as Mango writes and takes them: the outside number in international digits without `+`
 * (`74955404444` in every example of its API document and in its events), read by the branch's
 * `[numbers]` rules (`8 (916) 123-45-67` → `79161234567`); what is no outside number (an
 * extension, a group's short number) passes unchanged.
 */
export const toMangoNumber = (to: string, rules: NumberRules | null): string =>
  ((rules === null ? null : normaliseNumber(to, rules)) ?? to).replace(/^\+/, "");

/** `commands/callback`: the employee's phone rings first, then Mango dials `to` (control-rules §3.5). */
export const callbackCommand = (fromExtension: string, to: string): MangoCommandRequest => ({
  command: "callback",
  params: { from: { extension: fromExtension }, to_number: to },
});

/** `commands/call/hangup` of one Mango leg. */
export const hangupCommand = (callId: string): MangoCommandRequest => ({
  command: "call/hangup",
  params: { call_id: callId },
});

/**
 * `commands/transfer` of a Connected leg on behalf of the employee in it (`initiator`: Mango allows
 * transfers "only on behalf of an employee"); `blind`, or `hold` (attended: the client waits).
 */
export const transferCommand = (
  callId: string,
  method: "blind" | "hold",
  to: string,
  initiator: string,
): MangoCommandRequest => ({
  command: "transfer",
  params: { call_id: callId, method, to_number: to, initiator },
});

/** `commands/route` of a leg still in IVR, a queue or ringing (Appeared): a new leg to `to`. */
export const routeCommand = (callId: string, to: string): MangoCommandRequest => ({
  command: "route",
  params: { call_id: callId, to_number: to },
});

/**
 * The box's id of an employee's leg in a Mango leg (`call_id`): the translator's, so the desk panel's
 * legs map back to Mango's `call_id` with `mangoLegOf`.
 */
export const mangoLegId = (callId: string, extension: string): string => `${callId}:${extension}`;

/** A box leg id back to Mango's `call_id` and the employee's extension; null if it is none of ours. */
export function mangoLegOf(legId: string): { readonly callId: string; readonly extension: string } | null {
  const cut = legId.lastIndexOf(":");
  if (cut <= 0 || cut === legId.length - 1) return null;
  return { callId: legId.slice(0, cut), extension: legId.slice(cut + 1) };
}

/** A `mango.result` record's data (the contract's mangoResultSchema, checked by the inbox). */
export interface MangoResultData {
  readonly commandId: string;
  readonly result: number | null;
  readonly by: "mango" | "hq";
  readonly reason: string | null;
}

export function readResult(data: unknown): MangoResultData | null {
  if (typeof data !== "object" || data === null) return null;
  const o = data as Readonly<Record<string, unknown>>;
  const commandId = text(o.commandId);
  if (commandId === null || (o.by !== "mango" && o.by !== "hq")) return null;
  return { commandId, result: integer(o.result), by: o.by, reason: text(o.reason) };
}

/**
 * Mango's result codes are read by class (control-rules §3.7: "1090 → 1000"): 10xx done. 4101 is
 * "already ended, or no such call_id".
 */
export const resultDone = (code: number): boolean => Math.floor(code / 100) === 10;
export const ALREADY_ENDED = 4101;

/** What a code's class says, for an answer's reason (control-rules §3.7). */
export function describeResult(code: number): string {
  const what =
    code >= 2000 && code < 3000
      ? "billing"
      : code >= 3000 && code < 4000
        ? "bad request"
        : code >= 4000 && code < 5000
          ? "not possible now"
          : code >= 5000 && code < 6000
            ? "Mango's server failed"
            : "unknown class";
  return `Mango answered ${code} (${what})`;
}
