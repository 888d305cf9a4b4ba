import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { firstLetters, initials, SEARCH_FROM } from "../../src/http/kiosk/name-picker.tsx";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { hashPin } from "../../src/service/staff-import.ts";
import { staffStore } from "../../src/store/staff-store.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type KioskBox, makeKioskBox, testIdText, ticketIn } from "../support/kiosk-client.ts";

/**
 * Issue 14, items 3 and 10, as the box sends them: the home screen's name tiles and search, one
 * heading and one navigation per page, and fragments that bring neither header nor nav into
 * #screen. How it looks on 800×480 is test/e2e/kiosk-home.browser.ts's.
 */
let box: KioskBox;
beforeEach(async () => {
  box = await makeKioskBox();
});
afterEach(() => box.close());

const LONG_NAME = "Александра Константинопольская";
const MORE_NAMES = [
  LONG_NAME,
  "Борис Волков",
  "Вера Николаева",
  "Галина Морозова",
  "Дмитрий Соколов",
  "Елена Попова",
  "Жанна Лебедева",
  "Зоя Кузнецова",
  "Кира Новикова",
  "Мария-Антуанетта Шереметева-Голенищева",
  "Нина Егорова",
  "Татьяна Ёлкина",
];

/** The demo's four and `names` more, as an import would leave them (PIN 4444). */
async function addStaff(names: readonly string[]): Promise<void> {
  const pinHash = await hashPin("4444");
  const rows = names.map((name, i) => ({
    id: `extra${i}`,
    name,
    role: "reception" as const,
    extension: null,
    pinHash,
  }));
  staffStore(box.db).upsert(rows, box.clock.now());
  box.roster.reloadStaff();
}

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
      ru.flashCheckIn("Анна Смирнова", "Ресепшен", "09:00"),
    );
  });
});

