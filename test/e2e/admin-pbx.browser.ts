// Browser test, issue 14 (7, 9) at 800×480 and 1280×800 against the compiled binary: /admin says
// its audit in words and shows past days with a picker whose controls a finger can use; the kiosk
// and a desk screen say when the box has no link to its phone system (the demo branch pointed at a
// PBX that does not answer, which also turns the demo's own phone system off).
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { ru } from "../../src/i18n/ru.ts";
import {
  assert,
  browserTest,
  check,
  launchChromium,
  MIN_TARGET_PX,
  newKiosk,
  SMALL,
  scriptErrors,
  shot,
  textOf,
  WIDE,
} from "../support/browser.ts";
import { ensureBinary, freePort, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

let box: Running | undefined;
let browser: Browser | undefined;
const dir = makeTestDir("admin-pbx");

async function run(): Promise<void> {
  ensureBinary();
  const token = randomBytes(24).toString("hex");
  box = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    env: {
      BRANCHBOX_HTTP_ADMIN_TOKEN: token,
      BRANCHBOX_PBX_AMI_HOST: "127.0.0.1",
      BRANCHBOX_PBX_AMI_PORT: String(await freePort()),
      BRANCHBOX_PBX_AMI_USERNAME: "branchbox",
      BRANCHBOX_PBX_AMI_SECRET: "not-listening",
    },
  });
  const baseUrl = box.baseUrl;
  // An hour ago, entered now: a correction, so the audit has an entry.
  const started = await fetch(`${baseUrl}/api/v1/roster/check-in`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      employeeId: "irina",
      deskId: "front",
      at: new Date(Date.now() - 3_600_000).toISOString(),
    }),
  });
  assert(started.status === 200, `API check-in answered ${started.status}: ${await started.text()}`);
  browser = await launchChromium();

  for (const [size, viewport] of [
    ["800x480", SMALL],
    ["1280x800", WIDE],
  ] as const) {
    const kiosk = await newKiosk(browser, baseUrl, viewport);
    const page = kiosk.page;

    await check(
      `issue 14 (9) ${size}: the kiosk and the desk screen say the PBX does not answer`,
      page,
      async () => {
        await page.goto("/");
        const home = await textOf(page.getByTestId("no-pbx"));
        assert(home === ru.pbxDown, `the kiosk says "${home}", expected "${ru.pbxDown}"`);
        await shot(page, `admin-pbx-01-kiosk-pbx-down-${size}`);
        await page.goto("/desk/front");
        const desk = await textOf(page.getByTestId("no-pbx"));
        assert(desk === ru.pbxDown, `the desk screen says "${desk}"`);
        await shot(page, `admin-pbx-02-desk-pbx-down-${size}`);
      },
    );
    await kiosk.context.close();

    const context = await browser.newContext({
      baseURL: baseUrl,
      viewport,
      hasTouch: true,
      httpCredentials: { username: "it", password: token },
    });
    context.setDefaultTimeout(10_000);
    const admin = await context.newPage();
    admin.on("pageerror", (error) => scriptErrors.push(`${admin.url()}: ${error.message}`));

    await check(
      `issue 14 (7) ${size}: /admin says the audit in words, in the branch's time, with names`,
      admin,
      async () => {
        await admin.goto("/admin");
        const sentence = await textOf(admin.locator('[data-testid$="-text"][data-testid^="audit-"]').first());
        assert(
          sentence.startsWith(
            `${ru.kindCheckIn[0]?.toUpperCase()}${ru.kindCheckIn.slice(1)}: Ирина Козлова, место «Ресепшен», `,
          ),
          `the audit says "${sentence}"`,
        );
        assert(
          !/\d{4}-\d\d-\d\dT|\.000Z/.test(sentence),
          `the audit sentence shows a machine time: "${sentence}"`,
        );
        assert(sentence.includes("позже"), `the audit does not say the entry was late: "${sentence}"`);
        await shot(admin, `admin-pbx-03-admin-${size}`);
      },
    );

    await check(
      `issue 14 (7) ${size}: the day picker goes to yesterday and back; its controls are big`,
      admin,
      async () => {
        await admin.goto("/admin");
        await assertBig(admin, ["day-previous"]);
        const today = await admin.locator("input[name=day]").inputValue();
        await admin.getByTestId("day-previous").tap();
        await admin.waitForURL(/day=\d{4}-\d\d-\d\d/);
        const picked = new URL(admin.url()).searchParams.get("day") ?? "";
        assert(picked !== "" && picked < today, `the day before ${today} is "${picked}"`);
        const shown = await admin.locator("input[name=day]").inputValue();
        assert(shown === picked, `the picker shows ${shown}, not ${picked}`);
        await admin.getByTestId("day-next").waitFor({ state: "visible" });
        await assertBig(admin, ["day-previous", "day-next", "day-today"]);
        await shot(admin, `admin-pbx-04-admin-yesterday-${size}`);
        // The language switch keeps the day.
        await admin.getByTestId("lang-en").tap();
        await admin.waitForURL(/lang=en/);
        assert(new URL(admin.url()).searchParams.get("day") === picked, `EN lost the day: ${admin.url()}`);
        await admin.getByTestId("lang-ru").tap();
        await admin.waitForURL(/lang=ru/);
      },
    );
    await context.close();
  }

  await check("no script errors or CSP violations", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

/** Each control named is at least 48×48 px. */
async function assertBig(page: Page, testIds: readonly string[]): Promise<void> {
  for (const id of testIds) {
    const box = await page.getByTestId(id).boundingBox();
    assert(
      box !== null && box.width >= MIN_TARGET_PX && box.height >= MIN_TARGET_PX,
      `${id} is ${box === null ? "not shown" : `${Math.round(box.width)}×${Math.round(box.height)}`}`,
    );
  }
}

await browserTest("admin-pbx", run, async () => {
  await browser?.close().catch(() => {});
  await box?.stop();
  if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
});
