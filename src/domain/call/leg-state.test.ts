import { describe, expect, test } from "bun:test";
import { sec } from "../../../test/fixtures/domain/call-fixtures.ts";
import type { AssembledLeg, LegState } from "./call-types.ts";
import { type LegMove, legTransition, newLeg } from "./leg-state.ts";

type Target = Exclude<LegState, "queued">;

const moveTo = (to: Target, t = sec(1)): LegMove =>
  to === "ended" ? { to, at: t, ending: "missed", cause: "no-answer" } : { to, at: t };

/** A leg brought to `state` through legal moves. */
function legIn(state: LegState): AssembledLeg {
  const leg = newLeg("L1", "101", false);
  const path: Record<LegState, Target[]> = {
    queued: [],
    ringing: ["ringing"],
    answered: ["ringing", "answered"],
    ended: ["ringing", "ended"],
  };
  for (const step of path[state]) expect(legTransition(leg, moveTo(step))).toBeNull();
  return leg;
}

describe("the leg state machine: one guard, coded errors", () => {
  const legal: [LegState, Target][] = [
    ["queued", "ringing"],
    ["queued", "answered"],
    ["queued", "ended"],
    ["ringing", "answered"],
    ["ringing", "ended"],
  ];
  for (const [from, to] of legal) {
    test(`a leg moves ${from} → ${to} and records when`, () => {
      const leg = legIn(from);
      expect(legTransition(leg, moveTo(to, sec(7)))).toBeNull();
      expect(leg.state).toBe(to);
      const stamp = { ringing: leg.ringingAt, answered: leg.answeredAt, ended: leg.endedAt, queued: null }[
        to
      ];
      expect(stamp).toBe(sec(7));
    });
  }

  test("an answered leg ends completed, with its cause", () => {
    const leg = legIn("answered");
    expect(legTransition(leg, { to: "ended", at: sec(9), ending: "completed", cause: "normal" })).toBeNull();
    expect(leg).toMatchObject({ state: "ended", ending: "completed", endCause: "normal", endedAt: sec(9) });
  });

  const illegal: [LegState, Target][] = [
    ["ringing", "ringing"],
    ["answered", "ringing"],
    ["answered", "answered"],
    ["ended", "ringing"],
    ["ended", "answered"],
    ["ended", "ended"],
  ];
  for (const [from, to] of illegal) {
    test(`${from} → ${to} is refused with CALL.ILLEGAL_TRANSITION and changes nothing`, () => {
      const leg = legIn(from);
      const before = { ...leg };
      const error = legTransition(leg, moveTo(to, sec(30)));
      expect(error?.code).toBe("CALL.ILLEGAL_TRANSITION");
      expect(error?.message).toContain(`${from}`);
      expect(leg).toEqual(before);
    });
  }

  test("only an answered leg may end completed or transferred, and it may end no other way", () => {
    for (const ending of ["completed", "transferred"] as const) {
      const ringing = legIn("ringing");
      const refused = legTransition(ringing, { to: "ended", at: sec(5), ending, cause: "normal" });
      expect(refused?.code).toBe("CALL.ILLEGAL_TRANSITION");
      expect(ringing.state).toBe("ringing");
    }
    for (const ending of ["missed", "busy", "failed", "voicemail", "cancelled"] as const) {
      const answered = legIn("answered");
      const refused = legTransition(answered, { to: "ended", at: sec(5), ending, cause: "normal" });
      expect(refused?.code).toBe("CALL.ILLEGAL_TRANSITION");
      expect(answered.state).toBe("answered");
    }
  });
});
