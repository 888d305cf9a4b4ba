import { expect, test } from "bun:test";
import { rateLimit } from "./rate-limit.ts";

test("requests are spaced at least 1000 / perSecond ms apart even when a timer fires late, in the order asked, and an idle limiter lets the next one straight through", async () => {
  let clock = 0;
  const slept: number[] = [];
  const sent: number[] = [];
  const limit = rateLimit(
    5,
    () => clock,
    async (ms) => {
      slept.push(ms);
      clock += ms + (slept.length === 1 ? 30 : 0); // the first timer fires 30 ms late
    },
  );
  await Promise.all(
    Array.from({ length: 4 }, async (_, i) => {
      await limit.take();
      sent.push(i);
    }),
  );
  // Each waits a full gap after the previous one was let through, the late one included.
  expect(slept).toEqual([200, 200, 200]);
  expect(clock).toBe(630);
  expect(sent).toEqual([0, 1, 2, 3]);
  clock = 10_000;
  await limit.take();
  expect(slept).toEqual([200, 200, 200]);
});

test("amoCRM's 7 a second: 15 takes on the real clock last at least two seconds' worth of gaps", async () => {
  const limit = rateLimit(7, Date.now);
  const start = performance.now();
  for (let i = 0; i < 15; i++) await limit.take();
  // 14 gaps of 1000/7 ms after the first, free, take.
  expect(performance.now() - start).toBeGreaterThanOrEqual((14 * 1000) / 7 - 5);
});
