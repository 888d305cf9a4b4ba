// Issue 15, "Where": the desk screen's call panel (seed 002, R2.1–R2.4) through the whole app
// (CSRF, pairing gate, roster), with fake calls and a fake command service that records submits.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { DEMO_CONFIG, DEMO_STAFF } from "../../src/demo.ts";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import type { CallCommandInput } from "../../src/service/call-command-port.ts";
import type { StaffEntry } from "../../src/service/staff-import.ts";
import { type FakeCallCommands, fakeCallCommands } from "../support/fake-call-commands.ts";
import { card, type FakeCalls, fakeCalls } from "../support/fake-calls.ts";
import { type KioskBox, makeKioskBox, testIdText, ticketIn } from "../support/kiosk-client.ts";

const BRANCH = {
  ...DEMO_CONFIG,
  desks: [...DEMO_CONFIG.desks, { id: "back", name: "Касса", extension: "103" }],
};

let calls: FakeCalls;
let commands: FakeCallCommands;
let box: KioskBox;

const start = async (staff?: StaffEntry[]) => {
  calls = fakeCalls();
  commands = fakeCallCommands();
  box = await makeKioskBox({
    calls,
    commands,
    config: { desks: BRANCH.desks },
    ...(staff === undefined ? {} : { staff }),
  });
};
beforeEach(() => start());
afterEach(() => box.close());

const checkIn = async (employeeId: string, deskId = "front") => {
  const result = await box.roster.record(
    { kind: "check-in", employeeId, deskId, source: "kiosk" },
    box.clock.now(),
  );
  expect(result.ok).toBe(true);
};

const hx = { hx: true };
const read = async (response: Response) => ({ status: response.status, html: await response.text() });

/** Anna holds front's phone and opened its panel with her PIN: the panel's HTML and its proof. */
const openPanel = async (employeeId = "anna", pin = "1111", path = "/desk/front") => {
  const opened = await read(await box.post(`${path}/panel`, { employeeId, pin }, hx));
  expect(opened.status).toBe(200);
  expect(opened.html).toContain("data-panel-open");
  return { html: opened.html, ticket: ticketIn(opened.html) };
};

const submitted = (): CallCommandInput[] => [...commands.submits];

