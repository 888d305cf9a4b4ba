import { afterEach, describe, expect, test } from "bun:test";
import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import { ru } from "../../src/i18n/ru.ts";
import { CallScript } from "../fixtures/domain/call-fixtures.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type KioskBox, makeKioskBox, testIdText, webApp } from "../support/kiosk-client.ts";

// The whole box: PBX events through the real call pipeline (journal, assembler, attribution) to the
// kiosk, the desk screen and the admin calls page. The box's clock: 2026-11-21 09:00 Moscow.
const T = (hhmmss: string) => Date.parse(`2026-11-21T${hhmmss}+03:00`);

let box: KioskBox | undefined;
afterEach(() => box?.close());

const open = async (options: Parameters<typeof makeKioskBox>[0] = {}) => {
  box = await makeKioskBox(options);
  return box;
};
const page = async (b: KioskBox, path: string) => (await b.get(path)).text();
const cardsIn = (html: string) =>
  [...html.matchAll(/data-testid="card-([^"]+)" data-state="([a-z]+)"/g)].map((m) => [m[1], m[2]]);
const checkIn = async (b: KioskBox, employeeId: string) =>
  expect(
    (await b.roster.record({ kind: "check-in", employeeId, deskId: "front", source: "kiosk" }, b.clock.now()))
      .ok,
  ).toBe(true);

/** An inbound call from `from`, queued at `start`; `then` adds what happens next. */
function inbound(
  id: string,
  from: string,
  start: string,
  then: (c: CallScript, t: number) => PbxEvent[] = () => [],
) {
  const call = new CallScript(id);
  const t = T(start);
  return [call.inbound(t, from), call.queued(t + 500), ...then(call, t)];
}
const answeredOn101 = (c: CallScript, t: number) => [
  c.ring(`${c.callId}-l`, "101", t + 1000),
  c.answer(`${c.callId}-l`, "101", t + 4000),
];

describe("call cards from the real pipeline", () => {
  test("R0.1: two calls in the queue are two red cards on the kiosk and on the desk screen", async () => {
    const b = await open();
    await b.calls.deliver([
      ...inbound("q1", "+79991234567", "08:59:00"),
      ...inbound("q2", "84951112233", "08:59:30"),
    ]);
    for (const path of ["/", "/desk/front"]) {
      const html = await page(b, path);
      expect(cardsIn(html)).toEqual([
        ["q1", "waiting"],
        ["q2", "waiting"],
      ]);
      expect(testIdText(html, "card-q1-number")).toBe("+7 999 123-45-67");
      expect(testIdText(html, "card-q2-number")).toBe("8 495 111-22-33");
      expect(testIdText(html, "card-q1-detail")).toBe(`${ru.waitingFor} 0:59`);
    }
  });

  test("R0.3, R3.1: answered on the front desk, the card is the checked-in receptionist's, on the kiosk and her desk", async () => {
    const b = await open();
    await checkIn(b, "anna");
    b.clock.set("2026-11-21T09:05:00+03:00");
    await b.calls.deliver(inbound("a1", "+79991234567", "09:04:00", answeredOn101));
    for (const path of ["/", "/desk/front"]) {
      const html = await page(b, path);
      expect(cardsIn(html)).toEqual([["a1", "answered"]]);
      expect(testIdText(html, "card-a1-who")).toBe("Анна Смирнова, доб. 101");
    }
  });

  test("R1.4: answered on a desk nobody holds, with no senior manager set, there is no card anywhere", async () => {
    const b = await open();
    await b.calls.deliver(inbound("u1", "+79991234567", "08:59:50", answeredOn101));
    expect(cardsIn(await page(b, "/"))).toEqual([]);
    expect(cardsIn(await page(b, "/desk/front"))).toEqual([]);
  });

  test("R3.2: answered on a desk nobody holds, the card is the senior manager's", async () => {
    const b = await open({ config: { calls: { senior_manager: "sergey" } } });
    await b.calls.deliver(inbound("u2", "+79991234567", "08:59:50", answeredOn101));
    const html = await page(b, "/");
    expect(cardsIn(html)).toEqual([["u2", "answered"]]);
    expect(testIdText(html, "card-u2-who")).toBe(ru.cardUnmappedAnswer("101", "Сергей Иванов"));
  });

  test("R3.3: a call nobody answered is a missed card for managers, not on a receptionist's desk; R2.9: and a record", async () => {
    const b = await open();
    await checkIn(b, "anna");
    await b.calls.deliver(
      inbound("m1", "+79991234567", "08:58:00", (c, t) => [
        c.ring("m1-l", "101", t + 1000),
        c.end("m1-l", "101", "cancelled", t + 20_000),
        c.hangup(t + 20_000),
      ]),
    );
    const kiosk = await page(b, "/");
    expect(cardsIn(kiosk)).toEqual([["m1", "missed"]]);
    expect(kiosk).toContain(ru.missedTitle);
    expect(cardsIn(await page(b, "/desk/front"))).toEqual([]);

    const admin = await (
      await b.web.request("/admin/calls?outcome=missed", {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      })
    ).text();
    expect(admin).toContain('data-testid="call-m1"');
    expect(admin).toContain(ru.outcomeMissed);
  });

  test("R2.9: the admin page and the CSV list the recorded call with its owner, filtered by employee", async () => {
    const b = await open();
    await checkIn(b, "anna");
    await b.calls.deliver([
      ...inbound("r1", "+79991234567", "09:00:00", answeredOn101),
      new CallScript("r1").event("leg-ended", T("09:02:00"), {
        legId: "r1-l",
        extension: "101",
        cause: "normal",
      }),
      new CallScript("r1").hangup(T("09:02:00")),
    ]);
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    const html = await (await b.web.request("/admin/calls?employee=anna", { headers: auth })).text();
    expect(testIdText(html, "call-r1-owner")).toBe("Анна Смирнова");
    expect(html).toContain("desk-checkin");
    expect(await (await b.web.request("/admin/calls?employee=olga", { headers: auth })).text()).not.toContain(
      'data-testid="call-r1"',
    );
    // `;` by default, for Russian Excel (issue 14, item 7).
    const csv = await (await b.web.request("/admin/calls.csv", { headers: auth })).text();
    expect(csv.split("\r\n")[1]).toStartWith(
      "r1;;2026-11-21 09:00:00;2026-11-21 09:00:04;2026-11-21 09:02:00;116;",
    );
  });

  test("R0.1: the kiosk's card stream redraws when the pipeline commits a new call", async () => {
    const b = await open();
    const response = await webApp(b.deps, { heartbeatMs: 1000 }).request("/calls/events");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = "";
    const until = async (pattern: RegExp) => {
      const deadline = Date.now() + 3000;
      while (!pattern.test(received)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${received}`);
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        received += decoder.decode(value, { stream: true });
      }
    };
    // This box has no PBX source (the test delivers to the pipeline itself): the stream says so.
    await until(/data: .*data-testid="no-pbx"/);
    await b.calls.deliver(inbound("s1", "+79991234567", "09:00:00"));
    await until(/data: .*data-testid="card-s1" data-state="waiting"/);
    await reader.cancel();
  });
});
