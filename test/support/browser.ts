// The browser tests' harness (test/e2e/*.browser.ts): headless Debian Chromium driven by
// playwright-core from Node, checks that record PASS/FAIL and go on, screenshots, the touch-target
// rule and the kiosk's PIN-pad gestures. Each browser test file calls `browserTest(name, body)`;
// its last line is `browser checks: N passed, N failed`, which scripts/test-all.ts sums.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { REPO_ROOT } from "./process.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const SHOTS = join(REPO_ROOT, "test-artifacts/screenshots");
export const MIN_TARGET_PX = 48;
/** The small kiosk screen every screen must work on. */
export const SMALL = { width: 800, height: 480 } as const;
export const WIDE = { width: 1280, height: 800 } as const;

const results: { name: string; ok: boolean; why?: string }[] = [];
export const scriptErrors: string[] = [];

/** Runs one check; a failure is recorded (with a screenshot) and the run goes on. */
export async function check(
  name: string,
  page: Page | undefined,
  body: () => Promise<void>,
): Promise<boolean> {
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`PASS ${name}`);
    return true;
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error))
      .split("\n")
      .slice(0, 6)
      .join("\n    ");
    results.push({ name, ok: false, why });
    console.log(`FAIL ${name}: ${why}`);
    await page?.screenshot({ path: join(SHOTS, `FAILED-${slug(name)}.png`), fullPage: true }).catch(() => {});
    return false;
  }
}

const slug = (text: string) =>
  text
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** The element's text, whitespace collapsed as a reader sees it. */
export async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Every visible button and link (and button-like control) must be at least 48×48 CSS px. */
export async function assertTouchTargets(page: Page, screen: string): Promise<void> {
  const controls = page.locator(
    "button, a[href], [role=button], input[type=submit], input[type=button], input[type=reset], summary",
  );
  const small: string[] = [];
  let seen = 0;
  for (const control of await controls.all()) {
    if (!(await control.isVisible())) continue;
    const box = await control.boundingBox();
    if (box === null) continue;
    seen += 1;
    if (box.width < MIN_TARGET_PX || box.height < MIN_TARGET_PX) {
      const label = await control.evaluate(
        (el) =>
          el.getAttribute("data-testid") ?? `${el.tagName.toLowerCase()} "${(el.textContent ?? "").trim()}"`,
      );
      small.push(`${label} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  assert(seen > 0, `no visible buttons or links on the ${screen} screen`);
  assert(
    small.length === 0,
    `under ${MIN_TARGET_PX}×${MIN_TARGET_PX} px on the ${screen} screen: ${small.join(", ")}`,
  );
}

/** Taps a name on the home screen and waits for the PIN pad. */
export async function openPinPad(page: Page, employeeId: string): Promise<void> {
  if (!(await page.getByTestId(`employee-${employeeId}`).isVisible())) await page.goto("/");
  await page.getByTestId(`employee-${employeeId}`).tap();
  await page.getByTestId("pin-ok").waitFor({ state: "visible" });
}

/** Types a PIN on the pad's keys and taps OK; resolves after the box answered. */
export async function enterPin(page: Page, pin: string): Promise<void> {
  await page.getByTestId("pin-clear").tap();
  for (const digit of pin) await page.getByTestId(`pin-key-${digit}`).tap();
  const answered = page.waitForResponse((r) => r.request().method() === "POST");
  await page.getByTestId("pin-ok").tap();
  await answered;
  await page.waitForLoadState("domcontentloaded");
}

export type Kiosk = {
  context: BrowserContext;
  page: Page;
  /** requests for the board's SSE stream */
  streams: number;
};

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A touch screen of its own (a context: two screens in the branch share nothing but the box). */
export async function newKiosk(
  browser: Browser,
  baseURL: string,
  viewport: { width: number; height: number } = WIDE,
  locale?: string,
): Promise<Kiosk> {
  const context = await browser.newContext({ baseURL, viewport, hasTouch: true, locale });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const kiosk: Kiosk = { context, page, streams: 0 };
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/events") kiosk.streams += 1;
  });
  page.on("pageerror", (error) => scriptErrors.push(`${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content.Security.Policy|Refused to/i.test(message.text())) {
      scriptErrors.push(`${page.url()}: ${message.text()}`);
    }
  });
  return kiosk;
}

/**
 * Runs one browser test file: `body` does its checks (a throw outside any check is one failed
 * check), `cleanup` always runs; the whole file has `wholeRunMs`. Prints the summary line and exits.
 */
export async function browserTest(
  name: string,
  body: () => Promise<void>,
  cleanup: () => Promise<void>,
  wholeRunMs = 180_000,
): Promise<never> {
  mkdirSync(SHOTS, { recursive: true });
  const summary = (extraFailed: number) =>
    `browser checks: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + extraFailed} failed`;
  const guard = setTimeout(() => {
    console.log(`FAIL the whole ${name} test finished within ${wholeRunMs / 1000}s`);
    void cleanup().finally(() => {
      console.log(summary(1));
      process.exit(1);
    });
  }, wholeRunMs);
  try {
    await body();
  } catch (error) {
    await check(`${name} test set-up`, undefined, async () => {
      throw error;
    });
  } finally {
    await cleanup().catch((error) => console.log(`cleanup: ${error}`));
  }
  clearTimeout(guard);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`screenshots: ${SHOTS}`);
  console.log(summary(0));
  process.exit(failed === 0 && results.length > 0 ? 0 : 1);
}

/**
 * A POST to the box's JSON API as branch IT (its admin token), for a test's own set-up (check
 * someone in, hand a phone over); throws unless the box answers 2xx. `baseUrl` is read at each call,
 * so a box restarted on the same port is reached too.
 */
export function adminApi(baseUrl: () => string, token: string) {
  return async (path: string, body: unknown): Promise<void> => {
    const response = await fetch(`${baseUrl()}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert(response.ok, `${path} answered ${response.status}: ${await response.text()}`);
  };
}
