import { expect, test } from "bun:test";
import { startRounds } from "./rounds.ts";

/** A round that waits until the test lets it finish, or fails when told. */
function gate() {
  const opened: (() => void)[] = [];
  let started = 0;
  let fail = false;
  const round = () => {
    started++;
    return new Promise<void>((resolve, reject) =>
      opened.push(() => (fail ? reject(new Error("x")) : resolve())),
    );
  };
  return {
    round,
    started: () => started,
    finish: (failing = false) => {
      fail = failing;
      opened.shift()?.();
    },
  };
}

test("never two rounds at once: kicks during a round ask for exactly one more after it", async () => {
  const g = gate();
  const rounds = startRounds(g.round, { everyMs: 60_000, failed: () => {} });
  expect(g.started()).toBe(1);
  rounds.kick();
  rounds.kick();
  rounds.kick();
  expect(g.started()).toBe(1);
  g.finish();
  await Promise.resolve();
  await new Promise((r) => setImmediate(r));
  expect(g.started()).toBe(2);
  g.finish();
  await rounds.idle();
  expect(g.started()).toBe(2);
  await rounds.stop();
  rounds.kick();
  expect(g.started()).toBe(2);
});

test("failures are counted in a row and reset by a success; without queue a kick during a round is dropped", async () => {
  const g = gate();
  const streaks: number[] = [];
  const rounds = startRounds(g.round, {
    everyMs: 60_000,
    queue: false,
    failed: (_e, n) => void streaks.push(n),
  });
  rounds.kick();
  g.finish(true);
  await rounds.idle();
  expect(g.started()).toBe(1);
  rounds.kick();
  g.finish(true);
  await rounds.idle();
  rounds.kick();
  g.finish(false);
  await rounds.idle();
  rounds.kick();
  g.finish(true);
  await rounds.idle();
  expect(streaks).toEqual([1, 2, 1]);
  await rounds.stop();
});
