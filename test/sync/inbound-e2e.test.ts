// HQ's down streams end to end: a whole box with [mqtt] against a real Mosquitto and a test-played
// HQ. Staff reaches the kiosk, the client directory and settings reach attribution (R1.2), an
// expired command is answered, bad input does not block the stream, and what HQ sends while the
// box is away arrives when it is back (the persistent session).
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CallScript, CLIENT } from "../fixtures/domain/call-fixtures.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";
import { type KioskBox, makeKioskBox } from "../support/kiosk-client.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { eventually, startTestHq, type TestHq } from "../support/test-hq.ts";
import { capturingLogger, down, pinHash4321 } from "./inbound-fixtures.ts";

let broker: Mosquitto | undefined;
let hq: TestHq | undefined;
let box: TestBox | KioskBox | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await box?.close();
  box = undefined;
  await hq?.close();
  await broker?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const connected = (b: TestBox) =>
  eventually("the relay connects", () => b.deps.sync()?.state === "connected");
/** The relay subscribed once connected; give the SUBACK a moment. */
const subscribed = async (b: TestBox) => {
  await connected(b);
  await Bun.sleep(200);
};

test("HQ publishes an employee: the kiosk shows her and her PIN works", async () => {
  broker = await startMosquitto();
  hq = await startTestHq(broker.url);
  box = await makeKioskBox({ config: { mqtt: { url: broker.url } } });
  await subscribed(box);
  const kiosk = box as KioskBox;
  await hq.sendDown(
    "demo",
    "staff",
    down("staff", 1, [
      {
        type: "staff.upsert",
        data: { id: "maria", name: "Мария Новая", role: "reception", pinHash: await pinHash4321() },
      },
    ]),
  );
  await eventually(
    "the kiosk lists Maria",
    () => box?.roster.employees(box.clock.now()).some((e) => e.id === "maria") === true,
  );
  expect(await (await kiosk.get("/")).text()).toContain("Мария Новая");
  expect((await kiosk.post("/pin", { employeeId: "maria", pin: "4321" }, { hx: true })).status).toBe(200);
  expect((await kiosk.post("/pin", { employeeId: "maria", pin: "1111" }, { hx: true })).status).toBe(401);
}, 30_000);

test("R1.2 from HQ: settings and the client directory make a missed group call the client's responsible's", async () => {
  broker = await startMosquitto();
  hq = await startTestHq(broker.url);
  box = await makeTestBox({ config: { mqtt: { url: broker.url } } });
  await subscribed(box);
  await hq.sendDown(
    "demo",
    "settings",
    down("settings", 1, [{ type: "settings.update", data: { assignResponsibleForMissedGroupCalls: true } }]),
  );
  await hq.sendDown(
    "demo",
    "clients",
    down("clients", 1, [
      {
        type: "clients.snapshot",
        data: {
          version: 1,
          clients: [
            {
              number: CLIENT,
              clientId: "crm-1",
              name: "ООО Ромашка",
              responsibleEmployeeId: "sergey",
              openOrder: true,
            },
          ],
        },
      },
    ]),
  );
  const t = box.clock.now();
  const call = new CallScript("grp-1");
  // A ring group of the front desk (nobody checked in) and 106 (maps to nobody); nobody answers.
  await box.calls.deliver([
    call.inbound(t),
    call.ring("grp-1-a", "101", t + 1000),
    call.ring("grp-1-b", "106", t + 1000),
    call.end("grp-1-a", "101", "no-answer", t + 30_000),
    call.end("grp-1-b", "106", "no-answer", t + 30_500),
    call.hangup(t + 30_500),
  ]);
  await hq.waitApplied("demo", "calls", 1);
  expect(hq.applied("demo", "calls")[0]).toMatchObject({
    id: "grp-1",
    data: { outcome: "missed", owner: { employeeId: "sergey", rule: "responsible" } },
  });
}, 30_000);

