// Browser test of the kiosk's home screen on a small kiosk (issue 14, items 3 and 10): the compiled
// binary with a staff list of 20 (long names among them), at 800×480 and at 1280×800.
//
// Run by scripts/test-all.ts with the other test/e2e/*.browser.ts files (harness:
// test/support/browser.ts). Screenshots go to test-artifacts/screenshots/home-*.png.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ru } from "../../src/i18n/ru.ts";
import {
  assert,
  assertTouchTargets,
  browserTest,
  check,
  enterPin,
  launchChromium,
  newKiosk,
  SMALL,
  scriptErrors,
  shot,
  textOf,
  WIDE,
} from "../support/browser.ts";
import { BINARY, ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

const LONG_NAME = "Александра Константинопольская";
/** The demo's four (their PINs) and sixteen more: a list long enough for the search. */
const STAFF = [
  ["anna", "Анна Смирнова", "1111"],
  ["olga", "Ольга Петрова", "2222"],
  ["irina", "Ирина Козлова", "3333"],
  ["alexandra", LONG_NAME, "4444"],
  ["boris", "Борис Волков", "4444"],
  ["vera", "Вера Николаева", "4444"],
  ["galina", "Галина Морозова", "4444"],
  ["dmitry", "Дмитрий Соколов", "4444"],
  ["elena", "Елена Попова", "4444"],
  ["zhanna", "Жанна Лебедева", "4444"],
  ["zoya", "Зоя Кузнецова", "4444"],
  ["kira", "Кира Новикова", "4444"],
  ["lyudmila", "Людмила Фёдорова", "4444"],
  ["maria", "Мария-Антуанетта Шереметева-Голенищева", "4444"],
  ["nina", "Нина Егорова", "4444"],
  ["pavel", "Павел Орлов", "4444"],
  ["tatiana", "Татьяна Ёлкина", "4444"],
  ["yulia", "Юлия Зайцева", "4444"],
  ["yana", "Яна Белова", "4444"],
].map(([id, name, pin]) => ({ id, name, pin, role: "reception", extension: null as string | null }));
STAFF.push({ id: "sergey", name: "Сергей Иванов", pin: "9999", role: "manager", extension: "102" });

let box: Running | undefined;
let browser: Browser | undefined;
const dir = makeTestDir("kiosk-home");

/** The staff list goes in with `branchbox staff import`, as branch IT does; `serve --demo` keeps it. */
function importStaff(): void {
  const file = join(dir, "staff.json");
  writeFileSync(file, JSON.stringify(STAFF));
  mkdirSync(join(dir, "run"), { recursive: true });
  const env = { ...process.env, BRANCHBOX_STORAGE_DIR: join(dir, "data") };
  const run = spawnSync(BINARY, ["staff", "import", file, "--demo"], {
    cwd: join(dir, "run"),
    env,
    encoding: "utf8",
  });
  assert(run.status === 0, `staff import exited ${run.status}: ${run.stdout}${run.stderr}`);
}

/** Every tile that is not hidden, by its test id. */
const shownTiles = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>(".name-grid [data-testid^=employee-]")]
      .filter((tile) => !tile.hidden && tile.offsetParent !== null)
      .map((tile) => tile.dataset.testid?.replace("employee-", "") ?? ""),
  );

/** Types into the search as a keyboard would (an input event per key). */
async function search(page: Page, text: string): Promise<void> {
  await page.getByTestId("name-filter").fill("");
  await page.getByTestId("name-filter").pressSequentially(text);
}

/** The focused element: its test id or tag, whether it is in #screen, and its ring's contrast. */
const focusState = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!(el instanceof HTMLElement)) return null;
    const style = getComputedStyle(el);
    const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
      const c = [r, g, b].map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      }) as [number, number, number];
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    // The ring is drawn outside the element (outline-offset): it is seen on its parent's background.
    let behind: Element | null = el.parentElement;
    let background = "rgb(255, 255, 255)";
    while (behind !== null) {
      const bg = getComputedStyle(behind).backgroundColor;
      const [, , , alpha = 1] = rgb(bg);
      if (bg !== "transparent" && alpha > 0) {
        background = bg;
        break;
      }
      behind = behind.parentElement;
    }
    const [hi, lo] = [luminance(rgb(style.outlineColor)), luminance(rgb(background))].sort(
      (a, b) => b - a,
    ) as [number, number];
    return {
      id: el.dataset.testid ?? el.tagName.toLowerCase(),
      tag: el.tagName.toLowerCase(),
      inScreen: el.closest("#screen") !== null,
      focusVisible: el.matches(":focus-visible"),
      outlineStyle: style.outlineStyle,
      outlineWidth: Number.parseFloat(style.outlineWidth),
      contrast: (hi + 0.05) / (lo + 0.05),
    };
  });

