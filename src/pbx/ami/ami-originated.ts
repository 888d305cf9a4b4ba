import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { AmiCallEvents } from "./ami-call-events.ts";
import type { ChannelState, OriginatedCall } from "./ami-channels.ts";
import { type AmiFrame, field, parseChannelName } from "./ami-fields.ts";

/**
 * Originated calls (click-to-call, R2.1: "the PBX first rings the employee's own phone; when the
 * employee answers, the client is dialled; duration counts from the client's answer"), as the
 * translator sees them:
 *
 *   Local/<x>@<ctx>;1 (no requestor: the call)  ──►  …;2 ─► (Local chain) ─► the employee's handset
 *        │ once the employee answered
 *        └──► the client: a trunk (outbound), a Local to it, or a branch handset (internal)
 *
 * The first handset the call dials is the employee's: the call's placing leg (an outbound or
 * internal call from them), never a rung leg, so never a missed inbound call. It rings from the
 * call's start; it is `answered` when the client answers (what the employee's own pick-up starts
 * is the dialling, not the talk); a busy or failing client ends it so. See AmiCallEvents for the
 * start itself (`originate`, `placedBy`, `dialsOut`).
 */

const originatedOf = (calls: AmiCallEvents, channel: ChannelState): OriginatedCall | null =>
  calls.table.call(channel.callId)?.originated ?? null;

/** The employee took their own call: the dials from now on are to the client. */
const employeeAnswered = (originated: OriginatedCall): boolean => originated.placer?.state === 6;

/** A DialBegin in an originated call: the employee's handset rung first, or the client dialled. */
export function originatedDial(calls: AmiCallEvents, dest: ChannelState, frame: AmiFrame): PbxEvent[] {
  const originated = originatedOf(calls, dest);
  if (originated === null || dest === originated.placer) return [];
  if (originated.placer === null) return dest.kind === "handset" ? calls.placedBy(dest) : [];
  if (!employeeAnswered(originated)) return [];
  return calls.dialsOut(dest.callId, clientNumber(dest, frame));
}

/**
 * What the dial toward the client names: a Local channel's extension (`Local/+3126…@world;1`), a
 * handset's extension, else the number the trunk channel was given (`DestExten`, or the caller's
 * `Exten` when a macro left `s`).
 */
function clientNumber(dest: ChannelState, frame: AmiFrame): string | null {
  if (dest.kind === "local") return parseChannelName(dest.name)?.endpoint.split("@")[0] ?? null;
  if (dest.kind === "handset") return dest.extension;
  const exten = [field(frame, "DestExten"), field(frame, "Exten")].find((e) => e !== null && e !== "s");
  return exten ?? null;
}

/**
 * A dial toward the client ended: ANSWER → the employee's leg is talking now (the call's answer,
 * R2.1); a busy or failing client ends the employee's leg so, as a handset's own outbound call to
 * a busy number would. A client that does not answer leaves the employee's leg to end as a placed
 * call nobody answered (cancelled).
 */
export function clientDialEnded(
  calls: AmiCallEvents,
  dest: ChannelState,
  status: string,
  at: Instant,
): PbxEvent[] {
  const originated = originatedOf(calls, dest);
  const placer = originated?.placer;
  if (originated == null || placer == null || dest === placer || dest.kind === "local") return [];
  if (!employeeAnswered(originated)) return [];
  if (status === "ANSWER") return calls.answered(placer, at);
  if (status === "BUSY" || status === "CONGESTION" || status === "CHANUNAVAIL") placer.dialStatus = status;
  return [];
}
