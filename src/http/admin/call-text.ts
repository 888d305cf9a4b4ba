import type {
  AttributedLeg,
  AttributionRule,
  CallDirection,
  CallOutcome,
  CallRecord,
} from "../../domain/call/call-types.ts";
import type { PartyNumber } from "../../domain/call/pbx-event.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatPhone } from "../ui/phone-format.ts";

/** Words for a call record's codes, shared by the admin calls page and its CSV. */
export function directionText(direction: CallDirection, t: Messages): string {
  switch (direction) {
    case "inbound":
      return t.dirInbound;
    case "outbound":
      return t.dirOutbound;
    case "internal":
      return t.dirInternal;
  }
}

export function outcomeText(outcome: CallOutcome, t: Messages): string {
  switch (outcome) {
    case "answered":
      return t.outcomeAnswered;
    case "missed":
      return t.outcomeMissed;
    case "voicemail":
      return t.outcomeVoicemail;
    case "busy":
      return t.outcomeBusy;
    case "failed":
      return t.outcomeFailed;
  }
}

export function ruleText(rule: AttributionRule, t: Messages): string {
  switch (rule) {
    case "dedicated":
      return t.ruleDedicated;
    case "desk-checkin":
      return t.ruleDeskCheckin;
    case "unmapped":
      return t.ruleUnmapped;
    case "fallback":
      return t.ruleFallback;
    case "responsible":
      return t.ruleResponsible;
  }
}

function endingText(leg: AttributedLeg, t: Messages): string {
  switch (leg.ending) {
    case "completed":
      return t.endingCompleted;
    case "transferred":
      return t.endingTransferred;
    case "missed":
      return t.endingMissed;
    case "busy":
      return t.endingBusy;
    case "failed":
      return t.endingFailed;
    case "voicemail":
      return t.endingVoicemail;
    case "cancelled":
      return t.endingCancelled;
    case null:
      return t.endingLive;
  }
}

/** "+7 999 123-45-67", "доб. 101", or both; "—" when the PBX gave neither. */
export function partyText(party: PartyNumber, t: Messages): string {
  const number = party.number === null ? null : formatPhone(party.number);
  if (party.extension === null) return number ?? "—";
  return number === null ? t.extension(party.extension) : `${number} (${t.extension(party.extension)})`;
}

/** One line per leg: "доб. 101 Анна Смирнова — разговор". */
export function legLines(
  record: CallRecord,
  nameOf: (id: string | null) => string | null,
  t: Messages,
): string[] {
  return record.legs.map((leg) => {
    const who = nameOf(leg.employeeId);
    return `${t.extension(leg.extension)}${who === null ? "" : ` ${who}`} — ${endingText(leg, t)}`;
  });
}

/** Transfers (R1.3): which legs came by transfer, and whether this record was split off another call. */
export function transferMarks(record: CallRecord, t: Messages): string[] {
  const marks: string[] = [];
  for (const leg of record.legs) {
    if (leg.transferredFrom === null) continue;
    const from = record.legs.find((l) => l.id === leg.transferredFrom);
    marks.push(from === undefined ? t.transferMark : t.transferFrom(from.extension));
  }
  if (record.partOf !== null) marks.push(t.partOfMark(record.partOf));
  return marks;
}

/** Seconds from the answer to the end; null for a call never answered. */
export const talkSeconds = (record: CallRecord): number | null =>
  record.answeredAt === null || record.endedAt === null
    ? null
    : Math.max(0, Math.round((record.endedAt - record.answeredAt) / 1000));
