import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { formatTime } from "../../src/http/ui/branch-time.ts";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type KioskBox, makeKioskBox, testIdText, ticketIn, webApp } from "../support/kiosk-client.ts";
import { freePort } from "../support/process.ts";

let box: KioskBox;
beforeEach(async () => {
  box = await makeKioskBox();
});
afterEach(() => box.close());

/** Taps a name and types the PIN; returns the answer to the PIN post. */
const enterPin = (employeeId: string, pin: string, hx = true) =>
  box.post("/pin", { employeeId, pin }, { hx });

async function actionScreen(employeeId: string, pin: string): Promise<string> {
  const response = await enterPin(employeeId, pin);
  expect(response.status).toBe(200);
  return response.text();
}

const act = (ticket: string, fields: Record<string, string>, hx = true) =>
  box.post("/action", { ticket, ...fields }, { hx });

async function homeHolder(): Promise<string | null> {
  return testIdText(await (await box.get("/")).text(), "desk-front-holder");
}

describe("home screen", () => {
  test("shows the branch, the desks with their holder and every name, in Russian by default", async () => {
    const response = await box.get("/");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain('<html lang="ru">');
    expect(html).toContain("Демо-филиал");
    expect(html).toContain('data-testid="board"');
    expect(testIdText(html, "desk-front-holder")).toBe(ru.free);
    expect(html).toContain(ru.pickYourName);
    for (const id of ["anna", "olga", "irina", "sergey"])
      expect(html).toContain(`data-testid="employee-${id}"`);
    expect(testIdText(html, "employee-anna")).toBe("Анна Смирнова");
    // The clock is rendered on the box in the branch's zone (09:00 Moscow on the test clock).
    expect(html).toMatch(/data-clock[^>]*>09:00</);
    for (const lang of ["ru", "en"]) expect(html).toContain(`data-testid="lang-${lang}"`);
  });

  test("?lang=en switches to English and a cookie keeps it; ?lang=ru switches back", async () => {
    const english = await box.get("/?lang=en");
    const html = await english.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain(en.pickYourName);
    expect(testIdText(html, "desk-front-holder")).toBe(en.free);
    const cookie = english.headers.get("set-cookie")?.split(";")[0] ?? "";
    expect(cookie).toBe("bb_lang=en");
    expect(await (await box.get("/", { cookie })).text()).toContain(en.pickYourName);
    const back = await box.get("/?lang=ru", { cookie });
    expect(await back.text()).toContain(ru.pickYourName);
    expect(back.headers.get("set-cookie")).toStartWith("bb_lang=ru");
  });

  test("htmx gets the screen alone; a plain browser gets the whole page", async () => {
    const partial = await (await box.get("/pin/anna", { hx: true })).text();
    expect(partial).not.toContain("<html");
    expect(partial).toContain('data-testid="pin-ok"');
    const full = await (await box.get("/pin/anna")).text();
    expect(full).toContain("<html");
    expect(full).toContain('id="screen"');
  });

  test("the embedded assets are served: htmx 4, its SSE extension, the kiosk scripts, CSS and icon", async () => {
    const html = await (await box.get("/")).text();
    const sources = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? "");
    expect(sources).toHaveLength(5);
    for (const src of sources) {
      const response = await box.web.request(src);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^(text\/(javascript|css)|image\/svg\+xml)/);
      expect((await response.text()).length).toBeGreaterThan(100);
    }
    const htmx = await (await box.web.request(sources.find((s) => s.includes("htmx.min")) ?? "")).text();
    expect(htmx).toContain("4.0.1");
    // The SSE extension rides in htmx's own file, so it is registered before htmx starts.
    expect(htmx).toContain('registerExtension("sse"');
    expect(html).not.toContain("hx-sse.min.js");
    expect((await box.web.request("/assets/nope.js")).status).toBe(404);
  });
});

