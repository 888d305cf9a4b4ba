// Issue 14, item 4: the kiosk session (firmware-config/kiosk-session.sh, the kiosk unit's
// ExecStart) starts the screen only once the box serves its kiosk page, so Chromium never opens
// on its own "This site can't be reached"; and it starts it in the kiosk's language (--lang and
// LANGUAGE), which it asks of a real compiled box. The screen here is a stand-in command that
// writes down how it was started.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unitSettings } from "../support/appliance.ts";
import {
  ensureBinary,
  freePort,
  makeTestDir,
  REPO_ROOT,
  type Running,
  startBranchbox,
} from "../support/process.ts";

setDefaultTimeout(60_000);

const SESSION = join(REPO_ROOT, "firmware-config/kiosk-session.sh");
let dir: string;
let box: Running | undefined;
let session: ChildProcess | undefined;

beforeAll(() => {
  dir = makeTestDir("kiosk-language");
  ensureBinary();
}, 300_000);
afterEach(async () => {
  if (session?.exitCode === null && session.signalCode === null) session.kill("SIGKILL");
  await box?.stop();
  box = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for Cage + Chromium: writes its arguments and LANGUAGE to `<name>.started`. */
function standIn(name: string): { command: string; started: string } {
  const command = join(dir, `${name}.sh`);
  const started = join(dir, `${name}.started`);
  writeFileSync(
    command,
    `#!/bin/sh\nprintf '%s\\n' "$@" "LANGUAGE=$LANGUAGE" >"${started}.new"\nmv "${started}.new" "${started}"\n`,
    { mode: 0o755 },
  );
  return { command, started };
}

/** Runs the session script with `argv`; its stderr is collected in `log()`. */
function startSession(argv: string[]): { log: () => string; exited: Promise<number | null> } {
  let stderr = "";
  session = spawn("bash", [SESSION, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
  session.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const child = session;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { log: () => stderr, exited };
}

async function until(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await Bun.sleep(50);
  }
}

const boxEnv = (language?: string): Record<string, string> =>
  language === undefined ? {} : { BRANCHBOX_KIOSK_LANGUAGE: language };

test("issue 14: the session waits for the kiosk page, then starts the screen in the kiosk's language (en)", async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const screen = standIn("waits");
  const run = startSession([screen.command, "-d", "--", "chromium", "--kiosk", url]);
  await until("the session says it waits for the box", () =>
    run.log().includes(`waiting for the kiosk page at ${url}`),
  );
  expect(existsSync(screen.started)).toBe(false);

  box = await startBranchbox({
    args: ["serve", "--demo"],
    dir: join(dir, "box-en"),
    port,
    env: boxEnv("en"),
  });
  await until("the screen starts", () => existsSync(screen.started));
  expect(readFileSync(screen.started, "utf8").trim().split("\n")).toEqual([
    "-d",
    "--",
    "chromium",
    "--kiosk",
    "--lang=en",
    url,
    "LANGUAGE=en",
  ]);
  expect(await run.exited).toBe(0);
});

test("issue 14: with the box up and kiosk.language at its default, the screen starts at once in Russian", async () => {
  box = await startBranchbox({ args: ["serve", "--demo"], dir: join(dir, "box-ru") });
  const url = `${box.baseUrl}/`;
  const screen = standIn("at-once");
  const run = startSession([screen.command, url]);
  expect(await run.exited).toBe(0);
  expect(run.log()).not.toContain("waiting");
  expect(readFileSync(screen.started, "utf8").trim().split("\n")).toEqual(["--lang=ru", url, "LANGUAGE=ru"]);
});

test("the kiosk unit starts Cage and Chromium through the session, on the box's own page", () => {
  const execStart = unitSettings("branchbox-kiosk.service", "Service").get("ExecStart")?.join(" ") ?? "";
  expect(execStart).toMatch(
    /^\/usr\/local\/lib\/branchbox\/kiosk-session\.sh \/usr\/bin\/cage -d -- \/usr\/bin\/chromium +--kiosk /,
  );
  expect(execStart).toMatch(/ http:\/\/127\.0\.0\.1:8080\/$/);
  // The session adds the language; the unit does not fix one.
  expect(execStart).not.toContain("--lang");
});
