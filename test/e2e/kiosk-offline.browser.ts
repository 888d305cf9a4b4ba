// Browser test, issue 14 item 4: a stopped box does not make the kiosk go silent. Against the
// COMPILED binary (serve --demo): the kiosk loads, the box stops, the kiosk says so in its
// language with the last board greyed, a tap says nothing was recorded, and when the box comes
// back on the same port and data dir the kiosk recovers by itself, its board live again.
// Harness: test/support/browser.ts; run by scripts/test-all.ts with the other *.browser.ts files.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import {
  adminApi,
  assert,
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

/** The streams retry after 2 s (sse.ts), then /healthz is asked: well inside this. */
const OFFLINE_DEADLINE_MS = 15_000;
/** /healthz is asked again at most 8 s apart (kiosk-offline.js). */
const RECOVER_DEADLINE_MS = 25_000;

let box: Running | undefined;
let browser: Browser | undefined;
let starts = 0;
const dir = makeTestDir("kiosk-offline");
const token = randomBytes(24).toString("hex");

/** The box on `port` (a free one the first time) with the same data dir every time. */
const startBox = (port?: number) =>
  startBranchbox({
    args: ["serve", "--demo"],
    dir,
    port,
    name: `start-${++starts}`,
    env: { BRANCHBOX_HTTP_ADMIN_TOKEN: token },
  });

const api = adminApi(() => box?.baseUrl ?? "", token);

const isOffline = (page: Page) => page.evaluate(() => document.body.classList.contains("offline"));

async function offlineRound(
  page: Page,
  label: string,
  t: typeof ru | typeof en,
  who: { id: string; name: string },
) {
  const port = box?.port;
  assert(port !== undefined, "no box");

  await check(`${label}: the kiosk shows the live board`, page, async () => {
    await page.getByTestId("desk-front-holder").waitFor({ state: "visible" });
    await page.getByTestId(`employee-${who.id}`).waitFor({ state: "visible" });
    await page.getByTestId("box-offline").waitFor({ state: "hidden" });
    // Marks this document: a reload or a navigation would lose the mark.
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
  });

  await check(
    `${label}: a stopped box is said on the kiosk in its language, the board greyed`,
    page,
    async () => {
      await box?.stop();
      const banner = page.getByTestId("box-offline");
      await banner.waitFor({ state: "visible", timeout: OFFLINE_DEADLINE_MS });
      const text = await textOf(banner);
      assert(text.includes(t.offlineTitle), `the banner says "${text}", expected "${t.offlineTitle}"`);
      assert(await isOffline(page), "body is not marked offline");
      const filter = await page.locator("#screen").evaluate((el) => getComputedStyle(el).filter);
      assert(filter.includes("grayscale"), `the screen is not greyed (filter: ${filter})`);
      assert(await page.getByTestId("board").isVisible(), "the last board is gone");
      await shot(page, `offline-${label}-banner`);
    },
  );

  await check(`${label}: a tap on a name says nothing was recorded, and nothing else`, page, async () => {
    await page.getByTestId(`employee-${who.id}`).tap();
    const notice = page.getByTestId("box-notice");
    await notice.waitFor({ state: "visible" });
    const text = await textOf(notice);
    assert(text === t.offlineNotRecorded, `the notice says "${text}", expected "${t.offlineNotRecorded}"`);
    assert((await page.getByTestId("flash").count()) === 0, "a success flash is on screen");
    assert(!(await page.getByTestId("pin-ok").isVisible()), "the PIN pad opened without the box");
    assert(page.url().startsWith(`http://127.0.0.1:${port}/`), `the page left the kiosk: ${page.url()}`);
    await shot(page, `offline-${label}-tap`);
  });

  await check(`${label}: the box back on the same port, the kiosk recovers by itself`, page, async () => {
    // The board's stream, connected again to the new box: what proves the board live.
    const stream = page.waitForResponse(
      (r) => new URL(r.url()).pathname === "/events" && r.status() === 200,
      { timeout: RECOVER_DEADLINE_MS + 10_000 },
    );
    assert(await page.getByTestId("box-offline").isVisible(), "no banner up before the box is back");
    box = await startBox(port);
    await page.getByTestId("box-offline").waitFor({ state: "hidden", timeout: RECOVER_DEADLINE_MS });
    assert(!(await isOffline(page)), "body is still marked offline");
    await stream;

    await api("/api/v1/roster/check-in", { employeeId: who.id, deskId: "front" });
    const holder = page.getByTestId("desk-front-holder");
    await page.waitForFunction(
      (name) => document.querySelector("[data-testid=desk-front-holder]")?.textContent?.includes(name),
      who.name,
      { timeout: 10_000 },
    );
    assert((await textOf(holder)).includes(who.name), "the check-in is not on the board");
    assert(
      await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument === true),
      "the page was reloaded or left: the recovery should swap the screen in place",
    );
    await shot(page, `offline-${label}-recovered`);
    await api("/api/v1/roster/check-out", { employeeId: who.id });
  });
}

