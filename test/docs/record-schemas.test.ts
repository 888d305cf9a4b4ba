// The JSON Schemas in docs/schemas/ promise integrators a shape; these tests hold the box to it.
// A whole box (no broker: the outbox fills all the same) records roster facts of every kind the
// API takes and calls of several shapes; every outbox row, and every envelope the relay would
// build from them, must pass the schemas the JSON Schemas are generated from.
import { afterEach, expect, test } from "bun:test";
import { envelopeSchema, recordSchema, type SyncRecord, UP_STREAMS } from "../../src/contract/protocol.ts";
import { typedEnvelopeSchema, UP_RECORD_TYPES } from "../../src/contract/up-records.ts";
import { outboxStore } from "../../src/store/outbox-store.ts";
import { buildEnvelope } from "../../src/sync/relay/envelope-builder.ts";
import { CallScript } from "../fixtures/domain/call-fixtures.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";

const T = (hhmmss: string) => Date.parse(`2026-11-21T${hhmmss}+03:00`);
const iso = (hhmmss: string) => `2026-11-21T${hhmmss}+03:00`;

let box: TestBox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

const issues = (result: { error?: { issues: unknown[] } }) => result.error?.issues ?? [];

async function recordDay(b: TestBox): Promise<void> {
  const roster = async (kind: string, body: object) => {
    const response = await b.api(`/api/v1/roster/${kind}`, { method: "POST", body: JSON.stringify(body) });
    expect(response.status, `${kind}: ${await response.clone().text()}`).toBe(200);
  };
  await roster("check-in", { employeeId: "olga", deskId: "front", at: iso("09:00:00") });
  await roster("break-start", { employeeId: "olga", at: iso("09:40:00") });
  await roster("break-end", { employeeId: "olga", at: iso("09:50:00") });

  const answered = new CallScript("answered");
  const missed = new CallScript("missed");
  const transfer = new CallScript("transfer");
  const voicemail = new CallScript("voicemail");
  const outbound = new CallScript("outbound");
  await b.calls.deliver([
    answered.inbound(T("10:00:00")),
    answered.ring("a-101", "101", T("10:00:01")),
    answered.answer("a-101", "101", T("10:00:05")),
    answered.end("a-101", "101", "normal", T("10:01:00")),
    answered.hangup(T("10:01:00")),
    missed.inbound(T("10:10:00")),
    missed.ring("m-101", "101", T("10:10:01")),
    missed.ring("m-102", "102", T("10:10:01")),
    missed.end("m-101", "101", "no-answer", T("10:10:30")),
    missed.end("m-102", "102", "no-answer", T("10:10:30")),
    missed.hangup(T("10:10:31")),
    transfer.inbound(T("10:20:00")),
    transfer.ring("t-101", "101", T("10:20:01")),
    transfer.answer("t-101", "101", T("10:20:03")),
    transfer.blind("t-101", "102", T("10:21:00")),
    transfer.end("t-101", "101", "normal", T("10:21:00")),
    transfer.ring("t-102", "102", T("10:21:01")),
    transfer.answer("t-102", "102", T("10:21:04")),
    transfer.end("t-102", "102", "normal", T("10:25:00")),
    transfer.hangup(T("10:25:00")),
    voicemail.inbound(T("10:30:00")),
    voicemail.ring("v-101", "101", T("10:30:01")),
    voicemail.end("v-101", "101", "no-answer", T("10:30:20")),
    voicemail.voicemail(T("10:30:21"), true, "101"),
    voicemail.hangup(T("10:31:00")),
    outbound.placed(T("10:40:00"), "o-102", "102", { number: "+79160000000" }),
    outbound.answer("o-102", "102", T("10:40:09")),
    outbound.end("o-102", "102", "normal", T("10:42:00")),
    outbound.hangup(T("10:42:00")),
  ]);
  // A late handover re-attributes the calls since 09:30: changed records go up again, same ids.
  await roster("handover", { employeeId: "irina", deskId: "front", at: iso("09:30:00") });
  await roster("check-out", { employeeId: "irina", at: iso("11:00:00") });
}

