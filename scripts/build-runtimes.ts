// The Bun runtimes a cross build embeds: one npm package per target (`@oven/bun-linux-*`), at
// the Bun version package.json pins. The compiler gets a runtime only after two checks against
// scripts/build-runtimes.json, which the repo records:
//   - the tarball `npm pack` fetched (npm's registry and proxy settings) has the recorded sha512,
//     npm's own `integrity` value (package-lock.json holds the same for the packages it installs);
//   - its `bin/bun` has the recorded sha256, checked again on every build, cached or not.
//
// Bumping Bun: set "bun" and each "integrity" (`npm view @oven/bun-linux-x64@VERSION
// dist.integrity`); a build then stops at the binary check and prints the sha256 to record.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import recorded from "./build-runtimes.json" with { type: "json" };

export type Recorded = { integrity: string; binSha256: string };
export const RUNTIMES: Record<string, Recorded | undefined> = recorded.runtimes;

async function digest(path: string, algorithm: "sha256" | "sha512", encoding: "hex" | "base64") {
  const hash = createHash(algorithm);
  for await (const chunk of Bun.file(path).stream()) hash.update(chunk);
  return hash.digest(encoding);
}

export const sha256File = (path: string): Promise<string> => digest(path, "sha256", "hex");

/**
 * The path of `name`'s verified `bin/bun` (e.g. name "@oven/bun-linux-aarch64"), fetched into
 * `cacheDir` the first time. Throws, leaving nothing behind, when a check fails. `want` is the
 * recorded checksums (a test passes others).
 */
export async function verifiedRuntime(
  name: string,
  cacheDir: string,
  want: Recorded | undefined = RUNTIMES[name],
): Promise<string> {
  if (want === undefined) throw new Error(`${name} is not recorded in scripts/build-runtimes.json`);
  const version = pkg.devDependencies.bun;
  if (recorded.bun !== version) {
    throw new Error(
      `scripts/build-runtimes.json records Bun ${recorded.bun} but package.json pins ${version}: update it (see scripts/build-runtimes.ts)`,
    );
  }
  const dir = join(cacheDir, `${name.replace("@oven/", "")}-${version}`);
  const bun = join(dir, "bun");
  if (existsSync(bun)) {
    if ((await sha256File(bun)) === want.binSha256) return bun;
    console.log(`build: cached ${bun} does not match its recorded sha256; fetching it again`);
    rmSync(dir, { recursive: true, force: true });
  }

  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, "fetch-"));
  try {
    const pack = Bun.spawnSync(
      ["npm", "pack", `${name}@${version}`, "--pack-destination", work, "--silent"],
      {
        stderr: "pipe",
      },
    );
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (!pack.success || tarball === undefined) {
      throw new Error(`npm pack ${name}@${version} failed: ${pack.stderr.toString().trim()}`);
    }
    const integrity = `sha512-${await digest(join(work, tarball), "sha512", "base64")}`;
    if (integrity !== want.integrity) {
      throw new Error(
        `${name}@${version}: tarball is ${integrity}, scripts/build-runtimes.json records ${want.integrity}`,
      );
    }
    const untar = Bun.spawnSync(["tar", "-xzf", join(work, tarball), "-C", work, "package/bin/bun"], {
      stderr: "pipe",
    });
    if (!untar.success) throw new Error(`could not unpack ${tarball}: ${untar.stderr.toString().trim()}`);
    const fetched = join(work, "package/bin/bun");
    const sha256 = await sha256File(fetched);
    if (sha256 !== want.binSha256) {
      throw new Error(
        `${name}@${version}: bin/bun is sha256 ${sha256}, scripts/build-runtimes.json records ${want.binSha256}`,
      );
    }
    chmodSync(fetched, 0o755);
    mkdirSync(dir, { recursive: true });
    renameSync(fetched, bun);
    console.log(`build: fetched and verified ${name}@${version}`);
    return bun;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
