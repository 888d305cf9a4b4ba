// The PostgreSQL store's batch plan (src/hq/store/apply-plan.ts): the port's apply rules over a
// whole batch, pure. The store suite proves the same rules through both stores; these pin what
// the few statements per batch are built from.
import { describe, expect, test } from "bun:test";
import { planApply, streamId } from "../../src/hq/store/apply-plan.ts";
import { envelope } from "./hq-fixtures.ts";

const marks = (entries: [string, string, number][]) =>
  new Map(entries.map(([branch, stream, hwm]) => [streamId(branch, stream), hwm]));

describe("planApply", () => {
  test("each envelope sees the mark the previous ones of its stream left; other streams keep theirs", () => {
    const plan = planApply(
      [
        envelope("b1", "calls", 1, 3),
        envelope("b2", "calls", 11, 12),
        envelope("b1", "calls", 2, 5),
        envelope("b1", "calls", 4, 5),
      ],
      marks([["b2", "calls", 10]]),
    );
    expect(plan.results).toEqual([
      { kind: "applied", through: 3, applied: 3, duplicates: 0 },
      { kind: "applied", through: 12, applied: 2, duplicates: 0 },
      { kind: "applied", through: 5, applied: 2, duplicates: 2 },
      { kind: "duplicate", through: 5, duplicates: 2 },
    ]);
    expect(plan.writes.map((w) => `${w.envelope.branch}:${w.record.seq}`)).toEqual([
      "b1:1",
      "b1:2",
      "b1:3",
      "b2:11",
      "b2:12",
      "b1:4",
      "b1:5",
    ]);
    expect(plan.streams).toEqual([
      { branch: "b1", stream: "calls", hwm: 5, duplicates: 4, wrote: true, lastRecordTs: 1_700_000_000_005 },
      { branch: "b2", stream: "calls", hwm: 12, duplicates: 0, wrote: true, lastRecordTs: 1_700_000_000_012 },
    ]);
    expect(plan.empty).toEqual([]);
  });

  test("a gap writes nothing and changes no stream; a stream that only had gaps and no mark is empty", () => {
    const plan = planApply(
      [envelope("b1", "calls", 5, 6), envelope("b1", "roster", 9, 9)],
      marks([["b1", "roster", 3]]),
    );
    expect(plan.results).toEqual([
      { kind: "gap", through: 0 },
      { kind: "gap", through: 3 },
    ]);
    expect(plan.writes).toEqual([]);
    expect(plan.streams).toEqual([]);
    expect(plan.empty).toEqual([{ branch: "b1", stream: "calls" }]);
  });

  test("a stream with only duplicates counts them and keeps its mark and last times", () => {
    const plan = planApply([envelope("b1", "calls", 1, 4)], marks([["b1", "calls", 7]]));
    expect(plan.results).toEqual([{ kind: "duplicate", through: 7, duplicates: 4 }]);
    expect(plan.streams).toEqual([
      { branch: "b1", stream: "calls", hwm: 7, duplicates: 4, wrote: false, lastRecordTs: null },
    ]);
  });

  test("an envelope ahead of a gap stays a gap even when a later one of the batch fills it (the applier retries it)", () => {
    const plan = planApply([envelope("b1", "calls", 4, 6), envelope("b1", "calls", 1, 3)], marks([]));
    expect(plan.results.map((r) => r.kind)).toEqual(["gap", "applied"]);
    expect(plan.empty).toEqual([]);
    expect(plan.streams.map((s) => s.hwm)).toEqual([3]);
  });
});