test("a command expired in transit is not run and HQ gets an `expired` reply on up/replies", async () => {
  broker = await startMosquitto();
  hq = await startTestHq(broker.url);
  box = await makeTestBox({ config: { mqtt: { url: broker.url } } });
  await subscribed(box);
  const expiresAt = box.clock.now() - 60_000;
  await hq.sendDown(
    "demo",
    "commands",
    down("commands", 1, [
      {
        type: "command.run",
        data: { commandId: "ctc-1", kind: "click-to-call", expiresAt, args: { employeeId: "anna" } },
      },
      {
        type: "command.run",
        data: { commandId: "ctc-2", kind: "click-to-call", expiresAt: expiresAt + 3_600_000 },
      },
    ]),
  );
  await hq.waitApplied("demo", "replies", 2);
  expect(hq.applied("demo", "replies").map((r) => [r.id, r.type, r.data])).toEqual([
    ["ctc-1", "command.reply", { commandId: "ctc-1", status: "expired" }],
    ["ctc-2", "command.reply", { commandId: "ctc-2", status: "unsupported" }],
  ]);
}, 30_000);

test("bad input over the wire is logged with its code and PUBACKed; the stream goes on", async () => {
  broker = await startMosquitto();
  hq = await startTestHq(broker.url);
  const { log, codes } = capturingLogger();
  box = await makeTestBox({ config: { mqtt: { url: broker.url } }, log });
  await subscribed(box);
  const hash = await pinHash4321();
  const maria = (name: string) => ({
    type: "staff.upsert",
    data: { id: "maria", name, role: "reception", pinHash: hash },
  });
  await hq.sendDown("demo", "staff", "{not json");
  await hq.sendDown("demo", "staff", JSON.stringify({ v: 1, records: [] }));
  await hq.sendDown(
    "demo",
    "staff",
    down("staff", 1, [
      { type: "staff.upsert", data: { id: "x", name: "X", role: "reception", pin: "1234" } },
    ]),
  );
  await hq.sendDown("demo", "staff", down("staff", 1, [maria("Maria")]));
  await hq.sendDown("demo", "staff", down("staff", 1, [maria("Maria replayed")]));
  await hq.sendDown(
    "demo",
    "commands",
    down("commands", 1, [
      { type: "command.run", data: { commandId: "old", kind: "click-to-call", expiresAt: 0 } },
    ]),
  );
  await eventually("the expired command is answered", () => codes().includes("SYNC.COMMAND_EXPIRED"));
  expect(
    codes().filter(
      (c) => c.startsWith("SYNC.DOWN") || c.startsWith("SYNC.STAFF") || c.startsWith("SYNC.COMMAND"),
    ),
  ).toEqual([
    "SYNC.DOWN_BAD_JSON",
    "SYNC.DOWN_BAD_SCHEMA",
    "SYNC.STAFF_CLEAR_PIN",
    "SYNC.DOWN_DUPLICATE",
    "SYNC.COMMAND_EXPIRED",
  ]);
  expect(box.roster.employees(box.clock.now()).find((e) => e.id === "maria")?.name).toBe("Maria");
  expect(box.roster.employees(box.clock.now()).some((e) => e.id === "x")).toBe(false);
}, 30_000);

test("what HQ sends while the box is away arrives when it is back: the broker keeps the box's session", async () => {
  broker = await startMosquitto();
  hq = await startTestHq(broker.url);
  const dir = mkdtempSync(join(tmpdir(), "branchbox-inbound-e2e-"));
  dirs.push(dir);
  box = await makeTestBox({ config: { mqtt: { url: broker.url } }, dir });
  await subscribed(box);
  await box.close();
  box = undefined;
  await hq.sendDown(
    "demo",
    "staff",
    down("staff", 1, [
      {
        type: "staff.upsert",
        data: { id: "maria", name: "Maria", role: "manager", extension: "105", pinHash: await pinHash4321() },
      },
    ]),
  );
  box = await makeTestBox({ config: { mqtt: { url: broker.url } }, dir });
  await eventually(
    "Maria arrives after the restart",
    () => box?.roster.employees(box.clock.now()).some((e) => e.id === "maria") === true,
  );
}, 30_000);
