import { join } from "node:path";
import type { Child, Children } from "../lib/children.ts";

/**
 * The simulated fleet seen from the bench: `branches` relays split over a few processes
 * (fleet-process.ts), driven together. A command goes to every slice, each with its share.
 */

/** `s007`: the branch id of fleet member 7 (zero-padded, so ids sort as numbers do). */
export const branchId = (prefix: string, i: number) => `${prefix}${String(i).padStart(3, "0")}`;

export const FLEET_PREFIX = "s";

export interface Fleet {
  readonly pids: readonly number[];
  /** Commits `records` over the whole fleet as fast as it can; resolves when all are committed. */
  fill(records: number): Promise<void>;
  /** Commits `records` over the whole fleet at `rate` per second; resolves when all are committed. */
  live(rate: number, records: number): Promise<void>;
  /** Records each branch committed so far. */
  counts(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Splits `n` into `parts` shares that differ by at most one. */
const share = (n: number, parts: number, k: number) => Math.floor(n / parts) + (k < n % parts ? 1 : 0);

export async function startFleet(options: {
  readonly children: Children;
  readonly dir: string;
  readonly brokerUrl: string;
  readonly branches: number;
  readonly processes: number;
  readonly seed: number;
}): Promise<Fleet> {
  const parts = Math.min(options.processes, options.branches);
  const slices: Child[] = [];
  let from = 0;
  for (let k = 0; k < parts; k++) {
    const count = share(options.branches, parts, k);
    slices.push(
      options.children.spawn(
        `fleet ${k}`,
        [
          "scripts/bench/hq-scale/fleet-process.ts",
          ...["--url", options.brokerUrl, "--prefix", FLEET_PREFIX],
          ...["--from", String(from), "--count", String(count), "--seed", String(options.seed)],
        ],
        join(options.dir, `fleet-${k}.log`),
      ),
    );
    from += count;
  }
  await Promise.all(slices.map((s) => s.next((m) => m.event === "ready", 90_000)));
  const all = (command: (k: number) => string, event: string, timeoutMs: number) =>
    Promise.all(
      slices.map((s, k) => {
        s.send(command(k));
        return s.next((m) => m.event === event, timeoutMs);
      }),
    );
  return {
    pids: slices.map((s) => s.pid),
    async fill(records) {
      await all((k) => `fill ${share(records, parts, k)}`, "filled", 30 * 60_000);
    },
    async live(rate, records) {
      const slowest = (records / rate) * 1000 * 2 + 30_000;
      await all((k) => `live ${rate / parts} ${share(records, parts, k)}`, "paced", slowest);
    },
    async counts() {
      const answers = await all(() => "counts", "counts", 10_000);
      return new Map(answers.flatMap((a) => Object.entries(a.made as Record<string, number>)));
    },
    async stop() {
      await Promise.all(slices.map((s) => s.stop(10_000)));
    },
  };
}