describe("PIN pad", () => {
  test("has keys 0–9, clear and OK, and posts the PIN in the body of a form", async () => {
    const html = await (await box.get("/pin/anna", { hx: true })).text();
    for (let d = 0; d <= 9; d++) expect(html).toContain(`data-testid="pin-key-${d}"`);
    expect(html).toContain('data-testid="pin-clear"');
    expect(html).toContain('data-testid="pin-ok"');
    expect(html).toMatch(/<form[^>]*method="post"[^>]*action="\/pin"/);
    expect(html).toContain(ru.enterPin("Анна Смирнова"));
  });

  test("a wrong PIN says how many tries are left", async () => {
    const response = await enterPin("anna", "0000");
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(testIdText(html, "pin-error")).toBe(ru.pinWrong(4));
    expect(testIdText((await (await enterPin("anna", "0000")).text()) || "", "pin-error")).toBe(
      ru.pinWrong(3),
    );
  });

  test("the fifth wrong PIN locks for 5 minutes in plain words, saying when it ends; the right PIN is refused until then", async () => {
    for (let i = 0; i < 4; i++) expect((await enterPin("olga", "0000")).status).toBe(401);
    const until = formatTime(box.clock.now() + 5 * 60_000, "Europe/Moscow");
    const fifth = await enterPin("olga", "0000");
    expect(fifth.status).toBe(423);
    expect(testIdText(await fifth.text(), "pin-error")).toBe(ru.pinLocked(5, until));
    expect(ru.pinLocked(5, "12:35")).toBe(
      "Слишком много неверных попыток. PIN снова заработает в 12:35 (через 5 минут), или менеджер может снять блокировку сейчас.",
    );

    const right = await enterPin("olga", "2222");
    expect(right.status).toBe(423);
    const html = await right.text();
    expect(testIdText(html, "pin-error")).toBe(ru.pinLocked(5, until));
    expect(html).not.toContain("action-");

    box.clock.advance(3 * 60_000);
    expect(testIdText(await (await enterPin("olga", "2222")).text(), "pin-error")).toBe(
      ru.pinLocked(2, until),
    );
    box.clock.advance(2 * 60_000);
    expect((await enterPin("olga", "2222")).status).toBe(200);
  });

  test("the lock message in English", async () => {
    const cookie = "bb_lang=en";
    for (let i = 0; i < 5; i++) await box.post("/pin", { employeeId: "irina", pin: "0000" }, { cookie });
    const until = formatTime(box.clock.now() + 5 * 60_000, "Europe/Moscow");
    const html = await (await box.post("/pin", { employeeId: "irina", pin: "3333" }, { cookie })).text();
    expect(testIdText(html, "pin-error")).toBe(
      `Too many wrong PINs. The PIN works again at ${until} (in 5 minutes), or a manager can lift the lock now.`,
    );
  });

  test("issue 14: a manager lifts a colleague's lock at the kiosk with their own PIN; she types hers again at once; audited", async () => {
    for (let i = 0; i < 5; i++) await enterPin("olga", "0000");
    const locked = await (await enterPin("olga", "2222")).text();
    expect(locked).toContain('data-testid="unlock-by-manager"');
    const chooser = await (await box.get("/unlock/olga")).text();
    expect(chooser).toContain(ru.unlockTitle("Ольга Петрова"));
    expect(chooser).toContain('data-testid="unlock-manager-sergey"');
    expect(chooser).not.toContain('data-testid="unlock-manager-anna"');
    const pad = await (await box.get("/unlock/olga/sergey")).text();
    expect(pad).toContain(ru.unlockManagerPin("Сергей Иванов", "Ольга Петрова"));
    expect(pad).toContain('name="lockedId" value="olga"');

    const wrong = await box.post(
      "/unlock",
      { employeeId: "sergey", lockedId: "olga", pin: "0000" },
      { hx: true },
    );
    expect(testIdText(await wrong.text(), "pin-error")).toBe(ru.pinWrong(4));
    expect((await enterPin("olga", "2222")).status).toBe(423);

    const lifted = await box.post(
      "/unlock",
      { employeeId: "sergey", lockedId: "olga", pin: "9999" },
      { hx: true },
    );
    expect(lifted.status).toBe(200);
    expect(testIdText(await lifted.text(), "pin-notice")).toBe(ru.unlockDone("Сергей Иванов"));
    expect((await enterPin("olga", "2222")).status).toBe(200);
    expect(box.roster.audit(10).find((a) => a.action === "pin.unlock")).toMatchObject({ actorId: "sergey" });
  });

  test("issue 14: a receptionist cannot lift a lock, even with her own right PIN, and is not offered as a manager", async () => {
    for (let i = 0; i < 5; i++) await enterPin("olga", "0000");
    expect((await box.get("/unlock/olga/anna")).status).toBe(404);
    const posed = await box.post(
      "/unlock",
      { employeeId: "anna", lockedId: "olga", pin: "1111" },
      { hx: true },
    );
    expect(testIdText(await posed.text(), "pin-error")).toBe(ru.unlockNotManager);
    expect((await enterPin("olga", "2222")).status).toBe(423);
  });

  test("issue 14, item 9: with no phone system connected the kiosk and the desk screen say so, not 'no calls now'", async () => {
    const home = await (await box.get("/")).text();
    expect(testIdText(home, "no-pbx")).toBe(ru.noPbx);
    expect(home).not.toContain('data-testid="no-calls"');
    const desk = await (await box.get("/desk/front")).text();
    expect(testIdText(desk, "no-pbx")).toBe(ru.noPbx);
    const english = await (await box.get("/?lang=en")).text();
    expect(testIdText(english, "no-pbx")).toBe(en.noPbx);
  });

  test("issue 14, item 9: a phone system configured but not linked: 'no link to the PBX', and the calls area still answers", async () => {
    const port = await freePort();
    const down = await makeKioskBox({
      config: { pbx: { ami: { host: "127.0.0.1", port, username: "branchbox", secret: "not-reachable" } } },
    });
    try {
      const home = await (await down.get("/")).text();
      expect(testIdText(home, "no-pbx")).toBe(ru.pbxDown);
      expect(testIdText(home, "no-calls")).toBe(ru.noCallsNow);
    } finally {
      await down.close();
    }
  });

  test("an empty PIN or an unknown employee is answered with what to do", async () => {
    const empty = await enterPin("anna", "");
    expect(empty.status).toBe(400);
    expect(testIdText(await empty.text(), "pin-error")).toBe(ru.pinEmpty);
    const unknown = await enterPin("nobody", "1234");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain(ru.pinUnknownEmployee);
    expect((await box.get("/pin/nobody")).status).toBe(404);
  });

  test("PIN posts are rate-limited per client: the 31st in a minute is refused with a clear message", async () => {
    for (let i = 0; i < 30; i++) expect((await enterPin("nobody", "1234")).status).toBe(404);
    const limited = await enterPin("anna", "1111");
    expect(limited.status).toBe(429);
    expect(testIdText(await limited.text(), "pin-error")).toBe(ru.pinRateLimited);
    box.clock.advance(60_000);
    expect((await enterPin("anna", "1111")).status).toBe(200);
  });
});

