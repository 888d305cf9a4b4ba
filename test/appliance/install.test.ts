// Issue 5: firmware-config/install.sh --root DIR installs the box into a directory tree, the
// same tree on every run, never overwriting a config someone edited.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureRelease, type Ran, RELEASE, run, treeListing } from "../support/appliance.ts";
import { makeTestDir, REPO_ROOT, type Running, startBranchbox } from "../support/process.ts";

// These tests run real processes (builds, systemd tools, install.sh): on 2 busy cores a few
// seconds each, well past bun test's 5 s default.
setDefaultTimeout(60_000);

const INSTALL = join(REPO_ROOT, "firmware-config/install.sh");
const CONFIG = "etc/branchbox/branchbox.toml";
let dir: string;
let n = 0;

beforeAll(() => {
  dir = makeTestDir("install");
  ensureRelease();
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freshRoot(): string {
  const root = join(dir, `root-${++n}`);
  mkdirSync(root);
  return root;
}

function install(root: string, ...args: string[]): Ran {
  return run(["bash", INSTALL, "--root", root, "--binary", RELEASE[0] as string, ...args]);
}

function expectInstalled(ran: Ran): void {
  if (ran.code !== 0) throw new Error(`install.sh exited ${ran.code}\n${ran.stdout}${ran.stderr}`);
}

describe("install.sh --root", () => {
  test("installs the binary, users, config, units (enabled) and no console blanking", () => {
    const root = freshRoot();
    const ran = install(root);
    expectInstalled(ran);
    const exe = join(root, "usr/local/bin/branchbox");
    expect(readFileSync(exe).equals(readFileSync(RELEASE[0] as string))).toBe(true);
    expect(statSync(exe).mode & 0o777).toBe(0o755);
    const passwd = readFileSync(join(root, "etc/passwd"), "utf8");
    expect(passwd).toMatch(/^branchbox:x:\d+:\d+:[^:]*:\/var\/lib\/branchbox:/m);
    expect(passwd).toMatch(/^branchbox-kiosk:x:\d+:\d+:[^:]*:\/var\/lib\/branchbox-kiosk:/m);
    expect(readFileSync(join(root, "etc/group"), "utf8")).toMatch(/^video:x:\d+:branchbox-kiosk$/m);
    for (const unit of ["branchbox.service", "branchbox-kiosk.service"]) {
      expect(readFileSync(join(root, "etc/systemd/system", unit), "utf8")).toBe(
        readFileSync(join(REPO_ROOT, "firmware-config/systemd", unit), "utf8"),
      );
      const wants = join(root, "etc/systemd/system/multi-user.target.wants", unit);
      expect(readlinkSync(wants)).toBe(`/etc/systemd/system/${unit}`);
    }
    const session = join(root, "usr/local/lib/branchbox/kiosk-session.sh");
    expect(readFileSync(session, "utf8")).toBe(
      readFileSync(join(REPO_ROOT, "firmware-config/kiosk-session.sh"), "utf8"),
    );
    expect(statSync(session).mode & 0o777).toBe(0o755);
    expect(existsSync(join(root, "etc/systemd/system/branchbox.service.d"))).toBe(false);
    expect(readFileSync(join(root, "etc/default/grub.d/branchbox.cfg"), "utf8")).toContain("consoleblank=0");
    // doctor ran against the tree's config, and the report names what is left to do.
    expect(ran.stdout).toContain(`OK    config    ${root}/${CONFIG}`);
    expect(ran.stdout).toContain("[branch] id and name");
    expect(ran.stdout).toContain("[mqtt] url");
    expect(ran.stdout).toContain("[pbx.ami]");
  });

  test("the config is the example with a fresh admin token, root:branchbox 0640, and the token is not printed", () => {
    const root = freshRoot();
    const ran = install(root);
    expectInstalled(ran);
    const config = readFileSync(join(root, CONFIG), "utf8");
    const token = /^admin_token = "([0-9a-f]{48})"$/m.exec(config)?.[1];
    expect(token).toBeDefined();
    const example = readFileSync(join(REPO_ROOT, "firmware-config/branchbox.toml.example"), "utf8");
    expect(config).toBe(example.replace(/^admin_token = ".*"$/m, `admin_token = "${token}"`));
    const gid = /^branchbox:x:(\d+):/m.exec(readFileSync(join(root, "etc/group"), "utf8"))?.[1];
    const st = statSync(join(root, CONFIG));
    expect(st.mode & 0o777).toBe(0o640);
    expect([st.uid, st.gid]).toEqual([0, Number(gid)]);
    expect(ran.stdout + ran.stderr).not.toContain(token as string);
    const other = freshRoot();
    expectInstalled(install(other));
    const otherToken = /^admin_token = "([0-9a-f]{48})"$/m.exec(
      readFileSync(join(other, CONFIG), "utf8"),
    )?.[1];
    expect(otherToken).toBeDefined();
    expect(otherToken).not.toBe(token); // another box, another token
  });

  test("a second run gives the same tree (paths, modes, owners, contents, links)", () => {
    const root = freshRoot();
    expectInstalled(install(root));
    const first = treeListing(root);
    const again = install(root);
    expectInstalled(again);
    expect(treeListing(root)).toEqual(first);
    expect(again.stdout).toContain("kept the existing /etc/branchbox/branchbox.toml");
  });

  test("a config edited between runs is not overwritten", () => {
    const root = freshRoot();
    expectInstalled(install(root));
    const edited = readFileSync(join(root, CONFIG), "utf8").replace('id = "msk-01"', 'id = "spb-07"');
    writeFileSync(join(root, CONFIG), edited);
    const again = install(root);
    expectInstalled(again);
    expect(readFileSync(join(root, CONFIG), "utf8")).toBe(edited);
    expect(again.stdout).not.toContain("[branch] id and name");
  });

  test("the installed config and binary serve as the unit starts them (serve --config, state dir by env)", async () => {
    const root = freshRoot();
    expectInstalled(install(root));
    let box: Running | undefined;
    try {
      box = await startBranchbox({
        command: [join(root, "usr/local/bin/branchbox")],
        args: ["serve", "--config", join(root, CONFIG)],
        dir: join(dir, `serve-${n}`),
        env: { BRANCHBOX_STORAGE_DIR: join(root, "var/lib/branchbox") },
      });
      expect((await fetch(`${box.baseUrl}/healthz`)).status).toBe(200);
      expect(existsSync(join(root, "var/lib/branchbox/branchbox.db"))).toBe(true);
    } finally {
      await box?.stop();
    }
  });

  test("a port below 1024 adds the CAP_NET_BIND_SERVICE drop-in; back above 1024 removes it", () => {
    const root = freshRoot();
    expectInstalled(install(root));
    const config = join(root, CONFIG);
    const dropIn = join(root, "etc/systemd/system/branchbox.service.d/low-port.conf");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace('listen = "0.0.0.0:8080"', 'listen = "0.0.0.0:80"'),
    );
    expectInstalled(install(root));
    expect(readFileSync(dropIn, "utf8")).toBe(
      readFileSync(join(REPO_ROOT, "firmware-config/systemd/low-port.conf"), "utf8"),
    );
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace('listen = "0.0.0.0:80"', 'listen = "0.0.0.0:8080"'),
    );
    expectInstalled(install(root));
    const session = join(root, "usr/local/lib/branchbox/kiosk-session.sh");
    expect(readFileSync(session, "utf8")).toBe(
      readFileSync(join(REPO_ROOT, "firmware-config/kiosk-session.sh"), "utf8"),
    );
    expect(statSync(session).mode & 0o777).toBe(0o755);
    expect(existsSync(join(root, "etc/systemd/system/branchbox.service.d"))).toBe(false);
  });
});

