import type { AssembledCall, AssembledLeg, CallOutcome, LegEnding } from "./call-types.ts";
import type { LegEndCause } from "./pbx-event.ts";

/**
 * How a leg ends, from the PBX's cause and where the leg stood. An answered leg ends `completed`
 * (`transferred` is set by the transfer event itself). A leg that never answered:
 * - `busy`, `failed` as the PBX says;
 * - `cancelled` when another handset took the call (answered-elsewhere) or the caller gave up;
 * - `missed` when it rang out (no-answer) — and for a plain `normal` clearing of a handset that
 *   never answered, since nobody can say it was cancelled: "nothing lost" counts it as missed.
 *   The placing leg is the exception: its `normal` end before an answer is the employee hanging up.
 */
export function endingFor(leg: AssembledLeg, cause: LegEndCause, answeredByAnother: boolean): LegEnding {
  if (leg.state === "answered") return "completed";
  switch (cause) {
    case "busy":
    case "failed":
      return cause;
    case "answered-elsewhere":
    case "cancelled":
      return "cancelled";
    case "no-answer":
      return "missed";
    case "normal":
      return answeredByAnother || leg.placedCall ? "cancelled" : "missed";
  }
}

type OutcomeLeg = Pick<AssembledLeg, "answeredAt" | "ending" | "placedCall">;

/**
 * The outcome of a finished call (or of one part of it, R1.3):
 * - `answered` when a leg answered (for the placing leg of an outbound call: the far end did);
 * - `voicemail` only when the caller left a message. R4.5: "voicemail without a message → missed;
 *   with a message → missed, labelled voicemail": the label is this outcome, the "missed" is what
 *   `voicemail` and `missed` share (neither was answered; both pop to the managers, R3.3);
 * - `busy` / `failed` when every leg that was rung ended so (the placing leg counts only when it
 *   is the only one, i.e. an outbound call to a busy number);
 * - `missed` otherwise, including a call that reached no handset at all.
 */
export function outcomeOf(legs: readonly OutcomeLeg[], voicemail: AssembledCall["voicemail"]): CallOutcome {
  if (legs.some((leg) => leg.answeredAt !== null)) return "answered";
  if (voicemail?.leftMessage === true) return "voicemail";
  const rung = legs.filter((leg) => !leg.placedCall);
  const counted = rung.length > 0 ? rung : legs;
  const busyOrFailed = counted.every((leg) => leg.ending === "busy" || leg.ending === "failed");
  if (counted.length > 0 && busyOrFailed) {
    return counted.some((leg) => leg.ending === "busy") ? "busy" : "failed";
  }
  return "missed";
}
