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
