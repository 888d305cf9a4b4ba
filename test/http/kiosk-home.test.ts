import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ru } from "../../src/i18n/ru.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type KioskBox, makeKioskBox, testIdText, ticketIn } from "../support/kiosk-client.ts";

/**
 * Issue 14, item 10, as the box sends them: one heading and one navigation per page, and
 * fragments that bring neither header nor nav into #screen.
 */
let box: KioskBox;
beforeEach(async () => {
  box = await makeKioskBox();
});
afterEach(() => box.close());

const count = (html: string, tag: string) => html.match(new RegExp(`<${tag}[\\s>]`, "g"))?.length ?? 0;
const text = async (response: Response | Promise<Response>) => (await response).text();
const admin = (path: string) => box.web.request(path, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });

describe("issue 14, item 10: one heading and one navigation", () => {
  test("every kiosk, desk and admin page has exactly one h1 and one nav", async () => {
    const pages: Record<string, string> = {
      home: await text(box.get("/")),
      "PIN pad": await text(box.get("/pin/anna")),
      "action screen": await text(box.post("/pin", { employeeId: "anna", pin: "1111" })),
      "wrong PIN": await text(box.post("/pin", { employeeId: "olga", pin: "0000" })),
      "unlock chooser": await text(box.get("/unlock/olga")),
      "manager's PIN pad": await text(box.get("/unlock/olga/sergey")),
      "desk screen": await text(box.get("/desk/front")),
      "unknown desk": await text(box.get("/desk/nope")),
      "unknown employee": await text(box.get("/pin/nobody")),
      admin: await text(admin("/admin")),
      "admin calls": await text(admin("/admin/calls")),
    };
    for (const [page, html] of Object.entries(pages)) {
      expect({ page, h1: count(html, "h1"), nav: count(html, "nav") }).toEqual({ page, h1: 1, nav: 1 });
      expect({ page, header: count(html, "header") }).toEqual({ page, header: 1 });
    }
    // /admin's section links share the header's nav with the languages (they had a nav of their own).
    expect(pages.admin).toMatch(
      /<nav class="top-nav"><a class="btn secondary" href="\/admin\/calls" data-testid="to-calls">/,
    );
    expect(pages["admin calls"]).toMatch(
      /<nav class="top-nav"><a class="btn secondary" href="\/admin" data-testid="to-owners">/,
    );
    expect(testIdText(pages["unknown desk"] ?? "", "desk-unknown")).toBe(ru.deskUnknown("nope"));
  });

  test("what htmx swaps into #screen brings one h1 and no header or nav of its own", async () => {
    const pin = await text(box.post("/pin", { employeeId: "anna", pin: "1111" }, { hx: true }));
    const fragments: Record<string, string> = {
      home: await text(box.get("/", { hx: true })),
      "PIN pad": await text(box.get("/pin/anna", { hx: true })),
      "action screen": pin,
      "wrong PIN": await text(box.post("/pin", { employeeId: "olga", pin: "0000" }, { hx: true })),
      "unlock chooser": await text(box.get("/unlock/olga", { hx: true })),
      "manager's PIN pad": await text(box.get("/unlock/olga/sergey", { hx: true })),
      "home after an action": await text(
        box.post("/action", { ticket: ticketIn(pin), kind: "check-in", deskId: "front" }, { hx: true }),
      ),
    };
    for (const [fragment, html] of Object.entries(fragments)) {
      expect(html).not.toContain("<html");
      expect({
        fragment,
        h1: count(html, "h1"),
        nav: count(html, "nav"),
        header: count(html, "header"),
      }).toEqual({ fragment, h1: 1, nav: 0, header: 0 });
    }
    expect(testIdText(fragments["home after an action"] ?? "", "flash")).toBe(
      ru.flashCheckIn("Анна Смирнова", "Ресепшен"),
    );
  });
});