describe("issue 15: the desk panel opens only for the desk's phone holder, after her PIN", () => {
  test("without the PIN the desk screen is read-only: the closed panel offers the holder's PIN, no form acts", async () => {
    await checkIn("anna");
    const { status, html } = await read(await box.get("/desk/front"));
    expect(status).toBe(200);
    expect(testIdText(html, "panel-take")).toBe(ru.panelTake("Анна Смирнова"));
    expect(html).not.toContain('name="ticket"');
    expect(html).not.toContain("data-panel-open");
    const pad = await read(await box.get("/desk/front/panel/pin", hx));
    expect(pad.html).toContain('hx-post="/desk/front/panel"');
    expect(pad.html).toContain('name="employeeId" value="anna"');
  });

  test("a desk whose phone nobody holds says so, and offers no PIN", async () => {
    const { html } = await read(await box.get("/desk/front"));
    expect(testIdText(html, "panel-nobody")).toBe(ru.panelTakeNobody);
    expect(html).not.toContain('data-testid="panel-take"');
  });

  test("the holder's PIN opens the panel; the list is everyone else, with where their phone is today", async () => {
    await checkIn("anna");
    await checkIn("olga", "back");
    const { html } = await openPanel();
    expect(testIdText(html, "panel-row-olga")).toBe(`Ольга Петрова ${ru.panelWhereDesk("Касса", "103")}`);
    expect(testIdText(html, "panel-row-sergey")).toBe(`Сергей Иванов ${ru.panelWhereOff}`);
    expect(html).not.toContain('data-testid="panel-row-anna"');
    expect(testIdText(html, "panel-hint")).toBe(ru.panelHintEmpty);
  });

  test("COMMAND.NOT_YOUR_CALL: a colleague who does not hold the phone is refused in words, her PIN not judged", async () => {
    await checkIn("anna");
    await checkIn("olga", "back");
    const { status, html } = await read(
      await box.post("/desk/front/panel", { employeeId: "olga", pin: "0000" }, hx),
    );
    expect(status).toBe(403);
    expect(testIdText(html, "panel-error")).toBe(ru.errCommandNotYourCall);
    expect(ru.errCommandNotYourCall.startsWith("Панелью пользуется тот, у кого телефон этого места")).toBe(
      true,
    );
    expect(html).not.toContain("data-panel-open");
    // No try of hers was spent: her right PIN still works at the kiosk on the first go.
    expect(box.roster.pinStatus(box.clock.now()).wrongToday).toEqual([]);
  });

  test("a wrong PIN is counted as at the kiosk, and the pad says how many tries are left", async () => {
    await checkIn("anna");
    const { status, html } = await read(
      await box.post("/desk/front/panel", { employeeId: "anna", pin: "9999" }, hx),
    );
    expect(status).toBe(401);
    expect(testIdText(html, "pin-error")).toBe(ru.pinWrong(4));
    expect(html).not.toContain("data-panel-open");
    expect(box.roster.pinStatus(box.clock.now()).wrongToday).toEqual([
      { employeeId: "anna", name: "Анна Смирнова", count: 1 },
    ]);
  });

  test("a handover closes it: the next action of the former holder is refused COMMAND.NOT_YOUR_CALL, nothing sent", async () => {
    await checkIn("anna");
    const { ticket } = await openPanel();
    await checkIn("olga");
    const handover = await box.roster.record(
      { kind: "handover", employeeId: "olga", deskId: "front", source: "kiosk" },
      box.clock.now(),
    );
    expect(handover.ok).toBe(true);
    const { status, html } = await read(await box.post("/desk/front/call", { ticket, q: "89161234567" }, hx));
    expect(status).toBe(403);
    expect(testIdText(html, "panel-error")).toBe(ru.errCommandNotYourCall);
    expect(submitted()).toEqual([]);
  });

  test("an expired or forged proof closes the panel and says to type the PIN again; nothing sent", async () => {
    await checkIn("anna");
    const { ticket } = await openPanel();
    box.clock.advance(box.config.kiosk.idle_seconds * 1000 + 1);
    const late = await read(await box.post("/desk/front/call", { ticket, q: "89161234567" }, hx));
    expect(late.status).toBe(403);
    expect(testIdText(late.html, "panel-error")).toBe(ru.panelClosedIdle);
    const forged = await read(await box.post("/desk/front/call", { ticket: "x.y.z", q: "89161234567" }, hx));
    expect(forged.status).toBe(403);
    expect(submitted()).toEqual([]);
  });

  test("a post from another site is refused by the CSRF check; nothing sent", async () => {
    await checkIn("anna");
    const { ticket } = await openPanel();
    const response = await box.post(
      "/desk/front/call",
      { ticket, q: "89161234567" },
      { origin: "http://evil.example" },
    );
    expect(response.status).toBe(403);
    expect(submitted()).toEqual([]);
  });
});

