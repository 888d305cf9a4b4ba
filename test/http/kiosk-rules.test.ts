// Issue 16 on the kiosk: "Если я не отвечаю" (R4.1–R4.4) after the PIN, a manager's forwarding of
// anyone and absences (R4.7), each behind the PIN's ticket, with CSRF, refusals in words and the
// audit on /admin.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ru } from "../../src/i18n/ru.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type KioskBox, makeKioskBox, testIdText, ticketIn } from "../support/kiosk-client.ts";
import { bytes, down, pinHash4321 } from "../sync/inbound-fixtures.ts";

let box: KioskBox;
beforeEach(async () => {
  box = await makeKioskBox();
});
afterEach(() => box.close());

const actionScreen = async (employeeId: string, pin: string) => {
  const response = await box.post("/pin", { employeeId, pin }, { hx: true });
  expect(response.status).toBe(200);
  return response.text();
};
const post = (path: string, fields: Record<string, string>, options: { origin?: string } = {}) =>
  box.post(path, fields, { hx: true, ...options });
/** The hidden fields of the screen's first form, as a form post would send them back. */
const fieldsOf = (html: string): Record<string, string> => {
  const form = html.slice(html.indexOf('class="correction-form"'));
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    fields[m[1] as string] ??= (m[2] as string).replace(/&amp;/g, "&");
  return fields;
};
const auditActions = () =>
  box.db
    .query<{ action: string }, []>("SELECT action FROM audit ORDER BY id")
    .all()
    .map((r) => r.action);

describe("R4.4: every employee sets their own", () => {
  test("R4.4: after the PIN, 'Если я не отвечаю': steppers for the ring time, a colleague picked, saved, said on the home screen, audited", async () => {
    const menu = await actionScreen("anna", "1111");
    expect(menu).toContain('data-testid="open-forwarding"');
    expect(menu).not.toContain('data-testid="open-staff-away"');
    let screen = await (await post("/rules/forwarding", { ticket: ticketIn(menu) })).text();
    expect(testIdText(screen, "forwarding-now")).toBe(ru.forwardingNow(ru.fwdDefault(120)));
    expect(testIdText(screen, "timeout-value")).toBe("120 с");
    expect(screen).not.toContain('type="date"');
    for (const step of ["30", "30"]) {
      const response = await post("/rules/forwarding", { ...fieldsOf(screen), action: "forward", step });
      screen = await response.text();
    }
    expect(testIdText(screen, "timeout-value")).toBe("180 с");
    // The radio picked before the steps is still picked: the form travels with every tap.
    expect(screen).toMatch(/value="forward" checked/);
    const saved = await post("/rules/forwarding", {
      ...fieldsOf(screen),
      action: "forward",
      target: "employee:olga",
      notice: "default",
      save: "yes",
    });
    expect(saved.status).toBe(200);
    expect(testIdText(await saved.text(), "flash")).toBe(
      ru.flashForwarding(
        "Анна Смирнова",
        "через 180 с переадресация: Ольга Петрова, перед ней стандартное уведомление",
      ),
    );
    expect(box.rules.forwarding("anna")).toMatchObject({
      action: { kind: "forward", to: { employeeId: "olga" } },
      timeoutSeconds: 180,
      setBy: { via: "self", employeeId: "anna" },
    });
    expect(auditActions()).toEqual(["forwarding.set"]);
  });

  test("R4.2: a department from [[departments]], voicemail and the 'cannot answer' message are offered and saved", async () => {
    const screen = await (
      await post("/rules/forwarding", { ticket: ticketIn(await actionScreen("olga", "2222")) })
    ).text();
    expect(testIdText(screen, "fwd-to-extension-600")).toBe("Отдел продаж (доб. 600)");
    const save = (fields: Record<string, string>) =>
      post("/rules/forwarding", { ...fieldsOf(screen), notice: "default", save: "yes", ...fields });
    expect((await save({ action: "forward", target: "extension:600" })).status).toBe(200);
    expect(box.rules.forwarding("olga")?.action).toEqual({ kind: "forward", to: { extension: "600" } });
    await save({ action: "message" });
    expect(box.rules.forwarding("olga")?.action).toEqual({ kind: "drop", tone: "message" });
    await save({ action: "voicemail" });
    expect(box.rules.forwarding("olga")?.action).toEqual({ kind: "voicemail" });
    await post("/rules/forwarding", { ...fieldsOf(screen), save: "default" });
    expect(box.rules.forwarding("olga")).toBeNull();
  });

  test("R4.1: the ring time steps within 30–300 s", async () => {
    const screen = await (
      await post("/rules/forwarding", { ticket: ticketIn(await actionScreen("anna", "1111")) })
    ).text();
    const stepped = async (timeout: string, step: string) =>
      testIdText(
        await (await post("/rules/forwarding", { ...fieldsOf(screen), timeout, step })).text(),
        "timeout-value",
      );
    expect(await stepped("300", "30")).toBe("300 с");
    expect(await stepped("30", "-30")).toBe("30 с");
    expect(await stepped("9999", "0")).toBe("300 с");
  });

  test("a forward with no one picked, or a recording with no name, says what to do and keeps the values", async () => {
    const screen = await (
      await post("/rules/forwarding", { ticket: ticketIn(await actionScreen("anna", "1111")) })
    ).text();
    const noTarget = await post("/rules/forwarding", {
      ...fieldsOf(screen),
      timeout: "60",
      action: "forward",
      save: "yes",
    });
    expect(noTarget.status).toBe(400);
    const html = await noTarget.text();
    expect(testIdText(html, "forwarding-error")).toBe(`Анна Смирнова: ${ru.forwardingPickTarget}`);
    expect(testIdText(html, "timeout-value")).toBe("60 с");
    const noName = await post("/rules/forwarding", {
      ...fieldsOf(screen),
      action: "forward",
      target: "employee:olga",
      notice: "custom",
      save: "yes",
    });
    expect(testIdText(await noName.text(), "forwarding-error")).toBe(
      `Анна Смирнова: ${ru.forwardingNameRecording}`,
    );
    // A forward to herself, crafted: the service refuses it in words.
    const self = await post("/rules/forwarding", {
      ...fieldsOf(screen),
      action: "forward",
      target: "employee:anna",
      save: "yes",
    });
    expect(self.status).toBe(400);
    expect(testIdText(await self.text(), "forwarding-error")).toBe(`Анна Смирнова: ${ru.errBadForwarding}`);
    expect(box.rules.forwarding("anna")).toBeNull();
    expect(auditActions()).toEqual([]);
  });
});

