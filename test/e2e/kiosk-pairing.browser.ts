// Browser test of issue 14, item 8: a screen the box does not know sees the pairing screen, branch
// IT presses "Pair a screen" on /admin, the code typed on the screen's keypad pairs it, and a
// revoke on /admin sends it back to the pairing screen. At 800×480 and 1280×800.
//
// Chromium reaches the box over loopback, which is the box's own screen and paired by itself; the
// box is started with `[kiosk] loopback_paired = false` (the setting for a box behind a local
// reverse proxy), so that this browser is a screen like any other on the LAN.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import {
  assert,
  assertTouchTargets,
  browserTest,
  check,
  enterPin,
  launchChromium,
  newKiosk,
  openPinPad,
  SMALL,
  scriptErrors,
  shot,
  textOf,
  WIDE,
} from "../support/browser.ts";
import { ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

let box: Running | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

const dir = makeTestDir("kiosk-pairing");

/** Branch IT's /admin: names the screen, presses "Pair a screen" and reads the code shown. */
async function newCode(adminPage: Page, name: string): Promise<string> {
  await adminPage.goto("/admin");
  await adminPage.getByTestId("devices-name").fill(name);
  await Promise.all([adminPage.waitForNavigation(), adminPage.getByTestId("devices-new-code").click()]);
  const digits = adminPage.getByTestId("devices-code-digits");
  await digits.waitFor({ state: "visible" });
  const code = await textOf(digits);
  assert(/^[0-9]{6}$/.test(code), `the code on /admin is "${code}", expected 6 digits`);
  return code;
}

/** Types a code on the pairing keypad and taps "Pair"; resolves once the page that follows loaded. */
async function typeCode(page: Page, code: string): Promise<void> {
  await page.getByTestId("pair-clear").tap();
  for (const digit of code) await page.getByTestId(`pair-key-${digit}`).tap();
  const typed = await page.getByTestId("pair-code").inputValue();
  assert(typed === code, `the keypad typed "${typed}", expected "${code}"`);
  await Promise.all([page.waitForNavigation(), page.getByTestId("pair-ok").tap()]);
}

/** How far the page reaches past the viewport (0: no scrolling), and whether "Pair" is in view. */
async function fit(page: Page): Promise<{ overflowY: number; overflowX: number; okInView: boolean }> {
  return page.evaluate(() => {
    const ok = document.querySelector("[data-testid=pair-ok]")?.getBoundingClientRect();
    return {
      overflowY: document.documentElement.scrollHeight - window.innerHeight,
      overflowX: document.documentElement.scrollWidth - window.innerWidth,
      okInView: ok !== undefined && ok.bottom <= window.innerHeight && ok.right <= window.innerWidth,
    };
  });
}

async function run(): Promise<void> {
  ensureBinary();
  const token = randomBytes(24).toString("hex");
  box = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    env: { BRANCHBOX_HTTP_ADMIN_TOKEN: token, BRANCHBOX_KIOSK_LOOPBACK_PAIRED: "false" },
  });
  const baseURL = box.baseUrl;
  browser = await launchChromium();
  const adminContext = await browser.newContext({
    baseURL,
    viewport: WIDE,
    httpCredentials: { username: "it", password: token },
  });
  contexts.push(adminContext);
  const adminPage = await adminContext.newPage();

  for (const [size, viewport] of [
    ["800x480", SMALL],
    ["1280x800", WIDE],
  ] as const) {
    const kiosk = await newKiosk(browser, baseURL, viewport);
    contexts.push(kiosk.context);
    const page = kiosk.page;

    await check(`${size}: an unpaired screen sees the pairing screen, not the board`, page, async () => {
      await page.goto("/");
      await page.getByTestId("pairing").waitFor({ state: "visible" });
      assert((await page.getByTestId("board").count()) === 0, "the board is on an unpaired screen");
      const title = await textOf(page.locator(".pairing h1"));
      assert(title === ru.pairTitle, `the title says "${title}", expected "${ru.pairTitle}"`);
      await shot(page, `pairing-01-unpaired-${size}`);
    });
    await check(`${size}: the pairing screen's touch targets are ≥ 48×48`, page, () =>
      assertTouchTargets(page, `pairing (${size})`),
    );
    await check(`${size}: the pairing screen fits without scrolling, "Pair" in view`, page, async () => {
      const measured = await fit(page);
      console.log(`  pairing screen at ${size}: ${JSON.stringify(measured)}`);
      assert(measured.overflowX <= 0, `the page is ${measured.overflowX} px wider than the screen`);
      assert(measured.overflowY <= 0, `the page is ${measured.overflowY} px taller than the screen`);
      assert(measured.okInView, "the Pair key is off screen");
    });

    await check(`${size}: a wrong code is refused in words; the screen stays unpaired`, page, async () => {
      await typeCode(page, "000000");
      const error = await textOf(page.getByTestId("pair-error"));
      assert(error === ru.errPairingCodeRefused, `the screen says "${error}"`);
      await shot(page, `pairing-02-wrong-code-${size}`);
      await assertTouchTargets(page, `pairing with an error (${size})`);
      const measured = await fit(page);
      assert(
        measured.okInView,
        `with the error shown the Pair key is off screen: ${JSON.stringify(measured)}`,
      );
    });

    await check(`${size}: the code from /admin pairs the screen and the kiosk works`, page, async () => {
      const code = await newCode(adminPage, `Киоск ${size}`);
      await shot(adminPage, `pairing-03-admin-code-${size}`);
      await typeCode(page, code);
      await page.getByTestId("employee-anna").waitFor({ state: "visible" });
      await shot(page, `pairing-04-paired-home-${size}`);
      await openPinPad(page, "anna");
      await enterPin(page, "1111");
      await page.getByTestId("action-check-in-front").waitFor({ state: "visible" });
      await page.goto("/desk/front");
      await page.getByTestId("desk-screen").waitFor({ state: "visible" });
    });
  }

  await check("/admin lists both screens; a revoke sends the screen back to pairing", adminPage, async () => {
    await adminPage.goto("/admin");
    const list = await textOf(adminPage.getByTestId("devices-list"));
    for (const name of ["Киоск 800x480", "Киоск 1280x800"])
      assert(list.includes(name), `/admin does not list "${name}": ${list}`);
    await shot(adminPage, "pairing-05-admin-devices");
    await adminPage.getByTestId("device-revoke-1").click();
    await adminPage.getByTestId("device-1").waitFor({ state: "detached" });
    const small = contextPage(0);
    await small.goto("/desk/front");
    await small.getByTestId("pairing").waitFor({ state: "visible" });
    const next = await small.locator("input[name=next]").inputValue();
    assert(next === "/desk/front", `after pairing the screen would go to "${next}", not back to its desk`);
    await shot(small, "pairing-06-revoked");
  });

  await check("the pairing screen in English from the header's switch", undefined, async () => {
    const small = contextPage(0);
    await small.getByTestId("lang-en").tap();
    await small.locator("html[lang=en]").waitFor({ state: "attached" });
    const title = await textOf(small.locator(".pairing h1"));
    assert(title === en.pairTitle, `the title says "${title}", expected "${en.pairTitle}"`);
    await assertTouchTargets(small, "pairing (English, 800x480)");
    await shot(small, "pairing-07-english");
  });

  await check("no script errors or CSP violations", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

/** The page of the i-th kiosk context (0: the 800×480 one). */
function contextPage(i: number): Page {
  const page = contexts[i + 1]?.pages()[0];
  assert(page !== undefined, `no kiosk ${i}`);
  return page;
}

await browserTest("kiosk-pairing", run, async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close().catch(() => {});
  await box?.stop();
  if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
});
