// Issue 5 / DESIGN "service manager": the installed binary and config run as branchbox.service
// starts them, inside the same confinement (test/support/unit-sandbox.sh: everything read-only
// but the state directory, private /tmp, an unprivileged user in the config's group, no
// capabilities, no new privileges): it serves and keeps its database in the state directory,
// and it cannot write anywhere else.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { ensureRelease, RELEASE, run } from "../support/appliance.ts";
import { makeTestDir, REPO_ROOT, type Running, startBranchbox } from "../support/process.ts";

setDefaultTimeout(60_000);

const SANDBOX = join(REPO_ROOT, "test/support/unit-sandbox.sh");
const NOBODY = 65534;
let dir: string;
let root: string;
let gid: number;

beforeAll(() => {
  ensureRelease();
  dir = makeTestDir("service-sandbox");
  root = makeServiceRoot();
  const install = run([
    "bash",
    "firmware-config/install.sh",
    "--root",
    root,
    "--binary",
    RELEASE[0] as string,
  ]);
  if (install.code !== 0)
    throw new Error(`install.sh exited ${install.code}\n${install.stdout}${install.stderr}`);
  gid = Number(/^branchbox:x:(\d+):/m.exec(readFileSync(join(root, "etc/group"), "utf8"))?.[1]);
}, 300_000);
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

/**
 * A fresh folder to install into, under /var/lib: the service's user must reach the binary and
 * config in it, and the sandbox must not hide it. Neither the checkout nor TMPDIR will do: under
 * /tmp (or /var/tmp) the sandbox's private /tmp covers them, under a 0700 /root the user cannot
 * get in.
 */
function makeServiceRoot(): string {
  const made = realpathSync(mkdtempSync("/var/lib/branchbox-test-service-sandbox-"));
  chmodSync(made, 0o755);
  if (/^\/(var\/)?tmp\//.test(made)) throw new Error(`${made} is under a /tmp the sandbox replaces`);
  for (let up = dirname(made); ; up = dirname(up)) {
    if ((statSync(up).mode & 0o001) === 0)
      throw new Error(`${up} is closed to other users: the service user cannot reach ${made}`);
    if (up === "/") return made;
  }
}

/** A state directory as systemd makes it for StateDirectory=branchbox: the user's, 0750. */
function stateDir(name: string): string {
  const state = join(root, "var/lib", name);
  mkdirSync(state, { recursive: true });
  chownSync(state, NOBODY, gid);
  chmodSync(state, 0o750);
  return state;
}

function startConfined(state: string, storage: string, name: string): Promise<Running> {
  return startBranchbox({
    command: ["bash", SANDBOX, state, String(NOBODY), String(gid), join(root, "usr/local/bin/branchbox")],
    args: ["serve", "--config", join(root, "etc/branchbox/branchbox.toml")],
    dir: join(dir, name),
    env: { BRANCHBOX_STORAGE_DIR: storage },
  });
}

describe("branchbox as the unit runs it", () => {
  test("serves, reading its root:branchbox 0640 config, with the database in the state directory", async () => {
    expect(process.getuid?.()).toBe(0); // the sandbox needs root, as CI has
    const state = stateDir("branchbox");
    const box = await startConfined(state, state, "serve");
    try {
      expect((await fetch(`${box.baseUrl}/healthz`)).status).toBe(200);
      const db = join(state, "branchbox.db");
      expect(existsSync(db)).toBe(true);
      expect(statSync(db).uid).toBe(NOBODY);
    } finally {
      await box.stop();
    }
  });

  test("cannot write outside the state directory: a storage dir elsewhere stops the start", async () => {
    stateDir("branchbox-2");
    const elsewhere = join(root, "srv/branchbox");
    mkdirSync(elsewhere, { recursive: true });
    chmodSync(elsewhere, 0o777); // writable by anyone, were the file system not read-only
    // And reachable: outside the sandbox the same user writes there, so only the sandbox stops it.
    const probe = join(elsewhere, "probe");
    const touch = run(["setpriv", `--reuid=${NOBODY}`, `--regid=${gid}`, "--clear-groups", "touch", probe]);
    expect(touch.code, touch.stderr).toBe(0);
    rmSync(probe);
    await expect(startConfined(join(root, "var/lib/branchbox-2"), elsewhere, "elsewhere")).rejects.toThrow(
      /STORAGE\.CANNOT_OPEN/,
    );
    expect(existsSync(join(elsewhere, "branchbox.db"))).toBe(false);
  });
});
