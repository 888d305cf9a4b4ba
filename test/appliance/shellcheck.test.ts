// Issue 5: shellcheck finds nothing to say about any shell script in the repository, the
// script cloud-init runs from user-data included.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { run } from "../support/appliance.ts";
import { REPO_ROOT } from "../support/process.ts";

// These tests run real processes (builds, systemd tools, install.sh): on 2 busy cores a few
// seconds each, well past bun test's 5 s default.
setDefaultTimeout(60_000);

/** Tracked and new (not ignored) files that are shell: named *.sh or starting with a sh/bash #!. */
function shellScripts(): string[] {
  const files = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"])
    .stdout.split("\0")
    .filter((f) => f !== "");
  return files.filter((file) => {
    if (file.endsWith(".sh")) return true;
    const head = Buffer.alloc(64);
    let fd: number;
    try {
      fd = openSync(join(REPO_ROOT, file), "r");
    } catch {
      return false; // deleted in the work tree
    }
    const length = readSync(fd, head, 0, 64, 0);
    closeSync(fd);
    return /^#!\S*(\/|env )(ba)?sh\b/.test(head.subarray(0, length).toString("latin1"));
  });
}

describe("shellcheck", () => {
  const scripts = shellScripts();

  test("finds the repository's shell scripts (install, build, set-up, stick, CI)", () => {
    for (const known of [
      "firmware-config/install.sh",
      "firmware-config/cloud-init/make-stick.sh",
      "scripts/build.sh",
      "scripts/setup-test.sh",
      ".ci/run",
    ]) {
      expect(scripts).toContain(known);
    }
  });

  test("every shell script passes shellcheck with no finding of any severity", () => {
    const check = run(["shellcheck", "--severity=style", "--external-sources", ...scripts]);
    expect(check.stdout + check.stderr).toBe("");
    expect(check.code).toBe(0);
  });

  test("the first-boot script in cloud-init's user-data passes shellcheck (as sh)", async () => {
    const userData = Bun.YAML.parse(
      await Bun.file(join(REPO_ROOT, "firmware-config/cloud-init/user-data")).text(),
    ) as { runcmd: string[] };
    const script = join(REPO_ROOT, "test-artifacts/user-data-runcmd.sh");
    await Bun.write(script, `#!/bin/sh\n${userData.runcmd.join("\n")}`);
    const check = run(["shellcheck", "--severity=style", script]);
    expect(check.stdout + check.stderr).toBe("");
    expect(check.code).toBe(0);
  });
});
