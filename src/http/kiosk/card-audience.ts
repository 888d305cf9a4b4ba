import type { Role } from "../../domain/roster/types.ts";
import type { CallCard } from "../../service/calls-port.ts";

export const isManagerRole = (role: Role): boolean => role === "manager" || role === "senior_manager";

/** The employee is among the card's audience. A card for an empty list is for nobody (R1.4). */
export const seenBy = (card: CallCard, employeeId: string): boolean =>
  card.audience === "everyone" || card.audience.includes(employeeId);

const forSomebody = (card: CallCard) => card.audience === "everyone" || card.audience.length > 0;

/** The kiosk is every screen of the branch at once: every card for somebody, each in its area. */
export function kioskCards(cards: readonly CallCard[]): CallCard[] {
  return cards.filter(forSomebody);
}

export interface DeskHolder {
  readonly employeeId: string;
  readonly role: Role;
}

/**
 * The screen beside one desk's phone: every inbound call waiting (R0.1), and a call its holder is
 * placing; a call answered on this desk's
 * extension, or one whose card is for the employee holding the phone (R0.2, R0.3, R3.1, R3.2);
 * missed calls only when that employee is a manager (R3.3).
 */
export function deskCards(
  cards: readonly CallCard[],
  desk: { readonly extension: string },
  holder: DeskHolder | null,
): CallCard[] {
  return cards.filter((card) => onDesk(card, desk, holder));
}

function onDesk(card: CallCard, desk: { readonly extension: string }, holder: DeskHolder | null): boolean {
  if (!forSomebody(card)) return false;
  switch (card.state) {
    case "waiting":
      // An inbound call in the queue is everyone's (R0.1); a call an employee places is theirs.
      return card.audience === "everyone" || (holder !== null && seenBy(card, holder.employeeId));
    case "answered":
      return (
        card.extension === desk.extension ||
        (holder !== null && (card.ownerEmployeeId === holder.employeeId || seenBy(card, holder.employeeId)))
      );
    case "missed":
      return holder !== null && isManagerRole(holder.role) && seenBy(card, holder.employeeId);
  }
}
