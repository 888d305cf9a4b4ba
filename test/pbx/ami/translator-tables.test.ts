import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createAmiParser } from "../../../src/pbx/ami/ami-parser.ts";
import { AmiTranslator } from "../../../src/pbx/ami/ami-translate.ts";
import { endpointOf, expectedCaptures, REAL_CAPTURES } from "../../support/real-captures.ts";

/**
 * A box runs for months: what the translator holds about a call (channels, calls, aliases of
 * joined calls, starts waiting to be reported) goes when the call ends. Every real capture whose
 * calls all end leaves every table empty, also when the captures follow one another on one link.
 */
const captures = expectedCaptures().filter((c) => c.calls.every((call) => call.finished !== false));
const handsets = new Set(expectedCaptures().flatMap((c) => c.handsets.map(endpointOf)));
const EMPTY = { channels: 0, calls: 0, aliases: 0, pending_starts: 0 };

function replay(translator: AmiTranslator, file: string): number {
  const parser = createAmiParser({ expectBanner: false });
  let ends = 0;
  for (const frame of parser.push(readFileSync(join(REAL_CAPTURES, file))))
    for (const event of translator.translate(frame, 0)) if (event.kind === "call-end") ends++;
  return ends;
}

describe("the translator's tables after the calls end", () => {
  for (const capture of captures) {
    test(`${capture.file}: every table is empty once its calls ended`, () => {
      const translator = new AmiTranslator({ source: "ami:corpus", knownExtensions: () => handsets });
      expect(replay(translator, capture.file)).toBeGreaterThanOrEqual(capture.calls.length);
      expect(translator.sizes()).toEqual(EMPTY);
    });
  }

  test("AMI 1.x chains of joins (a Local half into its pair, the pair into the caller's call) leave no alias: 100 rounds of the corpus on one translator", () => {
    const translator = new AmiTranslator({ source: "ami:corpus", knownExtensions: () => handsets });
    for (let round = 0; round < 100; round++)
      for (const capture of captures) replay(translator, capture.file);
    expect(translator.sizes()).toEqual(EMPTY);
  });
});