describe("action screen", () => {
  test("a correct PIN opens the actions that apply, carrying a signed ticket and never the PIN", async () => {
    const html = await actionScreen("anna", "1111");
    expect(html).toContain('data-testid="action-check-in-front"');
    expect(html).not.toContain('data-testid="action-check-out"');
    expect(html).not.toContain('data-testid="action-break-start"');
    expect(html).not.toContain("action-close-shift-");
    expect(html).not.toMatch(/value="1111"/);
    expect(html).not.toContain('name="pin"');
    expect(ticketIn(html)).toMatch(/^[\w-]+\.\d+\.[\w-]+$/);
    expect(html).toContain("data-idle-home");
  });

  test("check in → confirmation → home, and the board shows her as the holder", async () => {
    const ticket = ticketIn(await actionScreen("anna", "1111"));
    const response = await act(ticket, { kind: "check-in", deskId: "front" });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(testIdText(html, "flash")).toBe(ru.flashCheckIn("Анна Смирнова", "Ресепшен", "09:00"));
    expect(html).toContain('data-testid="board"');
    expect(testIdText(html, "desk-front-holder")).toBe("Анна Смирнова");
    expect(testIdText(html, "on-shift-anna")).toContain(ru.holdsPhone);
    expect(await homeHolder()).toBe("Анна Смирнова");
    expect(box.factCount()).toBe(1);
  });

  test("on shift: break, back, handover to a colleague and check-out, each shown only when it applies", async () => {
    await act(ticketIn(await actionScreen("anna", "1111")), { kind: "check-in", deskId: "front" });
    box.clock.advance(60_000);

    let html = await actionScreen("anna", "1111");
    expect(html).toContain('data-testid="action-break-start"');
    expect(html).toContain('data-testid="action-check-out"');
    expect(html).not.toContain('data-testid="action-check-in-front"');
    expect(html).not.toContain('data-testid="action-handover-front"'); // she holds it already
    // Alone at the desk: her break leaves 101 to nobody, and the confirmation says so.
    expect(testIdText(html, "phone-note")).toBe(ru.phoneToNobody("101", "Ресепшен"));
    expect(testIdText(await (await act(ticketIn(html), { kind: "break-start" })).text(), "flash")).toBe(
      `${ru.flashBreakStart("Анна Смирнова", "09:01")} ${ru.phoneNowNobody("101")}`,
    );
    box.clock.advance(60_000);

    html = await actionScreen("anna", "1111");
    expect(html).toContain('data-testid="action-break-end"');
    expect(html).not.toContain('data-testid="action-break-start"');
    await act(ticketIn(html), { kind: "break-end" });

    // A second receptionist checks in beside her and takes the phone; then anna takes it back.
    html = await actionScreen("olga", "2222");
    await act(ticketIn(html), { kind: "check-in", deskId: "front" });
    html = await actionScreen("olga", "2222");
    expect(html).toContain('data-testid="action-handover-front"');
    await act(ticketIn(html), { kind: "handover", deskId: "front" });
    expect(await homeHolder()).toBe("Ольга Петрова");
    html = await actionScreen("anna", "1111");
    expect(html).toContain('data-testid="action-handover-front"');
    const taken = await (await act(ticketIn(html), { kind: "handover", deskId: "front" })).text();
    expect(testIdText(taken, "flash")).toBe(ru.flashHandover("Анна Смирнова", "Ресепшен", "09:02"));
    expect(testIdText(taken, "desk-front-holder")).toBe("Анна Смирнова");

    // Check-out asks first, saying how long she worked and who takes the phone; nothing changes yet.
    box.clock.set("2026-11-21T17:31:00+03:00");
    html = await actionScreen("anna", "1111");
    expect(testIdText(html, "phone-note")).toBe(ru.phoneGoesTo("101", "Ресепшен", "Ольга Петрова"));
    const facts = box.factCount();
    const asked = await (await act(ticketIn(html), { kind: "check-out" })).text();
    expect(box.factCount()).toBe(facts);
    expect(asked).toContain('data-testid="confirm-check-out-yes"');
    // 09:00–17:31 less the minute of her break.
    expect(testIdText(asked, "confirm-state")).toBe(
      ru.confirmCheckOutState("Ресепшен", "09:00", ru.worked(8, 30)),
    );
    expect(testIdText(asked, "phone-note")).toBe(ru.phoneGoesTo("101", "Ресепшен", "Ольга Петрова"));
    const out = await (await act(ticketIn(asked), { kind: "check-out", confirm: "yes" })).text();
    expect(testIdText(out, "flash")).toBe(
      `${ru.flashCheckOut("Анна Смирнова", "17:31", ru.worked(8, 30))} ${ru.phoneWentTo("101", "Ольга Петрова")}`,
    );
    expect(out).toContain('data-dismiss-after="12"');
    expect(testIdText(out, "desk-front-holder")).toBe("Ольга Петрова");
  });

  test("a roster refusal is shown on the action screen in words, with no change", async () => {
    const ticket = ticketIn(await actionScreen("anna", "1111"));
    const response = await act(ticket, { kind: "break-end" });
    expect(response.status).toBe(409);
    const html = await response.text();
    expect(testIdText(html, "action-error")).toBe(ru.errNotOnShift);
    expect(html).toContain('data-testid="action-check-in-front"');
    const unknownDesk = await act(ticket, { kind: "check-in", deskId: "back" });
    expect(unknownDesk.status).toBe(404);
    expect(testIdText(await unknownDesk.text(), "action-error")).toBe(ru.errUnknownDesk);
    expect((await act(ticket, { kind: "delete-everything" })).status).toBe(400);
    expect(box.factCount()).toBe(0);
  });

  test("a forged, tampered, missing or expired ticket is refused and changes nothing", async () => {
    const ticket = ticketIn(await actionScreen("anna", "1111"));
    const [, expires, mac] = ticket.split(".");
    const olgaId = Buffer.from("olga").toString("base64url");
    const forged = [
      "",
      "anything",
      `${olgaId}.${expires}.${mac}`, // anna's signature on olga's id
      `${ticket.split(".")[0]}.${Number(expires) + 3_600_000}.${mac}`, // a longer life
      `${olgaId}.${expires}.${"A".repeat(43)}`,
    ];
    for (const bad of forged) {
      const response = await act(bad, { kind: "check-in", deskId: "front" });
      expect(response.status).toBe(403);
      expect(testIdText(await response.text(), "flash-error")).toBe(ru.ticketExpired);
    }
    // A ticket signed by another box process (another key) is as good as forged.
    const otherKiosk = webApp(box.deps);
    const foreign = await otherKiosk.request("/pin", {
      method: "POST",
      headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
      body: "employeeId=anna&pin=1111",
    });
    expect((await act(ticketIn(await foreign.text()), { kind: "check-in", deskId: "front" })).status).toBe(
      403,
    );

    box.clock.advance(box.config.kiosk.idle_seconds * 1000);
    expect((await act(ticket, { kind: "check-in", deskId: "front" })).status).toBe(403);
    expect(box.factCount()).toBe(0);
    expect(await homeHolder()).toBe(ru.free);
  });

  test("without htmx the forms degrade to plain posts answered with whole pages", async () => {
    const pin = await enterPin("anna", "1111", false);
    const html = await pin.text();
    expect(html).toContain("<!DOCTYPE html>");
    expect(html).toMatch(/<form[^>]*method="post"[^>]*action="\/action"/);
    const done = await (await act(ticketIn(html), { kind: "check-in", deskId: "front" }, false)).text();
    expect(done).toContain("<html");
    expect(testIdText(done, "flash")).toBe(ru.flashCheckIn("Анна Смирнова", "Ресепшен", "09:00"));
  });
});

