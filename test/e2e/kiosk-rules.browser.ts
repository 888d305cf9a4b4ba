// Browser test, issue 16: "Если я не отвечаю" set by a receptionist at 800×480 (R4.1–R4.4), and a
// vacation entered by a manager at 1280×800 (R4.7), with steppers only (no keyboard, no browser date
// picker), touch targets of at least 48 px, against the compiled binary (`serve --demo`). What the
// screens saved is read back through the box's JSON API.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import type { Browser } from "playwright-core";
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
const dir = makeTestDir("kiosk-rules");

async function run(): Promise<void> {
  ensureBinary();
  const token = randomBytes(24).toString("hex");
  box = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    env: { BRANCHBOX_HTTP_ADMIN_TOKEN: token, BRANCHBOX_KIOSK_IDLE_SECONDS: "60" },
  });
  const read = async (path: string) => {
    const response = await fetch(`${box?.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert(response.ok, `${path} answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  };
  browser = await launchChromium();
  const small = (await newKiosk(browser, box.baseUrl, SMALL)).page;
  const wide = (await newKiosk(browser, box.baseUrl, WIDE)).page;

  await check(
    "R4.4: at 800×480 Анна sets her own forwarding: +30 s twice, to Ольга, saved",
    small,
    async () => {
      await openPinPad(small, "anna");
      await enterPin(small, "1111");
      await small.getByTestId("open-forwarding").tap();
      await small.getByTestId("forwarding").waitFor({ state: "visible" });
      assert(
        (await small.locator("input[type=date], input[type=time]").count()) === 0,
        "a browser picker is shown",
      );
      await assertTouchTargets(small, "forwarding (800×480)");
      await shot(small, "rules-00-forwarding-800x480");
      for (const expected of ["150 с", "180 с"]) {
        await small.getByTestId("timeout-forward").tap();
        await small.getByTestId("timeout-value").filter({ hasText: expected }).waitFor();
      }
      await small.getByTestId("fwd-action-forward").tap();
      await small.getByTestId("fwd-to-employee-olga").tap();
      await small.getByTestId("forwarding-save").tap();
      const flash = await textOf(small.getByTestId("flash"));
      const expected = ru.flashForwarding(
        "Анна Смирнова",
        "через 180 с переадресация: Ольга Петрова, перед ней стандартное уведомление",
      );
      assert(flash === expected, `the home screen says "${flash}"`);
      const saved = await read("/api/v1/employees/anna/forwarding");
      assert(
        JSON.stringify(saved.action) === JSON.stringify({ kind: "forward", to: { employeeId: "olga" } }) &&
          saved.timeoutSeconds === 180,
        `the box has ${JSON.stringify(saved)}`,
      );
    },
  );

  await check(
    "R4.7: at 1280×800 Сергей enters Ольга's vacation with day steppers; she is away",
    wide,
    async () => {
      await openPinPad(wide, "sergey");
      await enterPin(wide, "9999");
      await wide.getByTestId("open-staff-away").tap();
      await wide.getByTestId("edit-absences-olga").tap();
      await wide.getByTestId("absences").waitFor({ state: "visible" });
      assert((await wide.locator("input[type=date]").count()) === 0, "a browser date picker is shown");
      await assertTouchTargets(wide, "absences (1280×800)");
      const today = await textOf(wide.getByTestId("first-value"));
      await wide.getByTestId("last-week-forward").tap();
      await wide.getByTestId("last-value").filter({ hasNotText: today }).waitFor();
      const last = await textOf(wide.getByTestId("last-value"));
      await wide.getByTestId("range-kind-vacation").tap();
      await wide.getByTestId("range-add").tap();
      const notice = await textOf(wide.getByTestId("absences-notice"));
      const words = ru.flashRangeAdded("Ольга Петрова", `${ru.kindVacation}: ${today} — ${last}`);
      assert(notice === words, `the screen says "${notice}", not "${words}"`);
      await shot(wide, "rules-01-absences-1280x800");
      const absences = await read("/api/v1/employees/olga/absences");
      const ranges = absences.ranges as { kind: string; source: string }[];
      assert(
        ranges.length === 1 && ranges[0]?.kind === "vacation" && ranges[0].source === "box",
        JSON.stringify(absences),
      );
      assert(
        (absences.away as { reason?: string } | null)?.reason === "vacation",
        JSON.stringify(absences.away),
      );
      await wide.getByTestId("absences-back").tap();
      const row = await textOf(wide.getByTestId("away-olga"));
      assert(row.includes(ru.awayVacation), `the staff list says "${row}"`);
    },
  );

  await check("the screens ran no script the CSP refused", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

await browserTest("kiosk-rules", run, async () => {
  await browser?.close().catch(() => {});
  await box?.stop();
  if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
});
