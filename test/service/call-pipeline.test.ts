import { afterEach, expect, test } from "bun:test";
import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import { CallScript } from "../fixtures/domain/call-fixtures.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";

// The box's clock and the PBX's clock: 2026-11-21, Moscow time.
const T = (hhmmss: string) => Date.parse(`2026-11-21T${hhmmss}+03:00`);

let box: TestBox | undefined;
afterEach(() => box?.close());

function inboundAnsweredAt101(id: string, start: string): PbxEvent[] {
  const call = new CallScript(id);
  const t = T(start);
  return [
    call.inbound(t),
    call.ring(`${id}-leg`, "101", t + 1000),
    call.answer(`${id}-leg`, "101", t + 5000),
    call.end(`${id}-leg`, "101", "normal", t + 60_000),
    call.event("call-end", t + 60_000),
  ];
}

const journalCount = (b: TestBox) =>
  b.db.query<{ n: number }, []>("SELECT count(*) AS n FROM pbx_journal").get()?.n;

test("R0.3: an answered call on the front desk is recorded durably with the receptionist on shift as its owner", async () => {
  box = await makeTestBox({ clock: { now: () => T("12:00:00"), set() {}, advance() {} } });
  await box.api("/api/v1/roster/check-in", {
    method: "POST",
    body: JSON.stringify({ employeeId: "olga", deskId: "front", at: "2026-11-21T09:00:00+03:00" }),
  });
  const events = inboundAnsweredAt101("c1", "10:00:00");
  await box.calls.deliver(events);
  expect(journalCount(box)).toBe(events.length); // durable when deliver resolved
  const response = await box.api("/api/v1/calls");
  const [record] = (await response.json()) as {
    id: string;
    owner: { employeeId: string; rule: string };
    outcome: string;
    legs: { employeeId: string }[];
  }[];
  expect(record).toMatchObject({
    id: "c1",
    outcome: "answered",
    owner: { employeeId: "olga", rule: "desk-checkin" },
  });
  expect(record?.legs[0]?.employeeId).toBe("olga");
});

test("the same events delivered again (a resync, a replay) change nothing and are counted as duplicates", async () => {
  box = await makeTestBox();
  const events = inboundAnsweredAt101("c2", "10:00:00");
  await box.calls.deliver(events);
  await box.calls.deliver(events);
  expect(journalCount(box)).toBe(events.length);
  expect(box.calls.status()).toMatchObject({ received: 10, duplicates: 5, recorded: 1 });
  expect(box.calls.list({ limit: 10 })).toHaveLength(1);
});

test("after a restart mid-call the journal brings the live call back and the call is recorded once", async () => {
  box = await makeTestBox();
  const events = inboundAnsweredAt101("c3", "10:00:00");
  await box.calls.deliver(events.slice(0, 3));
  const dir = box.dir;
  box.db.close(); // the process dies here; what deliver acknowledged is on disk
  box = await makeTestBox({ dir });
  expect(box.calls.live().map((c) => c.id)).toEqual(["c3"]);
  await box.calls.deliver(events); // the source resends everything it is unsure of
  expect(box.calls.list({ limit: 10 }).map((r) => r.id)).toEqual(["c3"]);
  box.db.close();
  box = await makeTestBox({ dir }); // a replay of finished calls writes nothing new
  expect(box.calls.list({ limit: 10 })).toHaveLength(1);
  expect(box.calls.live()).toHaveLength(0);
});

test("a manager's late check-in re-attributes the calls it covers", async () => {
  box = await makeTestBox({ clock: { now: () => T("12:00:00"), set() {}, advance() {} } });
  await box.calls.deliver(inboundAnsweredAt101("c4", "10:00:00"));
  expect(box.calls.list({ limit: 1 })[0]?.owner).toMatchObject({ employeeId: null, rule: "unmapped" });
  // Irina was at the desk since 09:00 but forgot to check in; the correction comes at 12:00.
  const response = await box.api("/api/v1/roster/check-in", {
    method: "POST",
    body: JSON.stringify({ employeeId: "irina", deskId: "front", at: "2026-11-21T09:00:00+03:00" }),
  });
  expect(response.status).toBe(200);
  expect(box.calls.list({ limit: 1 })[0]?.owner).toMatchObject({ employeeId: "irina", rule: "desk-checkin" });
});

test("R0.1: a call nobody has answered yet is a waiting card for every screen; answered, it is the owner's", async () => {
  box = await makeTestBox({ clock: { now: () => T("10:00:03"), set() {}, advance() {} } });
  await box.api("/api/v1/roster/check-in", {
    method: "POST",
    body: JSON.stringify({ employeeId: "anna", deskId: "front", at: "2026-11-21T09:00:00+03:00" }),
  });
  const events = inboundAnsweredAt101("c5", "10:00:00");
  await box.calls.deliver(events.slice(0, 2));
  expect(box.calls.cards(T("10:00:03"))).toMatchObject([
    { callId: "c5", state: "waiting", audience: "everyone" },
  ]);
  await box.calls.deliver(events.slice(2, 3));
  expect(box.calls.cards(T("10:00:06"))).toMatchObject([
    { callId: "c5", state: "answered", audience: ["anna"], ownerEmployeeId: "anna" },
  ]);
});

