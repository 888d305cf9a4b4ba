import type { CallCard } from "../../service/calls-port.ts";

/** What the desk panel may do with one card (issue 15, R2.2–R2.4). */
export interface DeskCallActions {
  readonly hangup: boolean;
  readonly transfer: boolean;
}

/**
 * The calls of the desk's own phone: a call answered on its extension may be hung up or
 * transferred; a client's call ringing at it may be declined (it goes on along the PBX's routing,
 * R2.2) or sent on to a colleague without answering (a Redirect, R2.3); a call it is placing
 * (still dialling) may be hung up. A call in the queue is answered on the phone, and every other
 * card (another desk's, a manager's missed call) is offered nothing: the box refuses it
 * COMMAND.NOT_YOUR_CALL, as the command service would.
 */
export function deskCallActions(card: CallCard, deskExtension: string): DeskCallActions | null {
  if (card.extension !== deskExtension) return null;
  if (card.state === "answered") return { hangup: true, transfer: true };
  if (card.state === "waiting" && card.direction !== "inbound") return { hangup: true, transfer: false };
  if (card.state === "waiting") return { hangup: true, transfer: true };
  return null;
}
