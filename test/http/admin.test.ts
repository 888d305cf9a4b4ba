import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type KioskBox, makeKioskBox, testIdText, ticketIn } from "../support/kiosk-client.ts";

let box: KioskBox;
beforeEach(async () => {
  box = await makeKioskBox();
});
afterEach(() => box.close());

const admin = (headers: Record<string, string> = { authorization: `Bearer ${TEST_TOKEN}` }) =>
  box.web.request("/admin", { headers });
const adminHtml = async (cookie?: string) =>
  (await admin({ authorization: `Bearer ${TEST_TOKEN}`, ...(cookie ? { cookie } : {}) })).text();

async function kioskAction(employeeId: string, pin: string, fields: Record<string, string>) {
  const screen = await (await box.post("/pin", { employeeId, pin }, { hx: true })).text();
  const response = await box.post("/action", { ticket: ticketIn(screen), ...fields }, { hx: true });
  expect(response.status).toBe(200);
}

/** The cells of the table row with this data-testid. */
function rowCells(html: string, testId: string): string[] {
  const at = html.indexOf(`data-testid="${testId}"`);
  if (at < 0) return [];
  const row = html.slice(at, html.indexOf("</tr>", at));
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) =>
    (m[1] ?? "")
      .replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

describe("admin page auth", () => {
  test("without the admin token: 401 and nothing of the page", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-token-wrong-token" },
      { authorization: "Basic eDp5" },
    ];
    for (const headers of attempts) {
      const response = await admin(headers);
      expect(response.status).toBe(401);
      const body = await response.text();
      expect(body).not.toContain(ru.adminTitle);
      expect(body).not.toContain("Анна");
    }
  });

  test("a browser gets a basic-auth prompt and gets in with the token as the password", async () => {
    expect((await admin({})).headers.get("www-authenticate")).toStartWith("Basic");
    const basic = `Basic ${Buffer.from(`it:${TEST_TOKEN}`).toString("base64")}`;
    const response = await admin({ authorization: basic });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(ru.adminTitle);
  });
});

describe("R0.4: who owns each extension now, and why", () => {
  test("R0.4: a free desk is unmapped, the manager's dedicated extension is his", async () => {
    const html = await adminHtml();
    expect(html).toContain(ru.adminTitle);
    const desk = rowCells(html, "owner-101");
    expect(desk[0]).toBe("101");
    expect(desk[1]).toBe("Ресепшен");
    expect(testIdText(html, "owner-101-name")).toBe(ru.adminNobody);
    expect(desk[3]).toContain("unmapped");
    expect(testIdText(html, "owner-101-reason")?.length).toBeGreaterThan(10);
    expect(testIdText(html, "owner-102-name")).toBe("Сергей Иванов");
    expect(rowCells(html, "owner-102")[3]).toContain("dedicated");
  });

  test("R0.4: after a kiosk check-in the desk extension shows its owner, the rule and the reason", async () => {
    await kioskAction("anna", "1111", { kind: "check-in", deskId: "front" });
    box.clock.advance(5 * 60_000);
    const html = await adminHtml();
    const row = rowCells(html, "owner-101");
    expect(testIdText(html, "owner-101-name")).toBe("Анна Смирнова");
    expect(row[3]).toContain("desk-checkin");
    expect(row[3]).toContain(ru.ruleDeskCheckin);
    // The reason is said in the page's language; in English it is the API's sentence.
    expect(testIdText(html, "owner-101-reason")).toBe(
      "Анна Смирнова на смене на месте «Ресепшен» и держит его телефон",
    );
    const owner = (await (await box.api("/api/v1/owner?extension=101")).json()) as { reason: string };
    const english = await adminHtml("bb_lang=en");
    expect(testIdText(english, "owner-101-reason")).toBe(owner.reason);
    expect(owner.reason).toContain("Анна Смирнова");
    expect(row[5]).toBe("09:00");
  });
});

