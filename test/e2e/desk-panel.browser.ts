// Browser test, issue 15 ("Where", seed 002, R2.1): the desk screen's call panel at 800×480 and
// 1280×800, against the compiled binary (`serve --demo`): the holder's PIN opens the panel, the one
// input filters the colleagues and says before Enter what Enter will do, the keypad types a number,
// Enter sends a command and the panel follows it to its end. The demo's phone system carries call
// control out as Asterisk would (src/demo-control.ts: the click-to-call rings 101, then the number;
// a hang-up ends the call; a blind transfer rings 102), so each command ends `done`; the box's own
// refusals (a call that ended, a handover) are still said in words.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import {
  adminApi,
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
import { ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

let box: Running | undefined;
let browser: Browser | undefined;
const dir = makeTestDir("desk-panel");

/** The hint under the input, once it says `text` (kiosk.js rewrites it as one types). */
async function hintSays(page: Page, text: string): Promise<void> {
  const hint = page.getByTestId("panel-hint");
  await hint
    .filter({ hasText: text })
    .waitFor({ state: "visible", timeout: 5000 })
    .catch(() => {});
  const shown = await textOf(hint);
  assert(shown === text, `the hint says "${shown}", not "${text}"`);
}

/** Taps "open the panel", types the PIN on the pad and waits for the open panel. */
async function openPanel(page: Page, pin: string): Promise<void> {
  await page.getByTestId("panel-take").tap();
  await page.getByTestId("pin-ok").waitFor({ state: "visible" });
  await enterPin(page, pin);
  await page.locator("[data-panel-open]").waitFor({ state: "visible" });
}

async function run(): Promise<void> {
  ensureBinary();
  const token = randomBytes(24).toString("hex");
  box = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    // Long enough that a loaded machine's pauses (screenshots, the touch-target scan) do not close it.
    env: { BRANCHBOX_HTTP_ADMIN_TOKEN: token, BRANCHBOX_KIOSK_IDLE_SECONDS: "120" },
  });
  const api = adminApi(() => box?.baseUrl ?? "", token);
  // Anna holds 101; Sergey (dedicated 102) and Olga (no phone of her own) are on shift beside her.
  await api("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
  await api("/api/v1/roster/check-in", { employeeId: "sergey", deskId: "front" });
  await api("/api/v1/roster/check-in", { employeeId: "olga", deskId: "front" });
  browser = await launchChromium();
  const small = (await newKiosk(browser, box.baseUrl, SMALL)).page;
  const wide = (await newKiosk(browser, box.baseUrl, WIDE)).page;

  await check(
    "issue 15: without the PIN the desk screen is read-only and offers the holder's PIN",
    small,
    async () => {
      await small.goto("/desk/front");
      const take = await textOf(small.getByTestId("panel-take"));
      assert(take === ru.panelTake("Анна Смирнова"), `the button says "${take}"`);
      assert((await small.getByTestId("panel-input").count()) === 0, "an input without the PIN");
      await shot(small, "desk-panel-00-closed-800x480");
      await assertTouchTargets(small, "desk, panel closed (800×480)");
      await small.getByTestId("panel-take").tap();
      await small.getByTestId("pin-ok").waitFor({ state: "visible" });
      const ok = await small.getByTestId("pin-ok").boundingBox();
      assert(
        ok !== null && ok.y + ok.height <= SMALL.height,
        `OK ends at y=${ok === null ? "?" : ok.y + ok.height}`,
      );
      await shot(small, "desk-panel-01-pin-800x480");
      await assertTouchTargets(small, "desk, panel PIN (800×480)");
    },
  );

  await check(
    "issue 15: the holder's PIN opens the panel; the list is her colleagues with their phone today",
    small,
    async () => {
      await enterPin(small, "1111");
      await small.locator("[data-panel-open]").waitFor({ state: "visible" });
      const sergey = await textOf(small.getByTestId("panel-row-sergey"));
      assert(
        sergey === `Сергей Иванов ${ru.panelWhereDesk("Ресепшен", "102")}`,
        `Sergey's row says "${sergey}"`,
      );
      const olga = await textOf(small.getByTestId("panel-row-olga"));
      assert(olga === `Ольга Петрова ${ru.panelWhereNoPhone("Ресепшен")}`, `Olga's row says "${olga}"`);
      assert((await small.getByTestId("panel-row-anna").count()) === 0, "she is listed to call herself");
      await hintSays(small, ru.panelHintEmpty);
      await shot(small, "desk-panel-02-open-800x480");
      await assertTouchTargets(small, "desk, panel open (800×480)");
    },
  );

  await check(
    "issue 15, seed 002: before Enter the panel says which colleague Enter dials, and outlines her",
    small,
    async () => {
      const input = small.getByTestId("panel-input");
      await input.fill("ресепшен");
      await hintSays(small, ru.panelHintMany("2"));
      await input.fill("сер");
      await hintSays(small, ru.panelHintOne("Сергей Иванов", "102"));
      assert(
        await small.getByTestId("panel-row-sergey").evaluate((el) => el.classList.contains("only")),
        "no outline",
      );
      assert(!(await small.getByTestId("panel-row-olga").isVisible()), "Olga is still listed");
      await shot(small, "desk-panel-03-enter-dials-sergey-800x480");
      await input.fill("ол");
      await hintSays(small, ru.panelHintOneNoPhone("Ольга Петрова"));
    },
  );

  await check(
    "issue 15, R2.1: Enter on the only colleague left sends a click-to-call; the panel follows it until it is done",
    small,
    async () => {
      const input = small.getByTestId("panel-input");
      await input.fill("сер");
      await hintSays(small, ru.panelHintOne("Сергей Иванов", "102"));
      const answered = small.waitForResponse((r) => r.url().endsWith("/desk/front/call"));
      await markSaid(small);
      await input.press("Enter");
      assert((await answered).status() === 202, "the command was not accepted (202)");
      const status = await doneSays(small, ru.cmdDone);
      assert(status.startsWith(ru.cmdCall("Сергей Иванов")), `the status says "${status}"`);
      await shot(small, "desk-panel-04-done-800x480");
    },
  );

  await check("issue 15, R2.1: a number typed on the on-screen keypad, then Enter", small, async () => {
    await small.getByTestId("panel-keypad-toggle").tap();
    await small.getByTestId("panel-key-clear").tap();
    for (const digit of "89161234567") await small.getByTestId(`panel-key-${digit}`).tap();
    await hintSays(small, ru.panelHintNumber("89161234567"));
    assert(!(await small.getByTestId("panel-staff").isVisible()), "the list is shown under the keypad");
    await shot(small, "desk-panel-05-keypad-800x480");
    await assertTouchTargets(small, "desk, panel keypad (800×480)");
    const answered = small.waitForResponse((r) => r.url().endsWith("/desk/front/call"));
    await markSaid(small);
    await small.getByTestId("panel-enter").tap();
    await answered;
    await doneSays(small, ru.cmdDone);
  });

  await check(
    "issue 15, R2.3: 'Hang up' on the desk's live call ends it: done, and the card leaves the screen",
    small,
    async () => {
      await hangUpLiveCall(small, ru.cmdDone, ru.errCommandUnknownCall, "800x480");
    },
  );

  await check("issue 15: in English at 1280×800, the same panel, and the call done", wide, async () => {
    await wide.goto("/desk/front?lang=en");
    await openPanel(wide, "1111");
    const input = wide.getByTestId("panel-input");
    await input.fill("+7 495 111 22 33");
    await hintSays(wide, en.panelHintNumber("+74951112233"));
    await shot(wide, "desk-panel-06-open-en-1280x800");
    await assertTouchTargets(wide, "desk, panel open (1280×800)");
    await markSaid(wide);
    await input.press("Enter");
    await doneSays(wide, en.cmdDone);
    await shot(wide, "desk-panel-07-done-en-1280x800");
  });

  await check(
    "issue 15, R2.3: the desk's live call carries transfer; it asks where, blind first, and the transfer to Sergey is done",
    wide,
    async () => {
      // The demo's PBX plays a call answered on 101 every half minute or so (and the click-to-calls
      // above talk for seconds): a call that ends between two taps is said so, and the next taken.
      const transfer = wide.locator('.card-actions [data-testid$="-transfer"]').first();
      let done = false;
      for (let attempt = 0; attempt < 3 && !done; attempt += 1) {
        await transfer.waitFor({ state: "visible", timeout: 60_000 });
        await shot(wide, "desk-panel-08-live-card-en-1280x800");
        await transfer.tap({ timeout: 3000 }).catch(() => {});
        const asked = await wide
          .getByTestId("panel-transfer")
          .waitFor({ state: "visible", timeout: 3000 })
          .then(() => true)
          .catch(() => false);
        if (!asked) continue;
        assert(
          await wide.locator('#panel-go input[name="mode"][value="blind"]').isChecked(),
          "blind is not the default",
        );
        await shot(wide, "desk-panel-09-transfer-choice-en-1280x800");
        await assertTouchTargets(wide, "desk, transfer choice (1280×800)");
        await markSaid(wide);
        await wide.getByTestId("panel-row-sergey").tap();
        done = await settlesDone(wide, en.cmdDone, en.errCommandUnknownCall);
      }
      assert(done, "no transfer of a live call was done in 3 tries");
      const status = await textOf(wide.getByTestId("panel-status"));
      assert(status.includes("→ Сергей Иванов"), `the status says "${status}"`);
      await shot(wide, "desk-panel-10-transfer-done-en-1280x800");
      await hangUpLiveCall(wide, en.cmdDone, en.errCommandUnknownCall, "en-1280x800");
    },
  );

  await check(
    "issue 15: the panel's proof is only the holder's: after a handover her next Enter is refused",
    wide,
    async () => {
      await api("/api/v1/roster/handover", { employeeId: "olga", deskId: "front" });
      await wide.getByTestId("panel-input").fill("89161234567");
      await wide.getByTestId("panel-input").press("Enter");
      await wide.locator("[data-testid=desk-panel]:not([data-panel-open])").waitFor({ state: "visible" });
      const error = await textOf(wide.getByTestId("panel-error"));
      assert(error === en.errCommandNotYourCall, `the panel says "${error}"`);
      const take = await textOf(wide.getByTestId("panel-take"));
      assert(take === en.panelTake("Ольга Петрова"), `the closed panel offers "${take}"`);
    },
  );

  await check("no script errors and no CSP refusals on the desk screens", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

/**
 * Marks what the panel says now (a status, an error) as said before: the next action's words are
 * the ones without the mark (the box redraws them), not the last command's "done".
 */
async function markSaid(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const el of document.querySelectorAll("[data-testid=panel-status], [data-testid=panel-error]"))
      el.setAttribute("data-said", "");
  });
}

