// `npm run build`: compiles src/main.ts into one self-contained executable per target.
//
//   bun scripts/build.ts                      # the host's target → dist/branchbox
//   bun scripts/build.ts --release            # scripts/build.sh: the RELEASE targets + dist/SHA256SUMS
//   bun scripts/build.ts --target NAME ...    # any of TARGETS below, or `all`
//
// The executable embeds the code, the web assets the code imports and Bun itself; it loads
// nothing from beside it (no bunfig.toml, .env, tsconfig.json or package.json autoload), so it
// starts from an empty directory. Every build this machine can run is smoke-tested there (see
// smokeTest). A release target embeds a Bun runtime fetched from npm and verified against
// checksums recorded in the repo (scripts/build-runtimes.ts), never one Bun downloads itself.
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { sha256File, verifiedRuntime } from "./build-runtimes.ts";
import { compileExecutable } from "./compile-executable.ts";

type Target = {
  /** Bun's compile target; `undefined` builds for the machine running the build. */
  compile: Bun.Build.CompileTarget | undefined;
  outfile: string;
  /** Whether this machine can run the result, so the build can smoke-test it. */
  runsHere: boolean;
  /** The npm package whose verified `bin/bun` the executable embeds; the running Bun if unset. */
  runtime?: string;
};

const X64 = process.platform === "linux" && process.arch === "x64";
const ARM64 = process.platform === "linux" && process.arch === "arm64";

const TARGETS: Record<string, Target> = {
  native: { compile: undefined, outfile: "dist/branchbox", runsHere: true },
  "linux-x64": {
    compile: "bun-linux-x64",
    outfile: "dist/branchbox-linux-x64",
    runsHere: X64,
    runtime: "@oven/bun-linux-x64",
  },
  // For mini PCs without AVX2 (older Celeron, Atom).
  "linux-x64-baseline": {
    compile: "bun-linux-x64-baseline",
    outfile: "dist/branchbox-linux-x64-baseline",
    runsHere: X64,
    runtime: "@oven/bun-linux-x64-baseline",
  },
  "linux-arm64": {
    compile: "bun-linux-arm64",
    outfile: "dist/branchbox-linux-arm64",
    runsHere: ARM64,
    runtime: "@oven/bun-linux-aarch64",
  },
};
const RELEASE = ["linux-x64", "linux-x64-baseline", "linux-arm64"];

const ROOT = resolve(import.meta.dir, "..");
const ENTRY = "src/main.ts";
const RUNTIME_CACHE = join(ROOT, "node_modules/.cache/branchbox-runtimes");

function usage(message: string): never {
  console.error(`build: ${message}`);
  console.error(
    `usage: bun scripts/build.ts [--release] [--target ${[...Object.keys(TARGETS), "all"].join("|")}]...`,
  );
  process.exit(2);
}

function parseTargets(argv: string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--release") {
      names.push(...RELEASE);
    } else if (arg === "--target") {
      const name = argv[++i];
      if (name === undefined) usage("--target needs a name");
      names.push(name);
    } else if (arg?.startsWith("--target=")) {
      names.push(arg.slice("--target=".length));
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  if (names.length === 0) return ["native"];
  if (names.includes("all")) return Object.keys(TARGETS);
  for (const name of names) if (!(name in TARGETS)) usage(`unknown target ${name}`);
  return [...new Set(names)];
}

function gitCommit(): string {
  const git = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT, stderr: "ignore" });
  const sha = git.success ? git.stdout.toString().trim() : "";
  return sha === "" ? "unknown" : sha;
}

async function compile(name: string, target: Target, commit: string): Promise<string> {
  const outfile = join(ROOT, target.outfile);
  const executablePath =
    target.runtime === undefined ? undefined : await verifiedRuntime(target.runtime, RUNTIME_CACHE);
  const started = performance.now();
  await compileExecutable({
    entry: join(ROOT, ENTRY),
    outfile,
    version: pkg.version,
    commit,
    target: target.compile,
    executablePath,
  });
  const size = Bun.file(outfile).size;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`build: ${target.outfile} (${name}, ${(size / 1024 / 1024).toFixed(1)} MiB) in ${seconds}s`);
  return outfile;
}

