// Browser test, issue 14 (5, 6): what a break or a check-out does to the desk phone, the check-out
// confirmation with the hours worked, confirmations that go away, and a manager's correction that
// outlives the PIN's proof while she works, entered with big steppers. At 800×480 and 1280×800,
// against the compiled binary (`serve --demo`, idle 12 s and confirmations 3 s to keep it short).
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
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
  openPinPad,
  SMALL,
  scriptErrors,
  shot,
  textOf,
  WIDE,
} from "../support/browser.ts";
import { ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

// Long enough that a loaded machine's pauses between two taps (a full-page screenshot, the touch
// target scan) do not send the kiosk home; the proof must still outlive it while she taps.
const IDLE_SECONDS = 12;
const FLASH_SECONDS = 3;

let box: Running | undefined;
let browser: Browser | undefined;
const dir = makeTestDir("kiosk-shift");

async function run(): Promise<void> {
  ensureBinary();
  const token = randomBytes(24).toString("hex");
  box = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    env: {
      BRANCHBOX_HTTP_ADMIN_TOKEN: token,
      BRANCHBOX_KIOSK_IDLE_SECONDS: String(IDLE_SECONDS),
      BRANCHBOX_KIOSK_FLASH_SECONDS: String(FLASH_SECONDS),
    },
  });
  const api = adminApi(() => box?.baseUrl ?? "", token);
  browser = await launchChromium();
  const small = (await newKiosk(browser, box.baseUrl, SMALL)).page;
  const wide = (await newKiosk(browser, box.baseUrl, WIDE)).page;

  await check(
    "issue 14 (5): alone at the desk, the action screen warns that 101 will have nobody",
    small,
    async () => {
      await api("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
      await openPinPad(small, "anna");
      // Issue 14 (3): on the small screen every key of the pad, OK too, is above the fold.
      const ok = await small.getByTestId("pin-ok").boundingBox();
      assert(
        ok !== null && ok.y + ok.height <= SMALL.height,
        `OK ends at y=${ok === null ? "?" : ok.y + ok.height}`,
      );
      await shot(small, "shift-00-pin-pad-800x480");
      await enterPin(small, "1111");
      const note = await textOf(small.getByTestId("phone-note"));
      assert(note === ru.phoneToNobody("101", "Ресепшен"), `the phone note says "${note}"`);
      await shot(small, "shift-01-phone-warning-800x480");
      await assertTouchTargets(small, "action (800×480)");
    },
  );

  await check(
    "issue 14 (5): check-out asks first, with the hours worked; 'no' goes back unchanged",
    small,
    async () => {
      await small.getByTestId("action-check-out").tap();
      const state = await textOf(small.getByTestId("confirm-state"));
      assert(state.startsWith("Вы на смене: Ресепшен, с "), `the confirmation says "${state}"`);
      assert(/Сегодня отработано \d+ (ч \d+ )?мин\.$/.test(state), `no hours worked in "${state}"`);
      await shot(small, "shift-02-confirm-check-out-800x480");
      await assertTouchTargets(small, "check-out confirmation (800×480)");
      await small.getByTestId("confirm-check-out-no").tap();
      await small.getByTestId("action-check-out").waitFor({ state: "visible" });
    },
  );

  await check(
    `issue 14 (5): the confirmation names the time, the hours and the phone, and goes after ${FLASH_SECONDS} s`,
    small,
    async () => {
      await small.getByTestId("action-check-out").tap();
      await small.getByTestId("confirm-check-out-yes").tap();
      const flash = small.getByTestId("flash");
      await flash.waitFor({ state: "visible" });
      const text = await textOf(flash);
      assert(
        /^Анна Смирнова: смена закончена в \d\d:\d\d\. Сегодня отработано .+ Хорошего вечера! /.test(text),
        `the flash says "${text}"`,
      );
      assert(text.endsWith(ru.phoneNowNobody("101")), `the flash does not say 101 has nobody: "${text}"`);
      await shot(small, "shift-03-checked-out-800x480");
      await flash.waitFor({ state: "detached", timeout: (FLASH_SECONDS + 5) * 1000 });
    },
  );

  await check(
    `issue 14 (6): a manager's correction outlives the ${IDLE_SECONDS} s PIN proof while she taps, with steppers`,
    wide,
    async () => {
      // Her shift began two hours ago: any time the steppers reach from now is inside it.
      const at = new Date(Date.now() - 2 * 3_600_000).toISOString();
      await api("/api/v1/roster/check-in", { employeeId: "irina", deskId: "front", at });
      await openPinPad(wide, "sergey");
      await enterPin(wide, "9999");
      await wide.getByTestId("action-close-shift-irina").tap();
      const time = wide.getByTestId("ended-at");
      const start = await time.inputValue();
      await shot(wide, "shift-04-correction-1280x800");
      await assertTouchTargets(wide, "correction (1280×800)");

      await wide.getByTestId("step-hour-back").tap();
      const back = await time.inputValue();
      assert(back === shiftClock(start, -60), `−1 h turned ${start} into ${back}`);
      await wide.getByTestId("step-minutes-back").tap();
      assert((await time.inputValue()) === shiftClock(start, -65), "−5 min did not step");

      // A mistake first: the error names the shift and keeps what was typed.
      await time.fill("25:99");
      await wide.getByTestId("reason-forgot").tap();
      await wide.getByTestId("correction-save").tap();
      const error = await textOf(wide.getByTestId("correction-error"));
      assert(error.startsWith("Ирина Козлова (Ресепшен, смена с "), `the error says "${error}"`);
      assert((await wide.getByTestId("ended-at").inputValue()) === "25:99", "what was typed was lost");
      const shownAt = Date.now();

      // Work on past the proof's life (the error screen came with a fresh one), tapping; each tap
      // 5 s after the last renewal trades the proof for a new one.
      await keepTapping(wide, shownAt + (IDLE_SECONDS + 2) * 1000);
      await wide.getByTestId("ended-at").fill(start);
      // Near midnight the steps above crossed into yesterday and turned the day with them.
      const today = wide.getByTestId("correction-day-today");
      if ((await today.count()) > 0) await today.tap();
      await wide.getByTestId("correction-save").tap();
      const flash = await textOf(wide.getByTestId("flash"));
      assert(
        flash.startsWith("Смена сотрудника Ирина Козлова закрыта: конец в "),
        `the flash says "${flash}"`,
      );
    },
  );

  await check(
    "issue 14 (1, 2): at 800x480 a lock says when it ends, a manager lifts it, and an error moves no key",
    small,
    async () => {
      await openPinPad(small, "olga");
      const okBefore = await small.getByTestId("pin-ok").boundingBox();
      const lockedPrefix = ru.pinLocked(5, "").split(" в ")[0] ?? "";
      let text = "";
      for (let attempt = 1; attempt <= 5; attempt++) {
        await enterPin(small, "0000");
        text = await textOf(small.getByTestId("pin-error"));
        if (attempt === 1) {
          const okAfter = await small.getByTestId("pin-ok").boundingBox();
          assert(
            okBefore?.y === okAfter?.y,
            `OK moved from y=${okBefore?.y} to y=${okAfter?.y} under the error`,
          );
        }
      }
      // The answer is in before htmx swaps it in: wait for the lock's words, not the last read.
      await small
        .getByTestId("pin-error")
        .filter({ hasText: lockedPrefix })
        .waitFor({ state: "visible" })
        .catch(() => {});
      text = await textOf(small.getByTestId("pin-error"));
      assert(text.startsWith(lockedPrefix), `after 5 wrong PINs: "${text}"`);
      await shot(small, "shift-05-locked-800x480");
      await assertTouchTargets(small, "PIN pad, locked (800×480)");
      await small.getByTestId("unlock-by-manager").tap();
      await small.getByTestId("unlock-manager-sergey").tap();
      const ok = await small.getByTestId("pin-ok").boundingBox();
      assert(
        ok !== null && ok.y + ok.height <= SMALL.height,
        `the manager's OK ends at y=${ok === null ? "?" : ok.y + ok.height}`,
      );
      await enterPin(small, "9999");
      const notice = await textOf(small.getByTestId("pin-notice"));
      assert(notice === ru.unlockDone("Сергей Иванов"), `the unlock said "${notice}"`);
      await small.goto("/");
    },
  );

  await check(
    "issue 14 (6): at 800x480 the correction screen's controls are big and it saves",
    small,
    async () => {
      await api("/api/v1/roster/check-in", {
        employeeId: "olga",
        deskId: "front",
        at: new Date(Date.now() - 3 * 3_600_000).toISOString(),
      });
      await openPinPad(small, "sergey");
      await enterPin(small, "9999");
      await small.getByTestId("action-close-shift-olga").tap();
      await small.getByTestId("step-hour-back").waitFor({ state: "visible" });
      await shot(small, "shift-06-correction-800x480");
      await assertTouchTargets(small, "correction (800×480)");
      await small.getByTestId("step-hour-back").tap();
      await small.getByTestId("reason-left-early").tap();
      await small.getByTestId("correction-save").tap();
      const flash = await textOf(small.getByTestId("flash"));
      assert(
        flash.startsWith("Смена сотрудника Ольга Петрова закрыта: конец в "),
        `the flash says "${flash}"`,
      );
    },
  );

  await check("issue 14 (5): at 1280x800 check-out asks first too", wide, async () => {
    await api("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
    await openPinPad(wide, "anna");
    await enterPin(wide, "1111");
    await wide.getByTestId("action-check-out").tap();
    await wide.getByTestId("confirm-check-out-yes").waitFor({ state: "visible" });
    await shot(wide, "shift-07-confirm-check-out-1280x800");
    await assertTouchTargets(wide, "check-out confirmation (1280×800)");
    await wide.getByTestId("confirm-check-out-yes").tap();
    await wide.getByTestId("flash").waitFor({ state: "visible" });
  });

  await check("no script errors or CSP violations", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

/** "HH:MM" moved by `minutes`, round the clock, as the stepper does. */
function shiftClock(hhmm: string, minutes: number): string {
  const [h, m] = hhmm.split(":").map(Number);
  const total = ((((h ?? 0) * 60 + (m ?? 0) + minutes) % 1440) + 1440) % 1440;
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}

/** Taps the note field (a harmless tap) until `until`, as a manager at work would. */
async function keepTapping(page: Page, until: number): Promise<void> {
  let renewals = 0;
  page.on("response", (response) => {
    if (new URL(response.url()).pathname === "/ticket" && response.status() === 200) renewals += 1;
  });
  while (Date.now() < until || renewals === 0) {
    await page.locator("input[name=note]").tap();
    await page.waitForTimeout(250);
  }
  assert(renewals > 0, "no tap renewed the PIN's proof");
}

await browserTest("kiosk-shift", run, async () => {
  await browser?.close().catch(() => {});
  await box?.stop();
  if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
});
