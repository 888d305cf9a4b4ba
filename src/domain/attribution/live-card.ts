import type { AssembledCall, AssembledLeg, CallDirection } from "../call/call-types.ts";
import type { Instant } from "../roster/types.ts";
import { attribute, clientNumber } from "./attribute.ts";
import { attributeLeg, isMapped, lastAnswered } from "./attribute-leg.ts";
import type { AttributionSettings, OwnershipLookup } from "./attribution-types.ts";

/** One call's card on the branch's screens, as the roster stands now. */
export interface LiveCard {
  readonly callId: string;
  readonly state: "waiting" | "answered" | "missed";
  readonly direction: CallDirection;
  readonly callerNumber: string | null;
  /** The client's number: the caller's on an inbound call, the dialled one on an outbound call. */
  readonly clientNumber: string | null;
  readonly did: string | null;
  /** The extension talking (answered), last ringing (waiting) or rung last (missed); null if none. */
  readonly extension: string | null;
  readonly ownerEmployeeId: string | null;
  /** Every screen of the branch, or only these employees' (an empty list: nobody's, R1.4). */
  readonly targets: "everyone" | readonly string[];
  /** Since when the card is in this state. */
  readonly since: Instant;
}

/**
 * The card of one call (N calls → N cards):
 * - `waiting` (R0.1): nobody talks to the client — queued, ringing, or between a transfer and the
 *   colleague's answer. An inbound call's card is on every screen and owned by nobody; an outgoing
 *   or internal call waits for its far end, and its card is the placing employee's.
 * - `answered` (R0.2, R0.3): the owner of the leg talking now (the one that answered last) sees it;
 *   an extension that maps to nobody shows it to no employee of its own (R1.4), only to the senior
 *   manager (R3.2).
 * - `missed` (R3.3): a finished inbound call nobody answered (busy and voicemail included), for the
 *   managers; an employee's own unanswered outgoing or internal call is for nobody.
 */
export function liveCard(
  call: AssembledCall,
  roster: OwnershipLookup,
  settings: AttributionSettings,
): LiveCard {
  const card = {
    callId: call.id,
    direction: call.direction,
    callerNumber: call.from.number ?? call.from.extension,
    clientNumber: clientNumber(call),
    did: call.did,
  };
  const owned = (leg: AssembledLeg) => {
    const attributed = attributeLeg(leg, call, roster, settings);
    return isMapped(attributed) ? attributed.employeeId : null;
  };
  const talking = call.finished
    ? call.outcome === "answered"
      ? lastAnswered(call.legs)
      : null
    : lastAnswered(call.legs.filter((leg) => leg.state === "answered"));
  if (talking !== null) {
    const ownerEmployeeId = owned(talking);
    const senior = settings.seniorManagerId === null ? [] : [settings.seniorManagerId];
    const targets = ownerEmployeeId === null ? senior : [ownerEmployeeId];
    return {
      ...card,
      state: "answered",
      extension: talking.extension,
      ownerEmployeeId,
      targets,
      since: talking.answeredAt ?? call.startedAt,
    };
  }
  if (call.finished) {
    const record = attribute(call, roster, settings).at(-1);
    const targets = call.direction === "inbound" ? settings.managerIds : [];
    const rungLast = record?.legs.at(-1)?.extension ?? null;
    const ownerEmployeeId = record?.owner.employeeId ?? null;
    return {
      ...card,
      state: "missed",
      extension: rungLast,
      ownerEmployeeId,
      targets,
      since: call.endedAt ?? call.startedAt,
    };
  }
  const ringing = call.legs.filter((leg) => leg.state === "ringing" && !leg.placedCall).at(-1);
  const handedOff = call.legs.map((leg) => (leg.answeredAt === null ? null : leg.endedAt));
  const since = Math.max(
    call.queuedAt ?? call.startedAt,
    ...handedOff.filter((t): t is Instant => t !== null),
  );
  const extension = ringing?.extension ?? null;
  const placer = call.legs.find((leg) => leg.placedCall);
  if (call.direction === "inbound" || placer === undefined) {
    return { ...card, state: "waiting", extension, ownerEmployeeId: null, targets: "everyone", since };
  }
  const ownerEmployeeId = owned(placer);
  const targets = ownerEmployeeId === null ? [] : [ownerEmployeeId];
  return { ...card, state: "waiting", extension, ownerEmployeeId, targets, since };
}