describe("issue 15, R2.1: the one input dials (seed 002)", () => {
  test("a number typed and Enter: click-to-call from the desk's extension, by the holder at the desk", async () => {
    await checkIn("anna");
    const { ticket } = await openPanel();
    const { status, html } = await read(
      await box.post("/desk/front/call", { ticket, commandId: "cmd-number-1", q: "8 (916) 123-45-67" }, hx),
    );
    expect(status).toBe(202);
    expect(submitted()).toEqual([
      {
        kind: "click-to-call",
        commandId: "cmd-number-1",
        origin: { via: "desk", deskId: "front", employeeId: "anna" },
        extension: "101",
        number: "89161234567",
      },
    ]);
    expect(testIdText(html, "panel-status")).toBe(`${ru.cmdCall("8 916 123-45-67")} — ${ru.cmdQueued}`);
    // The status line asks again until the command settles.
    expect(html).toContain('hx-get="/desk/front/command/cmd-number-1"');
  });

  test("the only colleague the filter leaves is dialled at her phone today, even if the text reads as a number", async () => {
    await checkIn("anna");
    await checkIn("olga", "back");
    const { ticket } = await openPanel();
    // "10" alone is no number (three digits at least), and leaves Olga (103) and Sergey (102)...
    const two = await read(await box.post("/desk/front/call", { ticket, q: "10" }, hx));
    expect(two.status).toBe(409);
    expect(testIdText(two.html, "panel-error")).toBe(ru.panelAmbiguous(2));
    expect(submitted()).toEqual([]);
    // ...and "ол" leaves only Olga: Enter dials 103 from 101.
    const one = await read(await box.post("/desk/front/call", { ticket: ticketIn(two.html), q: "ол" }, hx));
    expect(one.status).toBe(202);
    expect(submitted()).toMatchObject([{ kind: "click-to-call", extension: "101", number: "103" }]);
    expect(testIdText(one.html, "panel-status")).toBe(
      `${ru.cmdCall("Ольга Петрова, доб. 103")} — ${ru.cmdQueued}`,
    );
  });

  test("an extension matches by its start: '103' dials Olga at 103, '10355' matches nobody and is a number", async () => {
    await checkIn("anna");
    await checkIn("olga", "back");
    const { ticket } = await openPanel();
    await box.post("/desk/front/call", { ticket, q: "103" }, hx);
    await box.post("/desk/front/call", { ticket, q: "10355" }, hx);
    expect(submitted().map((s) => (s.kind === "click-to-call" ? s.number : ""))).toEqual(["103", "10355"]);
  });

  test("the page says before Enter what Enter will do: the server's hint for a kept text", async () => {
    await checkIn("anna");
    await checkIn("olga", "back");
    const { ticket } = await openPanel();
    // Sergey is not on shift: his row says so and dialling him is refused in words, nothing sent.
    const { status, html } = await read(await box.post("/desk/front/call", { ticket, q: "серг" }, hx));
    expect(status).toBe(409);
    expect(testIdText(html, "panel-error")).toBe(ru.panelColleagueNoPhone("Сергей Иванов"));
    expect(testIdText(html, "panel-hint")).toBe(ru.panelHintOneNoPhone("Сергей Иванов"));
    expect(html).toContain('value="серг"');
    expect(submitted()).toEqual([]);
  });

  test("two colleagues left: Enter sends nothing and says to narrow it down", async () => {
    await checkIn("anna");
    await checkIn("olga", "back");
    await checkIn("irina", "back");
    const { ticket } = await openPanel();
    const { html } = await read(await box.post("/desk/front/call", { ticket, q: "касса" }, hx));
    expect(testIdText(html, "panel-error")).toBe(ru.panelAmbiguous(2));
    expect(submitted()).toEqual([]);
  });

  test("a tap on a colleague's row dials her", async () => {
    await checkIn("anna");
    await checkIn("irina", "back");
    const { ticket } = await openPanel();
    const { status } = await read(await box.post("/desk/front/call", { ticket, to: "irina", q: "" }, hx));
    expect(status).toBe(202);
    expect(submitted()).toMatchObject([{ kind: "click-to-call", extension: "101", number: "103" }]);
  });

  test("the status line follows the command: ringing her phone, then done", async () => {
    await checkIn("anna");
    const { ticket } = await openPanel();
    await box.post("/desk/front/call", { ticket, commandId: "cmd-follow-1", q: "89161234567" }, hx);
    commands.move("cmd-follow-1", "ringing-employee");
    const ringing = await read(await box.get("/desk/front/command/cmd-follow-1", hx));
    expect(testIdText(ringing.html, "panel-status")).toBe(
      `${ru.cmdCall("8 916 123-45-67")} — ${ru.cmdRinging("101")}`,
    );
    expect(ringing.html).toContain('hx-trigger="every 1s"');
    commands.move("cmd-follow-1", "failed", "busy");
    const failed = await read(await box.get("/desk/front/command/cmd-follow-1", hx));
    expect(testIdText(failed.html, "panel-status")).toBe(
      `${ru.cmdCall("8 916 123-45-67")} — ${ru.cmdFailed("busy")}`,
    );
    expect(failed.html).not.toContain("hx-trigger");
    // An id this screen never sent is nobody's business here.
    expect((await box.get("/desk/front/command/someone-elses", hx)).status).toBe(404);
  });
});

