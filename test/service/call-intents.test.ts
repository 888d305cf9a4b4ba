// The CRM intents as the box writes them (issue 16): on `up/intents`, in the commit that records
// the call, once per call (not again after a re-attribution or a restart), R3.10's at the call's
// start; HQ's directory and settings as the inbox keeps them; real third-party captures.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SyncRecord } from "../../src/contract/protocol.ts";
import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import { outboxStore } from "../../src/store/outbox-store.ts";
import { CallScript } from "../fixtures/domain/call-fixtures.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";
import { endpointOf, expectedCapture, replayCapture } from "../support/real-captures.ts";
import { down } from "../sync/inbound-fixtures.ts";

const T = (hhmmss: string) => Date.parse(`2026-11-21T${hhmmss}+03:00`);
const CLIENT = "+79161234567";

let box: TestBox | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await box?.close();
  box = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const send = (b: TestBox, stream: "clients" | "settings", seq: number, type: string, data: unknown) =>
  b.inbound.handle(stream, new TextEncoder().encode(JSON.stringify(down(stream, seq, [{ type, data }]))));

const directory = (b: TestBox, clients: readonly object[], seq = 1) =>
  send(b, "clients", seq, "clients.snapshot", { version: seq, clients });

const client = (overrides: object = {}) => ({
  number: CLIENT,
  clientId: "k-1",
  name: "ООО Ромашка",
  responsibleEmployeeId: "sergey",
  openOrder: true,
  ...overrides,
});

function answeredAt101(id: string, from = "89161234567", start = T("10:00:00")): PbxEvent[] {
  const c = new CallScript(id);
  return [
    c.inbound(start, from),
    c.ring(`${id}-l`, "101", start + 1000),
    c.event("answered", start + 5000, { legId: `${id}-l`, extension: "101", recordingUrl: `rec/${id}.wav` }),
    c.end(`${id}-l`, "101", "normal", start + 60_000),
    c.hangup(start + 60_000),
  ];
}

const intents = (b: TestBox): SyncRecord[] => outboxStore(b.db).pending("intents", 0, 1000);
const callRecords = (b: TestBox): SyncRecord[] => outboxStore(b.db).pending("calls", 0, 1000);
const brief = (r: SyncRecord) => {
  const d = r.data as {
    rule: string;
    assigneeEmployeeId?: string;
    responsibleEmployeeId?: string;
    purpose?: string;
  };
  const who = d.assigneeEmployeeId ?? d.responsibleEmployeeId ?? "nobody";
  return [r.id, r.type, d.purpose, r.type === "crm.client.reopen" ? null : who, d.rule]
    .filter(Boolean)
    .join(" ");
};

async function checkIn(b: TestBox, employeeId: string, at: string) {
  const response = await b.api("/api/v1/roster/check-in", {
    method: "POST",
    body: JSON.stringify({ employeeId, deskId: "front", at }),
  });
  expect(response.status).toBe(200);
}

test("R3.5b: a known client answered at the front desk by olga, sergey responsible: two tasks on up/intents, in the call record's commit", async () => {
  box = await makeTestBox({ clock: fakeClock("2026-11-21T12:00:00+03:00") });
  await checkIn(box, "olga", "2026-11-21T09:00:00+03:00");
  directory(box, [client()]); // an older HQ: no lastOrderClosed, read as false
  await box.calls.deliver(answeredAt101("c1"));
  expect(intents(box).map(brief)).toEqual([
    "c1:1 crm.task.create call-logged olga R3.5b",
    "c1:2 crm.task.create review-call sergey R3.5b",
  ]);
  expect(intents(box)[0]?.data).toMatchObject({
    callId: "c1",
    number: CLIENT,
    clientId: "k-1",
    status: "completed",
    recordingUrl: "rec/c1.wav",
  });
  // One commit: the call record and its intents carry the commit's instant.
  expect(new Set([...callRecords(box), ...intents(box)].map((r) => r.ts)).size).toBe(1);
  expect(box.calls.status()).toMatchObject({ recorded: 1, intents: 2, unnumbered: 0 });
});

