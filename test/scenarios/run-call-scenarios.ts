import { describe, expect, test } from "bun:test";
import { attribute } from "../../src/domain/attribution/attribute.ts";
import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import { SCENARIOS } from "./call-scenarios.ts";
import {
  assemble,
  type CallScenario,
  comparable,
  type ExpectedRecord,
  normalized,
  rosterOf,
  settingsOf,
} from "./scenario-branch.ts";

export interface ScenarioSourceOptions {
  /**
   * Scenarios the source's wire cannot express, each with the reason (SIP: a queue is no watched
   * extension's dialog). They get no test; every other scenario must have an input.
   */
  readonly notExpressible?: Readonly<Record<string, string>>;
  /** What the wire cannot carry, taken out of the expected records before comparing (SIP: the DID). */
  readonly expected?: (expected: readonly ExpectedRecord[]) => readonly ExpectedRecord[];
}

/**
 * The shared call scenarios (call-scenarios.ts) through one PBX source (STYLE 5): `play` gives the
 * events the source delivers for a scenario, or undefined when the source has no input for it.
 * Each scenario's events go through the journal's dedupe, the assembler and attribution; nothing
 * may be refused, no call may stay live, and the records must be the scenario's.
 */
export function runCallScenarios(
  name: string,
  play: (scenario: CallScenario) => readonly PbxEvent[] | undefined,
  options: ScenarioSourceOptions = {},
): void {
  const notExpressible = options.notExpressible ?? {};
  const expectedOf = options.expected ?? ((expected) => expected);

  describe(`call scenarios through the ${name} source`, () => {
    test(`every scenario has ${name} input, or a reason its wire cannot express it`, () => {
      const known = new Set(SCENARIOS.map((s) => s.name));
      expect(Object.keys(notExpressible).filter((n) => !known.has(n))).toEqual([]);
      const missing = SCENARIOS.filter((s) => notExpressible[s.name] === undefined && play(s) === undefined);
      expect(missing.map((s) => s.name)).toEqual([]);
      const both = SCENARIOS.filter((s) => notExpressible[s.name] !== undefined && play(s) !== undefined);
      expect(both.map((s) => s.name)).toEqual([]);
    });

    for (const scenario of SCENARIOS) {
      if (notExpressible[scenario.name] !== undefined) continue;
      test(`${scenario.rules.join(" ")}: ${scenario.name} — ${scenario.what}`, () => {
        const events = play(scenario);
        if (events === undefined) throw new Error(`no ${name} input for ${scenario.name}`);
        const { finished, rejected, live } = assemble(events);
        expect(rejected).toEqual([]);
        expect(live).toEqual([]);
        const records = finished.flatMap((call) => attribute(call, rosterOf(scenario), settingsOf(scenario)));
        const expected = expectedOf(scenario.expected);
        expect(comparable(records, expected)).toEqual(normalized(expected));
      });
    }
  });
}
