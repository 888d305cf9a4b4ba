// Issue 14, item 4: what the kiosk says when the box does not answer comes from the page itself
// (web/kiosk-offline.js has no messages): hidden in the layout, in the page's language.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { type KioskBox, makeKioskBox, testIdText } from "../support/kiosk-client.ts";

let box: KioskBox;
beforeEach(async () => {
  box = await makeKioskBox();
});
afterEach(() => box.close());

const unescapeHtml = (text: string) =>
  text
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");

/** The attributes of the element with `data-testid="<id>"`, unescaped. */
function attributesOf(html: string, id: string): Record<string, string> {
  const tag = new RegExp(`<[a-z]+\\b[^>]*data-testid="${id}"[^>]*>`).exec(html)?.[0] ?? "";
  return Object.fromEntries(
    [...tag.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].slice(1).map((m) => [m[1], unescapeHtml(m[2] ?? "")]),
  );
}

describe("the kiosk without the box", () => {
  for (const [lang, t] of [
    ["ru", ru],
    ["en", en],
  ] as const) {
    test(`every kiosk page carries the hidden banner and the tap notice in ${lang}`, async () => {
      const html = await (await box.get(`/?lang=${lang}`)).text();
      expect(html).toContain('src="/assets/kiosk-offline.js?v=');
      const banner = attributesOf(html, "box-offline");
      expect(banner.hidden).toBe("");
      expect(banner.role).toBe("alert");
      expect(unescapeHtml(testIdText(html, "box-offline") ?? "")).toBe(`${t.offlineTitle} ${t.offlineBody}`);
      const notice = attributesOf(html, "box-notice");
      expect(notice.hidden).toBe("");
      expect(notice["data-not-recorded"]).toBe(t.offlineNotRecorded);
      expect(notice["data-no-answer"]).toBe(t.offlineNoAnswer);
    });
  }

  test("the page says where to come back to: the home screen, or the desk screen it shows", async () => {
    expect(/<body[^>]*data-here="\/"/.test(await (await box.get("/")).text())).toBe(true);
    expect(/<body[^>]*data-here="\/desk\/front"/.test(await (await box.get("/desk/front")).text())).toBe(
      true,
    );
  });

  test("a screen swapped by htmx has no banner of its own (the layout's stays)", async () => {
    const fragment = await (await box.get("/pin/anna", { hx: true })).text();
    expect(fragment).not.toContain("box-offline");
  });

  test("htmx gives up on a request after at most 10 s, so a hanging box is noticed", async () => {
    const html = await (await box.get("/")).text();
    const config = unescapeHtml(/<meta name="htmx-config" content="([^"]*)"/.exec(html)?.[1] ?? "{}");
    const timeout = (JSON.parse(config) as { defaultTimeout?: number }).defaultTimeout ?? 60_000;
    expect(timeout).toBeGreaterThan(0);
    expect(timeout).toBeLessThanOrEqual(10_000);
  });
});