describe("install.sh --branch-env", () => {
  test("fills a new config with the branch's id, name, HQ credentials, TLS files and PBX", () => {
    const root = freshRoot();
    const stick = join(dir, `stick-${n}`);
    mkdirSync(join(stick, "tls"), { recursive: true });
    writeFileSync(join(stick, "tls/ca.pem"), "-----BEGIN CERTIFICATE-----\nca\n");
    writeFileSync(
      join(stick, "branch.env"),
      [
        "# a comment",
        "BRANCH_ID=kzn-03",
        'BRANCH_NAME="Казань, Баумана 1 \\"центр\\""',
        "MQTT_URL=mqtts://mqtt.hq.example.ru:8883",
        "MQTT_USERNAME=kzn-03",
        "MQTT_PASSWORD=p@ss\\word$HOME",
        "MQTT_CA=tls/ca.pem",
        "AMI_HOST=192.168.7.2",
        "AMI_USERNAME=branchbox",
        "AMI_SECRET=s3cret",
        "",
      ].join("\n"),
    );
    const ran = install(root, "--branch-env", join(stick, "branch.env"));
    expectInstalled(ran);
    const config = readFileSync(join(root, CONFIG), "utf8");
    expect(config).toMatch(/^id = "kzn-03"$/m);
    expect(config).toContain('name = "Казань, Баумана 1 \\\\\\"центр\\\\\\""');
    expect(config).toMatch(/^url = "mqtts:\/\/mqtt\.hq\.example\.ru:8883"$/m);
    expect(config).toContain('password = "p@ss\\\\word$HOME"');
    expect(config).toMatch(/^ca = "\/etc\/branchbox\/tls\/ca\.pem"$/m);
    expect(config).toMatch(
      /\[pbx\.ami\]\nhost = "192\.168\.7\.2"\nport = 5038\nusername = "branchbox"\nsecret = "s3cret"\n$/,
    );
    expect(readFileSync(join(root, "etc/branchbox/tls/ca.pem"), "utf8")).toContain("ca");
    expect(statSync(join(root, "etc/branchbox/tls/ca.pem")).mode & 0o777).toBe(0o640);
    // The binary reads it back as written: doctor's config check names the branch.
    expect(ran.stdout).toContain("branch kzn-03");
    expect(ran.stdout).not.toContain("[branch] id and name");
    expect(ran.stdout + ran.stderr).not.toContain("s3cret");
    expect(ran.stdout + ran.stderr).not.toContain("p@ss");
  });

  test("an unknown key or a bad branch id is refused before anything is written", () => {
    for (const [body, message] of [
      ["BRANCH_ID=ok-1\nMQTT_PASWORD=x\n", "unknown key MQTT_PASWORD"],
      ["BRANCH_ID=Msk 1\n", "BRANCH_ID must be lower-case letters"],
      ["MQTT_CA=missing.pem\n", "which does not exist"],
      ["not a setting\n", "expected KEY=VALUE"],
      ["AMI_HOST=pbx\nAMI_USERNAME=u\nAMI_SECRET=\n", "AMI_HOST needs AMI_USERNAME and AMI_SECRET"],
      ["AMI_PORT=5038x\n", "AMI_PORT must be a port number"],
      // Values only the binary knows to refuse: it reads the new config before anything is written.
      ["BRANCH_TIMEZONE=Mars/Olympus\n", "branch.timezone"],
      ["HTTP_LISTEN=everywhere\n", "http.listen"],
      ["ADMIN_TOKEN=short\n", "http.admin_token"],
    ] as const) {
      const root = freshRoot();
      const env = join(dir, `bad-${n}.env`);
      writeFileSync(env, body);
      const ran = install(root, "--branch-env", env);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain(message);
      expect(treeListing(root)).toEqual(["/ dir 755 0:0"]);
    }
  });

  test("a --binary that is not an executable is refused before anything is written", () => {
    const root = freshRoot();
    const notExe = join(dir, "not-an-executable");
    writeFileSync(notExe, "#!/bin/sh\ntouch /tmp/should-never-run\n");
    const ran = run(["bash", INSTALL, "--root", root, "--binary", notExe]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain("is not a Linux executable (ELF)");
    expect(treeListing(root)).toEqual(["/ dir 755 0:0"]);
  });

  test("bad usage exits 2 with the usage line", () => {
    const ran = run(["bash", INSTALL, "--root", freshRoot(), "--bogus"]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("unknown argument: --bogus");
    expect(ran.stderr).toContain("usage: install.sh");
  });
});
