import { z } from "zod";
import { describeIssues } from "../lib/zod-issues.ts";
import { type Envelope, envelopeSchema } from "./protocol.ts";

/**
 * Checks a parsed up message against `envelopeSchema`, as strictly, at a fraction of the cost
 * where it counts: HQ receives ~200 records per envelope and zod walked each one (~0.7 µs per
 * record, a copy of every record object). Here zod checks the envelope's own fields, with
 * `records` only as an array of 1..10,000, and `isRecord` checks each record by hand; valid
 * input comes back as it is (no copy). Invalid input goes through `envelopeSchema` after all, so
 * the problem is worded by zod as before. test/contract/envelope-check.test.ts holds the two to the
 * same verdict on generated input, valid and broken.
 */
export function checkEnvelope(
  payload: unknown,
): { ok: true; envelope: Envelope } | { ok: false; problem: string } {
  if (isEnvelope(payload)) return { ok: true, envelope: payload };
  const parsed = envelopeSchema.safeParse(payload);
  if (parsed.success) return { ok: true, envelope: parsed.data }; // the two disagree: zod decides
  return {
    ok: false,
    problem: describeIssues(parsed.error.issues, "envelope"),
  };
}

/** The fast verdict: what `envelopeSchema` would say, with the records checked by hand. */
export function isEnvelope(payload: unknown): payload is Envelope {
  if (!headSchema.safeParse(payload).success) return false;
  const envelope = payload as Envelope;
  return envelope.records.every(isRecord) && seqsAgree(envelope);
}

/** The envelope's fields as zod has them, records unchecked, and without the cross-field rules. */
const headSchema = z.strictObject({
  ...envelopeSchema.shape,
  records: z.array(z.unknown()).min(1).max(10_000),
});

const RECORD_KEYS = new Set(["id", "seq", "ts", "type", "data"]);
const RECORD_TYPE = /^[a-z]+(\.[a-z-]+)+$/;

/** `recordSchema` by hand: its five keys and no other (own or inherited), `data` present. */
export function isRecord(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  for (const key in r) if (!RECORD_KEYS.has(key)) return false;
  const { id, seq, ts, type } = r;
  return (
    typeof id === "string" &&
    id.length >= 1 &&
    id.length <= 200 &&
    Number.isSafeInteger(seq) &&
    (seq as number) >= 1 &&
    Number.isSafeInteger(ts) &&
    (ts as number) >= 0 &&
    typeof type === "string" &&
    RECORD_TYPE.test(type) &&
    "data" in r
  );
}

/** The envelope's cross-field rules: seqFrom/seqTo are the first and last seq, seqs consecutive. */
function seqsAgree(e: Envelope): boolean {
  if (e.records[0]?.seq !== e.seqFrom || e.records.at(-1)?.seq !== e.seqTo) return false;
  for (let i = 1; i < e.records.length; i++)
    if ((e.records[i] as { seq: number }).seq !== (e.records[i - 1] as { seq: number }).seq + 1) return false;
  return true;
}