describe("issue 14, item 3: the name tiles", () => {
  test("the home screen's heading is 'tap your name'; a tile's text is the name alone, the initials drawn beside it", async () => {
    const html = await text(box.get("/"));
    expect(html).toMatch(new RegExp(`<h1 id="names-title">${ru.pickYourName}</h1>`));
    expect(testIdText(html, "employee-anna")).toBe("Анна Смирнова");
    expect(html).toMatch(
      /data-testid="employee-anna"><span class="avatar" data-initials="АС" aria-hidden="true"><\/span><span class="name-text">Анна Смирнова<\/span><span id="on-mark-anna" class="on-mark" role="img" aria-label="[^"]+" hidden=""/,
    );
    expect(html).not.toMatch(/class="on-mark" role="img" aria-label="[^"]+"(?! hidden)/);
  });

  test("on shift: the tile is marked (a labelled check, which the CSS also borders), its text still the name", async () => {
    const response = await box.api("/api/v1/roster/check-in", {
      method: "POST",
      body: JSON.stringify({ employeeId: "anna", deskId: "front" }),
    });
    expect(response.status).toBe(200);
    for (const [lang, t] of [
      ["ru", ru],
      ["en", en],
    ] as const) {
      const html = await text(box.get(`/?lang=${lang}`));
      expect(html).toContain(
        `<span id="on-mark-anna" class="on-mark" role="img" aria-label="${t.onShiftMark}" data-testid="on-mark-anna"></span>`,
      );
      expect(testIdText(html, "employee-anna")).toBe("Анна Смирнова");
      expect(html).toContain(
        `<span id="on-mark-olga" class="on-mark" role="img" aria-label="${t.onShiftMark}" hidden="" data-testid="on-mark-olga"></span>`,
      );
    }
  });

  test("issue 14 (5): the board's live stream sends every tile's on-shift mark again, out of band", async () => {
    const events = await box.get("/events");
    const reader = events.body?.getReader();
    if (reader === undefined) throw new Error("no stream");
    const decoder = new TextDecoder();
    let seen = "";
    const until = async (wanted: string) => {
      while (!seen.includes(wanted)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before "${wanted}"`);
        seen += decoder.decode(value, { stream: true });
      }
    };
    await until('id="on-mark-olga"');
    expect(seen).toMatch(
      /id="on-mark-anna" class="on-mark" role="img" aria-label="[^"]+" hidden="" hx-swap-oob="true"/,
    );
    seen = "";
    const response = await box.web.request("/api/v1/roster/check-in", {
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      method: "POST",
      body: JSON.stringify({ employeeId: "anna", deskId: "front" }),
    });
    expect(response.status).toBe(200);
    await until('id="on-mark-olga"');
    expect(seen).toContain(
      `<span id="on-mark-anna" class="on-mark" role="img" aria-label="${ru.onShiftMark}" hx-swap-oob="true" data-testid="on-mark-anna">`,
    );
    await reader.cancel();
  });

  test("a long name: the tile is marked to set it smaller under the circle; the whole name is its text", async () => {
    await addStaff(MORE_NAMES);
    const html = await text(box.get("/"));
    const tile = /<a class="([^"]+)" href="\/pin\/extra0"[^>]*>(.*?)<\/a>/.exec(html);
    expect(tile?.[1]).toBe("name-btn long longest");
    // Not on shift: the mark is there for the live stream, hidden.
    expect(tile?.[2]).toContain('data-initials="АК"');
    expect(testIdText(html, "employee-extra0")).toBe(LONG_NAME);
    // Hyphenated words count one by one: none is longer than 14, so the circle stays beside it.
    expect(html).toMatch(/<a class="name-btn long" href="\/pin\/extra9"/);
    expect(html).toMatch(/<a class="name-btn" href="\/pin\/extra1"/);
  });

  test("initials: the first letters of the first two words, capitals, ё kept; letters: one per first name, in order", () => {
    expect(initials("Анна Смирнова", "ru")).toBe("АС");
    expect(initials("Мария-Антуанетта Шереметева-Голенищева", "ru")).toBe("МШ");
    expect(initials("ёлка", "ru")).toBe("Ё");
    expect(initials("  Olga   von Petrova ", "en")).toBe("OV");
    expect(firstLetters(["Яна Белова", "анна", "Анна Смирнова", "Борис", "ёжик"], "ru")).toEqual([
      "А",
      "Б",
      "Ё",
      "Я",
    ]);
  });
});

describe("issue 14, item 3: search in a long list", () => {
  test(`a short list (under ${SEARCH_FROM}) has no search; every name is a tile`, async () => {
    const html = await text(box.get("/"));
    expect(html).not.toContain("data-name-search");
    expect(html).not.toContain("data-name-filter");
    expect(html.match(/data-testid="employee-/g)?.length).toBe(4);
  });

  test("a long list gets a search, hidden until the kiosk script shows it, with a letter per first name; every name is still listed", async () => {
    await addStaff(MORE_NAMES);
    for (const [lang, t] of [
      ["ru", ru],
      ["en", en],
    ] as const) {
      const html = await text(box.get(`/?lang=${lang}`));
      expect(html.match(/data-testid="employee-/g)?.length).toBe(4 + MORE_NAMES.length);
      expect(html).toMatch(/<div class="name-search" data-name-search="true" hidden="">/);
      expect(html).toContain(`aria-label="${t.nameSearchLabel}"`);
      expect(html).toContain(`<legend class="sr-only">${t.nameSearchLetters}</legend>`);
      expect(testIdText(html, "name-all")).toBe(t.nameSearchAll);
      expect(testIdText(html, "name-none")).toBe(t.nameSearchNone);
      expect(html).toMatch(/<p class="muted name-none" data-name-none="true" hidden=""/);
      const letters = [...html.matchAll(/data-name-letter="([^"]+)"/g)].map((m) => m[1]);
      expect(letters).toEqual([..."АБВГДЕЖЗИКМНОСТ"]);
    }
  });
});