describe("R4.4: a manager sets anyone's; R4.7: a manager enters absences", () => {
  test("R4.4: the manager's list shows everyone; a colleague's forwarding saved by the manager, back to the list", async () => {
    const menu = await actionScreen("sergey", "9999");
    const list = await (await post("/rules/staff", { ticket: ticketIn(menu) })).text();
    expect(testIdText(list, "away-anna")).toContain(ru.notAway);
    expect(testIdText(list, "away-anna")).toContain(ru.fwdDefault(120));
    const screen = await (
      await post("/rules/forwarding", { ticket: ticketIn(list), employeeId: "anna" })
    ).text();
    expect(screen).toContain(ru.forwardingTitleOther("Анна Смирнова"));
    const saved = await post("/rules/forwarding", { ...fieldsOf(screen), action: "voicemail", save: "yes" });
    const after = await saved.text();
    expect(testIdText(after, "staff-away-notice")).toBe(
      ru.flashForwarding("Анна Смирнова", "через 120 с голосовая почта"),
    );
    expect(box.rules.forwarding("anna")?.setBy).toEqual({ via: "manager", employeeId: "sergey" });
  });

  test("R4.7: a vacation entered with day steppers (no date picker), away at once, removed again; audited", async () => {
    const list = await (
      await post("/rules/staff", { ticket: ticketIn(await actionScreen("sergey", "9999")) })
    ).text();
    let screen = await (await post("/rules/absences", { ticket: ticketIn(list), employeeId: "olga" })).text();
    expect(testIdText(screen, "first-value")).toBe("сб, 21.11.2026");
    expect(screen).not.toContain('type="date"');
    for (const step of ["first:7", "first:1", "last:7", "last:-1"])
      screen = await (await post("/rules/absences", { ...fieldsOf(screen), kind: "vacation", step })).text();
    expect(testIdText(screen, "first-value")).toBe("вс, 29.11.2026");
    // The last day followed the first when it passed it (29th), then a week on and a day back.
    expect(testIdText(screen, "last-value")).toBe("сб, 05.12.2026");
    const added = await (
      await post("/rules/absences", { ...fieldsOf(screen), kind: "vacation", add: "yes" })
    ).text();
    expect(testIdText(added, "absences-notice")).toBe(
      ru.flashRangeAdded("Ольга Петрова", "Отпуск: вс, 29.11.2026 — сб, 05.12.2026"),
    );
    expect(box.rules.absence("olga", Date.parse("2026-12-01T12:00:00+03:00"))?.reason).toBe("vacation");
    const id = String(box.deps.rules.absences("olga").ranges[0]?.id);
    const removed = await (await post("/rules/absences", { ...fieldsOf(added), remove: id })).text();
    expect(testIdText(removed, "absences-notice")).toBe(
      ru.flashRangeRemoved("Ольга Петрова", "Отпуск: вс, 29.11.2026 — сб, 05.12.2026"),
    );
    expect(box.deps.rules.absences("olga").ranges).toEqual([]);
    expect(auditActions()).toEqual(["absence.add", "absence.remove"]);
  });

  test("R4.7: the weekly hours: days ticked, hours stepped, saved; no day ticked says what to do", async () => {
    const list = await (
      await post("/rules/staff", { ticket: ticketIn(await actionScreen("sergey", "9999")) })
    ).text();
    let screen = await (
      await post("/rules/absences", { ticket: ticketIn(list), employeeId: "irina" })
    ).text();
    expect(testIdText(screen, "schedule-now")).toBe(ru.scheduleNone);
    const days = new URLSearchParams({ ...fieldsOf(screen), kind: "vacation" });
    for (const d of ["1", "2", "3"]) days.append("day", d);
    days.set("step", "from:30");
    const stepped = await box.web.request("/rules/absences", {
      method: "POST",
      headers: {
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
        "hx-request": "true",
      },
      body: days.toString(),
    });
    screen = await stepped.text();
    expect(testIdText(screen, "from-value")).toBe("09:30");
    expect(screen).toMatch(/name="day" value="3" checked/);
    expect(screen).not.toMatch(/name="day" value="4" checked/);
    days.set("step", "");
    days.set("from", "570");
    days.set("schedule", "save");
    const saved = await box.web.request("/rules/absences", {
      method: "POST",
      headers: {
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
        "hx-request": "true",
      },
      body: days.toString(),
    });
    expect(testIdText(await saved.text(), "schedule-now")).toBe("пн–ср 09:30–18:00");
    const none = await post("/rules/absences", { ...fieldsOf(screen), kind: "vacation", schedule: "save" });
    expect(none.status).toBe(400);
    expect(testIdText(await none.text(), "absences-error")).toBe(`Ирина Козлова: ${ru.schedulePickDays}`);
    expect(box.deps.rules.absences("irina").schedule?.hours).toHaveLength(3);
  });

  test("R4.7: HQ's range is shown 'from headquarters' with no remove; a crafted remove says what to do", async () => {
    const data = {
      id: "olga",
      name: "Ольга Петрова",
      role: "reception",
      pinHash: await pinHash4321(),
      absences: [{ kind: "sick", firstDay: "2026-11-20", lastDay: "2026-11-22" }],
    };
    const applied = box.inbound.handle("staff", bytes(down("staff", 1, [{ type: "staff.upsert", data }])));
    expect(applied).toMatchObject({ kind: "applied" });
    const id = String(box.deps.rules.absences("olga").ranges[0]?.id);
    const list = await (
      await post("/rules/staff", { ticket: ticketIn(await actionScreen("sergey", "9999")) })
    ).text();
    expect(testIdText(list, "away-olga")).toContain(ru.awaySick);
    const screen = await (
      await post("/rules/absences", { ticket: ticketIn(list), employeeId: "olga" })
    ).text();
    expect(testIdText(screen, `range-${id}`)).toContain(ru.fromHq);
    expect(screen).not.toContain(`data-testid="remove-range-${id}"`);
    const crafted = await post("/rules/absences", { ...fieldsOf(screen), remove: id });
    expect(crafted.status).toBe(404);
    expect(testIdText(await crafted.text(), "absences-error")).toBe(`Ольга Петрова: ${ru.errUnknownAbsence}`);
    expect(box.deps.rules.absences("olga").ranges).toHaveLength(1);
  });

  test("R4.4: a receptionist is refused a colleague's forwarding, the list and absences, even by crafting the form", async () => {
    const ticket = ticketIn(await actionScreen("anna", "1111"));
    for (const [path, fields] of [
      ["/rules/forwarding", { employeeId: "olga", timeout: "60", action: "voicemail", save: "yes" }],
      ["/rules/staff", {}],
      [
        "/rules/absences",
        { employeeId: "anna", first: "2026-12-01", last: "2026-12-02", kind: "vacation", add: "yes" },
      ],
    ] as const) {
      const response = await post(path, { ticket, ...fields });
      expect(response.status).toBe(403);
      expect(testIdText(await response.text(), "action-error")).toBe(ru.errNotAManager);
    }
    expect(box.rules.forwarding("olga")).toBeNull();
    expect(box.deps.rules.absences("anna").ranges).toEqual([]);
    expect(auditActions()).toEqual([]);
  });
});

