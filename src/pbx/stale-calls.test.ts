import { expect, test } from "bun:test";
import { staleCallEnds } from "./stale-calls.ts";

test("a call the box holds live that the PBX no longer shows ends at the resync, under its live key", () => {
  const ends = staleCallEnds("test:pbx", ["c3", "c1", "c2"], new Set(["c1"]), 42);
  expect(ends).toEqual([
    {
      source: "test:pbx",
      key: "c3:end",
      kind: "call-end",
      callId: "c3",
      legId: null,
      extension: null,
      at: 42,
    },
    {
      source: "test:pbx",
      key: "c2:end",
      kind: "call-end",
      callId: "c2",
      legId: null,
      extension: null,
      at: 42,
    },
  ]);
});

test("nothing held, or everything held still shown: nothing ends", () => {
  expect(staleCallEnds("test:pbx", [], new Set(["c1"]), 42)).toEqual([]);
  expect(staleCallEnds("test:pbx", ["c1"], new Set(["c1", "c2"]), 42)).toEqual([]);
});
