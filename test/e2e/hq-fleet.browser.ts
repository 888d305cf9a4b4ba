// Browser test, issue 18: headquarters' fleet page (/fleet) in Chromium, every part real and
// compiled. A real Mosquitto; `dist/branchbox hq` on its own config file (a free port, a temp
// store, the smallest `offline_alert_minutes`); branch msk-01 is the compiled box (`serve --demo`,
// [mqtt] and its branch id from BRANCHBOX_*), whose relay publishes its retained presence, its Last
// Will and its roster facts exactly as in production. Branch spb-02 only comes online and drops
// off, on the relay's own connect options (its Last Will): it is the branch offline too long.
// Harness: test/support/browser.ts; run by scripts/test-all.ts with the other *.browser.ts files.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import type { Browser, Page } from "playwright-core";
import { configSchema } from "../../src/config/schema.ts";
import { presenceSchema, topics } from "../../src/contract/protocol.ts";
import { at, type FleetLang, fleetText } from "../../src/hq/fleet/fleet-text.ts";
import type { BranchView } from "../../src/hq/store/hq-store-port.ts";
import { connectOptions } from "../../src/sync/relay/connect-options.ts";
import { DEFAULT_TUNING } from "../../src/sync/relay/relay-types.ts";
import {
  adminApi,
  assert,
  assertTouchTargets,
  browserTest,
  check,
  launchChromium,
  newKiosk,
  SMALL,
  scriptErrors,
  shot,
  textOf,
  WIDE,
} from "../support/browser.ts";
import { HQ_TOKEN, type HqProcess, startHqProcess } from "../support/hq-process.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

const BRANCH = "msk-01";
const GONE = "spb-02";
/** The smallest `[hq] offline_alert_minutes` the config takes. */
const ALERT_MINUTES = 1;
/** The live pages re-render by themselves every 10 s (fleet-routes.tsx)… */
const LIVE_MS = 10_000;
/** …and after a change within a second: a change must show well before the next refresh could. */
const CHANGE_MS = 5_000;

const dir = makeTestDir("hq-fleet");
const adminToken = randomBytes(24).toString("hex");
let broker: Mosquitto | undefined;
let hq: HqProcess | undefined;
let box: Running | undefined;
let browser: Browser | undefined;
/** When spb-02's Last Will went out (HQ stores it a moment later: the alert is due no earlier). */
let goneAt = 0;

const api = adminApi(() => box?.baseUrl ?? "", adminToken);

/** What HQ's JSON API says of a branch (its bearer token; the page's session is not enough). */
async function hqBranch(branch: string): Promise<BranchView> {
  const response = await fetch(`${hq?.baseUrl}/api/v1/branches`, {
    headers: { authorization: `Bearer ${HQ_TOKEN}` },
  });
  const body = (await response.json()) as { branches: BranchView[] };
  const found = body.branches.find((b) => b.branch === branch);
  assert(found !== undefined, `HQ's API does not list ${branch}`);
  return found;
}

/**
 * A branch that comes online and drops off as the relay's wire does it: the relay's own connect
 * options (client id `branchbox-{branch}`, the retained Last Will `{online:false, epoch}`), the
 * retained birth, then the TCP connection cut without DISCONNECT, so the broker sends the Will.
 */
async function branchThatDropsOff(url: string, branch: string): Promise<void> {
  const epoch = 1;
  const options = connectOptions(configSchema.shape.mqtt.parse({ url }), branch, epoch, DEFAULT_TUNING);
  const client = await mqtt.connectAsync(url, options);
  const birth = presenceSchema.parse({ online: true, epoch, version: "0.1.0", backlog: 0 });
  await client.publishAsync(topics.state(branch), JSON.stringify(birth), { qos: 1, retain: true });
  client.stream.destroy();
  goneAt = Date.now();
  await client.endAsync(true);
}

/** Marks the document: a reload or a navigation loses the mark, a live swap keeps it. */
const markDocument = (page: Page) => page.evaluate(() => Object.assign(window, { __sameDocument: true }));
const sameDocument = (page: Page) =>
  page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument === true);

const row = (page: Page, branch: string) => page.getByTestId(`branch-${branch}`);
const rowIn = (page: Page, branch: string, state: string) =>
  page.locator(`[data-testid="branch-${branch}"][data-state="${state}"]`);

async function signIn(page: Page, lang: FleetLang): Promise<void> {
  const field = page.getByTestId("token");
  await field.fill(HQ_TOKEN);
  await page.getByTestId("sign-in").tap();
  await page.waitForURL(`**/fleet?lang=${lang}`);
}

