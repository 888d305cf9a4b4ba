// Browser test: the demo's phone system (issue 14, item 11) on the kiosk's screens. The COMPILED
// binary runs `serve --demo` at a test's pace (BB_DEMO_PACE=fast): its loopback PBX plays calls
// through the real AMI client, and the kiosk home and the front desk's screen show them live, on
// the wide screen and on the small one. Harness: test/support/browser.ts.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { ru } from "../../src/i18n/ru.ts";
import {
  assert,
  browserTest,
  check,
  launchChromium,
  newKiosk,
  SMALL,
  scriptErrors,
  shot,
  WIDE,
} from "../support/browser.ts";
import { ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

/** A whole loop of the demo's calls at the fast pace takes ~20 s; a live card comes within one. */
const CALL_DEADLINE_MS = 30_000;
const LIVE = 'li.card[data-state="waiting"], li.card[data-state="answered"]';

let box: Running | undefined;
let browser: Browser | undefined;
const dir = makeTestDir("demo-calls");

/**
 * Waits, on the page as loaded (the cards come over its event stream), for a live call's card, and
 * reads its text and edges in the same instant: at this pace a call may end a moment later.
 */
async function liveCard(page: Page, viewport: { width: number }): Promise<string> {
  const found = await page.waitForFunction(
    (selector) => {
      const card = document.querySelector(selector);
      if (card === null) return null;
      const { left, right } = card.getBoundingClientRect();
      return { text: (card.textContent ?? "").replace(/\s+/g, " ").trim(), left, right };
    },
    `[data-testid="cards"] :is(${LIVE})`,
    { timeout: CALL_DEADLINE_MS, polling: 50 },
  );
  const card = (await found.jsonValue()) as { text: string; left: number; right: number };
  assert(
    card.left >= 0 && card.right <= viewport.width,
    `the card overflows the screen: ${JSON.stringify(card)}`,
  );
  return card.text;
}

async function run(): Promise<void> {
  ensureBinary();
  const token = randomBytes(24).toString("hex");
  box = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    env: { BRANCHBOX_HTTP_ADMIN_TOKEN: token, BB_DEMO_PACE: "fast" },
  });
  const checkIn = await fetch(`${box.baseUrl}/api/v1/roster/check-in`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ employeeId: "anna", deskId: "front" }),
  });
  assert(checkIn.status === 200, `check-in answered ${checkIn.status}`);
  browser = await launchChromium();

  for (const [size, viewport] of [
    ["1280x800", WIDE],
    ["800x480", SMALL],
  ] as const) {
    const kiosk = await newKiosk(browser, box.baseUrl, viewport);
    const page = kiosk.page;
    await check(`${size}: the kiosk home shows a live call card from the demo PBX`, page, async () => {
      await page.goto("/");
      const text = await liveCard(page, viewport);
      assert(/\d/.test(text), `the card shows no number: "${text}"`);
      await shot(page, `demo-calls-home-${size}`);
    });
    await check(`${size}: /desk/front shows a live call card from the demo PBX`, page, async () => {
      await page.goto("/desk/front");
      await liveCard(page, viewport);
      await shot(page, `demo-calls-desk-front-${size}`);
    });
    await check(`${size}: /desk/front shows a call answered on 101 as Anna's`, page, async () => {
      const who = page
        .locator('[data-testid="cards"] li.card[data-state="answered"] .card-who')
        .filter({ hasText: ru.cardOwner("Анна Смирнова", "101") });
      await who.first().waitFor({ state: "visible", timeout: CALL_DEADLINE_MS });
      await shot(page, `demo-calls-desk-front-anna-${size}`);
    });
    await kiosk.context.close();
  }

  await check("no script errors or CSP violations", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

await browserTest("demo-calls", run, async () => {
  await browser?.close().catch(() => {});
  await box?.stop();
  if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
});