async function assertRing(page: Page, where: string): Promise<void> {
  const focus = await focusState(page);
  assert(focus !== null, `nothing is focused ${where}`);
  assert(focus.focusVisible, `${focus.id} is focused ${where} but not :focus-visible`);
  assert(
    focus.outlineStyle !== "none" && focus.outlineWidth >= 2,
    `${focus.id}'s focus ring ${where} is ${focus.outlineStyle} ${focus.outlineWidth}px`,
  );
  assert(
    focus.contrast >= 3,
    `${focus.id}'s focus ring ${where} has contrast ${focus.contrast.toFixed(2)}:1`,
  );
}

async function run(): Promise<void> {
  ensureBinary();
  importStaff();
  const running = await startBranchbox({ args: ["serve", "--demo"], dir });
  box = running;
  const chromium = await launchChromium();
  browser = chromium;

  for (const [size, viewport] of [
    ["800x480", SMALL],
    ["1280x800", WIDE],
  ] as const) {
    const kiosk = await newKiosk(chromium, running.baseUrl, viewport);
    const page = kiosk.page;

    await check(`${size}: the first name tile is whole on screen without scrolling`, page, async () => {
      await page.goto("/");
      await page.getByTestId("name-filter").waitFor({ state: "visible" });
      const first = await page.locator(".name-grid .name-btn").first().boundingBox();
      const scrollY = await page.evaluate(() => window.scrollY);
      assert(scrollY === 0, `the home screen opened scrolled to ${scrollY}`);
      assert(
        first !== null &&
          first.y >= 0 &&
          first.x >= 0 &&
          first.y + first.height <= viewport.height &&
          first.x + first.width <= viewport.width,
        `the first name tile is at ${JSON.stringify(first)} in a ${size} window`,
      );
      assert(
        (await page.locator("h1").count()) === 1 && (await page.locator("nav").count()) === 1,
        "the home screen has not exactly one h1 and one nav",
      );
      await shot(page, `home-${size}`);
    });

    await check(
      `${size}: every name stays inside its tile; the page does not scroll sideways`,
      page,
      async () => {
        const spills = await page.evaluate(() => {
          const out: string[] = [];
          for (const tile of document.querySelectorAll<HTMLElement>(".name-grid .name-btn")) {
            const box = tile.getBoundingClientRect();
            for (const part of tile.querySelectorAll<HTMLElement>(".avatar, .name-text")) {
              const r = part.getBoundingClientRect();
              if (r.left < box.left || r.right > box.right || r.top < box.top || r.bottom > box.bottom)
                out.push(`${tile.dataset.testid} ${part.className}`);
            }
            if (tile.scrollWidth > tile.clientWidth || tile.scrollHeight > tile.clientHeight)
              out.push(`${tile.dataset.testid} scrolls`);
          }
          if (document.documentElement.scrollWidth > window.innerWidth)
            out.push("the page is wider than the window");
          return out;
        });
        assert(spills.length === 0, `spills over: ${spills.join(", ")}`);
        const long = page.getByTestId("employee-alexandra");
        assert((await textOf(long)) === LONG_NAME, `the long name's tile says "${await textOf(long)}"`);
        const initials = await long
          .locator(".avatar")
          .evaluate((el) => getComputedStyle(el, "::before").content);
        assert(initials === '"АК"', `the long name's tile shows the initials ${initials}`);
      },
    );

    await check(`${size}: touch targets ≥ 48×48 on the home screen with its search`, page, () =>
      assertTouchTargets(page, `home ${size}`),
    );

    await check(`${size}: the search filters the names as one types or taps a letter`, page, async () => {
      assert((await shownTiles(page)).length === STAFF.length, "not every name is shown at first");
      await search(page, "конст");
      let shown = await shownTiles(page);
      assert(shown.join() === "alexandra", `"конст" shows ${shown.join(", ")}`);
      await search(page, "елкин");
      shown = await shownTiles(page);
      assert(shown.join() === "tatiana", `"елкин" (ё typed as е) shows ${shown.join(", ")}`);
      await page.getByTestId("name-all").tap();
      assert((await shownTiles(page)).length === STAFF.length, "«Все» does not show everyone again");
      await page.getByTestId("name-letter-А").tap();
      shown = await shownTiles(page);
      // Any word's first letter: "Мария-Антуанетта" is found under А too.
      assert(shown.sort().join() === "alexandra,anna,maria", `the letter А shows ${shown.join(", ")}`);
      assert(
        (await page.getByTestId("name-letter-А").getAttribute("aria-pressed")) === "true",
        "the tapped letter is not marked pressed",
      );
      await shot(page, `home-${size}-letter`);
      await page.getByTestId("name-letter-А").tap();
      assert((await shownTiles(page)).length === STAFF.length, "a second tap on the letter does not undo it");
      await search(page, "щщ");
      assert((await shownTiles(page)).length === 0, '"щщ" shows someone');
      await page.getByTestId("name-none").waitFor({ state: "visible" });
      await page.getByTestId("name-all").tap();
      await page.getByTestId("name-none").waitFor({ state: "hidden" });
    });

    await check(
      `${size}: a name tapped far down opens the PIN pad at the top, the header in view, the focus on its heading`,
      page,
      async () => {
        await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
        const scrolled = await page.evaluate(() => window.scrollY);
        if (viewport === SMALL) assert(scrolled > 0, "the small home screen does not scroll at all");
        await page.getByTestId("employee-yana").tap();
        await page.getByTestId("pin-ok").waitFor({ state: "visible" });
        await page.waitForFunction(() => window.scrollY === 0);
        const header = await page.locator("header.top").boundingBox();
        assert(header !== null && header.y === 0, `the header is at ${JSON.stringify(header)}`);
        let focus = await focusState(page);
        assert(focus?.tag === "h1" && focus.inScreen, `the focus is on ${focus?.id} after the swap`);
        assert((await page.locator("h1").count()) === 1, "the PIN pad has not exactly one h1");
        await shot(page, `home-${size}-pin`);
        await assertTouchTargets(page, `PIN pad ${size}`);
        await page.getByTestId("back-home").tap();
        await page.getByTestId("name-filter").waitFor({ state: "visible" });
        focus = await focusState(page);
        assert(focus?.tag === "h1" && focus.inScreen, `the focus is on ${focus?.id} back home`);
        assert((await page.evaluate(() => window.scrollY)) === 0, "home came back scrolled");
      },
    );

    await check(
      `${size}: a keyboard's focus ring shows, and stays on the new screen after a change`,
      page,
      async () => {
        await page.goto("/");
        await page.keyboard.press("Tab");
        await assertRing(page, "in the header");
        for (let i = 0; i < 80; i++) {
          if ((await focusState(page))?.id === "employee-anna") break;
          await page.keyboard.press("Tab");
        }
        await assertRing(page, "on a name tile");
        await page.keyboard.press("Enter");
        await page.getByTestId("pin-ok").waitFor({ state: "visible" });
        const focus = await focusState(page);
        assert(focus?.tag === "h1" && focus.inScreen, `the focus is on ${focus?.id} after the swap`);
        await assertRing(page, "on the PIN pad's heading");
        await page.keyboard.press("Tab");
        await assertRing(page, "on the PIN field");
        await shot(page, `home-${size}-focus`);
      },
    );

    await check(`${size}: after a check-in the flash and the first name both show`, page, async () => {
      await page.goto("/");
      await page.getByTestId("employee-irina").tap();
      await page.getByTestId("pin-ok").waitFor({ state: "visible" });
      await enterPin(page, "3333");
      await page.getByTestId("action-check-in-front").tap();
      await page.getByTestId("flash").waitFor({ state: "visible" });
      const first = await page.locator(".name-grid .name-btn").first().boundingBox();
      const irina = page.getByTestId("employee-irina");
      const marked = await irina.locator(".on-mark").isVisible();
      const mark = await irina.locator(".on-mark").getAttribute("aria-label");
      const text = await textOf(irina);
      await shot(page, `home-${size}-flash`);
      // Her shift ends before the verdict: a failure here leaves the next size's kiosk as it found it.
      await page.getByTestId("employee-irina").tap();
      await enterPin(page, "3333");
      await page.getByTestId("action-check-out").tap();
      await page.getByTestId("confirm-check-out-yes").tap();
      await page.getByTestId("flash").waitFor({ state: "visible" });
      assert(
        first !== null && first.y + first.height <= viewport.height,
        `beside the flash the first tile ends at ${first === null ? "?" : first.y + first.height}`,
      );
      assert(marked && mark === ru.onShiftMark, `irina's tile is not marked on shift (${mark})`);
      assert(text === "Ирина Козлова", `irina's tile says "${text}"`);
    });

    await kiosk.context.close();
  }

  await check("without JavaScript every name is listed and no search shows", undefined, async () => {
    const context = await chromium.newContext({
      baseURL: running.baseUrl,
      viewport: SMALL,
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    await page.goto("/");
    assert(
      (await page.locator(".name-grid .name-btn:visible").count()) === STAFF.length,
      "a name is missing",
    );
    assert(!(await page.getByTestId("name-filter").isVisible()), "the search shows without its script");
    await context.close();
  });

  await check(
    "every kiosk screen has one h1 and one nav (unlock chooser, action screen, desk screen)",
    undefined,
    async () => {
      const kiosk = await newKiosk(chromium, running.baseUrl, SMALL);
      const page = kiosk.page;
      const counts = async (screen: string) => {
        const h1 = await page.locator("h1").count();
        const nav = await page.locator("nav").count();
        assert(h1 === 1 && nav === 1, `the ${screen} has ${h1} h1 and ${nav} nav`);
      };
      await page.goto("/unlock/olga");
      await page.getByTestId("unlock-manager-sergey").waitFor();
      await counts("unlock chooser");
      await page.goto("/");
      await page.getByTestId("employee-anna").tap();
      await enterPin(page, "1111");
      await page.getByTestId("action-check-in-front").waitFor();
      await counts("action screen");
      await page.goto("/desk/front");
      await page.getByTestId("desk-title").waitFor();
      await counts("desk screen");
      await kiosk.context.close();
    },
  );

  await check("no script errors or CSP violations", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

await browserTest("kiosk-home", run, async () => {
  await browser?.close().catch(() => {});
  await box?.stop();
  if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
});