test("R3.7a: a call read back from the PBX's records within a day gets its intents (missed while the box was down); one older (a backfill of old weeks) none, its record still sent", async () => {
  box = await makeTestBox({
    clock: fakeClock("2026-11-21T12:00:00+03:00"),
    config: { calls: { senior_manager: "sergey" } },
  });
  directory(box, [client()]);
  const missed = (id: string, start: number): PbxEvent[] => {
    const c = new CallScript(id);
    const recovered = { via: "cel" as const, at: T("12:00:00") };
    return [
      { ...c.inbound(start, "89161234567"), recovered },
      c.ring(`${id}-l`, "101", start + 1000),
      c.end(`${id}-l`, "101", "no-answer", start + 30_000),
      c.hangup(start + 30_000),
    ];
  };
  await box.calls.deliver(missed("recent", T("09:00:00")));
  await box.calls.deliver(missed("old", T("09:00:00") - 3 * 86_400_000));
  expect(intents(box).map(brief)).toEqual(["recent:1 crm.task.create distribute sergey R3.7a"]);
  expect(callRecords(box).map((r) => r.id)).toEqual(["recent", "old"]);
  expect(box.calls.intentsOf("old")).toMatchObject({
    decided: true,
    intents: [],
    none: expect.stringContaining("more than a day"),
  });
});

test("R3.6a: lastOrderClosed from HQ's directory is kept: the responsible's answer reopens the client with a new order", async () => {
  box = await makeTestBox({
    clock: fakeClock("2026-11-21T12:00:00+03:00"),
    config: { calls: { senior_manager: "sergey" } },
  });
  await checkIn(box, "olga", "2026-11-21T09:00:00+03:00");
  directory(box, [client({ responsibleEmployeeId: "olga", openOrder: false, lastOrderClosed: true })]);
  await box.calls.deliver(answeredAt101("c6"));
  expect(intents(box).map(brief)).toEqual([
    "c6:1 crm.client.reopen R3.6a",
    "c6:2 crm.task.create call-logged olga R3.6a",
    "c6:3 crm.order.create olga R3.6a",
  ]);
});

test("nothing half-written: when the intents cannot be written, neither are the call record nor its events", async () => {
  box = await makeTestBox({ clock: fakeClock("2026-11-21T12:00:00+03:00") });
  box.db.run(
    "CREATE TRIGGER refuse_intents BEFORE INSERT ON outbox WHEN NEW.stream = 'intents' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
  );
  await expect(box.calls.deliver(answeredAt101("c2"))).rejects.toThrow("disk full");
  expect(callRecords(box)).toEqual([]);
  expect(box.calls.list({ limit: 10 })).toEqual([]);
  box.db.run("DROP TRIGGER refuse_intents");
  await box.calls.deliver(answeredAt101("c2")); // the source delivers again
  expect(callRecords(box).map((r) => r.id)).toEqual(["c2"]);
  expect(intents(box).map((r) => r.id)).toEqual(["c2:1", "c2:2", "c2:3"]);
});

test("R3.4: a re-attributed call sends its corrected record again, never its intents; a restart sends nothing again", async () => {
  const clock = fakeClock("2026-11-21T12:00:00+03:00");
  const dir = mkdtempSync(join(tmpdir(), "branchbox-intents-"));
  dirs.push(dir);
  box = await makeTestBox({ clock, dir });
  await box.calls.deliver(answeredAt101("c3")); // nobody on shift: 101 maps to nobody
  expect(intents(box).map(brief)).toEqual([
    "c3:1 crm.client.create nobody R3.4",
    "c3:2 crm.order.create nobody R3.4",
    "c3:3 crm.task.create check-settings nobody R3.5c",
  ]);
  // A manager's late check-in: olga was at the desk since 09:00. The call is hers now.
  await checkIn(box, "olga", "2026-11-21T09:00:00+03:00");
  expect(callRecords(box).filter((r) => r.id === "c3")).toHaveLength(2);
  expect(box.calls.list({ limit: 1 })[0]?.owner.employeeId).toBe("olga");
  expect(intents(box)).toHaveLength(3);

  // A restart replays the journal: the call is recorded, its intents were sent; the PBX's resync
  // delivering the same events again changes nothing either.
  await box.close();
  box = await makeTestBox({ clock, dir });
  await box.calls.deliver(answeredAt101("c3"));
  expect(intents(box)).toHaveLength(3);
});

test("R3.10: HQ sets 'create before pickup': a new number's client and order go as the call starts, on the senior manager, and not again after it", async () => {
  box = await makeTestBox({ clock: fakeClock("2026-11-21T12:00:00+03:00") });
  await checkIn(box, "olga", "2026-11-21T09:00:00+03:00");
  send(box, "settings", 1, "settings.update", { seniorManagerId: "sergey", crmMode: "create-before-pickup" });
  const heard: number[] = [];
  box.calls.subscribe((_changed, _recorded, n = 0) => heard.push(n));
  const events = answeredAt101("c4");
  await box.calls.deliver(events.slice(0, 2)); // the call starts and rings
  expect(intents(box).map(brief)).toEqual([
    "c4:start:1 crm.client.create sergey R3.10",
    "c4:start:2 crm.order.create sergey R3.10",
  ]);
  expect(heard).toContain(2); // the relay is woken for them
  await box.calls.deliver(events.slice(2));
  expect(intents(box).map(brief).slice(2)).toEqual(["c4:1 crm.task.create call-logged olga R3.4"]);
});