/** What the relay would send: records after the JSON round trip through the outbox. */
function outboxRecords(b: TestBox): Map<string, SyncRecord[]> {
  const outbox = outboxStore(b.db);
  return new Map(UP_STREAMS.map((stream) => [stream, outbox.pending(stream, 0, 100_000)]));
}

test("every roster fact, call record and CRM intent the box writes for headquarters passes its JSON Schema's zod source", async () => {
  box = await makeTestBox({ clock: { now: () => T("12:00:00"), set() {}, advance() {} } });
  await recordDay(box);
  const byStream = outboxRecords(box);
  const roster = byStream.get("roster") ?? [];
  const calls = byStream.get("calls") ?? [];
  expect(new Set(roster.map((r) => (r.data as { kind: string }).kind))).toEqual(
    new Set(["check-in", "break-start", "break-end", "handover", "check-out"]),
  );
  expect(new Set(calls.map((r) => r.id))).toEqual(
    new Set(["answered", "missed", "transfer", "voicemail", "outbound"]),
  );
  expect(calls.length).toBeGreaterThan(5); // the handover re-sent some
  // Every call but the internal one is from a new number: R3.4, R3.7b, R3.9a (R3.8c sends none).
  const intents = byStream.get("intents") ?? [];
  expect(new Set(intents.map((r) => r.type))).toEqual(
    new Set(["crm.client.create", "crm.order.create", "crm.task.create"]),
  );

  for (const record of [...roster, ...calls, ...intents]) {
    expect(issues(recordSchema.safeParse(record))).toEqual([]);
    const type = record.type as keyof typeof UP_RECORD_TYPES;
    expect(Object.keys(UP_RECORD_TYPES)).toContain(type);
    expect(issues(UP_RECORD_TYPES[type].data.safeParse(record.data)), `${record.type} ${record.id}`).toEqual(
      [],
    );
  }
});

test("the envelopes the relay builds from those rows pass the envelope schema and the per-stream schema", async () => {
  box = await makeTestBox({ clock: { now: () => T("12:00:00"), set() {}, advance() {} } });
  await recordDay(box);
  const typed = {
    roster: typedEnvelopeSchema("roster", { "roster.fact": UP_RECORD_TYPES["roster.fact"].data }),
    calls: typedEnvelopeSchema("calls", { "call.record": UP_RECORD_TYPES["call.record"].data }),
    intents: typedEnvelopeSchema(
      "intents",
      Object.fromEntries(
        Object.entries(UP_RECORD_TYPES).flatMap(([type, t]) =>
          t.stream === "intents" ? [[type, t.data]] : [],
        ),
      ),
    ),
  };
  const outbox = outboxStore(box.db);
  // Small envelopes, so that there are several.
  let envelopes = 0;
  for (const stream of ["roster", "calls", "intents"] as const) {
    for (let after = 0; ; envelopes++) {
      const head = { branch: "demo", epoch: 7, stream, historical: after > 0 };
      const built = buildEnvelope(outbox, head, after, 100_000, 2000);
      if (built === null) break;
      const wire: unknown = JSON.parse(built.payload.toString());
      expect(issues(envelopeSchema.safeParse(wire))).toEqual([]);
      expect(issues(typed[stream].safeParse(wire))).toEqual([]);
      after = built.seqTo;
    }
  }
  expect(envelopes).toBeGreaterThan(2);
});

test("a record that breaks the contract is refused: the schemas are not vacuous", async () => {
  box = await makeTestBox({ clock: { now: () => T("12:00:00"), set() {}, advance() {} } });
  await recordDay(box);
  const [call] = outboxRecords(box).get("calls") ?? [];
  const data = call?.data as Record<string, unknown>;
  const schema = UP_RECORD_TYPES["call.record"].data;
  expect(schema.safeParse({ ...data, startedAt: new Date(0).toISOString() }).success).toBe(false);
  expect(schema.safeParse({ ...data, unexpected: 1 }).success).toBe(false);
  const { partOf: _, ...withoutPartOf } = data;
  expect(schema.safeParse(withoutPartOf).success).toBe(false);
});