/**
 * Copies the executable alone into an empty directory and runs it there: `version` must name
 * package.json's version, and `serve --demo` must answer /healthz, the kiosk page and every
 * /assets/ file that page links (proof that the web assets are inside the binary).
 */
async function smokeTest(exe: string): Promise<void> {
  const empty = mkdtempSync(join(tmpdir(), "branchbox-smoke-"));
  const alone = join(empty, "branchbox");
  copyFileSync(exe, alone);
  chmodSync(alone, 0o755);
  const env = { PATH: "/usr/bin:/bin", HOME: empty };
  try {
    const run = Bun.spawnSync([alone, "version"], { cwd: empty, env });
    const out = `${run.stdout.toString()}${run.stderr.toString()}`.trim();
    if (!run.success || !out.includes(pkg.version)) {
      throw new Error(`smoke test: \`branchbox version\` exited ${run.exitCode}: ${out}`);
    }
    await smokeServe(alone, empty, env);
    console.log(
      `build: smoke test ok: ${out.split("\n")[0]}; served the kiosk and its assets from an empty dir`,
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}

async function smokeServe(exe: string, cwd: string, env: Record<string, string>): Promise<void> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const base = `http://127.0.0.1:${port}`;
  const box = Bun.spawn([exe, "serve", "--demo"], {
    cwd,
    env: { ...env, BRANCHBOX_HTTP_LISTEN: `127.0.0.1:${port}` },
    stdout: "pipe",
    stderr: "pipe",
  });
  const get = async (path: string): Promise<string> => {
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(2000) });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`smoke test: GET ${path} answered ${response.status}`);
    return body;
  };
  const healthy = () =>
    get("/healthz").then(
      () => true,
      () => false,
    );
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (box.exitCode !== null) throw new Error(`smoke test: \`serve --demo\` exited ${box.exitCode}`);
      if (await healthy()) break;
      if (Date.now() > deadline) throw new Error("smoke test: /healthz did not answer within 15 s");
      await Bun.sleep(50);
    }
    const page = await get("/");
    const assets = [...page.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    if (assets.length === 0) throw new Error("smoke test: the kiosk page links no /assets/ file");
    for (const asset of assets) await get(asset.replaceAll("&amp;", "&"));
  } catch (error) {
    box.kill("SIGKILL");
    await box.exited;
    const output = `${await new Response(box.stdout).text()}${await new Response(box.stderr).text()}`;
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${output.slice(-3000)}`);
  }
  box.kill("SIGTERM");
  const killer = setTimeout(() => box.kill("SIGKILL"), 5000);
  await box.exited;
  clearTimeout(killer);
  if (box.signalCode === "SIGKILL")
    throw new Error("smoke test: `serve --demo` did not stop within 5 s of SIGTERM");
}

/** dist/SHA256SUMS in `sha256sum -c` format: every release executable and its source map. */
async function writeChecksums(exes: string[]): Promise<void> {
  const lines: string[] = [];
  for (const exe of exes) {
    for (const file of [exe, `${exe}.map`]) lines.push(`${await sha256File(file)}  ${basename(file)}`);
  }
  writeFileSync(join(ROOT, "dist/SHA256SUMS"), `${lines.join("\n")}\n`);
  console.log(`build: dist/SHA256SUMS (${lines.length} files)`);
}

const names = parseTargets(Bun.argv.slice(2));
const commit = gitCommit();
// A partial release build must not leave the sums of an older one beside it.
if (names.some((name) => RELEASE.includes(name))) rmSync(join(ROOT, "dist/SHA256SUMS"), { force: true });
try {
  const released: string[] = [];
  for (const name of names) {
    const target = TARGETS[name] as Target;
    const exe = await compile(name, target, commit);
    if (target.runsHere) await smokeTest(exe);
    if (RELEASE.includes(name)) released.push(exe);
  }
  if (RELEASE.every((name) => names.includes(name))) await writeChecksums(released);
} catch (error) {
  console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