describe("issue 15, R2.2–R2.4: hang up and transfer on the desk's live card", () => {
  const answered = (callId: string, extension = "101") =>
    card(callId, { state: "answered", extension, ownerEmployeeId: "anna", audience: ["anna"] });

  test("the desk's live card carries hang up and transfer; another desk's call carries nothing", async () => {
    await checkIn("anna");
    calls.setCards([
      answered("c1"),
      card("c2", { state: "answered", extension: "103", audience: "everyone" }),
    ]);
    const { html } = await read(await box.get("/desk/front"));
    expect(testIdText(html, "card-c1-hangup")).toBe(ru.cardHangup);
    expect(testIdText(html, "card-c1-transfer")).toBe(ru.cardTransfer);
    expect(html).toContain('form="panel-hangup" name="callId" value="c1"');
    expect(html).toContain('data-testid="card-c2"');
    expect(html).not.toContain("card-c2-hangup");
  });

  test("R2.2: hang up sends kind hangup with the card's callId", async () => {
    await checkIn("anna");
    calls.setCards([answered("c1")]);
    const { ticket } = await openPanel();
    const { status, html } = await read(await box.post("/desk/front/hangup", { ticket, callId: "c1" }, hx));
    expect(status).toBe(202);
    expect(submitted()).toMatchObject([
      { kind: "hangup", callId: "c1", origin: { via: "desk", deskId: "front", employeeId: "anna" } },
    ]);
    expect(testIdText(html, "panel-status")).toBe(`${ru.cmdHangup("+7 999 123-45-67")} — ${ru.cmdQueued}`);
  });

  test("COMMAND.NOT_YOUR_CALL: a hang-up or a transfer of another desk's call is refused in words, nothing sent", async () => {
    await checkIn("anna");
    calls.setCards([
      answered("c1"),
      card("c2", { state: "answered", extension: "103", audience: "everyone" }),
    ]);
    const { ticket } = await openPanel();
    const hangup = await read(await box.post("/desk/front/hangup", { ticket, callId: "c2" }, hx));
    expect(hangup.status).toBe(403);
    expect(testIdText(hangup.html, "panel-error")).toBe(ru.errCommandNotYourCall);
    const transfer = await read(
      await box.post("/desk/front/transfer", { ticket, callId: "c2", to: "olga" }, hx),
    );
    expect(transfer.status).toBe(403);
    const gone = await read(await box.post("/desk/front/hangup", { ticket, callId: "c9" }, hx));
    expect(testIdText(gone.html, "panel-error")).toBe(ru.errCommandUnknownCall);
    expect(submitted()).toEqual([]);
  });

  test("R2.3: 'Перевести' asks where, blind first; a colleague picked is a blind transfer to her id", async () => {
    await checkIn("anna");
    await checkIn("olga", "back");
    calls.setCards([answered("c1")]);
    const { ticket } = await openPanel();
    const pick = await read(await box.post("/desk/front/transfer", { ticket, callId: "c1" }, hx));
    expect(pick.status).toBe(200);
    expect(testIdText(pick.html, "panel-transfer")).toBe(ru.panelTransferTitle("+7 999 123-45-67"));
    expect(pick.html).toMatch(/name="mode" value="blind" checked/);
    expect(pick.html).toContain('hx-post="/desk/front/transfer"');
    expect(submitted()).toEqual([]);
    const done = await read(
      await box.post(
        "/desk/front/transfer",
        { ticket: ticketIn(pick.html), callId: "c1", mode: "blind", to: "olga" },
        hx,
      ),
    );
    expect(done.status).toBe(202);
    expect(submitted()).toMatchObject([{ kind: "transfer", callId: "c1", to: "olga", mode: "blind" }]);
  });

  test("R2.4: attended, to a typed number", async () => {
    await checkIn("anna");
    calls.setCards([answered("c1")]);
    const { ticket } = await openPanel();
    await box.post(
      "/desk/front/transfer",
      { ticket, callId: "c1", mode: "attended", q: "+7 495 111-22-33" },
      hx,
    );
    expect(submitted()).toMatchObject([
      { kind: "transfer", callId: "c1", to: "+74951112233", mode: "attended" },
    ]);
  });

  test("R2.3: a double tap on a colleague (no call id) is a blind transfer of the desk's only live call", async () => {
    await checkIn("anna");
    await checkIn("irina", "back");
    const { ticket } = await openPanel();
    const none = await read(
      await box.post("/desk/front/transfer", { ticket, mode: "blind", to: "irina" }, hx),
    );
    expect(testIdText(none.html, "panel-error")).toBe(ru.panelNoLiveCall);
    calls.setCards([answered("c1")]);
    await box.post("/desk/front/transfer", { ticket, mode: "blind", to: "irina" }, hx);
    expect(submitted()).toMatchObject([{ kind: "transfer", callId: "c1", to: "irina", mode: "blind" }]);
  });
});