test("R2.7: [crm] unknown_numbers = unsorted: a new number's call goes to unsorted in the pipeline of its DID, whatever form the table writes it in", async () => {
  box = await makeTestBox({
    clock: fakeClock("2026-11-21T12:00:00+03:00"),
    config: {
      crm: {
        unknown_numbers: "unsorted",
        unsorted_pipelines: "84951112233=Продажи,74959990000=Сервис",
        unsorted_default_pipeline: "Основная",
      },
    },
  });
  await box.calls.deliver(answeredAt101("c5")); // DID +74951112233
  expect(intents(box).map((r) => [r.type, r.data])).toEqual([
    [
      "crm.unsorted.create",
      expect.objectContaining({ number: CLIENT, did: "+74951112233", pipeline: "Продажи", rule: "R2.7" }),
    ],
  ]);
});

test("caller ids with no E.164 form create nothing and are counted; an internal call creates nothing", async () => {
  box = await makeTestBox({ clock: fakeClock("2026-11-21T12:00:00+03:00") });
  await box.calls.deliver(answeredAt101("u1", "unknown"));
  await box.calls.deliver(answeredAt101("u2", "anonymous"));
  const internal = new CallScript("i1");
  await box.calls.deliver([
    internal.placed(T("10:00:00"), "i1-a", "101", { extension: "102" }),
    internal.ring("i1-b", "102", T("10:00:01")),
    internal.answer("i1-b", "102", T("10:00:03")),
    internal.hangup(T("10:00:30")),
  ]);
  expect(intents(box)).toEqual([]);
  expect(box.calls.status()).toMatchObject({ recorded: 3, intents: 0, unnumbered: 2 });
});

/** The demo staff plus employees whose dedicated extensions are a real capture's handsets. */
async function captureBox(handsets: Record<string, string>) {
  return makeTestBox({
    clock: fakeClock("2026-11-21T12:00:00+03:00"),
    staff: Object.entries(handsets).map(([id, device]) => ({
      id,
      name: id,
      role: "manager" as const,
      pin: "4321",
      extension: endpointOf(device),
    })),
  });
}

test("R3.5b on a real capture (VoIPGRID, blind transfer to a ring group): the employee who had the client at the end gets the completed task, the responsible the review", async () => {
  const capture = expectedCapture("vg-blind-xfer-to-ringgroup.ami");
  box = await captureBox({ piet: "SIP/150010001", kees: "SIP/150010002", jan: "SIP/150010003" });
  directory(box, [client({ number: "+31260010001", responsibleEmployeeId: "piet" })]);
  await box.calls.deliver(replayCapture(capture).events);
  expect(intents(box).map((r) => brief(r).replace(/^\S+ /, ""))).toEqual([
    "crm.task.create call-logged jan R3.5b",
    "crm.task.create review-call piet R3.5b",
  ]);
});

test("R3.4 on a real capture (VoIPGRID queue): a new number answered by a handset's employee: client, order and task on them", async () => {
  const capture = expectedCapture("vg-queue-answered.ami");
  box = await captureBox({ kees: "SIP/150010002", jan: "SIP/150010003" });
  await box.calls.deliver(replayCapture(capture).events);
  expect(intents(box).map((r) => brief(r).replace(/^\S+ /, ""))).toEqual([
    "crm.client.create kees R3.4",
    "crm.order.create kees R3.4",
    "crm.task.create call-logged kees R3.4",
  ]);
  expect(intents(box)[0]?.data).toMatchObject({ number: "+31150010001" });
});

test("a real outbound capture (VoIPGRID, Asterisk 11) to 0508009000, a Dutch national number the Russian default rule cannot read: no intent, counted", async () => {
  const capture = expectedCapture("vg11-outbound-trunk.ami");
  box = await captureBox({ piet: "SIP/126680010" });
  await box.calls.deliver(replayCapture(capture).events);
  expect(box.calls.status()).toMatchObject({ recorded: 1, intents: 0, unnumbered: 1 });
  expect(intents(box)).toEqual([]);
});
