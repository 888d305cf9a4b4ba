import { describe, expect, test } from "bun:test";
import { systemTimer, type Timer } from "../../src/service/timer.ts";
import { fakeTimer } from "../support/fake-timer.ts";

/** How a test lets time pass on each implementation: the fake moves its clock, the real one waits. */
interface Subject {
  readonly timer: Timer;
  pass(ms: number): Promise<void>;
}

const implementations: Record<string, () => Subject> = {
  fake: () => {
    const timer = fakeTimer();
    return { timer, pass: async (ms) => timer.advance(ms) };
  },
  system: () => ({ timer: systemTimer(), pass: (ms) => Bun.sleep(ms + 15) }),
};

/** Long enough that a loaded machine's late wake-ups do not reach it. */
const DUE_MS = 200;

for (const [name, make] of Object.entries(implementations)) {
  describe(`Timer contract: ${name}`, () => {
    test("fires once, not before its due time by now()", async () => {
      const { timer, pass } = make();
      const due = timer.now() + DUE_MS;
      const fired: number[] = [];
      timer.at(due, () => fired.push(timer.now()));
      await pass(DUE_MS / 4);
      expect(fired).toEqual([]);
      await pass(DUE_MS);
      expect(fired).toHaveLength(1);
      expect(fired[0]).toBeGreaterThanOrEqual(due);
      await pass(DUE_MS / 4);
      expect(fired).toHaveLength(1);
    });

    test("a cancelled timer never fires; cancelling again does nothing", async () => {
      const { timer, pass } = make();
      const fired: string[] = [];
      const cancel = timer.after(20, () => fired.push("cancelled"));
      timer.after(20, () => fired.push("kept"));
      cancel();
      cancel();
      await pass(40);
      expect(fired).toEqual(["kept"]);
    });

    test("a due time already past fires later, never inside the call that set it; equal due times in order", async () => {
      const { timer, pass } = make();
      const fired: string[] = [];
      timer.at(timer.now() - 1000, () => fired.push("past"));
      timer.after(0, () => fired.push("now"));
      expect(fired).toEqual([]);
      await pass(0);
      expect(fired).toEqual(["past", "now"]);
    });
  });
}

describe("the fake timer", () => {
  test("a 120 s no-answer timeout fires when the fake clock passes it, without waiting", () => {
    const timer = fakeTimer("2026-11-21T09:00:00+03:00");
    const started = performance.now();
    const forwarded: string[] = [];
    timer.after(120_000, () => forwarded.push(new Date(timer.now()).toISOString()));
    timer.advance(119_999);
    expect(forwarded).toEqual([]);
    timer.advance(1);
    expect(forwarded).toEqual(["2026-11-21T06:02:00.000Z"]);
    expect(timer.pending()).toBe(0);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("a timer set by a firing timer fires in the same advance when it comes due", () => {
    const timer = fakeTimer();
    const start = timer.now();
    const at: number[] = [];
    timer.after(60_000, () => {
      at.push(timer.now() - start);
      timer.after(60_000, () => at.push(timer.now() - start));
    });
    timer.advance(180_000);
    expect(at).toEqual([60_000, 120_000]);
    expect(timer.now() - start).toBe(180_000);
  });
});

describe("the system timer", () => {
  test("a wall clock stepped back makes a timer late, never early", async () => {
    let offset = 0;
    const timer = systemTimer(() => Date.now() - offset);
    const due = timer.now() + 50;
    let firedAt: number | null = null;
    timer.at(due, () => {
      firedAt = timer.now();
    });
    offset = 250;
    await Bun.sleep(100);
    expect(firedAt).toBeNull();
    await Bun.sleep(400);
    expect(firedAt).not.toBeNull();
    expect(firedAt as unknown as number).toBeGreaterThanOrEqual(due);
  });
});
