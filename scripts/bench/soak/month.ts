import { mulberry32 } from "../lib/prng.ts";
import { copyOf, type Names, type Template } from "./corpus.ts";

/**
 * A month of a busy branch: every day `minCalls`–`maxCalls` calls (the number drawn per day),
 * starting at random instants in business hours (09:00–19:00, the box's day in UTC), each a copy
 * of a corpus capture drawn by weight (inbound queues and ring groups most, transfers and pickups
 * now and then), its frames spread over 30 s–6 min. All calls' frames merged in PBX time order,
 * so calls overlap as they would; cut into hour slices. The same seed gives the same month.
 */

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
const OPEN_H = 9;
const CLOSE_H = 19;

/** How often each capture is drawn, relative to the others (default 1). */
const WEIGHTS: Readonly<Record<string, number>> = {
  "vg-queue-answered.ami": 10,
  "vg-ringgroup-answered.ami": 8,
  "vg11-queue-answered.ami": 5,
  "vg-internal-answered.ami": 6,
  "vg11-outbound-trunk.ami": 6,
  "goami2-chansip-outbound-chanvars.ami": 6,
  "vg-queue-abandoned.ami": 4,
  "vg-forward-302.ami": 3,
  "vg-ringgroup-all-decline.ami": 2,
  "vg-internal-rejected.ami": 2,
  "vg-internal-caller-cancels.ami": 2,
  "vg-blind-xfer-to-ringgroup.ami": 2,
};

export interface MonthOptions {
  readonly seed: number;
  readonly days: number;
  readonly minCalls: number;
  readonly maxCalls: number;
  /** Midnight (epoch ms) of the first day. */
  readonly startMs: number;
}

export interface Slice {
  readonly day: number;
  /** The slice's end, PBX time: every frame in it is earlier. */
  readonly endMs: number;
  readonly frames: readonly string[];
  readonly bytes: number;
}

export interface Day {
  readonly day: number;
  readonly startMs: number;
  /** The copies of the day, by capture file. */
  readonly copies: readonly Template[];
  readonly slices: readonly Slice[];
}

export class Month {
  private readonly random: () => number;
  private readonly names: Names = { id: 0, uuid: 0, channel: 0, number: 0 };
  private readonly deck: Template[];

  constructor(
    templates: readonly Template[],
    private readonly options: MonthOptions,
  ) {
    this.random = mulberry32(options.seed);
    this.deck = templates.flatMap((t) => Array<Template>(WEIGHTS[t.file] ?? 1).fill(t));
  }

  /** Day `day` (0-based), generated when asked: a month is never held in memory whole. */
  day(day: number): Day {
    const { minCalls, maxCalls, startMs } = this.options;
    const midnight = startMs + day * DAY;
    const count = minCalls + Math.floor(this.random() * (maxCalls - minCalls + 1));
    const starts = Array.from(
      { length: count },
      () => midnight + OPEN_H * HOUR + Math.floor(this.random() * (CLOSE_H - OPEN_H) * HOUR),
    ).sort((a, b) => a - b);
    const copies: Template[] = [];
    const timed: { at: number; order: number; text: string }[] = [];
    for (const start of starts) {
      const template = this.deck[Math.floor(this.random() * this.deck.length)] as Template;
      copies.push(template);
      const span = 30_000 + this.random() * 330_000;
      const step = span / Math.max(1, template.frames.length - 1);
      for (const frame of copyOf(template, this.names, start, step))
        timed.push({ ...frame, order: timed.length });
    }
    // PBX time order; a call's own frames keep their order (equal instants: by position).
    timed.sort((a, b) => a.at - b.at || a.order - b.order);
    const slices: Slice[] = [];
    for (let hour = OPEN_H; timed.length > 0 || hour <= CLOSE_H; hour++) {
      const endMs = midnight + (hour + 1) * HOUR;
      let n = 0;
      while (n < timed.length && (timed[n]?.at ?? 0) < endMs) n++;
      const frames = timed.splice(0, n).map((f) => f.text);
      slices.push({ day, endMs, frames, bytes: frames.reduce((b, f) => b + f.length, 0) });
    }
    return { day, startMs: midnight, copies, slices };
  }
}
