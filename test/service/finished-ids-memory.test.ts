import { heapStats } from "bun:jsc";
import { expect, test } from "bun:test";
import { CallAssembler } from "../../src/domain/call/call-assembler.ts";
import { CallScript, sec } from "../fixtures/domain/call-fixtures.ts";

/**
 * The ids a source hands over are cut out of what it read (an AMI header out of a socket read of
 * up to 64 KB); remembered for months, they must not keep those reads alive.
 */
test("10,000 finished calls whose ids were cut out of 8 KB reads keep none of those reads alive", () => {
  const assembler = new CallAssembler();
  Bun.gc(true);
  const before = heapStats().extraMemorySize;
  for (let i = 0; i < 10_000; i++) {
    const read = `Event: Hangup\r\nLinkedid: 1796720570.${i}\r\n${"Variable: x\r\n".repeat(600)}`;
    const id = read.slice(read.indexOf("Linkedid: ") + 10, read.indexOf("\r", read.indexOf("Linkedid: ")));
    const call = new CallScript(id);
    for (const event of [call.inbound(sec(0)), call.hangup(sec(1))]) assembler.apply(event);
  }
  Bun.gc(true);
  const held = (heapStats().extraMemorySize - before) / 2 ** 20;
  expect(assembler.sizes()).toMatchObject({ live: 0, finished: 10_000, recent: 100 });
  // The reads are 80 MB in all; the ids alone are well under 2 MB (100 whole calls still keep theirs).
  expect(held).toBeLessThan(2);
});
