import type { NumberRules } from "../../domain/rules/phone-number.ts";
import type { NoAnswerPlan, RoutingSnapshot } from "../../domain/rules/routing.ts";

/**
 * The routing as keys of Asterisk's own database (AstDB), family `branchbox`, for the shipped
 * dialplan (firmware-config/asterisk/extensions_branchbox.conf) to read with `${DB(branchbox/…)}`
 * while the box is slow or away. docs/routing.md lists every key.
 */
export const ASTDB_FAMILY = "branchbox";
/** Unix seconds of the last push that left the PBX's keys equal to the box's: the dialplan's freshness check. */
export const STAMP_KEY = "stamp";

/** What the dialplan needs besides the snapshot: how to dial a phone, how numbers are written. */
export interface AstdbDialing {
  /** The channel technology of the branch's phones (`PJSIP`, `SIP`): the dialplan dials `<tech>/<ext>`. */
  readonly tech: string;
  readonly numbers: NumberRules;
}

/** A recording name Playback can take as it is; anything else plays the default notice. */
const RECORDING = /^[A-Za-z0-9_./-]{1,80}$/;

/**
 * Key (under the family) → value:
 * - `resp/<E.164 digits>` → the extension to ring first (R2.6), only for clients whose responsible rings now;
 * - `absent/<ext>` → `1` (R4.7: the owner is away; a direct call skips the ring);
 * - `fwd/<ext>` → `<timeout>|<busy|message|forward|voicemail>|<target>|<default|none|rec:NAME>` (R4.1–R4.3);
 * - `ring` (R2.6 seconds), `fallback` (R4.6 extension, absent: the PBX's own route), `tech`, and
 *   `cc`, `np`, `nd` ([numbers]: country code, national prefix, national digits) for the dialplan
 *   to turn `89161234567` into `79161234567` before it looks a caller up.
 */
export function astdbKeys(snapshot: RoutingSnapshot, dialing: AstdbDialing): Map<string, string> {
  const keys = new Map<string, string>();
  keys.set("ring", String(snapshot.settings.ringSeconds));
  if (snapshot.settings.fallback !== null) keys.set("fallback", snapshot.settings.fallback);
  keys.set("tech", dialing.tech);
  keys.set("cc", dialing.numbers.countryCode);
  if (dialing.numbers.nationalPrefix !== "") keys.set("np", dialing.numbers.nationalPrefix);
  keys.set("nd", String(dialing.numbers.nationalDigits));
  for (const [e164, extension] of snapshot.responsible) keys.set(`resp/${e164.slice(1)}`, extension);
  for (const extension of snapshot.absent) keys.set(`absent/${extension}`, "1");
  for (const plan of snapshot.noAnswer) keys.set(`fwd/${plan.extension}`, forwardValue(plan));
  return keys;
}

/** `fwd/<ext>`'s value: timeout, step, target, notice, split by `|` (the dialplan reads it with CUT). */
export function forwardValue(plan: NoAnswerPlan): string {
  const step = plan.step;
  const target = step.kind === "forward" ? step.extension : step.kind === "voicemail" ? step.mailbox : "";
  const notice =
    plan.notice.kind === "custom"
      ? RECORDING.test(plan.notice.recording)
        ? `rec:${plan.notice.recording}`
        : "default"
      : plan.notice.kind;
  return `${plan.timeoutSeconds}|${step.kind}|${target}|${notice}`;
}

/** What to send to make the PBX's keys `next` when it holds `held`: changed or new keys, and keys gone. */
export function astdbDiff(
  held: ReadonlyMap<string, string>,
  next: ReadonlyMap<string, string>,
): { put: [string, string][]; del: string[] } {
  const put: [string, string][] = [];
  for (const [key, value] of next) if (held.get(key) !== value) put.push([key, value]);
  const del: string[] = [];
  for (const key of held.keys()) if (!next.has(key)) del.push(key);
  return { put, del };
}
