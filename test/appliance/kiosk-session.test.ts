// Issue 5: the kiosk unit's command really shows the box's page. Its ExecStart (the session
// script starting Cage running Chromium with the unit's flags) runs here on wlroots' headless backend, as an unprivileged
// user as the unit would (Cage refuses root), against a real box; Chromium's DevTools endpoint
// (added for the test) tells which page it shows.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
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

/**
 * The unit's ExecStart as argv, for this box's URL, a state directory under the test's and the
 * session script at `sessionScript` (a copy the session's user can read).
 */
function kioskCommand(url: string, stateDir: string, debugPort: number, sessionScript: string): string[] {
  const execStart = unitSettings("branchbox-kiosk.service", "Service").get("ExecStart")?.join(" ") ?? "";
  const argv = execStart.split(/\s+/).map((arg) => arg.replaceAll("%S/branchbox-kiosk", stateDir));
  expect(argv[0]).toBe("/usr/local/lib/branchbox/kiosk-session.sh");
  expect(argv.at(-1)).toBe("http://127.0.0.1:8080/");
  return [sessionScript, ...argv.slice(1, -1), `--remote-debugging-port=${debugPort}`, url];
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
  const sessionScript = join(session, "kiosk-session.sh");
  copyFileSync(join(REPO_ROOT, "firmware-config/kiosk-session.sh"), sessionScript);
  chmodSync(sessionScript, 0o755);
  const debugPort = await freePort();
  const command = kioskCommand(`${box.baseUrl}/`, state, debugPort, sessionScript);
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
  // Issue 14, item 4: Chromium runs in the kiosk's language (the session script added it).
  const browser = chromiumOf(debugPort);
  expect(browser?.argv).toContain("--lang=ru");
  expect(browser?.env).toContain("LANGUAGE=ru");
});

/** The Chromium started with this DevTools port: its argv and environment, from /proc. */
function chromiumOf(debugPort: number): { argv: string[]; env: string[] } | undefined {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (!argv.includes(`--remote-debugging-port=${debugPort}`)) continue;
      return { argv, env: readFileSync(`/proc/${pid}/environ`, "utf8").split("\0") };
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}