describe("issue 15, R2.2 R2.3: a client's call ringing at the desk", () => {
  const ringing = (callId: string) =>
    card(callId, { state: "waiting", direction: "inbound", extension: "101", audience: "everyone" });

  test("its card offers to decline it and to send it on; a queued call (no extension yet) is answered on the phone", async () => {
    await checkIn("anna");
    calls.setCards([ringing("r1"), card("q1", { state: "waiting", extension: null, audience: "everyone" })]);
    const { html } = await read(await box.get("/desk/front"));
    expect(testIdText(html, "card-r1-hangup")).toBe(ru.cardDecline);
    expect(testIdText(html, "card-r1-transfer")).toBe(ru.cardTransfer);
    expect(html).not.toContain("card-q1-hangup");
  });

  test("'Перевести' on it offers no consultation (nobody answered): the colleague picked gets it blind, even if the form said attended", async () => {
    await checkIn("anna");
    await checkIn("olga", "back");
    calls.setCards([ringing("r1")]);
    const { ticket } = await openPanel();
    const pick = await read(await box.post("/desk/front/transfer", { ticket, callId: "r1" }, hx));
    expect(testIdText(pick.html, "panel-ringing-blind")).toBe(ru.panelRingingBlind);
    expect(pick.html).not.toContain('data-testid="panel-mode-attended"');
    await box.post(
      "/desk/front/transfer",
      { ticket: ticketIn(pick.html), callId: "r1", mode: "attended", to: "olga" },
      hx,
    );
    expect(submitted()).toMatchObject([{ kind: "transfer", callId: "r1", to: "olga", mode: "blind" }]);
  });

  test("a double tap on a colleague sends the one call ringing at the desk to her", async () => {
    await checkIn("anna");
    await checkIn("irina", "back");
    calls.setCards([ringing("r1")]);
    const { ticket } = await openPanel();
    await box.post("/desk/front/transfer", { ticket, mode: "blind", to: "irina" }, hx);
    expect(submitted()).toMatchObject([{ kind: "transfer", callId: "r1", to: "irina", mode: "blind" }]);
  });
});

describe("issue 15: every refusal is a sentence that says what to do next", () => {
  test("COMMAND.NO_PBX (the box's default today): in Russian and in English, nothing said to have happened", async () => {
    await checkIn("anna");
    commands.refuse("COMMAND.NO_PBX");
    const { ticket } = await openPanel();
    const ruAnswer = await read(await box.post("/desk/front/call", { ticket, q: "89161234567" }, hx));
    expect(ruAnswer.status).toBe(503);
    expect(testIdText(ruAnswer.html, "panel-error")).toBe(ru.errCommandNoPbx);
    expect(ruAnswer.html).not.toContain('data-testid="panel-status"');
    // What was typed is kept, to dial from the phone.
    expect(ruAnswer.html).toContain('value="89161234567"');
    const enAnswer = await read(
      await box.post("/desk/front/call?lang=en", { ticket: ticketIn(ruAnswer.html), q: "89161234567" }, hx),
    );
    expect(testIdText(enAnswer.html, "panel-error")).toBe(en.errCommandNoPbx);
  });

  test("each COMMAND.* code a receptionist can meet has its own sentence in both languages", async () => {
    const codes = [
      ["COMMAND.BAD_INPUT", "errCommandBadInput"],
      ["COMMAND.NOT_ON_SHIFT", "errCommandNotOnShift"],
      ["COMMAND.UNSUPPORTED", "errCommandUnsupported"],
      ["COMMAND.UNKNOWN_CALL", "errCommandUnknownCall"],
    ] as const;
    await checkIn("anna");
    let { ticket } = await openPanel();
    for (const [code, key] of codes) {
      commands.refuse(code);
      const answer = await read(await box.post("/desk/front/call", { ticket, q: "89161234567" }, hx));
      expect(testIdText(answer.html, "panel-error")).toBe(ru[key]);
      expect(en[key]).not.toBe(ru[key]);
      ticket = ticketIn(answer.html);
    }
  });
});

