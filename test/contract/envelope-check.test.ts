// The hand-written envelope check HQ runs must say exactly what envelopeSchema (zod) says: on
// generated records and envelopes, valid ones and ones broken in every field, after a JSON round
// trip (what arrives on the wire).
import { expect, test } from "bun:test";
import fc from "fast-check";
import { checkEnvelope, isEnvelope, isRecord } from "../../src/contract/envelope-check.ts";
import { envelopeSchema, recordSchema } from "../../src/contract/protocol.ts";

const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? "null");

const integerish = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.integer({ min: -3, max: 1_000_000 }),
  fc.constantFrom(0, 1, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 1e300, -0),
  fc.double({ noNaN: true }),
  fc.constantFrom("1", null, true, [1]),
);
const id = fc.oneof(
  fc.string({ minLength: 0, maxLength: 3 }),
  fc.string({ minLength: 198, maxLength: 202 }),
  fc.constantFrom("", "x".repeat(200), "x".repeat(201), "ид-звонка"),
  fc.integer(),
  fc.constant(null),
);
const type = fc.oneof(
  fc.constantFrom("call.record", "roster.fact", "a.b-c.d", "a.", "a", ".a", "A.b", "a.b_c", "a.b\n", "a-b.c"),
  fc.string({ maxLength: 12 }),
  fc.integer(),
);
const validRecord = (seq: number) =>
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 40 }),
    seq: fc.constant(seq),
    ts: fc.integer({ min: 0, max: 2 ** 45 }),
    type: fc.constantFrom("call.record", "roster.fact", "x.y-z"),
    data: fc.jsonValue({ maxDepth: 3 }),
  });
/** Field values around every bound of recordSchema, valid and not. */
const fieldValue = {
  id,
  seq: integerish,
  ts: integerish,
  type,
  data: fc.jsonValue({ maxDepth: 2 }),
} as const;
type Field = keyof typeof fieldValue;
const FIELDS = Object.keys(fieldValue) as Field[];

/** A valid record with up to two fields changed, a key dropped, or an extra key added. */
const anyRecord = fc
  .tuple(
    validRecord(7),
    fc.array(
      fc.oneof(
        fc
          .constantFrom(...FIELDS)
          .chain((field) => fieldValue[field].map((value) => ({ set: field, value }) as const)),
        fc.record({ drop: fc.constantFrom(...FIELDS) }),
        fc.record({ extra: fc.constantFrom("extra", "__proto__", "Data", "seq ") }),
      ),
      { maxLength: 2 },
    ),
  )
  .map(([valid, changes]) => {
    const r: Record<string, unknown> = { ...valid };
    let extra: string | undefined;
    for (const change of changes) {
      if ("set" in change) r[change.set] = change.value;
      else if ("drop" in change) delete r[change.drop];
      else extra = change.extra;
    }
    if (extra === undefined) return r;
    // Written as text, so that "__proto__" becomes an own key as JSON.parse makes it.
    const rest = JSON.stringify(r).slice(1, -1);
    return JSON.parse(`{${JSON.stringify(extra)}:1${rest === "" ? "" : `,${rest}`}}`) as unknown;
  });

test("a record: isRecord agrees with recordSchema on any shape", () => {
  fc.assert(
    fc.property(fc.oneof(anyRecord, validRecord(7), fc.jsonValue({ maxDepth: 2 })), (value) => {
      const r = wire(value);
      expect(isRecord(r)).toBe(recordSchema.safeParse(r).success);
    }),
    { numRuns: 5000 },
  );
}, 30_000);

/** A valid envelope of n records from seq `from`, then one field of it broken (or none). */
const envelopes = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 2 ** 40 }))
  .chain(([n, from]) =>
    fc.record({
      head: fc.record({
        v: fc.constant(1),
        branch: fc.constantFrom("msk-01", "b", "a_b-c"),
        epoch: fc.integer({ min: 1, max: 1000 }),
        stream: fc.constantFrom("calls", "roster"),
        seqFrom: fc.constant(from),
        seqTo: fc.constant(from + n - 1),
        historical: fc.boolean(),
      }),
      records: fc.tuple(...Array.from({ length: n }, (_, i) => validRecord(from + i))),
      breakage: fc.option(
        fc.oneof(
          fc.record({
            field: fc.constantFrom(
              "v",
              "branch",
              "epoch",
              "stream",
              "seqFrom",
              "seqTo",
              "historical",
              "records",
              "extra",
            ),
            value: fc.oneof(
              integerish,
              fc.constantFrom("hq", "MSK", "", "a".repeat(65), "calls", "up/calls", false, [], {}),
            ),
          }),
          fc.record({ record: fc.nat(n), value: anyRecord }),
          fc.record({ swap: fc.constant(true) }),
        ),
        { nil: undefined },
      ),
    }),
  )
  .map(({ head, records, breakage }) => {
    const e: Record<string, unknown> = { ...head, records: [...records] };
    if (breakage === undefined) return e;
    if ("field" in breakage) e[breakage.field] = breakage.value;
    else if ("record" in breakage) (e.records as unknown[])[breakage.record] = breakage.value;
    else (e.records as unknown[]).reverse();
    return e;
  });

test("an envelope: isEnvelope agrees with envelopeSchema, valid or broken in any field", () => {
  let valid = 0;
  fc.assert(
    fc.property(envelopes, (value) => {
      const e = wire(value);
      const zod = envelopeSchema.safeParse(e).success;
      if (zod) valid++;
      expect(isEnvelope(e)).toBe(zod);
    }),
    { numRuns: 5000 },
  );
  // Both verdicts were exercised.
  expect(valid).toBeGreaterThan(500);
  expect(valid).toBeLessThan(4500);
}, 30_000);

test("checkEnvelope returns valid input as it is, and words a problem as zod does", () => {
  const good = {
    v: 1,
    branch: "msk-01",
    epoch: 3,
    stream: "calls",
    seqFrom: 4,
    seqTo: 5,
    historical: false,
    records: [
      { id: "c-4", seq: 4, ts: 1, type: "call.record", data: { a: 1 } },
      { id: "c-5", seq: 5, ts: 2, type: "call.record", data: null },
    ],
  };
  const ok = checkEnvelope(good);
  expect(ok.ok && ok.envelope === (good as unknown)).toBe(true);
  const bad = checkEnvelope({ ...good, records: [good.records[0], { ...good.records[1], seq: 7 }] });
  expect(bad).toEqual({
    ok: false,
    problem:
      "envelope: seqFrom/seqTo must be the first and last record's seq; records.1.seq: records must be consecutive in seq",
  });
  expect(checkEnvelope(undefined)).toEqual({
    ok: false,
    problem: "envelope: Invalid input: expected object, received undefined",
  });
});
