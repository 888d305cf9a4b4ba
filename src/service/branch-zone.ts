import type { BranchZone } from "../domain/rules/absence.ts";
import { wallClock, zonedInstant } from "../lib/zoned-time.ts";

/** The branch's wall clock for the rules (R4.7's days and working hours), from an IANA zone. */
export function branchZone(timeZone: string): BranchZone {
  return {
    local: (at) => {
      const w = wallClock(at, timeZone);
      return { year: w.year, month: w.month, day: w.day, minute: w.hour * 60 + w.minute };
    },
    // zonedInstant takes hours and minutes; minute 1440 is the next day's midnight (Date.UTC rolls over).
    instant: (year, month, day, minute) =>
      zonedInstant(year, month, day, Math.floor(minute / 60), minute % 60, timeZone),
  };
}
