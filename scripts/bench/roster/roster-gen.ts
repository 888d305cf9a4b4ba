import type {
  Desk,
  Instant,
  RosterFact,
  RosterFactKind,
  StaffMember,
} from "../../../src/domain/roster/types.ts";
import { mulberry32 } from "../lib/prng.ts";

/**
 * A deterministic branch history for the benchmark: `desks` front desks, each with its own pool of
 * receptionists, two overlapping shifts a day (morning, evening) with breaks, a handover in most
 * afternoons, now and then a forgotten check-out (the 14-hour cap closes it) or a move to the next
 * desk mid-shift (closes the shift here). Same seed, same facts.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const MAX_SHIFT_MS = 14 * HOUR;
/** Monday 2022-01-03 00:00 UTC: day 0 of the generated history. */
export const EPOCH: Instant = Date.UTC(2022, 0, 3);
const POOL = 6;

export interface Branch {
  readonly desks: Desk[];
  readonly staff: StaffMember[];
}

export function branch(deskCount: number): Branch {
  const desks: Desk[] = [];
  const staff: StaffMember[] = [];
  for (let k = 0; k < deskCount; k++) {
    const id = `d${String(k).padStart(3, "0")}`;
    desks.push({ id, name: `Desk ${k + 1}`, extension: String(101 + k) });
    for (let j = 0; j < POOL; j++) {
      staff.push({
        id: `${id}-r${j}`,
        name: `Receptionist ${k + 1}.${j + 1}`,
        role: "reception",
        extension: null,
      });
    }
  }
  return { desks, staff };
}

type Draft = Omit<RosterFact, "seq">;

/** Generates day after day of facts, each day sorted by time and numbered like the store would. */
export class HistoryGenerator {
  private readonly random: () => number;
  private seq = 0;
  private day = 0;

  constructor(
    private readonly desks: readonly Desk[],
    seed: number,
  ) {
    this.random = mulberry32(seed);
  }

  nextDay(): RosterFact[] {
    const base = EPOCH + this.day++ * DAY;
    const drafts: Draft[] = [];
    this.desks.forEach((desk, k) => {
      this.deskDay(drafts, base, desk, this.desks[(k + 1) % this.desks.length] as Desk);
    });
    drafts.sort((a, b) => a.at - b.at);
    return drafts.map((d) => ({ ...d, seq: ++this.seq }));
  }

  private deskDay(out: Draft[], base: Instant, desk: Desk, nextDesk: Desk): void {
    const fact = (kind: RosterFactKind, employeeId: string, when: number, deskId: string | null = null) => {
      const at = Math.round(when);
      out.push({ kind, employeeId, deskId, at, recordedAt: at, source: "kiosk", actorId: null });
    };
    const first = this.int(POOL);
    const morning = `${desk.id}-r${first}`;
    const evening = `${desk.id}-r${(first + 1 + this.int(POOL - 1)) % POOL}`;

    const mStart = base + 8 * HOUR + this.between(-20, 20) * MINUTE;
    const eStart = base + 13 * HOUR + this.between(0, 60) * MINUTE;
    const mEnd = base + 16 * HOUR + 30 * MINUTE + this.between(-30, 30) * MINUTE;
    const eEnd = base + 21 * HOUR + this.between(-30, 30) * MINUTE;

    fact("check-in", morning, mStart, desk.id);
    fact("check-in", evening, eStart, desk.id);
    // Most afternoons the evening receptionist takes the phone before the morning one leaves.
    if (this.random() < 0.7) fact("handover", evening, eStart + this.between(5, 45) * MINUTE, desk.id);
    this.breaks(fact, morning, mStart, mEnd);
    this.breaks(fact, evening, eStart, eEnd);
    const roll = this.random();
    if (roll < 0.01) {
      // Moves to the next desk for the rest of the day: the shift here closes by itself.
      const move = mStart + this.between(60, 240) * MINUTE;
      fact("check-in", morning, move, nextDesk.id);
      fact("check-out", morning, move + this.between(60, 180) * MINUTE);
    } else if (roll > 0.02) {
      fact("check-out", morning, mEnd);
    } // else: forgotten; the 14-hour cap closes it at night.
    fact("check-out", evening, eEnd);
  }

  /** Two to four breaks of 5–30 minutes, spread over the shift, never overlapping. */
  private breaks(
    fact: (kind: RosterFactKind, employeeId: string, at: Instant) => void,
    employeeId: string,
    from: Instant,
    to: Instant,
  ): void {
    const count = 2 + this.int(3);
    const slot = (to - from) / (count + 1);
    for (let i = 1; i <= count; i++) {
      const start = from + i * slot + this.between(-20, 20) * MINUTE;
      fact("break-start", employeeId, start);
      fact("break-end", employeeId, start + this.between(5, 30) * MINUTE + this.int(MINUTE));
    }
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private between(lo: number, hi: number): number {
    return lo + this.random() * (hi - lo);
  }
}