describe("manager", () => {
  /** The value of a named field in the first form that has it. */
  const fieldIn = (html: string, name: string) =>
    new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? null;

  test("issue 14 (6): a manager closes a forgotten shift at a time today with a reason the audit keeps", async () => {
    await act(ticketIn(await actionScreen("anna", "1111")), { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-21T19:40:00+03:00");
    const html = await actionScreen("sergey", "9999");
    expect(html).toContain('data-testid="action-close-shift-anna"');
    expect(html).not.toContain('data-testid="action-close-shift-sergey"');

    // Its screen: big steppers around the time (now, to the five minutes), no browser time picker.
    const screen = await (await act(ticketIn(html), { kind: "correct", targetId: "anna" })).text();
    expect(screen).toContain('data-testid="correction"');
    expect(screen).not.toContain('type="time"');
    for (const id of ["step-hour-back", "step-minutes-back", "step-minutes-forward", "step-hour-forward"])
      expect(screen).toContain(`data-testid="${id}"`);
    expect(fieldIn(screen, "endedAt")).toBe("19:40");
    const shiftFrom = fieldIn(screen, "shiftFrom") ?? "";

    const response = await act(ticketIn(screen), {
      kind: "close-shift",
      targetId: "anna",
      shiftFrom,
      day: "today",
      endedAt: "18:00",
      reason: "forgot",
      note: "ушла в 18:00, сказала охране",
    });
    expect(response.status).toBe(200);
    const home = await response.text();
    expect(testIdText(home, "flash")).toBe(ru.flashCloseShift("Анна Смирнова", "18:00"));
    expect(testIdText(home, "desk-front-holder")).toBe(ru.free);

    const owner = await (await box.api(`/api/v1/owner?extension=101&at=2026-11-21T17:59:00%2B03:00`)).json();
    expect(owner).toMatchObject({ employeeId: "anna" });
    const after = await (await box.api(`/api/v1/owner?extension=101&at=2026-11-21T18:01:00%2B03:00`)).json();
    expect(after).toMatchObject({ employeeId: null });
    const fact = box.db
      .query<{ source: string; actor_id: string | null }, []>(
        "SELECT * FROM roster_facts ORDER BY seq DESC LIMIT 1",
      )
      .get();
    expect(fact).toMatchObject({ source: "manager", actor_id: "sergey" });
    expect(box.deps.roster.audit(1)[0]?.detail).toEndWith("; reason: forgot: ушла в 18:00, сказала охране");
  });

  test("issue 14 (6): yesterday's shift the box closed by itself is corrected to when she really left", async () => {
    // Olga's early shift yesterday, 06:00–10:00, ended well before noon: still listed.
    box.clock.set("2026-11-20T06:00:00+03:00");
    await act(ticketIn(await actionScreen("olga", "2222")), { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-20T09:00:00+03:00");
    await act(ticketIn(await actionScreen("anna", "1111")), { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-20T10:00:00+03:00");
    const out = await act(ticketIn(await actionScreen("olga", "2222")), {
      kind: "check-out",
      confirm: "yes",
    });
    expect(out.status).toBe(200);
    // She forgot; max_shift_hours (14) closed it at 23:00. The next morning the manager fixes it.
    box.clock.set("2026-11-21T09:30:00+03:00");
    const html = await actionScreen("sergey", "9999");
    expect(testIdText(html, "shift-olga-0600")).toContain(
      ru.shiftClosed("Ресепшен", ru.yesterdayAt("06:00"), ru.yesterdayAt("10:00"), ru.endedByCheckOut),
    );
    const row = testIdText(html, "shift-anna-0900") ?? "";
    expect(row).toContain(
      ru.shiftClosed("Ресепшен", ru.yesterdayAt("09:00"), ru.yesterdayAt("23:00"), ru.endedByAuto),
    );
    const screen = await (
      await act(ticketIn(html), {
        kind: "correct",
        targetId: "anna",
        shiftFrom: String(Date.parse("2026-11-20T09:00:00+03:00")),
      })
    ).text();
    expect(screen).toContain('data-testid="correction-day-yesterday"');
    expect(screen).toMatch(/value="yesterday" checked/);
    expect(screen).toMatch(/value="auto-closed" checked/);
    const done = await act(ticketIn(screen), {
      kind: "close-shift",
      targetId: "anna",
      shiftFrom: fieldIn(screen, "shiftFrom") ?? "",
      day: "yesterday",
      endedAt: "18:15",
      reason: "auto-closed",
      note: "",
    });
    expect(done.status).toBe(200);
    expect(testIdText(await done.text(), "flash")).toBe(
      ru.flashCloseShift("Анна Смирнова", ru.yesterdayAt("18:15")),
    );
    const owner = await (await box.api(`/api/v1/owner?extension=101&at=2026-11-20T18:20:00%2B03:00`)).json();
    expect(owner).toMatchObject({ employeeId: null });
    expect(
      box.deps.roster.workedBetween(
        "anna",
        Date.parse("2026-11-20T00:00:00+03:00"),
        Date.parse("2026-11-21T00:00:00+03:00"),
        box.clock.now(),
      ),
    ).toBe((9 * 60 + 15) * 60_000);
  });

  test("issue 14 (6): a wrong time is refused naming the shift, keeping what was typed, with no change", async () => {
    await act(ticketIn(await actionScreen("anna", "1111")), { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-21T12:00:00+03:00");
    const ticket = ticketIn(await actionScreen("sergey", "9999"));
    const row = ru.correctionRow("Анна Смирнова", "Ресепшен", "09:00");
    const cases: [Record<string, string>, string][] = [
      [{ endedAt: "25:99", reason: "forgot" }, ru.badEndedAt],
      [{ endedAt: "08:00", reason: "forgot" }, ru.endedBeforeStart],
      [{ endedAt: "13:00", reason: "forgot" }, ru.endedInFuture],
      [{ endedAt: "11:00", reason: "" }, ru.pickReason],
    ];
    for (const [fields, why] of cases) {
      const response = await act(ticket, {
        kind: "close-shift",
        targetId: "anna",
        day: "today",
        note: "см. журнал",
        ...fields,
      });
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(testIdText(html, "correction-error")).toBe(`${row}${why}`);
      expect(fieldIn(html, "endedAt")).toBe(fields.endedAt ?? "");
      expect(fieldIn(html, "note")).toBe("см. журнал");
    }
    expect(box.factCount()).toBe(1);
  });

  test("issue 14 (6): taps renew the PIN's proof, so a correction typed for minutes is not refused", async () => {
    await act(ticketIn(await actionScreen("anna", "1111")), { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-21T12:00:00+03:00");
    let ticket = ticketIn(await actionScreen("sergey", "9999"));
    const idle = box.config.kiosk.idle_seconds * 1000;
    for (let i = 0; i < 6; i++) {
      box.clock.advance(idle - 1000);
      const renewed = await box.post("/ticket", { ticket });
      expect(renewed.status).toBe(200);
      ticket = await renewed.text();
    }
    const done = await act(ticket, {
      kind: "close-shift",
      targetId: "anna",
      day: "today",
      endedAt: "11:00",
      reason: "forgot",
    });
    expect(done.status).toBe(200);
    // An expired proof is not renewed: walking away still ends the session.
    box.clock.advance(idle);
    expect((await box.post("/ticket", { ticket })).status).toBe(403);
    expect((await box.post("/ticket", { ticket: "forged.1.x" })).status).toBe(403);
  });

  test("a receptionist cannot close someone else's shift, even by crafting the form", async () => {
    await act(ticketIn(await actionScreen("olga", "2222")), { kind: "check-in", deskId: "front" });
    const ticket = ticketIn(await actionScreen("anna", "1111"));
    for (const kind of ["close-shift", "correct"]) {
      const response = await act(ticket, { kind, targetId: "olga", endedAt: "09:00", reason: "forgot" });
      expect(response.status).toBe(403);
      expect(testIdText(await response.text(), "action-error")).toBe(ru.errNotAManager);
    }
    expect(box.factCount()).toBe(1);
    expect(await homeHolder()).toBe("Ольга Петрова");
  });
});

describe("security", () => {
  test("a cross-origin form post is refused (CSRF) and changes nothing", async () => {
    const ticket = ticketIn(await actionScreen("anna", "1111"));
    const response = await box.post(
      "/action",
      { ticket, kind: "check-in", deskId: "front" },
      { origin: "http://evil.example" },
    );
    expect(response.status).toBe(403);
    expect(box.factCount()).toBe(0);
    const pin = await box.post(
      "/pin",
      { employeeId: "anna", pin: "1111" },
      { origin: "http://evil.example" },
    );
    expect(pin.status).toBe(403);
    expect(await pin.text()).not.toContain("action-check-in");
  });

  test("every screen has the CSP header, no inline script and no style attribute", async () => {
    await act(ticketIn(await actionScreen("anna", "1111")), { kind: "check-in", deskId: "front" });
    const screens = [
      await box.get("/"),
      await box.get("/?lang=en"),
      await box.get("/pin/anna"),
      await enterPin("sergey", "9999", false),
      await enterPin("olga", "0000", false),
      await box.web.request("/admin", { headers: { authorization: `Bearer ${TEST_TOKEN}` } }),
    ];
    for (const response of screens) {
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      const html = await response.text();
      expect(html).toContain("<html");
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      for (const [, attributes, body] of scripts) {
        expect(attributes).toMatch(/\bsrc="\/assets\//);
        expect(body).toBe("");
      }
      expect(html).not.toMatch(/\sstyle\s*=/i);
      expect(html).not.toMatch(/<style\b/i);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).not.toMatch(/hx-on/i);
    }
  });

  test("every button and link has a class that sizes it to a touch target", async () => {
    const html = await actionScreen("sergey", "9999");
    const css = await (await box.web.request("/assets/kiosk.css")).text();
    expect(css).toMatch(/--touch:\s*56px/);
    for (const [, attributes] of html.matchAll(/<(?:button|a)\b([^>]*)>/g)) {
      expect(attributes).toMatch(/class="[^"]*\b(btn|key|name-btn|lang|branch)\b/);
    }
  });
});

describe("live board (SSE)", () => {
  test("sends the board at once, again after every roster change, and a heartbeat; unsubscribes on disconnect", async () => {
    let subscribed = 0;
    const roster = box.deps.roster;
    const counting = new Proxy(roster, {
      get(target, prop) {
        if (prop === "subscribe") {
          return (listener: () => void) => {
            subscribed += 1;
            const stop = target.subscribe(listener);
            return () => {
              subscribed -= 1;
              stop();
            };
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const app = webApp({ ...box.deps, roster: counting }, { heartbeatMs: 40 });
    const response = await app.request("/events", { headers: { cookie: "bb_lang=ru" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = "";
    const readUntil = async (pattern: RegExp) => {
      const deadline = Date.now() + 3000;
      while (!pattern.test(received)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${received}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended; got ${received}`);
        received += decoder.decode(value, { stream: true });
      }
    };

    await readUntil(/data: .*desk-front-holder[^\n]*\n(retry: \d+\n)?\n/);
    expect(received).toContain(ru.free);
    expect(received).not.toMatch(/^event:/m); // unnamed: htmx swaps it into #board
    expect(subscribed).toBe(1);

    received = "";
    await act(ticketIn(await actionScreen("anna", "1111")), { kind: "check-in", deskId: "front" });
    await readUntil(/data: .*Анна Смирнова[^\n]*\n\n/);
    expect(received).toContain('data-testid="desk-front-holder">Анна Смирнова<');

    received = "";
    await readUntil(/^: heartbeat\n\n/m);

    await reader.cancel();
    const deadline = Date.now() + 1000;
    while (subscribed > 0 && Date.now() < deadline) await Bun.sleep(10);
    expect(subscribed).toBe(0);
  });

  test("the home board connects to the stream in its language, and the default heartbeat is under Bun's 10 s", async () => {
    const { HEARTBEAT_MS } = await import("../../src/http/sse.ts");
    expect(HEARTBEAT_MS).toBeLessThan(10_000);
    expect(await (await box.get("/?lang=en")).text()).toMatch(
      /data-testid="board"[^>]*hx-sse:connect="\/events\?lang=en"/,
    );
  });
});
