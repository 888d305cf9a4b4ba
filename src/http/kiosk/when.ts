import type { ShiftEnd } from "../../domain/roster/types.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatDate, formatTime, startOfDay } from "../ui/branch-time.ts";

const HALF_DAY_MS = 43_200_000;

/** "18:30" today, "вчера в 18:30" the day before, else the date: a time a manager can place. */
export function whenText(t: Messages, at: number, now: number, timeZone: string): string {
  const time = formatTime(at, timeZone);
  const day = formatDate(at, timeZone);
  if (day === formatDate(now, timeZone)) return time;
  // Half a day before today's midnight is yesterday, whatever clock change the day had.
  if (day === formatDate(startOfDay(now, timeZone) - HALF_DAY_MS, timeZone)) return t.yesterdayAt(time);
  return `${day} ${time}`;
}

/** How a closed shift ended, in the kiosk's words. */
export function endedByText(t: Messages, endedBy: ShiftEnd | null): string {
  switch (endedBy) {
    case "auto-close":
      return t.endedByAuto;
    case "checked-in-elsewhere":
      return t.endedByElsewhere;
    case "closed-elsewhere":
      return t.endedByOtherBranch;
    default:
      return t.endedByCheckOut;
  }
}
