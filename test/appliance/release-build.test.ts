// Issue 5: the release build (scripts/build.sh): three self-contained executables for their
// architectures, SHA256SUMS beside them, and Bun runtimes only from checksums the repo records.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import lock from "../../package-lock.json" with { type: "json" };
import recorded from "../../scripts/build-runtimes.json" with { type: "json" };
import { RUNTIMES, verifiedRuntime } from "../../scripts/build-runtimes.ts";
import { ensureRelease, RELEASE, run } from "../support/appliance.ts";
import { makeTestDir, REPO_ROOT, type Running, startBranchbox } from "../support/process.ts";

// These tests run real processes (builds, systemd tools, install.sh): on 2 busy cores a few
// seconds each, well past bun test's 5 s default.
setDefaultTimeout(60_000);

const [X64, BASELINE, ARM64] = RELEASE as [string, string, string];
let dir: string;

beforeAll(() => {
  ensureRelease();
  dir = makeTestDir("release");
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("release build", () => {
  test("the arm64 build is an ELF for ARM aarch64, the x64 and baseline builds ELF for x86-64", () => {
    const kind = (file: string) => run(["file", "--brief", file]).stdout;
    expect(kind(ARM64)).toMatch(/^ELF 64-bit LSB executable, ARM aarch64/);
    expect(kind(X64)).toMatch(/^ELF 64-bit LSB executable, x86-64/);
    expect(kind(BASELINE)).toMatch(/^ELF 64-bit LSB executable, x86-64/);
  });

  test("dist/SHA256SUMS names every executable and its source map, and `sha256sum -c` accepts it", () => {
    const sums = readFileSync(join(REPO_ROOT, "dist/SHA256SUMS"), "utf8");
    const names = sums
      .trim()
      .split("\n")
      .map((line) => line.split("  ")[1]);
    expect(names.sort()).toEqual(RELEASE.flatMap((f) => [basename(f), `${basename(f)}.map`]).sort());
    const check = run(["sha256sum", "--check", "--strict", "SHA256SUMS"], { cwd: join(REPO_ROOT, "dist") });
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
  });

  // The arm64 build runs under qemu-user with Debian's arm64 C library (libc6-arm64-cross):
  // proof that the bytecode compiled here works in the arm64 runtime, not only that it is an ELF.
  for (const [name, exe, runner, readyTimeoutMs] of [
    ["x64", X64, [], 15_000],
    ["x64-baseline", BASELINE, [], 15_000],
    ["arm64 (under qemu-aarch64)", ARM64, ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"], 90_000],
  ] as const) {
    test(`the ${name} build, alone in an empty directory, starts and answers /healthz and the kiosk`, async () => {
      const alone = join(dir, name.split(" ")[0] as string, "bin");
      mkdirSync(alone, { recursive: true });
      copyFileSync(exe, join(alone, "branchbox"));
      run(["chmod", "755", join(alone, "branchbox")]);
      let box: Running | undefined;
      try {
        box = await startBranchbox({
          args: ["serve", "--demo"],
          dir: join(alone, ".."),
          command: [...runner, join(alone, "branchbox")],
          readyTimeoutMs,
        });
        const health = await fetch(`${box.baseUrl}/healthz`);
        expect(health.status).toBe(200);
        expect(((await health.json()) as { version: string }).version).toBe(pkg.version);
        const kiosk = await fetch(`${box.baseUrl}/`);
        expect(kiosk.status).toBe(200);
        expect(await kiosk.text()).toContain("<title>");
      } finally {
        await box?.stop();
      }
    }, 120_000);
  }
});

describe("runtimes for the release build", () => {
  test("scripts/build-runtimes.json records the Bun version package.json pins", () => {
    expect(recorded.bun).toBe(pkg.devDependencies.bun);
  });

  test("its tarball checksums agree with package-lock.json for the packages npm installs", () => {
    const packages = lock.packages as Record<string, { version?: string; integrity?: string } | undefined>;
    let compared = 0;
    for (const [name, want] of Object.entries(RUNTIMES)) {
      const locked = packages[`node_modules/${name}`];
      if (locked === undefined) continue; // the baseline runtime is not a dependency of `bun`
      expect(locked.version).toBe(recorded.bun);
      expect(locked.integrity).toBe(want?.integrity);
      compared++;
    }
    expect(compared).toBe(2);
  });

  test("a tarball that does not match the recorded checksum is refused and leaves nothing behind", async () => {
    const cache = join(dir, "runtime-cache");
    const real = RUNTIMES["@oven/bun-linux-aarch64"];
    if (real === undefined) throw new Error("no record for @oven/bun-linux-aarch64");
    const forged = { ...real, integrity: `sha512-${Buffer.alloc(64).toString("base64")}` };
    await expect(verifiedRuntime("@oven/bun-linux-aarch64", cache, forged)).rejects.toThrow(
      /tarball is sha512-.*records sha512-AAAA/,
    );
    expect(readdirSync(cache)).toEqual([]);
  }, 120_000);

  test("a cached runtime that no longer matches is fetched again and verified", async () => {
    const cache = join(dir, "runtime-cache-2");
    const name = "@oven/bun-linux-aarch64";
    const first = await verifiedRuntime(name, cache);
    await Bun.write(first, "not bun");
    const again = await verifiedRuntime(name, cache);
    expect(again).toBe(first);
    expect(existsSync(again)).toBe(true);
    expect(run(["sha256sum", again]).stdout.split(" ")[0]).toBe(RUNTIMES[name]?.binSha256);
  }, 120_000);
});