describe("issue 15, R2.4: cancel an attended transfer from the desk panel's status line", () => {
  const answered = (callId: string, extension = "101") =>
    card(callId, { state: "answered", extension, ownerEmployeeId: "anna", audience: ["anna"] });
  const BUTTON = 'form="panel-cancel-transfer" name="callId" value="c1"';

  test("R2.4 issue 15: «Отменить перевод» shows only while an attended transfer of the desk's call is open; not for a blind one, not once settled", async () => {
    await checkIn("anna");
    calls.setCards([answered("c1")]);
    const { ticket } = await openPanel();
    const blind = await read(
      await box.post(
        "/desk/front/transfer",
        { ticket, callId: "c1", commandId: "cmd-blind-1", mode: "blind", q: "+7 495 111-22-33" },
        hx,
      ),
    );
    expect(blind.status).toBe(202);
    expect(blind.html).not.toContain('data-testid="panel-cancel-transfer"');
    const attended = await read(
      await box.post(
        "/desk/front/transfer",
        {
          ticket: ticketIn(blind.html),
          callId: "c1",
          commandId: "cmd-att-1",
          mode: "attended",
          q: "+7 495 111-22-33",
        },
        hx,
      ),
    );
    expect(attended.status).toBe(202);
    expect(testIdText(attended.html, "panel-cancel-transfer")).toBe(ru.panelCancelTransfer);
    expect(attended.html).toContain(BUTTON);
    expect(attended.html).toContain('hx-post="/desk/front/cancel-transfer"');
    commands.move("cmd-att-1", "sent");
    const live = await read(await box.get("/desk/front/command/cmd-att-1", hx));
    expect(live.html).toContain(BUTTON);
    commands.move("cmd-att-1", "failed", "cancelled");
    const over = await read(await box.get("/desk/front/command/cmd-att-1", hx));
    expect(over.html).not.toContain("panel-cancel-transfer");
    expect(en.panelCancelTransfer).toBe("Cancel the transfer");
  });

  test("R2.4 issue 15: the button posts cancel-transfer for this desk's call, by its holder; the status line follows it", async () => {
    await checkIn("anna");
    calls.setCards([answered("c1")]);
    const { ticket } = await openPanel();
    const { status, html } = await read(
      await box.post("/desk/front/cancel-transfer", { ticket, callId: "c1", commandId: "cmd-cancel-1" }, hx),
    );
    expect(status).toBe(202);
    expect(submitted()).toEqual([
      {
        kind: "cancel-transfer",
        commandId: "cmd-cancel-1",
        callId: "c1",
        origin: { via: "desk", deskId: "front", employeeId: "anna" },
      },
    ]);
    expect(testIdText(html, "panel-status")).toBe(
      `${ru.cmdCancelTransfer("+7 999 123-45-67")} — ${ru.cmdQueued}`,
    );
    expect(html).not.toContain('data-testid="panel-cancel-transfer"');
  });

  test("R2.4 issue 15: another desk's call is refused COMMAND.NOT_YOUR_CALL, no PIN proof closes the panel, no transfer under way is COMMAND.NO_TRANSFER in words", async () => {
    await checkIn("anna");
    calls.setCards([
      answered("c1"),
      card("c2", { state: "answered", extension: "103", audience: "everyone" }),
    ]);
    const { ticket } = await openPanel();
    const other = await read(await box.post("/desk/front/cancel-transfer", { ticket, callId: "c2" }, hx));
    expect(other.status).toBe(403);
    expect(testIdText(other.html, "panel-error")).toBe(ru.errCommandNotYourCall);
    const noProof = await read(await box.post("/desk/front/cancel-transfer", { callId: "c1" }, hx));
    expect(noProof.status).toBe(403);
    expect(noProof.html).not.toContain("data-panel-open");
    expect(submitted()).toEqual([]);
    commands.refuse("COMMAND.NO_TRANSFER");
    const none = await read(
      await box.post("/desk/front/cancel-transfer", { ticket: ticketIn(other.html), callId: "c1" }, hx),
    );
    expect(none.status).toBe(409);
    expect(testIdText(none.html, "panel-error")).toBe(ru.errCommandNoTransfer);
    expect(en.errCommandNoTransfer).not.toBe(ru.errCommandNoTransfer);
  });
});

test("issue 15: a staff name with markup is shown as text, never run", async () => {
  await box.close();
  await start([
    ...DEMO_STAFF,
    {
      id: "mallory",
      name: '<script>alert("x")</script> Мэл',
      role: "reception",
      pin: "4444",
      extension: "105",
    },
  ]);
  await checkIn("anna");
  await checkIn("mallory", "back");
  const { html } = await openPanel();
  expect(html).not.toContain("<script>alert");
  expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Мэл");
  const refused = await read(await box.post("/desk/front/call", { ticket: ticketIn(html), q: "alert" }, hx));
  expect(refused.html).not.toContain("<script>alert");
});
