import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type AmiFrame, type AmiParser, createAmiParser } from "./ami-parser.ts";

// Small limits so random input reaches them often.
const LIMITS = { maxLineLength: 64, maxFrameLength: 256, maxHeaders: 8 };
/** rest (a line + its CR) + one frame: what the parser may ever hold. */
const MAX_BUFFERED = LIMITS.maxLineLength + 1 + LIMITS.maxFrameLength;
const RUNS = { numRuns: 400 };

/** Feed `bytes` cut at `cuts` (fractions of its length), checking the bound after every chunk. */
function feed(parser: AmiParser, bytes: Uint8Array, cuts: number[]): AmiFrame[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const frames: AmiFrame[] = [];
  let from = 0;
  for (const to of [...points, bytes.length]) {
    frames.push(...parser.push(bytes.subarray(from, to)));
    expect(parser.buffered).toBeLessThanOrEqual(MAX_BUFFERED);
    from = to;
  }
  return frames.map((f) => ({ ...f }));
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 });
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Characters of a line: anything but CR and LF, some of them multi-byte. */
const lineChar = fc.oneof(
  fc.constantFrom("a", "Z", "0", " ", ":", "-", "=", "/", "(", ")", "ж", "€", "😀", "\t"),
  fc.string({ maxLength: 1 }).filter((c) => c !== "\r" && c !== "\n"),
);
/** Any character, with line ends, colons and spaces often enough to build and break frames. */
const wireChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("\n", "\r", "\r\n", ":", ": ", " ", "E", "v") },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom("x".repeat(70), "Asterisk Call Manager/9.0.0") },
);
const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,9}$/);
const value = fc.array(lineChar, { maxLength: 30 }).map((cs) => cs.join(""));
const eol = fc.constantFrom("\r\n", "\n");

/** A well-formed frame and its wire text (random CRLF/LF per line). */
const goodFrame = fc
  .array(fc.tuple(key, value, eol), { minLength: 1, maxLength: LIMITS.maxHeaders })
  .filter((lines) => lines.reduce((n, [k, v]) => n + k.length + 2 + v.length, 0) <= LIMITS.maxFrameLength)
  .chain((lines) =>
    eol.map((end) => {
      const expected: Record<string, string> = {};
      for (const [k, v] of lines) expected[k] = expected[k] === undefined ? v : `${expected[k]}\n${v}`;
      return { wire: `${lines.map(([k, v, e]) => `${k}: ${v}${e}`).join("")}${end}`, expected };
    }),
  );

/** A frame the parser must drop, one of each way a frame can be bad. */
const badFrame = fc.oneof(
  fc
    .array(
      lineChar.filter((c) => c !== ":"),
      { minLength: 1, maxLength: 30 },
    )
    .map((cs) => cs.join(""))
    .filter((l) => l !== "")
    .map((l) => `${l}\r\n\r\n`),
  goodFrame.chain(({ wire }) =>
    fc.constantFrom(`Event: X\r\nno colon here\r\n${wire}`, `Event: X\r\nK: ${"x".repeat(200)}\r\n${wire}`),
  ),
  fc.constant(`${Array.from({ length: LIMITS.maxHeaders + 1 }, (_, i) => `H${i}: v`).join("\r\n")}\r\n\r\n`),
  fc.constant(`${Array.from({ length: 5 }, (_, i) => `H${i}: ${"v".repeat(55)}`).join("\r\n")}\r\n\r\n`),
);

describe("AMI parser, fuzzed", () => {
  test("random text in random chunks: never throws, stays bounded, chunking does not matter", () => {
    fc.assert(
      fc.property(fc.string({ unit: wireChar, maxLength: 2000 }), cuts, (text, cutsAt) => {
        const bytes = utf8(text);
        const whole = createAmiParser({ limits: LIMITS });
        const expected = feed(whole, bytes, []);
        const chunked = createAmiParser({ limits: LIMITS });
        expect(feed(chunked, bytes, cutsAt)).toEqual(expected);
        expect(chunked.badFrames).toBe(whole.badFrames);
        expect(chunked.banner).toBe(whole.banner);
      }),
      RUNS,
    );
  });

  test("random bytes (invalid UTF-8 too): never throws, stays bounded, recovers after a blank line", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), cuts, (junk, cutsAt) => {
        const parser = createAmiParser({ limits: LIMITS });
        const tail = utf8("\n\nEvent: Recovered\r\nUniqueid: 1.2\r\n\r\n");
        const frames = feed(parser, new Uint8Array([...junk, ...tail]), cutsAt);
        expect(frames.at(-1)).toEqual({ Event: "Recovered", Uniqueid: "1.2" });
        expect(parser.buffered).toBe(0);
      }),
      RUNS,
    );
  });

  test("well-formed frames among malformed ones: every good one recovered, every bad one counted", () => {
    const item = fc.oneof(
      goodFrame.map((g) => ({ good: true as const, ...g })),
      badFrame.map((wire) => ({ good: false as const, wire, expected: {} })),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 25 }), cuts, (items, cutsAt) => {
        const parser = createAmiParser({ limits: LIMITS });
        const wire = `Asterisk Call Manager/9.0.0\r\n${items.map((i) => i.wire).join("")}`;
        const frames = feed(parser, utf8(wire), cutsAt);
        expect(frames).toEqual(items.filter((i) => i.good).map((i) => i.expected));
        expect(parser.badFrames).toBe(items.filter((i) => !i.good).length);
        expect(parser.banner).toBe("Asterisk Call Manager/9.0.0");
        expect(parser.buffered).toBe(0);
      }),
      RUNS,
    );
  });

  test("an endless line without a line feed holds no more than the limit", () => {
    const parser = createAmiParser({ limits: LIMITS });
    for (let i = 0; i < 10_000; i++) {
      parser.push("Key: ".repeat(20));
      expect(parser.buffered).toBeLessThanOrEqual(MAX_BUFFERED);
    }
    parser.push("\n\n");
    expect(parser.badFrames).toBe(1);
  });

  test("endless headers without a blank line hold no more than the limit", () => {
    const parser = createAmiParser({ limits: LIMITS });
    for (let i = 0; i < 10_000; i++) {
      parser.push(`Variable: n${i}=${"v".repeat(40)}\r\n`);
      expect(parser.buffered).toBeLessThanOrEqual(MAX_BUFFERED);
    }
    expect(parser.push("\r\nEvent: After\r\n\r\n").map((f) => ({ ...f }))).toEqual([{ Event: "After" }]);
    expect(parser.badFrames).toBe(1);
  });
});