test("the calls API refuses a bad query with a code", async () => {
  box = await makeTestBox();
  for (const q of ["since=yesterday", "limit=0", "outcome=lost", "color=red"]) {
    const response = await box.api(`/api/v1/calls?${q}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("API.INVALID_QUERY");
  }
});

test("an event without a call id or with no real time is refused alone; the good events of the same batch are kept", async () => {
  box = await makeTestBox();
  const [start, ...rest] = inboundAnsweredAt101("c6", "10:00:00");
  const broken = [
    { ...start, key: "bad-1", callId: "" },
    { ...start, key: "bad-2", at: Number.NaN },
  ] as PbxEvent[];
  await box.calls.deliver([start as PbxEvent, ...broken, ...rest.map((e) => ({ ...e, at: e.at + 0.4 }))]);
  expect(journalCount(box)).toBe(5);
  expect(box.calls.status()).toMatchObject({ rejected: 2, recorded: 1 });
  expect(box.calls.list({ limit: 5 })[0]?.endedAt).toBe(T("10:01:00"));
});

test("the journal keeps calls for its retention only, and forgets whole calls", async () => {
  let now = T("10:00:00");
  box = await makeTestBox({ clock: { now: () => now, set() {}, advance() {} } });
  await box.calls.deliver(inboundAnsweredAt101("old", "10:00:00"));
  now += 3 * 24 * 3_600_000 + 60_000; // three days later
  await box.calls.deliver(inboundAnsweredAt101("new", "10:05:00").slice(0, 2)); // going on now
  expect(box.calls.prune()).toBe(5);
  expect(journalCount(box)).toBe(2);
  expect(box.calls.list({ limit: 5 }).map((r) => r.id)).toEqual(["old"]); // the record stays
});

test("a caller known to headquarters' directory shows with their name on the card", async () => {
  box = await makeTestBox({ clock: { now: () => T("10:00:03"), set() {}, advance() {} } });
  const envelope = {
    v: 1,
    branch: "demo",
    epoch: 1,
    stream: "clients",
    seqFrom: 1,
    seqTo: 1,
    historical: false,
    records: [
      {
        id: "snap-1",
        seq: 1,
        ts: T("09:00:00"),
        type: "clients.snapshot",
        data: {
          version: 1,
          clients: [{ number: "+79161234567", clientId: "k-1", name: "ООО Ромашка", openOrder: false }],
        },
      },
    ],
  };
  box.inbound.handle("clients", new TextEncoder().encode(JSON.stringify(envelope)));
  await box.calls.deliver(inboundAnsweredAt101("c7", "10:00:00").slice(0, 2));
  expect(box.calls.cards(T("10:00:03"))).toMatchObject([
    { callId: "c7", number: "+79161234567", clientName: "ООО Ромашка" },
  ]);
});

test("R3.3: a box whose screens nobody opens keeps only the missed calls whose card is still up (half an hour), not every missed call of its life", async () => {
  box = await makeTestBox({ clock: fakeClock("2026-11-21T09:00:00+03:00") });
  const started = box.clock.now();
  for (let i = 0; i < 200; i++) {
    const t = started + i * 10 * 60_000;
    box.clock.set(new Date(t + 60_000).toISOString());
    const call = new CallScript(`missed-${i}`);
    await box.calls.deliver([
      call.inbound(t),
      call.ring(`missed-${i}-leg`, "101", t + 1000),
      call.end(`missed-${i}-leg`, "101", "no-answer", t + 30_000),
      call.hangup(t + 30_000),
    ]);
  }
  expect(box.calls.status().recorded).toBe(200);
  // Every 10 minutes a missed call, its card up for 30: the last three are all that is kept.
  expect(box.calls.tables().recent_missed).toBe(3);
  expect(box.calls.cards(box.clock.now()).filter((card) => card.state === "missed")).toHaveLength(3);
});

test("R3.3, issue 13: a missed call read back from the PBX's records two hours late gets its managers' card for half an hour from then, marked recovered", async () => {
  box = await makeTestBox({ clock: fakeClock("2026-11-21T12:00:00+03:00") });
  const t = T("10:00:00");
  const call = new CallScript("gap-1");
  const recovered = { via: "cel" as const, at: T("12:00:00") };
  await box.calls.deliver(
    [
      call.inbound(t),
      call.ring("gap-1-leg", "101", t + 1000),
      call.end("gap-1-leg", "101", "no-answer", t + 30_000),
      call.hangup(t + 30_000),
    ].map((event) => ({ ...event, recovered })),
  );
  expect(box.calls.list({ limit: 10 })).toMatchObject([{ id: "gap-1", outcome: "missed", recovered }]);
  const missed = (at: number) => box?.calls.cards(at).filter((card) => card.state === "missed") ?? [];
  expect(missed(T("12:29:00")).map((card) => card.callId)).toEqual(["gap-1"]);
  expect(missed(T("12:31:00"))).toEqual([]);
});