describe("security", () => {
  test("a wrong PIN gives no ticket; a forged or expired ticket is refused and changes nothing", async () => {
    const wrong = await box.post("/pin", { employeeId: "anna", pin: "0000" }, { hx: true });
    expect(await wrong.text()).not.toContain('name="ticket"');
    const ticket = ticketIn(await actionScreen("anna", "1111"));
    const fields = { timeout: "60", action: "voicemail", save: "yes" };
    const forged = await post("/rules/forwarding", { ...fields, ticket: `${ticket.slice(0, -2)}xx` });
    expect(forged.status).toBe(403);
    expect(testIdText(await forged.text(), "flash-error")).toBe(ru.ticketExpired);
    box.clock.advance(31_000);
    expect((await post("/rules/forwarding", { ...fields, ticket })).status).toBe(403);
    expect(box.rules.forwarding("anna")).toBeNull();
  });

  test("a cross-origin post is refused (CSRF) and changes nothing", async () => {
    const ticket = ticketIn(await actionScreen("sergey", "9999"));
    for (const path of ["/rules/forwarding", "/rules/absences", "/rules/staff"]) {
      const response = await post(
        path,
        {
          ticket,
          employeeId: "anna",
          timeout: "60",
          action: "voicemail",
          save: "yes",
          first: "2026-12-01",
          last: "2026-12-01",
          add: "yes",
        },
        { origin: "http://evil.example" },
      );
      expect(response.status).toBe(403);
    }
    expect(box.rules.forwarding("anna")).toBeNull();
    expect(box.deps.rules.absences("anna").ranges).toEqual([]);
  });

  test("R4.4, R4.7: /admin says each change in words, who made it and how", async () => {
    const ticket = ticketIn(await actionScreen("sergey", "9999"));
    await post("/rules/forwarding", {
      ticket,
      employeeId: "anna",
      timeout: "60",
      action: "voicemail",
      save: "yes",
    });
    await post("/rules/absences", {
      ticket,
      employeeId: "anna",
      first: "2026-12-01",
      last: "2026-12-02",
      kind: "sick",
      add: "yes",
    });
    const admin = await (
      await box.web.request("/admin", { headers: { authorization: `Bearer ${TEST_TOKEN}` } })
    ).text();
    expect(admin).toContain(
      "Переадресация, если не отвечает: Анна Смирнова — через 60 с голосовая почта. Кто изменил: Сергей Иванов (киоск).",
    );
    expect(admin).toContain(
      "Больничный внесён: Анна Смирнова, вт, 01.12.2026 — ср, 02.12.2026. Кто: Сергей Иванов (киоск).",
    );
  });
});
