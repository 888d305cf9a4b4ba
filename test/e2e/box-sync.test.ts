// The box's facts reach headquarters: a whole box with [mqtt] against a real Mosquitto and a
// test-played HQ. A kiosk check-in and a finished call each arrive as records; HQ's ack empties
// the outbox; a re-attribution sends the changed call record again under the same id.
import { afterEach, expect, test } from "bun:test";
import { CallScript } from "../fixtures/domain/call-fixtures.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { eventually, startTestHq, type TestHq } from "../support/test-hq.ts";

const T = (hhmmss: string) => Date.parse(`2026-11-21T${hhmmss}+03:00`);

let broker: Mosquitto | undefined;
let hq: TestHq | undefined;
let box: TestBox | undefined;
afterEach(async () => {
  await box?.close();
  await hq?.close();
  await broker?.stop();
});

const outboxRows = (b: TestBox) => b.db.query<{ n: number }, []>("SELECT count(*) AS n FROM outbox").get()?.n;

test("roster facts and call records reach headquarters in seq order, and leave the outbox only on HQ's ack", async () => {
  broker = await startMosquitto();
  hq = await startTestHq(broker.url);
  box = await makeTestBox({
    clock: { now: () => T("12:00:00"), set() {}, advance() {} },
    config: { mqtt: { url: broker.url } },
  });

  const checkIn = await box.api("/api/v1/roster/check-in", {
    method: "POST",
    body: JSON.stringify({ employeeId: "olga", deskId: "front", at: "2026-11-21T09:00:00+03:00" }),
  });
  expect(checkIn.status).toBe(200);
  const call = new CallScript("hq-1");
  await box.calls.deliver([
    call.inbound(T("10:00:00")),
    call.ring("hq-1-leg", "101", T("10:00:01")),
    call.answer("hq-1-leg", "101", T("10:00:05")),
    call.end("hq-1-leg", "101", "normal", T("10:01:00")),
    call.hangup(T("10:01:00")),
  ]);

  await hq.waitApplied("demo", "roster", 1);
  await hq.waitApplied("demo", "calls", 1);
  const [fact] = hq.applied("demo", "roster");
  expect(fact).toMatchObject({
    seq: 1,
    id: "fact-1",
    type: "roster.fact",
    data: { kind: "check-in", employeeId: "olga" },
  });
  const [record] = hq.applied("demo", "calls");
  expect(record).toMatchObject({
    seq: 1,
    id: "hq-1",
    type: "call.record",
    data: { owner: { employeeId: "olga", rule: "desk-checkin" } },
  });
  await eventually("the outbox empties on HQ's ack", () => outboxRows(box as TestBox) === 0);

  // Irina, not Olga, was at the desk from 09:30 (a manager's correction): the record changes.
  await box.api("/api/v1/roster/handover", {
    method: "POST",
    body: JSON.stringify({ employeeId: "irina", deskId: "front", at: "2026-11-21T09:30:00+03:00" }),
  });
  await hq.waitApplied("demo", "calls", 2);
  expect(hq.applied("demo", "calls")[1]).toMatchObject({
    seq: 2,
    id: "hq-1",
    data: { owner: { employeeId: "irina" } },
  });
  expect(hq.invalid).toEqual([]);
  expect(hq.duplicates("demo", "roster") + hq.duplicates("demo", "calls")).toBe(0);
}, 30_000);

test("visibility: /admin and /metrics show the backlog while HQ is away, a progress bar, then all sent", async () => {
  broker = await startMosquitto();
  hq = await startTestHq(broker.url, { online: false });
  box = await makeTestBox({ config: { mqtt: { url: broker.url } } });
  for (const employeeId of ["anna", "olga", "irina"]) {
    await box.api("/api/v1/roster/check-in", {
      method: "POST",
      body: JSON.stringify({ employeeId, deskId: "front" }),
    });
  }
  await eventually("the relay connects", () => box?.deps.sync()?.state === "connected");
  const metrics = await (await box.api("/metrics")).text();
  expect(metrics).toContain('branchbox_sync_backlog{stream="roster"} 3');
  expect(metrics).toContain("branchbox_sync_connected 1");
  expect(metrics).toContain("branchbox_sync_hq_online 0");
  expect(metrics).toMatch(/^# TYPE branchbox_sync_reconnects_total counter$/m);
  expect((await box.app.request("/metrics")).status).toBe(401);
  const away = await (await box.api("/admin?lang=en")).text();
  expect(away).toContain("headquarters not answering");
  expect(away).toMatch(/<progress[^>]*max="3"[^>]*value="0"/);

  await hq.setOnline(true);
  await hq.waitApplied("demo", "roster", 3);
  await eventually("the backlog drains", () => box?.deps.sync()?.streams.roster.backlog === 0);
  const done = await (await box.api("/admin?lang=en")).text();
  expect(done).not.toContain("<progress");
  expect(done).toContain("all sent");
  expect(await (await box.api("/metrics")).text()).toContain('branchbox_sync_acked_seq{stream="roster"} 3');
}, 30_000);

test("without [mqtt] the admin page says sync is off and /metrics says so too", async () => {
  box = await makeTestBox();
  expect(await (await box.api("/admin")).text()).toContain('data-testid="sync-off"');
  expect(await (await box.api("/metrics")).text()).toContain("branchbox_sync_enabled 0");
  const metrics = await (await box.api("/metrics")).text();
  expect(metrics).toContain('branchbox_sync_down_seq{stream="staff"} 0');
  expect(metrics).toContain("branchbox_clients_directory_version 0");
  expect(await (await box.api("/admin")).text()).toContain('data-testid="down-summary"');
});
