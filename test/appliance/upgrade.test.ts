import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { ensureBinary, freePort, makeTestDir, REPO_ROOT } from "../support/process.ts";
import { compileRelease } from "../support/upgrade/compile.ts";

const OLD = pkg.version;
const NEW = `${pkg.version}-upgrade-test`;
const LIMIT_SECONDS = 4;
const SERVICE = join(import.meta.dir, "..", "support", "upgrade", "service.sh");

let root: string;
let oldBinary: string;
/** Release folders: each holds one file, its SHA256SUMS and (for good/) its .sig. */
let releases: Record<"good" | "crash" | "hang" | "newerSchema" | "notBranchbox", string>;
let publicKey: string;
let signer: CryptoKey;

beforeAll(async () => {
  oldBinary = ensureBinary();
  root = makeTestDir("upgrade");
  const keys = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  signer = keys.privateKey;
  publicKey = Buffer.from(await crypto.subtle.exportKey("raw", keys.publicKey)).toString("base64");

  const good = join(root, "releases", "good", "branchbox-linux-x64");
  mkdirSync(join(root, "releases", "good"), { recursive: true });
  await compileRelease(good, NEW);
  releases = {
    good,
    crash: script(
      "crash",
      `if [ "\${1:-}" = version ]; then echo "branchbox 0.9.0-crash (test)"; exit 0; fi\necho "cannot start" >&2\nexit 1`,
    ),
    hang: script(
      "hang",
      `if [ "\${1:-}" = version ]; then echo "branchbox 0.9.1-hang (test)"; exit 0; fi\nexec sleep 600`,
    ),
    newerSchema: script(
      "newer-schema",
      `if [ "\${1:-}" = version ]; then echo "branchbox 0.9.2-newer-schema (test)"; exit 0; fi\nexec "${process.execPath}" "${join(REPO_ROOT, "test/support/upgrade/newer-schema-box.ts")}" "$@"`,
    ),
    notBranchbox: script("not-branchbox", "echo 'hello'\nexit 3"),
  };
  for (const file of Object.values(releases)) await publish(file);
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A shell-script "release" that behaves badly in one way. */
function script(name: string, body: string): string {
  const dir = join(root, "releases", name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "branchbox");
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** SHA256SUMS (sha256sum's format) and an Ed25519 .sig beside the release file. */
async function publish(file: string): Promise<void> {
  const bytes = readFileSync(file);
  const hex = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
  writeFileSync(join(file, "..", "SHA256SUMS"), `${hex}  ${basename(file)}\n`);
  writeFileSync(`${file}.sig`, new Uint8Array(await crypto.subtle.sign("Ed25519", signer, bytes)));
}

interface Box {
  dir: string;
  binary: string;
  health: string;
  toml: string;
}
const boxes: Box[] = [];

afterEach(() => {
  for (const box of boxes.splice(0)) {
    Bun.spawnSync([join(box.dir, "service.sh"), "stop"]);
    rmSync(box.dir, { recursive: true, force: true });
  }
});

/** bin/branchbox (the released old binary) running under the test's service script. */
async function installedBox(extra = ""): Promise<Box> {
  const dir = makeTestDir("upgrade-box");
  mkdirSync(join(dir, "bin"));
  const binary = join(dir, "bin", "branchbox");
  copyFileSync(oldBinary, binary);
  chmodSync(binary, 0o755);
  copyFileSync(SERVICE, join(dir, "service.sh"));
  chmodSync(join(dir, "service.sh"), 0o755);
  const port = await freePort();
  writeFileSync(join(dir, "port"), String(port));
  const toml = join(dir, "box.toml");
  writeFileSync(
    toml,
    `[branch]\nid = "msk-01"\nname = "Москва"\n\n[http]\nlisten = "127.0.0.1:${port}"\nadmin_token = "upgrade-test-token-0123456789"\n\n[storage]\ndir = "${join(dir, "data")}"\n\n[upgrade]\nservice_command = "${join(dir, "service.sh")} {action}"\nhealth_timeout_seconds = ${LIMIT_SECONDS}\n${extra}\n`,
  );
  const box = { dir, binary, health: `http://127.0.0.1:${port}/healthz`, toml };
  boxes.push(box);
  expect(Bun.spawnSync([join(dir, "service.sh"), "start"]).exitCode).toBe(0);
  expect(await versionServed(box, 15_000)).toBe(OLD);
  return box;
}

/** The version /healthz reports, once it answers 200 (null if it does not within `ms`). */
async function versionServed(box: Box, ms: number): Promise<string | null> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(box.health, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return ((await response.json()) as { version: string }).version;
    } catch {
      // not up yet
    }
    await Bun.sleep(50);
  }
  return null;
}

/** `bin/branchbox upgrade ...` run by the installed binary itself, as branch IT would. */
async function runUpgrade(box: Box, args: string[]) {
  const started = performance.now();
  const proc = Bun.spawn([box.binary, "upgrade", ...args, "--config", box.toml], {
    env: { PATH: process.env.PATH ?? "", HOME: box.dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out, err, seconds: (performance.now() - started) / 1000 };
}

const sameBytes = (a: string, b: string) => Buffer.compare(readFileSync(a), readFileSync(b)) === 0;
const boxPid = (box: Box) => readFileSync(join(box.dir, "box.pid"), "utf8").trim();

describe("branchbox upgrade", () => {
  test("a good release from a URL (SHA256SUMS and Ed25519 signature beside it): the new version serves, the old is kept as .prev for --rollback", async () => {
    const box = await installedBox(`public_key = "${publicKey}"`);
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        const file = Bun.file(join(root, "releases", "good", basename(new URL(request.url).pathname)));
        return file.exists().then((ok) => (ok ? new Response(file) : new Response("no", { status: 404 })));
      },
    });
    // A lock left by an upgrade that was killed (its pid is gone) does not stop this one.
    const gone = Bun.spawnSync(["true"]).pid;
    writeFileSync(`${box.binary}.upgrade-lock`, `${gone}\n`);
    try {
      const result = await runUpgrade(box, [`http://127.0.0.1:${server.port}/v2/branchbox-linux-x64`]);
      expect(result.err).toContain(`upgraded ${OLD} -> ${NEW}`);
      expect(result.code).toBe(0);
      expect(result.out).toContain('"msg":"signature ok"');
      expect(await versionServed(box, 1000)).toBe(NEW);
      expect(sameBytes(box.binary, releases.good)).toBe(true);
      // One rollback's worth: the old binary beside it, and it still runs.
      expect(sameBytes(`${box.binary}.prev`, oldBinary)).toBe(true);
      const prev = Bun.spawnSync([`${box.binary}.prev`, "version"]);
      expect(prev.stdout.toString()).toStartWith(`branchbox ${OLD} `);
      expect(existsSync(`${box.binary}.new`)).toBe(false);
      expect(existsSync(`${box.binary}.upgrade-lock`)).toBe(false);

      // And back: --rollback swaps .prev in the same checked way; the new one becomes .prev.
      const back = await runUpgrade(box, ["--rollback"]);
      expect(back.err).toContain(`upgraded ${NEW} -> ${OLD}`);
      expect(back.code).toBe(0);
      expect(await versionServed(box, 1000)).toBe(OLD);
      expect(sameBytes(box.binary, oldBinary)).toBe(true);
      expect(sameBytes(`${box.binary}.prev`, releases.good)).toBe(true);
    } finally {
      server.stop(true);
    }
  }, 60_000);

  for (const kind of ["crash", "hang"] as const) {
    test(`a release that ${kind === "crash" ? "exits at start" : "never answers /healthz"}: the old binary is back and serving within the limit`, async () => {
      const box = await installedBox();
      const result = await runUpgrade(box, [releases[kind]]);
      expect(result.code).toBe(1);
      expect(result.err).toContain("(UPGRADE.ROLLED_BACK)");
      expect(result.err).toContain(`${OLD} is back and serving`);
      expect(await versionServed(box, 500)).toBe(OLD);
      expect(sameBytes(box.binary, oldBinary)).toBe(true);
      // The limit for the new one, then the old one's own start (well under a second here).
      expect(result.seconds).toBeLessThan(LIMIT_SECONDS + 3);
      expect(result.out).toContain('"msg":"rolled back"');
    }, 60_000);
  }

  test("a release that migrated the database and died: the old binary is back with the pre-migration copy", async () => {
    const box = await installedBox();
    const latest = MIGRATIONS.at(-1)?.version as number;
    const result = await runUpgrade(box, [releases.newerSchema]);
    expect(result.err).toContain("(UPGRADE.ROLLED_BACK)");
    expect(result.code).toBe(1);
    expect(await versionServed(box, 500)).toBe(OLD);
    const data = join(box.dir, "data");
    const db = new Database(join(data, "branchbox.db"), { readonly: true });
    expect(db.query("SELECT max(version) AS v FROM schema_migrations").get()).toEqual({ v: latest });
    db.close();
    // The migrated database is kept aside, not thrown away.
    expect(existsSync(join(data, `branchbox.db.failed-v${latest + 1}`))).toBe(true);
    expect(result.out).toContain('"msg":"database restored"');
  }, 60_000);

  test("refused before anything changes: another upgrade running, a wrong checksum, a bad signature, no checksum, a file that is not branchbox, a folder", async () => {
    const box = await installedBox(`public_key = "${publicKey}"`);
    const pid = boxPid(box);
    const cases: [string[], string][] = [
      [[releases.good, "--sha256", "0".repeat(64)], "UPGRADE.CHECKSUM_MISMATCH"],
      // crash/ has SHA256SUMS and a .sig, but the .sig is by another key: swap in good's.
      [[releases.crash], "UPGRADE.BAD_SIGNATURE"],
      [[join(root, "releases", "nowhere", "branchbox")], "UPGRADE.NO_CHECKSUM"],
      [[releases.notBranchbox], "UPGRADE.NEW_BINARY_BROKEN"],
      [[join(root, "releases"), "--sha256", "0".repeat(64)], "UPGRADE.IO"],
    ];
    copyFileSync(`${releases.good}.sig`, `${releases.crash}.sig`);
    // One upgrade at a time: this test process holds the lock, so the good release waits its turn.
    writeFileSync(`${box.binary}.upgrade-lock`, `${process.pid}\n`);
    const busy = await runUpgrade(box, [releases.good]);
    expect(busy.err).toContain("(UPGRADE.BUSY)");
    expect(busy.code).toBe(1);
    rmSync(`${box.binary}.upgrade-lock`);
    for (const [args, code] of cases) {
      const result = await runUpgrade(box, args);
      expect(`${args[0]}: ${result.err}`).toContain(`(${code})`);
      expect(result.code).toBe(1);
      expect(sameBytes(box.binary, oldBinary)).toBe(true);
      expect(existsSync(`${box.binary}.new`)).toBe(false);
      expect(existsSync(`${box.binary}.prev`)).toBe(false);
    }
    // Never restarted.
    expect(boxPid(box)).toBe(pid);
    expect(await versionServed(box, 500)).toBe(OLD);
  }, 60_000);
});