describe("today's roster changes and the audit", () => {
  test("lists kiosk changes, a manager's correction, the phone passing on and the automatic close, with sources", async () => {
    await kioskAction("anna", "1111", { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-21T10:00:00+03:00");
    await kioskAction("olga", "2222", { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-21T12:00:00+03:00");
    await kioskAction("anna", "1111", { kind: "break-start" });
    box.clock.set("2026-11-21T19:00:00+03:00");
    await kioskAction("sergey", "9999", {
      kind: "close-shift",
      targetId: "olga",
      endedAt: "18:00",
      reason: "forgot",
    });
    // anna forgot too; nobody closes it, max_shift_hours (14) does at 23:00.
    box.clock.set("2026-11-21T23:30:00+03:00");

    const html = await adminHtml();
    const changes = html.slice(
      html.indexOf('data-testid="changes"'),
      html.indexOf("</table>", html.indexOf('data-testid="changes"')),
    );
    for (const text of [
      ru.kindCheckIn,
      ru.kindBreakStart,
      ru.kindCheckOut,
      ru.kindAutoClose,
      ru.sourceKiosk,
      ru.sourceManager,
      ru.sourceAutomatic,
      "Сергей Иванов",
      "18:00:00",
      "23:00:00",
    ]) {
      expect(changes).toContain(text);
    }
    expect(changes).toContain('class="correction"');
    // The manager's late entry shows when it was recorded.
    expect(changes).toContain("2026-11-21 19:00:00");

    const audit = html.slice(html.indexOf('data-testid="audit"'));
    expect(audit).toContain("Сергей Иванов");
    expect(audit).toContain("roster.check-out");
  });

  test("yesterday's changes are not today's", async () => {
    await kioskAction("anna", "1111", { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-22T08:00:00+03:00");
    const html = await adminHtml();
    expect(html).toContain(ru.adminNoChanges);
    expect(html).not.toContain('data-testid="changes"');
  });

  test("the admin page in English, plain HTML without scripts", async () => {
    const html = await adminHtml("bb_lang=en");
    expect(html).toContain('<html lang="en">');
    expect(html).toContain(en.adminTitle);
    expect(html).toContain(en.adminChangesTitle);
    expect(html).toContain(en.adminAuditTitle);
    expect(html).not.toContain("<script");
    expect(html).not.toMatch(/\sstyle=/);
  });
});

/** The sentences of the audit table, newest first. */
const auditTexts = (html: string) =>
  [...html.matchAll(/data-testid="(audit-\d+-text)"/g)].map((m) => testIdText(html, m[1] ?? ""));

describe("issue 14 (7): /admin says the audit in words, for any day", () => {
  test("issue 14 (7): a manager's late close is a sentence with names and the branch's time, ru and en; the entry as recorded stays", async () => {
    await kioskAction("olga", "2222", { kind: "check-in", deskId: "front" });
    box.clock.set("2026-11-21T19:00:00+03:00");
    await kioskAction("sergey", "9999", {
      kind: "close-shift",
      targetId: "olga",
      endedAt: "18:00",
      reason: "forgot",
      note: "ушла в 18:00",
    });
    const html = await adminHtml();
    expect(auditTexts(html)).toEqual([
      "Конец смены: Ольга Петрова, 18:00. Кто внёс: Сергей Иванов (менеджер), на 1 ч 00 мин позже. Причина: Забыл(а) закончить смену — «ушла в 18:00».",
    ]);
    // UTC and ids only where branch IT looks for them: the entry as recorded.
    expect(html).not.toMatch(/<td[^>]*>[^<]*15:00:00\.000Z/);
    expect(html).toMatch(/<details><summary>как записано<\/summary><code>roster.check-out<\/code>/);
    expect(html).toContain(
      "check-out of olga as of 2026-11-21T15:00:00.000Z, entered via manager by sergey; reason: forgot: ушла в 18:00",
    );
    const english = await adminHtml("bb_lang=en");
    expect(auditTexts(english)).toEqual([
      "Shift end: Ольга Петрова, 18:00. Entered by Сергей Иванов (manager), 1 h 00 min late. Reason: Forgot to end the shift — “ушла в 18:00”.",
    ]);
  });

  test("issue 14 (7): branch IT's unlock on /admin is said as such, with the lock's end in the branch's time", async () => {
    for (let i = 0; i < 5; i++) await box.roster.verifyPin("olga", "0000", box.clock.now());
    box.clock.advance(60_000);
    const unlock = await box.web.request("/admin/pins/olga/unlock", {
      method: "POST",
      headers: {
        authorization: `Bearer ${TEST_TOKEN}`,
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
      },
    });
    expect(unlock.status).toBe(303);
    expect(auditTexts(await adminHtml())).toEqual([
      "Снята блокировка PIN: Ольга Петрова (действовала до 09:05). Кто снял: IT филиала.",
    ]);
    expect(auditTexts(await adminHtml("bb_lang=en"))).toEqual([
      "PIN lock lifted: Ольга Петрова (locked until 09:05). Lifted by branch IT.",
    ]);
  });

  test("issue 14 (7): a fact and an audit entry of yesterday show with ?day=yesterday and not today", async () => {
    // At 09:00 the shift's cap (14 h) closes it at 23:00, still yesterday.
    box.clock.set("2026-11-20T09:00:00+03:00");
    await kioskAction("anna", "1111", { kind: "check-in", deskId: "front" });
    box.roster.unlockPin("olga", { actorId: null, via: "api" }, box.clock.now());
    box.clock.set("2026-11-21T09:00:00+03:00");

    const today = await adminHtml();
    expect(testIdText(today, "changes-none")).toBe(ru.adminNoChanges);
    expect(testIdText(today, "audit-none")).toBe(ru.adminNoAudit);
    expect(today).toContain('<input type="date" name="day" value="2026-11-21" max="2026-11-21" required=""');
    expect(today).toContain('href="/admin?day=2026-11-20#changes" data-testid="day-previous"');
    expect(today).not.toContain('data-testid="day-next"');

    const response = await admin();
    expect(response.status).toBe(200);
    const yesterday = await (
      await box.web.request("/admin?day=2026-11-20", { headers: { authorization: `Bearer ${TEST_TOKEN}` } })
    ).text();
    expect(yesterday).toContain(ru.adminChangesOn("2026-11-20"));
    const rows = testIdText(yesterday, "changes") ?? "";
    expect(rows).toContain("09:00:00");
    expect(rows).toContain("23:00:00");
    expect(rows).toContain("Анна Смирнова");
    expect(rows).toContain(ru.kindCheckIn);
    expect(yesterday).toContain(ru.adminAuditOn("2026-11-20"));
    expect(auditTexts(yesterday)).toEqual([
      "Снята блокировка PIN: Ольга Петрова (блокировки уже не было). Кто снял: API.",
    ]);
    expect(yesterday).toContain('value="2026-11-20"');
    expect(yesterday).toContain('href="/admin?day=2026-11-19#changes" data-testid="day-previous"');
    expect(yesterday).toContain('href="/admin?day=2026-11-21#changes" data-testid="day-next"');
    expect(yesterday).toContain('data-testid="day-today"');

    const before = await (
      await box.web.request("/admin?day=2026-11-19&lang=en", {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      })
    ).text();
    expect(testIdText(before, "changes-none")).toBe(en.adminNoChangesOn("2026-11-19"));
    expect(testIdText(before, "audit-none")).toBe(en.adminNoAuditOn("2026-11-19"));
  });

  test("issue 14 (7): a day that is not a date is answered 400 with what to type, and today is shown", async () => {
    await kioskAction("anna", "1111", { kind: "check-in", deskId: "front" });
    for (const day of ["2026-13-01", "yesterday", "2026-02-30", "<script>"]) {
      const response = await box.web.request(`/admin?day=${encodeURIComponent(day)}`, {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(testIdText(html, "day-error")).toBe(ru.adminBadDay(day));
      expect(html).toContain('value="2026-11-21"');
      expect(testIdText(html, "changes")).toContain("Анна Смирнова");
      expect(html).not.toContain("<script>");
    }
  });
});

describe("issue 14 (7): the language links keep the page's day and filters", () => {
  test("issue 14 (7): RU/EN on /admin?day= and /admin/calls?employee= keep them", async () => {
    const auth = { headers: { authorization: `Bearer ${TEST_TOKEN}` } };
    const day = await (await box.web.request("/admin?day=2026-11-20", auth)).text();
    expect(day).toContain('href="/admin?day=2026-11-20&amp;lang=en"');
    const calls = await (await box.web.request("/admin/calls?employee=anna&lang=ru", auth)).text();
    expect(calls).toContain('href="/admin/calls?employee=anna&amp;lang=en"');
  });
});

describe("issue 14 (7): the branch's day is midnight to midnight in its zone, DST included", () => {
  test("issue 14 (7): in Berlin, 29 March 2026 (23 hours) holds 00:30 CET and 23:30 CEST, and neither neighbour does", async () => {
    await box.close();
    box = await makeKioskBox({
      config: { branch: { id: "demo", name: "Берлин", timezone: "Europe/Berlin" } },
    });
    box.clock.set("2026-04-01T12:00:00+02:00");
    const facts = [
      ["2026-03-28T23:30:00+01:00", "check-in"],
      ["2026-03-29T00:30:00+01:00", "check-out"],
      ["2026-03-29T23:30:00+02:00", "check-in"],
      ["2026-03-30T00:30:00+02:00", "check-out"],
    ] as const;
    for (const [at, kind] of facts) {
      const result = await box.roster.record(
        {
          kind,
          employeeId: "anna",
          deskId: kind === "check-in" ? "front" : null,
          at: Date.parse(at),
          source: "api",
        },
        box.clock.now(),
      );
      expect(result.ok).toBe(true);
    }
    const day = async (d: string) =>
      testIdText(
        await (
          await box.web.request(`/admin?day=${d}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })
        ).text(),
        "changes",
      ) ?? "";
    // The times the changes happened; the column of when each was entered has its date with it.
    const times = (text: string) => text.match(/(?<!-\d\d )\d\d:\d\d:\d\d/g);
    expect(times(await day("2026-03-29"))).toEqual(["00:30:00", "23:30:00"]);
    expect(times(await day("2026-03-28"))).toEqual(["23:30:00"]);
    expect(times(await day("2026-03-30"))).toEqual(["00:30:00"]);
  });
});