/** At 800×480, Russian: the sign-in, a wrong token, the right one, the table, a branch's page live. */
async function smallScreen(b: Browser, baseUrl: string): Promise<void> {
  const t = fleetText("ru");
  const { context, page } = await newKiosk(b, baseUrl, SMALL);
  await check("the fleet page asks for the token first, in Russian, at 800×480", page, async () => {
    await page.goto("/fleet");
    assert(page.url().endsWith("/fleet/login?lang=ru"), `not sent to the sign-in: ${page.url()}`);
    assert((await page.locator("html").getAttribute("lang")) === "ru", "html lang is not ru");
    const heading = await textOf(page.locator("h1"));
    assert(heading === t.loginTitle, `the heading says "${heading}"`);
    await assertTouchTargets(page, "sign-in 800x480");
    await shot(page, "hq-fleet-login-800x480");
  });

  await check("a wrong token is refused in words, and opens no session", page, async () => {
    await page.getByTestId("token").fill("not-the-headquarters-token");
    const answered = page.waitForResponse((r) => r.request().method() === "POST");
    await page.getByTestId("sign-in").tap();
    assert((await answered).status() === 401, "the wrong token was not answered 401");
    const error = await textOf(page.getByTestId("login-error"));
    assert(error === t.wrongToken, `the page says "${error}", expected "${t.wrongToken}"`);
    const cookies = await context.cookies();
    assert(!cookies.some((c) => c.name === "hq_session"), "a session cookie was set");
    await shot(page, "hq-fleet-login-refused");
  });

  await check("the right token signs in to the fleet table", page, async () => {
    await signIn(page, "ru");
    await page.getByTestId("fleet").waitFor({ state: "visible" });
  });

  await check(
    "the fleet lists the branch online with its version and its last record, the dropped one offline",
    page,
    async () => {
      // The first render may predate the box's birth or its first record: the live table catches up.
      await rowIn(page, BRANCH, "online").waitFor({ timeout: LIVE_MS + 5000 });
      await page.waitForFunction(
        ([branch, never]) =>
          (document.querySelector(`[data-testid="branch-${branch}"] [data-testid="last-record"]`)
            ?.textContent ?? never) !== never,
        [BRANCH, t.never] as const,
        { timeout: LIVE_MS + 5000 },
      );
      const line = row(page, BRANCH);
      const state = await textOf(line.getByTestId("state"));
      assert(state === t.online, `the state says "${state}"`);
      const boxVersion = ((await (await fetch(`${box?.baseUrl}/healthz`)).json()) as { version: string })
        .version;
      const version = await textOf(line.getByTestId("version"));
      assert(version === boxVersion, `the version says "${version}", the box runs ${boxVersion}`);
      const known = await hqBranch(BRANCH);
      assert(known.lastRecordTs !== null, "HQ has no record of the branch");
      const last = await textOf(line.getByTestId("last-record"));
      assert(last === at(known.lastRecordTs, "ru"), `the last record says "${last}"`);
      await rowIn(page, GONE, "offline").waitFor();
      await assertTouchTargets(page, "fleet 800x480");
      await shot(page, "hq-fleet-table-800x480");
    },
  );

  await check("the branch's page shows who is on shift at which desk", page, async () => {
    await row(page, BRANCH).getByRole("link", { name: BRANCH }).tap();
    await page.waitForURL(`**/fleet/branch/${BRANCH}?lang=ru`);
    const anna = page.getByTestId("desk-front").getByTestId("on-shift-anna");
    await anna.waitFor({ state: "visible" });
    const text = await textOf(anna);
    assert(text.includes(t.onShiftSince), `anna's line says "${text}"`);
    assert(text.includes(t.holdsPhone), `anna holds the desk's phone, the line says "${text}"`);
    await assertTouchTargets(page, "branch 800x480");
    await shot(page, "hq-fleet-branch-800x480");
  });

  await check("a new record shows up live on the branch's page, without a reload", page, async () => {
    await page.getByTestId("branch-live").waitFor();
    await markDocument(page);
    await api("/api/v1/roster/check-in", { employeeId: "olga", deskId: "front" });
    await page
      .getByTestId("desk-front")
      .getByTestId("on-shift-olga")
      .waitFor({ state: "visible", timeout: CHANGE_MS });
    assert(await sameDocument(page), "the page was reloaded or left: the stream should swap it in place");
    await shot(page, "hq-fleet-branch-live");
  });
  await context.close();
}

