/**
 * `npm run corpus:ami`: every real capture in test/fixtures/ami/real/ replayed through the box's
 * parser, translator and assembler, with the capture's handsets as the branch's extensions, and
 * compared with expected.json. Prints each capture right or wrong (with the differences) and the
 * total. Exit code 0 whatever the score: it is a measure, the tests are the gate.
 */
import { captureDifferences, expectedCaptures, replayCapture } from "../test/support/real-captures.ts";

const captures = expectedCaptures();
let right = 0;
for (const capture of captures) {
  let differences: string[];
  try {
    differences = captureDifferences(capture, replayCapture(capture));
  } catch (error) {
    differences = [`crashed: ${error instanceof Error ? error.message : String(error)}`];
  }
  if (differences.length === 0) right++;
  console.log(`${differences.length === 0 ? "right" : "WRONG"}  ${capture.file}`);
  for (const difference of differences) console.log(`       ${difference}`);
}
console.log(`\n${right} of ${captures.length} right`);