/**
 * The panel's status line settles on "done" (never on "failed": the PBX's reason is then the
 * assertion's message); returns its text.
 */
async function doneSays(page: Page, done: string): Promise<string> {
  const status = page.getByTestId("panel-status");
  await page
    .locator(
      '[data-testid=panel-status]:not([data-said]):is([data-state="done"], [data-state="failed"], [data-state="refused"], [data-state="expired"])',
    )
    .waitFor({ state: "visible", timeout: 20_000 });
  const text = await textOf(status);
  assert((await status.getAttribute("data-state")) === "done", `the status says "${text}"`);
  assert(text.endsWith(done), `the status says "${text}", not "… ${done}"`);
  return text;
}

/**
 * After a tap on a live card's action: true once the status says done; false when the box refused
 * it because the call had ended meanwhile (`unknownCall`), so the caller may take the next call.
 */
async function settlesDone(page: Page, done: string, unknownCall: string): Promise<boolean> {
  const said = page.locator(":is([data-testid=panel-status], [data-testid=panel-error]):not([data-said])");
  await said.first().waitFor({ state: "visible" });
  if (await page.locator("[data-testid=panel-error]:not([data-said])").isVisible()) {
    const error = await textOf(page.getByTestId("panel-error"));
    assert(error === unknownCall, `the panel says "${error}"`);
    return false;
  }
  await doneSays(page, done);
  return true;
}

