import { expect, test } from "bun:test";
import type { RawRecord } from "../../src/store/outbox-store.ts";
import { envelopeSchema } from "../../src/sync/protocol.ts";
import { buildEnvelope } from "../../src/sync/relay/envelope-builder.ts";

const row = (seq: number, data: unknown): RawRecord => ({
  seq,
  id: `r-"${seq}"`,
  ts: 1000 + seq,
  type: "call.record",
  data: Buffer.from(JSON.stringify(data)),
});

test("an envelope is one Buffer of valid JSON, the stored bytes spliced in, non-ASCII intact", () => {
  const rows = [row(5, { name: "Ольга «Ш»", n: 1 }), row(6, null), row(7, ["€", "\u0001"])];
  const built = buildEnvelope({ branch: "b1", epoch: 3, stream: "calls", historical: true }, rows, 1 << 20);
  expect(built?.payload).toBeInstanceOf(Buffer);
  const wire = JSON.parse(built?.payload.toString() ?? "");
  expect(envelopeSchema.safeParse(wire).success).toBe(true);
  expect(wire.records).toEqual([
    { id: 'r-"5"', seq: 5, ts: 1005, type: "call.record", data: { name: "Ольга «Ш»", n: 1 } },
    { id: 'r-"6"', seq: 6, ts: 1006, type: "call.record", data: null },
    { id: 'r-"7"', seq: 7, ts: 1007, type: "call.record", data: ["€", "\u0001"] },
  ]);
  expect([built?.seqFrom, built?.seqTo, built?.count]).toEqual([5, 7, 3]);
});

test("maxBytes counts UTF-8 bytes of the records; one oversized record still goes alone; a gap ends the run", () => {
  const big = "я".repeat(400); // 800 bytes, 400 UTF-16 units
  const rows = [1, 2, 3, 4].map((s) => row(s, big));
  const two = buildEnvelope({ branch: "b1", epoch: 1, stream: "calls", historical: false }, rows, 1800);
  expect(two?.count).toBe(2);
  expect(JSON.parse(two?.payload.toString() ?? "").seqTo).toBe(2);
  const one = buildEnvelope({ branch: "b1", epoch: 1, stream: "calls", historical: false }, rows, 10);
  expect(one?.count).toBe(1);
  const gap = buildEnvelope(
    { branch: "b1", epoch: 1, stream: "calls", historical: false },
    [row(1, 1), row(3, 3)],
    1 << 20,
  );
  expect(gap?.count).toBe(1);
  expect(buildEnvelope({ branch: "b1", epoch: 1, stream: "calls", historical: false }, [], 100)).toBeNull();
});
