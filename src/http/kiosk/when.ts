import type { ShiftEnd } from "../../domain/roster/types.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatDate, formatTime, startOfYesterday } from "../ui/branch-time.ts";

/** "18:30" today, "вчера в 18:30" the day before, else the date: a time a manager can place. */
export function whenText(t: Messages, at: number, now: number, timeZone: string): string {
  const time = formatTime(at, timeZone);
  const day = formatDate(at, timeZone);
  if (day === formatDate(now, timeZone)) return time;
  if (day === formatDate(startOfYesterday(now, timeZone), timeZone)) return t.yesterdayAt(time);
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
