import { describe, expect, test } from "bun:test";
import { backoffCeiling, createBackoff, DEFAULT_BACKOFF, jitteredDelay } from "./backoff.ts";

describe("reconnect backoff", () => {
  test("the ceiling doubles from 500 ms and stops at 30 s", () => {
    const ceilings = Array.from({ length: 10 }, (_, i) => backoffCeiling(i, DEFAULT_BACKOFF));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    expect(backoffCeiling(5000, DEFAULT_BACKOFF)).toBe(30000);
  });

  test("full jitter: the delay is random() times the ceiling, from zero up", () => {
    const draws = [0, 1, 0.5, 0.25, 0.999];
    const b = createBackoff(DEFAULT_BACKOFF, () => draws.shift() ?? 0);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([0, 1000, 1000, 1000, 7992]);
  });

  test("reset starts again from the base", () => {
    const b = createBackoff({ baseMs: 100, capMs: 1000 }, () => 1);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(100);
  });

  test("a random source out of [0, 1] cannot push the delay past the cap or below zero", () => {
    const values = [7, -3];
    const b = createBackoff({ baseMs: 100, capMs: 1000 }, () => values.shift() ?? 0);
    expect(b.next()).toBe(100);
    expect(b.next()).toBe(0);
  });
});

test("jitteredDelay: the same ceiling, spread from zero, without a counter of its own", () => {
  const options = { baseMs: 100, capMs: 1000 };
  expect(jitteredDelay(0, options, () => 0.999)).toBe(99);
  expect(jitteredDelay(3, options, () => 0.5)).toBe(400);
  expect(jitteredDelay(40, options, () => 1)).toBe(1000);
  expect(jitteredDelay(2, options, () => 0)).toBe(0);
});