/** Wide, Russian: the table live (a record, the branch's Last Will, the alert), then signing out. */
async function wideScreen(b: Browser, baseUrl: string): Promise<void> {
  const t = fleetText("ru");
  const { context, page } = await newKiosk(b, baseUrl, WIDE);
  await check("wide: signed in, the fleet table lists both branches", page, async () => {
    await page.goto("/fleet");
    await signIn(page, "ru");
    await rowIn(page, BRANCH, "online").waitFor();
    await rowIn(page, GONE, "offline").waitFor();
    await assertTouchTargets(page, "fleet wide");
  });

  await check("a new record shows up live in the fleet table, without a reload", page, async () => {
    await page.getByTestId("fleet-live").waitFor();
    await markDocument(page);
    const before = (await hqBranch(BRANCH)).streams.roster?.through ?? 0;
    await api("/api/v1/roster/check-out", { employeeId: "olga" });
    const lag = row(page, BRANCH).getByTestId("lag-roster");
    await page.waitForFunction(
      ([branch, want]) =>
        document
          .querySelector(`[data-testid="branch-${branch}"] [data-testid="lag-roster"]`)
          ?.textContent?.includes(want) === true,
      [BRANCH, `#${before + 1},`] as const,
      { timeout: CHANGE_MS },
    );
    assert(await sameDocument(page), "the page was reloaded or left");
    assert((await textOf(lag)).startsWith(`roster: #${before + 1}`), `the lag says "${await textOf(lag)}"`);
  });

  await check("the branch going offline (its Last Will) changes its row live", page, async () => {
    await box?.kill9();
    await rowIn(page, BRANCH, "offline").waitFor({ timeout: CHANGE_MS });
    const state = await textOf(row(page, BRANCH).getByTestId("state"));
    assert(state === t.offline, `the state says "${state}"`);
    assert(
      (await row(page, BRANCH).getByTestId("alert").count()) === 0,
      "just offline, yet marked as offline too long",
    );
    assert(await sameDocument(page), "the page was reloaded or left");
    await shot(page, "hq-fleet-offline-live");
  });

  await check(
    `a branch offline longer than offline_alert_minutes (${ALERT_MINUTES}) stands out, listed first`,
    page,
    async () => {
      // A presence carries no time of its own: HQ counts from when it stored spb-02's Last Will, so
      // this waits (for the condition, not a fixed time) until the smallest threshold has passed by
      // HQ's clock and the page's own refresh has shown it.
      const due = goneAt + ALERT_MINUTES * 60_000 + LIVE_MS + 10_000;
      const line = page.locator(`[data-testid="branch-${GONE}"].alert`);
      await line.waitFor({ timeout: Math.max(1000, due - Date.now()) });
      const alert = await textOf(line.getByTestId("alert"));
      assert(alert === t.alert(ALERT_MINUTES), `the alert says "${alert}"`);
      const first = await page.locator("[data-testid=fleet] tbody tr").first().getAttribute("data-testid");
      assert(first === `branch-${GONE}`, `the first row is ${first}`);
      assert(
        (await row(page, BRANCH).getByTestId("alert").count()) === 0,
        `${BRANCH}, offline for seconds, is marked too`,
      );
      assert(await sameDocument(page), "the page was reloaded or left");
      await assertTouchTargets(page, "fleet with an alert, wide");
      await shot(page, "hq-fleet-alert-wide");
    },
  );

  await check(
    "signing out goes back to the sign-in, and the fleet asks for the token again",
    page,
    async () => {
      await page.getByTestId("logout").tap();
      await page.waitForURL("**/fleet/login?lang=ru");
      await page.goto("/fleet");
      assert(
        page.url().endsWith("/fleet/login?lang=ru"),
        `the fleet opened without a session: ${page.url()}`,
      );
    },
  );
  await context.close();
}

async function english(b: Browser, baseUrl: string): Promise<void> {
  const t = fleetText("en");
  const { context, page } = await newKiosk(b, baseUrl, SMALL);
  await check("English second: the sign-in and the table at 800×480", page, async () => {
    await page.goto("/fleet?lang=en");
    assert(page.url().endsWith("/fleet/login?lang=en"), `not sent to the English sign-in: ${page.url()}`);
    assert((await page.locator("html").getAttribute("lang")) === "en", "html lang is not en");
    assert((await textOf(page.locator("h1"))) === t.loginTitle, "the heading is not English");
    await signIn(page, "en");
    const state = await textOf(row(page, GONE).getByTestId("state"));
    assert(state === t.offline, `the state says "${state}"`);
    await assertTouchTargets(page, "fleet 800x480 english");
    await shot(page, "hq-fleet-table-english");
  });
  await context.close();
}

async function run(): Promise<void> {
  ensureBinary();
  broker = await startMosquitto({ dir: join(dir, "broker") });
  hq = await startHqProcess({
    dir,
    storage: join(dir, "hq-store"),
    mqtt: { url: broker.url },
    name: "hq",
    extra: [`offline_alert_minutes = ${ALERT_MINUTES}`],
  });
  // First, so that the minute it must stay offline runs while the other checks do.
  await branchThatDropsOff(broker.url, GONE);
  box = await startBranchbox({
    args: ["serve", "--demo"],
    dir: join(dir, "branch"),
    env: {
      BRANCHBOX_HTTP_ADMIN_TOKEN: adminToken,
      BRANCHBOX_BRANCH_ID: BRANCH,
      BRANCHBOX_MQTT_URL: broker.url,
    },
  });
  await api("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
  browser = await launchChromium();
  await smallScreen(browser, hq.baseUrl);
  await english(browser, hq.baseUrl);
  await wideScreen(browser, hq.baseUrl);
  await check("no script errors or CSP violations", undefined, async () => {
    assert(scriptErrors.length === 0, scriptErrors.join("\n"));
  });
}

await browserTest(
  "hq-fleet",
  run,
  async () => {
    await browser?.close().catch(() => {});
    await box?.stop();
    await hq?.stop();
    await broker?.stop();
    if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  },
  240_000,
);
