import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type NumberRules, normaliseNumber, RUSSIAN_NUMBERS, toE164 } from "./phone-number.ts";

const FIXTURES = join(import.meta.dir, "../../../test/fixtures");
const CANADA: NumberRules = {
  countryCode: "1",
  nationalDigits: 10,
  nationalPrefix: "1",
  internationalPrefixes: ["011"],
  trunkPrefixes: [],
};
const RULES: Record<string, NumberRules> = { RU: RUSSIAN_NUMBERS, CA: CANADA };

interface RealCallerId {
  readonly value: string;
  readonly rules: string;
  readonly e164: string | null;
  readonly source: string;
  readonly where: string;
}

const real: RealCallerId[] = JSON.parse(
  readFileSync(join(FIXTURES, "numbers/real/caller-ids.json"), "utf8"),
).values;

describe("caller ids recorded by others (test/fixtures/numbers/real)", () => {
  for (const c of real)
    test(`${c.source}: ${JSON.stringify(c.value)} under ${c.rules} is ${c.e164 ?? "no number"}`, () => {
      expect(normaliseNumber(c.value, RULES[c.rules] as NumberRules)).toBe(c.e164);
    });

  test("the VG values are in the captures as written (CallerIDNum: …)", () => {
    const dir = join(FIXTURES, "ami/real");
    const text = readdirSync(dir)
      .filter((f) => f.startsWith("vg-"))
      .map((f) => readFileSync(join(dir, f), "utf8"))
      .join("\n");
    for (const c of real.filter((r) => r.source === "VG"))
      expect(text).toContain(`CallerIDNum: ${c.value}\r\n`);
  });

  test("the WAZO value is the caller id of the recorded FastAGI session", () => {
    const session = readFileSync(join(FIXTURES, "agi/real/wazo-screen-blocklist.agi.txt"), "utf8");
    for (const c of real.filter((r) => r.source === "WAZO"))
      expect(session).toContain(`AGI Tx >> agi_callerid: ${c.value}\n`);
  });
});

describe("[numbers]: Russia's numbering, the default", () => {
  const cases: [string | null, string | null][] = [
    ["+79161234567", "+79161234567"],
    ["79161234567", "+79161234567"],
    ["89161234567", "+79161234567"],
    ["9161234567", "+79161234567"],
    ["8 (916) 123-45-67", "+79161234567"],
    ["+7 916 123 45 67", "+79161234567"],
    ["81049301234567", "+49301234567"],
    ["0049301234567", "+49301234567"],
    ["unknown", null],
    ["anonymous", null],
    ["Anonymous", null],
    ["", null],
    ["   ", null],
    [null, null],
    ["101", null],
    ["79786527-9c2c-4384-a1a4-f409cfe39a08", null],
    ["+7916", null],
    ["916123456", null],
    ["989161234567", null],
    // A national significant number never starts with 0: a Dutch national number is none here.
    ["0508009000", null],
    ["80508009000", null],
  ];
  for (const [given, e164] of cases)
    test(`${JSON.stringify(given)} → ${e164 ?? "no number"}`, () => {
      expect(normaliseNumber(given, RUSSIAN_NUMBERS)).toBe(e164);
    });

  test("toE164 keeps what it read before issue 16 and reads these rules", () => {
    expect(toE164("+79161234567")).toBe("+79161234567");
    expect(toE164("89161234567")).toBe("+79161234567");
    expect(toE164("79161234567")).toBe("+79161234567");
    expect(toE164("0049301234567")).toBe("+49301234567");
    expect(toE164("101")).toBeNull();
    expect(toE164("9161234567")).toBe("+79161234567");
  });
});

describe("[numbers] trunk_prefixes: what the PBX puts before the caller's number", () => {
  const withNine: NumberRules = { ...RUSSIAN_NUMBERS, trunkPrefixes: ["9", "0"] };

  test("an outside-line 9 before 8…, 7… or a national number is taken off", () => {
    expect(normaliseNumber("989161234567", withNine)).toBe("+79161234567");
    expect(normaliseNumber("979161234567", withNine)).toBe("+79161234567");
    expect(normaliseNumber("99161234567", withNine)).toBe("+79161234567");
    expect(normaliseNumber("089161234567", withNine)).toBe("+79161234567");
  });

  test("a number that is one as given keeps its 9: 9161234567 is a mobile number, not 161234567", () => {
    expect(normaliseNumber("9161234567", withNine)).toBe("+79161234567");
  });

  test("a prefix is taken off once: 9 9 8… is no number", () => {
    expect(normaliseNumber("9989161234567", withNine)).toBeNull();
  });
});
