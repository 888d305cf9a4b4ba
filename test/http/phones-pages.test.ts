// Issue 17: what the desk phones' action URLs show: /admin's Phones part, the desk screen, and
// which phone picked up on /admin/calls/<id>. Enrichment only: no call comes from them.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { ConfigInput } from "../../src/config/schema.ts";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type FakeCalls, fakeCalls, leg, record } from "../support/fake-calls.ts";
import { type KioskBox, makeKioskBox, peer, testIdText } from "../support/kiosk-client.ts";
import { sseReader } from "../support/sse-reader.ts";

const TOKEN_A = "reception-a-token-0123456789";
const TOKEN_B = "reception-b-token-0123456789";
const PHONES: ConfigInput["phones"] = [
  { id: "reception-a", extension: "101", address: "10.0.0.21", vendor: "yealink", token: TOKEN_A },
  { id: "reception-b", extension: "101", address: "10.0.0.23", vendor: "grandstream", token: TOKEN_B },
];

let calls: FakeCalls;
let box: KioskBox;
beforeEach(async () => {
  calls = fakeCalls();
  box = await makeKioskBox({ calls, config: { phones: PHONES } });
});
afterEach(() => box.close());

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const admin = async (path: string) => (await box.web.request(path, { headers: AUTH })).text();
const phone = async (token: string, from: string, event: string) => {
  const response = await box.web.request(`/phone/${token}/${event}`, {}, peer(from));
  expect(response.status).toBe(200);
};

describe("/admin: the Phones part", () => {
  test("each phone with its state, last event and refusals, in Russian by default and in English", async () => {
    await phone(TOKEN_A, "10.0.0.21", "incoming_call?remote=sip:%2B79161234567@pbx");
    await phone(TOKEN_A, "10.0.0.21", "call_established");
    await phone(TOKEN_B, "10.0.0.23", "dnd_on");
    await box.web.request(`/phone/${TOKEN_B}/mute`, {}, peer("10.0.0.23"));
    await box.web.request(`/phone/${TOKEN_B}/dnd_on`, {}, peer("10.0.0.99"));
    await box.web.request(`/phone/${"n".repeat(30)}/dnd_on`, {}, peer("10.0.0.99"));

    const page = await admin("/admin");
    expect(testIdText(page, "phone-state-reception-a")).toBe(
      `${ru.phoneRegistered} · ${ru.phoneTalking("+7 916 123-45-67")}`,
    );
    expect(testIdText(page, "phone-last-reception-a")).toStartWith(`${ru.phoneEventName("answered")}, `);
    expect(testIdText(page, "phone-state-reception-b")).toBe(
      `${ru.phoneRegistered} · ${ru.phoneDnd} · ${ru.phoneIdle}`,
    );
    expect(testIdText(page, "phone-refused-reception-b")).toContain(ru.phoneRefusedAddress(1));
    expect(testIdText(page, "phone-refused-reception-b")).toContain(ru.phoneRefusedEvent(1));
    expect(testIdText(page, "phones-unknown-token")).toBe(ru.adminPhonesUnknownToken(1));

    const english = await admin("/admin?lang=en");
    expect(testIdText(english, "phone-state-reception-b")).toBe(
      `${en.phoneRegistered} · ${en.phoneDnd} · ${en.phoneIdle}`,
    );
  });

  test("a phone that never called says so; the ready-to-paste URLs carry its token, behind the admin token only", async () => {
    const page = await admin("/admin");
    expect(testIdText(page, "phone-state-reception-a")).toBe(ru.phoneSilent);
    expect(testIdText(page, "phone-urls-reception-a")).toContain(
      `action_url.call_establishedhttp://localhost/phone/${TOKEN_A}/call_established?remote=$remote&display_remote=$display_remote&active_user=$active_user&call_id=$call_id`,
    );
    expect(testIdText(page, "phone-urls-reception-b")).toContain("Establish Call");
    expect((await box.web.request("/admin")).status).toBe(401);
  });

  test("no [[phones]]: the part says phones' events are not read", async () => {
    await box.close();
    box = await makeKioskBox({ calls });
    expect(testIdText(await admin("/admin"), "phones-none")).toBe(ru.adminPhonesNone);
  });
});

describe("the desk screen", () => {
  test("shows the desk's phones: DND, unregistered (in warning), and which one is talking", async () => {
    await phone(TOKEN_A, "10.0.0.21", "incoming_call?remote=sip:%2B79161234567@pbx");
    await phone(TOKEN_A, "10.0.0.21", "call_established");
    await phone(TOKEN_B, "10.0.0.23", "unregistered");
    const html = await (await box.get("/desk/front")).text();
    expect(testIdText(html, "desk-phone-reception-a")).toBe(
      ru.deskPhonesLine("reception-a", `${ru.phoneRegistered} · ${ru.phoneTalking("+7 916 123-45-67")}`),
    );
    expect(testIdText(html, "desk-phone-reception-b")).toBe(
      ru.deskPhonesLine("reception-b", `${ru.phoneUnregistered} · ${ru.phoneIdle}`),
    );
    expect(html).toContain('class="desk-phone-state warn" data-testid="desk-phone-reception-b"');
    // Enrichment only: nothing the phones said became a call.
    expect(calls.live()).toEqual([]);
  });
});

test("the desk's live stream redraws when one of its phones reports (DND on)", async () => {
  const sse = sseReader(await box.web.request("/desk/front/events?lang=ru"));
  await sse.until(/data: .*desk-phone-reception-a[^\n]*\n(retry: \d+\n)?\n/);
  sse.state.received = "";
  await phone(TOKEN_A, "10.0.0.21", "dnd_on");
  await sse.until(new RegExp(`data: .*${ru.phoneDnd}[^\n]*\n\n`));
  await sse.cancel();
});

describe("/admin/calls/<id>: which phone picked up (control-rules §4.4: by extension and time)", () => {
  const answeredAt = Date.parse("2026-11-21T09:00:10+03:00");
  const call = record("c1", "2026-11-21T09:00:00+03:00", {
    legs: [leg("c1-1", "101", { ringingAt: answeredAt - 8_000, answeredAt, endedAt: answeredAt + 60_000 })],
  });

  test("the phone of the leg's extension whose `answered` came within seconds is named", async () => {
    calls.commit({ records: [call] });
    box.clock.set("2026-11-21T09:00:08+03:00");
    await phone(TOKEN_A, "10.0.0.21", "incoming_call");
    await phone(TOKEN_B, "10.0.0.23", "incoming_call");
    box.clock.set("2026-11-21T09:00:11+03:00");
    await phone(TOKEN_B, "10.0.0.23", "establish_call");
    const page = await admin("/admin/calls/c1");
    expect(testIdText(page, "call-leg-phone-c1-1")).toBe(
      ru.callPickedUpOn("reception-b", "grandstream", "10.0.0.23"),
    );
  });

  test("no phone's answer within the window: the page says nothing rather than guess", async () => {
    calls.commit({ records: [call] });
    box.clock.set("2026-11-21T09:00:30+03:00");
    await phone(TOKEN_A, "10.0.0.21", "call_established");
    expect(await admin("/admin/calls/c1")).not.toContain("call-leg-phone-");
  });
});
