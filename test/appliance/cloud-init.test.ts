// Issue 5: unattended provisioning. cloud-init itself validates user-data; a stick made by
// make-stick.sh installs a branch with the settings from its branch.env.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureRelease, run } from "../support/appliance.ts";
import { makeTestDir, REPO_ROOT } from "../support/process.ts";

// These tests run real processes (builds, systemd tools, install.sh): on 2 busy cores a few
// seconds each, well past bun test's 5 s default.
setDefaultTimeout(60_000);

const CLOUD = join(REPO_ROOT, "firmware-config/cloud-init");
let dir: string;

beforeAll(() => {
  dir = makeTestDir("cloud-init");
  ensureRelease();
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("NoCloud user-data and meta-data", () => {
  test("`cloud-init schema` accepts user-data", () => {
    const schema = run(["cloud-init", "schema", "--config-file", join(CLOUD, "user-data")]);
    expect(schema.stdout).toContain("Valid cloud-config");
    expect(schema.code).toBe(0);
  });

  test("`cloud-init schema` would refuse a broken user-data (the check is real)", () => {
    const broken = join(dir, "broken-user-data");
    writeFileSync(
      broken,
      readFileSync(join(CLOUD, "user-data"), "utf8").replace("packages:", "packages: 5\nx:"),
    );
    const schema = run(["cloud-init", "schema", "--config-file", broken]);
    expect(schema.code).not.toBe(0);
    expect(schema.stdout + schema.stderr).toContain("packages: 5 is not of type 'array'");
  });

  test("first boot installs the kiosk packages, mounts the stick, checks the binaries, runs install.sh with branch.env", async () => {
    const userData = Bun.YAML.parse(await Bun.file(join(CLOUD, "user-data")).text()) as {
      packages: string[];
      runcmd: string[];
    };
    expect(userData.packages.sort()).toEqual(["cage", "chromium", "xwayland"]);
    const script = userData.runcmd.join("\n");
    expect(script).toContain("mount -o ro LABEL=CIDATA");
    expect(script).toContain("sha256sum --check --ignore-missing SHA256SUMS");
    expect(script).toContain('bash ./install.sh --branch-env "$stick/branch.env"');
    const meta = Bun.YAML.parse(await Bun.file(join(CLOUD, "meta-data")).text()) as Record<string, string>;
    expect(meta["instance-id"]).toBeString();
  });
});

describe("make-stick.sh", () => {
  test("a stick it makes passes the first boot's checksum check and installs the branch from branch.env", () => {
    const stick = join(dir, "stick");
    const source = join(dir, "branch-files");
    mkdirSync(stick);
    mkdirSync(join(source, "tls"), { recursive: true });
    writeFileSync(join(source, "tls/ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    writeFileSync(
      join(source, "branch.env"),
      "BRANCH_ID=ekb-01\nBRANCH_NAME=Екатеринбург\nMQTT_CA=tls/ca.pem\n",
    );
    const made = run([
      "bash",
      join(CLOUD, "make-stick.sh"),
      "--out",
      stick,
      "--branch-env",
      join(source, "branch.env"),
    ]);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);

    const check = run(["sha256sum", "--check", "--ignore-missing", "SHA256SUMS"], {
      cwd: join(stick, "branchbox"),
    });
    expect(check.stdout).toContain("branchbox-linux-arm64: OK");
    expect(check.code).toBe(0);

    // What user-data runs, with --root instead of the real machine; install.sh picks the
    // binary for this CPU from beside itself.
    const root = join(dir, "root");
    mkdirSync(root);
    const install = run(["bash", "./install.sh", "--branch-env", join(stick, "branch.env"), "--root", root], {
      cwd: join(stick, "branchbox"),
    });
    if (install.code !== 0)
      throw new Error(`install.sh exited ${install.code}\n${install.stdout}${install.stderr}`);
    const config = readFileSync(join(root, "etc/branchbox/branchbox.toml"), "utf8");
    expect(config).toMatch(/^id = "ekb-01"$/m);
    expect(config).toMatch(/^ca = "\/etc\/branchbox\/tls\/ca\.pem"$/m);
    expect(readFileSync(join(root, "etc/branchbox/tls/ca.pem"), "utf8")).toBe(
      "-----BEGIN CERTIFICATE-----\n",
    );
    expect(install.stdout).toContain("OK    config");
  });
});
