// Issue 5: the systemd units pass `systemd-analyze verify` with nothing to say, and keep the
// settings the appliance relies on.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureRelease, RELEASE, run, UNITS, unitSettings } from "../support/appliance.ts";
import { makeTestDir, REPO_ROOT } from "../support/process.ts";

// These tests run real processes (builds, systemd tools, install.sh): on 2 busy cores a few
// seconds each, well past bun test's 5 s default.
setDefaultTimeout(60_000);

let dir: string;

beforeAll(() => {
  dir = makeTestDir("units");
  ensureRelease();
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The unit files as installed, except that branchbox.service's ExecStart names the x64 release
 * build in the temp dir and the kiosk unit's names the session script there (verify checks that
 * ExecStart exists; neither is installed here). Cage and Chromium are as shipped: setup-test.sh
 * installs them.
 */
function stage(withLowPort: boolean): string {
  const stageDir = join(dir, withLowPort ? "low-port" : "plain");
  mkdirSync(stageDir, { recursive: true });
  copyFileSync(RELEASE[0] as string, join(stageDir, "branchbox"));
  run(["chmod", "755", join(stageDir, "branchbox")]);
  const service = readFileSync(join(UNITS, "branchbox.service"), "utf8");
  expect(service).toContain("ExecStart=/usr/local/bin/branchbox ");
  writeFileSync(
    join(stageDir, "branchbox.service"),
    service.replace("ExecStart=/usr/local/bin/branchbox ", `ExecStart=${stageDir}/branchbox `),
  );
  const session = "/usr/local/lib/branchbox/kiosk-session.sh";
  copyFileSync(join(UNITS, "../kiosk-session.sh"), join(stageDir, "kiosk-session.sh"));
  run(["chmod", "755", join(stageDir, "kiosk-session.sh")]);
  const kiosk = readFileSync(join(UNITS, "branchbox-kiosk.service"), "utf8");
  expect(kiosk).toContain(`ExecStart=${session} `);
  writeFileSync(
    join(stageDir, "branchbox-kiosk.service"),
    kiosk.replace(`ExecStart=${session} `, `ExecStart=${stageDir}/kiosk-session.sh `),
  );
  if (withLowPort) {
    mkdirSync(join(stageDir, "branchbox.service.d"));
    copyFileSync(join(UNITS, "low-port.conf"), join(stageDir, "branchbox.service.d/low-port.conf"));
  }
  return stageDir;
}

describe("systemd-analyze verify", () => {
  test("both units verify with no warning at all", () => {
    const stageDir = stage(false);
    const verify = run([
      "systemd-analyze",
      "verify",
      "--man=no",
      join(stageDir, "branchbox.service"),
      join(stageDir, "branchbox-kiosk.service"),
    ]);
    expect(verify.stderr + verify.stdout).toBe("");
    expect(verify.code).toBe(0);
  });

  test("branchbox.service with the low-port drop-in verifies with no warning", () => {
    const stageDir = stage(true);
    const verify = run(["systemd-analyze", "verify", "--man=no", join(stageDir, "branchbox.service")]);
    expect(verify.stderr + verify.stdout).toBe("");
    expect(verify.code).toBe(0);
  });

  test("a misspelt setting would be caught: verify speaks up about it", () => {
    const stageDir = stage(false);
    const unit = join(stageDir, "branchbox.service");
    writeFileSync(unit, readFileSync(unit, "utf8").replace("ProtectHome=yes", "ProtectHom=yes"));
    const verify = run(["systemd-analyze", "verify", "--man=no", unit]);
    expect(verify.stderr).toContain("Unknown key 'ProtectHom'");
  });

  test("branchbox.service's hardening rates OK in systemd-analyze security (exposure at most 4.0)", () => {
    const security = run([
      "systemd-analyze",
      "security",
      "--offline=yes",
      "--threshold=40",
      "--no-pager",
      join(stage(false), "branchbox.service"),
    ]);
    expect(security.stdout).toMatch(/Overall exposure level for branchbox\.service: [0-3]\.\d OK/);
    expect(security.code).toBe(0);
  });
});

describe("branchbox.service", () => {
  const service = unitSettings("branchbox.service", "Service");
  const one = (key: string) => service.get(key)?.join(" ");

  test("runs as its own user with its state directory as the database's home", () => {
    expect(one("User")).toBe("branchbox");
    expect(one("StateDirectory")).toBe("branchbox");
    expect(one("ConfigurationDirectory")).toBe("branchbox");
    // No BRANCHBOX_STORAGE_DIR override: the config's [storage] dir (the example's, which
    // install.sh writes) is the state directory, so upgrade and doctor, reading the same config
    // from a shell, find the same database.
    expect(one("Environment")).toBeUndefined();
    expect(readFileSync(join(REPO_ROOT, "firmware-config/branchbox.toml.example"), "utf8")).toMatch(
      /^\[storage\]\n(#.*\n)*dir = "\/var\/lib\/branchbox"$/m,
    );
    expect(one("ExecStart")).toBe("/usr/local/bin/branchbox serve --config /etc/branchbox/branchbox.toml");
  });

  test("is sandboxed, without capabilities, and without MemoryDenyWriteExecute (the JIT needs W+X)", () => {
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("ProtectHome")).toBe("yes");
    expect(one("PrivateTmp")).toBe("yes");
    expect(one("NoNewPrivileges")).toBe("yes");
    expect(one("CapabilityBoundingSet")).toBe("");
    expect(one("AmbientCapabilities")).toBe("");
    expect(service.has("MemoryDenyWriteExecute")).toBe(false);
  });

  test("is a notify service with a watchdog that always restarts", () => {
    expect(one("Type")).toBe("notify");
    expect(one("NotifyAccess")).toBe("main");
    expect(one("WatchdogSec")).toBe("30s");
    expect(one("Restart")).toBe("always");
  });

  test("the low-port drop-in grants CAP_NET_BIND_SERVICE and nothing else", () => {
    const drop = unitSettings("low-port.conf", "Service");
    expect(drop.get("CapabilityBoundingSet")).toEqual(["CAP_NET_BIND_SERVICE"]);
    expect(drop.get("AmbientCapabilities")).toEqual(["CAP_NET_BIND_SERVICE"]);
    expect(drop.size).toBe(2);
  });
});

describe("branchbox-kiosk.service", () => {
  const kiosk = unitSettings("branchbox-kiosk.service", "Service");
  const unit = unitSettings("branchbox-kiosk.service", "Unit");
  const one = (key: string) => kiosk.get(key)?.join(" ");

  test("Cage shows Chromium in kiosk mode on the box's own page, logged in on tty1", () => {
    expect(one("ExecStart")).toMatch(
      /^\/usr\/local\/lib\/branchbox\/kiosk-session\.sh \/usr\/bin\/cage -d -- \/usr\/bin\/chromium +--kiosk /,
    );
    expect(one("ExecStart")).toMatch(/ http:\/\/127\.0\.0\.1:8080\/$/);
    expect(one("User")).toBe("branchbox-kiosk");
    expect(one("PAMName")).toBe("login");
    expect(one("TTYPath")).toBe("/dev/tty1");
    expect(one("Restart")).toBe("always");
    expect(unit.get("After")?.join(" ")).toContain("branchbox.service");
    expect(unit.get("Conflicts")).toEqual(["getty@tty1.service"]);
  });

  test("Chromium's flags keep it quiet offline (the browser test's flags, minus headless)", () => {
    for (const flag of [
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ]) {
      expect(one("ExecStart")).toContain(` ${flag} `);
    }
  });
});