/** A box that hangs (SIGSTOP) rather than stops: noticed through htmx's timeout and /healthz's. */
async function hungBox(browser: Browser): Promise<void> {
  const kiosk = await newKiosk(browser, box?.baseUrl ?? "", WIDE);
  const page = kiosk.page;
  await check(
    "a hung box: a check-in it does not answer says it may not be recorded, no success",
    page,
    async () => {
      await page.goto("/");
      await openPinPad(page, "anna");
      await enterPin(page, "1111");
      const checkIn = page.getByTestId("action-check-in-front");
      await checkIn.waitFor({ state: "visible" });
      await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
      hang(true);
      await checkIn.tap();
      const notice = page.getByTestId("box-notice");
      // htmx gives up after its 8 s defaultTimeout.
      await notice.waitFor({ state: "visible", timeout: 15_000 });
      const text = await textOf(notice);
      assert(text === ru.offlineNoAnswer, `the notice says "${text}", expected "${ru.offlineNoAnswer}"`);
      assert((await page.getByTestId("flash").count()) === 0, "a success flash is on screen");
      await page.getByTestId("box-offline").waitFor({ state: "visible", timeout: OFFLINE_DEADLINE_MS });
      await shot(page, "offline-hung-box");
    },
  );
  await check("a hung box that wakes up: the kiosk recovers by itself", page, async () => {
    assert(await page.getByTestId("box-offline").isVisible(), "no banner up before the box wakes up");
    hang(false);
    await page.getByTestId("box-offline").waitFor({ state: "hidden", timeout: RECOVER_DEADLINE_MS });
    await page.getByTestId("board").waitFor({ state: "visible" });
    assert(
      await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument === true),
      "the page was reloaded or left",
    );
  });
  hang(false);
  // Whether the box took the check-in it read on waking is its business: the board shows it.
  await fetch(`${box?.baseUrl}/api/v1/roster/check-out`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ employeeId: "anna" }),
  });
  await kiosk.context.close();
}

let hung = false;
/** SIGSTOP / SIGCONT the box. */
function hang(on: boolean): void {
  if (box === undefined || hung === on) return;
  process.kill(box.pid, on ? "SIGSTOP" : "SIGCONT");
  hung = on;
}

async function run(): Promise<void> {
  ensureBinary();
  box = await startBox();
  browser = await launchChromium();

  const rounds = [
    { label: "800x480", viewport: SMALL, path: "/", t: ru, who: { id: "olga", name: "Ольга Петрова" } },
    { label: "1280x800", viewport: WIDE, path: "/", t: ru, who: { id: "irina", name: "Ирина Козлова" } },
    {
      label: "english",
      viewport: SMALL,
      path: "/?lang=en",
      t: en,
      who: { id: "olga", name: "Ольга Петрова" },
    },
  ];
  for (const round of rounds) {
    const kiosk = await newKiosk(browser, box.baseUrl, round.viewport);
    await kiosk.page.goto(round.path);
    await offlineRound(kiosk.page, round.label, round.t, round.who);
    await kiosk.context.close();
  }

  await hungBox(browser);

  const kiosk = await newKiosk(browser, box.baseUrl, WIDE);
  const page = kiosk.page;
  await check("a check-in whose request fails on the way says it was not recorded", page, async () => {
    await page.goto("/");
    await openPinPad(page, "anna");
    await enterPin(page, "1111");
    const checkIn = page.getByTestId("action-check-in-front");
    await checkIn.waitFor({ state: "visible" });
    await page.route("**/action", (route) => route.abort("connectionreset"));
    await checkIn.tap();
    const notice = page.getByTestId("box-notice");
    await notice.waitFor({ state: "visible" });
    const text = await textOf(notice);
    assert(text === ru.offlineNotRecorded, `the notice says "${text}", expected "${ru.offlineNotRecorded}"`);
    assert((await page.getByTestId("flash").count()) === 0, "a success flash is on screen");
    await shot(page, "offline-action-aborted");
    await page.unroute("**/action");
  });
  await check("the box, which was up, recorded nothing and the kiosk stayed online", page, async () => {
    const board = await (await fetch(`${box?.baseUrl}/`)).text();
    assert(!/data-testid="on-shift-anna"/.test(board), "anna is on shift although her check-in failed");
    assert(!(await isOffline(page)), "the kiosk went offline although the box answers");
  });
  await kiosk.context.close();

  await check("no script errors or CSP violations", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

await browserTest(
  "kiosk-offline",
  run,
  async () => {
    await browser?.close().catch(() => {});
    hang(false);
    await box?.stop();
    if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  },
  240_000,
);