/** Taps "Hang up" on the first live card until one is done, then sees its card leave. */
async function hangUpLiveCall(page: Page, done: string, unknownCall: string, size: string): Promise<void> {
  const hangup = page.locator('.card-actions [data-testid$="-hangup"]').first();
  let ended: string | null = null;
  for (let attempt = 0; attempt < 3 && ended === null; attempt += 1) {
    await hangup.waitFor({ state: "visible", timeout: 60_000 });
    const callId = await hangup.getAttribute("value");
    await shot(page, `desk-panel-11-hangup-live-card-${size}`);
    await markSaid(page);
    const tapped = await hangup
      .tap({ timeout: 3000 })
      .then(() => true)
      .catch(() => false);
    if (tapped && (await settlesDone(page, done, unknownCall))) ended = callId;
  }
  assert(ended !== null, "no hang-up of a live call was done in 3 tries");
  await page
    .locator(`[data-testid="card-${ended}-hangup"]`)
    .waitFor({ state: "detached", timeout: 10_000 })
    .catch(() => {});
  assert(
    (await page.locator(`[data-testid="card-${ended}-hangup"]`).count()) === 0,
    `call ${ended} still shows as live after its hang-up was done`,
  );
  await shot(page, `desk-panel-12-hung-up-${size}`);
}

await browserTest("desk-panel", run, async () => {
  await browser?.close().catch(() => {});
  await box?.stop();
  if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
});
