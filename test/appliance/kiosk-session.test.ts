// Issue 5: the kiosk unit's command really shows the box's page. Its ExecStart (Cage running
// Chromium with the unit's flags) runs here on wlroots' headless backend, as an unprivileged
// user as the unit would (Cage refuses root), against a real box; Chromium's DevTools endpoint
// (added for the test) tells which page it shows.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unitSettings } from "../support/appliance.ts";
import { ensureBinary, freePort, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

setDefaultTimeout(90_000);

// The user the session runs as when the test runs as root: nobody (Debian's uid/gid 65534).
const NOBODY = 65534;
let dir: string;
let session: string;
let box: Running | undefined;
let cage: ChildProcess | undefined;

beforeAll(() => {
  dir = makeTestDir("kiosk-session");
  // Not under `dir`: the session's user must reach it, and mkdtemp makes `dir` root-only.
  session = mkdtempSync(join(tmpdir(), "branchbox-kiosk-user-"));
  ensureBinary();
}, 300_000);

afterAll(async () => {
  if (cage?.pid !== undefined && cage.exitCode === null && cage.signalCode === null) {
    const exited = new Promise((resolve) => cage?.once("exit", resolve));
    process.kill(-cage.pid, "SIGKILL"); // Cage and the Chromium processes it started
    await exited;
  }
  await box?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(session, { recursive: true, force: true });
});

/** The unit's ExecStart as argv, for this box's URL and a state directory under the test's. */
function kioskCommand(url: string, stateDir: string, debugPort: number): string[] {
  const execStart = unitSettings("branchbox-kiosk.service", "Service").get("ExecStart")?.join(" ") ?? "";
  const argv = execStart.split(/\s+/).map((arg) => arg.replaceAll("%S/branchbox-kiosk", stateDir));
  expect(argv.at(-1)).toBe("http://127.0.0.1:8080/");
  return [...argv.slice(0, -1), `--remote-debugging-port=${debugPort}`, url];
}

type Page = { type: string; url: string; title: string };

test("Cage + Chromium from branchbox-kiosk.service show the kiosk page in kiosk mode", async () => {
  box = await startBranchbox({ args: ["serve", "--demo"], dir: join(dir, "box") });
  const home = await (await fetch(`${box.baseUrl}/`)).text();
  const title = /<title>(.*?)<\/title>/.exec(home)?.[1];
  expect(title).toBeDefined();

  const asRoot = process.getuid?.() === 0;
  const runtime = join(session, "run");
  const state = join(session, "state");
  for (const d of [session, runtime, state]) {
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o700);
    if (asRoot) chownSync(d, NOBODY, NOBODY);
  }
  const debugPort = await freePort();
  const command = kioskCommand(`${box.baseUrl}/`, state, debugPort);
  const argv = asRoot
    ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...command]
    : command;
  const log = openSync(join(dir, "cage.log"), "a");
  cage = spawn(argv[0] as string, argv.slice(1), {
    detached: true,
    stdio: ["ignore", log, log],
    env: {
      PATH: "/usr/bin:/bin",
      HOME: state,
      XDG_RUNTIME_DIR: runtime,
      XDG_SESSION_TYPE: "wayland",
      // wlroots without a screen or input devices: a headless output, software rendering.
      WLR_BACKENDS: "headless",
      WLR_LIBINPUT_NO_DEVICES: "1",
      WLR_RENDERER: "pixman",
    },
  });

  let shown: Page | undefined;
  const deadline = Date.now() + 60_000;
  while (shown === undefined && Date.now() < deadline) {
    if (cage.exitCode !== null || cage.signalCode !== null) {
      throw new Error(
        `cage exited (${cage.exitCode ?? cage.signalCode}):\n${readFileSync(join(dir, "cage.log"), "utf8").slice(-3000)}`,
      );
    }
    try {
      const pages = (await (await fetch(`http://127.0.0.1:${debugPort}/json/list`)).json()) as Page[];
      shown = pages.find((p) => p.type === "page" && p.url === `${box?.baseUrl}/` && p.title === title);
    } catch {
      // Chromium not listening yet
    }
    if (shown === undefined) await Bun.sleep(250);
  }
  if (shown === undefined) {
    throw new Error(
      `no kiosk page within 60 s:\n${readFileSync(join(dir, "cage.log"), "utf8").slice(-3000)}`,
    );
  }
  expect(shown.title).toBe(title as string);
});
