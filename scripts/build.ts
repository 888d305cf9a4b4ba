// `npm run build`: compiles src/main.ts into one self-contained executable per target.
//
//   bun scripts/build.ts                      # the host's target → dist/branchbox
//   bun scripts/build.ts --target NAME ...    # any of TARGETS below, or `all`
//
// The executable embeds the code, the web assets the code imports and Bun itself; it loads
// nothing from beside it (no bunfig.toml, .env, tsconfig.json or package.json autoload), so it
// starts from an empty directory. The host's build is smoke-tested by running `version` there.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

type Target = {
  /** Bun's compile target; `undefined` builds for the machine running the build. */
  compile: Bun.Build.CompileTarget | undefined;
  outfile: string;
  /** Whether this machine can run the result, so the build can smoke-test it. */
  runsHere: boolean;
};

// Cross targets (e.g. `linux-x64-baseline` → "bun-linux-x64-baseline", `linux-arm64` →
// "bun-linux-arm64") go here; Bun fetches the matching runtime for them at build time.
const TARGETS: Record<string, Target> = {
  native: { compile: undefined, outfile: "dist/branchbox", runsHere: true },
};

const ROOT = resolve(import.meta.dir, "..");
const ENTRY = "src/main.ts";

function usage(message: string): never {
  console.error(`build: ${message}`);
  console.error(`usage: bun scripts/build.ts [--target ${[...Object.keys(TARGETS), "all"].join("|")}]...`);
  process.exit(2);
}

function parseTargets(argv: string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--target") {
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
  return names;
}

function gitCommit(): string {
  const git = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT, stderr: "ignore" });
  const sha = git.success ? git.stdout.toString().trim() : "";
  return sha === "" ? "unknown" : sha;
}

async function compile(name: string, target: Target, commit: string): Promise<string> {
  const outfile = join(ROOT, target.outfile);
  const started = performance.now();
  const result = await Bun.build({
    entrypoints: [join(ROOT, ENTRY)],
    target: "bun",
    format: "esm",
    minify: true,
    // With `compile` the map is embedded in the executable (stack traces name src/ lines);
    // dist/branchbox.map is a copy for whoever reads a trace, not needed at run time.
    sourcemap: "linked",
    // Precompiled bytecode: the box (and its kiosk) comes back faster after a power cut.
    bytecode: true,
    define: {
      BRANCHBOX_VERSION: JSON.stringify(pkg.version),
      BRANCHBOX_COMMIT: JSON.stringify(commit),
    },
    compile: {
      ...(target.compile === undefined ? {} : { target: target.compile }),
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
    throw: false,
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`build of ${name} failed`);
  }
  const size = Bun.file(outfile).size;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`build: ${target.outfile} (${name}, ${(size / 1024 / 1024).toFixed(1)} MiB) in ${seconds}s`);
  return outfile;
}

/** Runs `<exe> version` from an empty directory: proves nothing beside the binary is needed. */
function smokeTest(exe: string): void {
  const empty = mkdtempSync(join(tmpdir(), "branchbox-smoke-"));
  try {
    const run = Bun.spawnSync([exe, "version"], { cwd: empty, env: { PATH: "/usr/bin:/bin" } });
    const out = `${run.stdout.toString()}${run.stderr.toString()}`.trim();
    if (!run.success || !out.includes(pkg.version)) {
      throw new Error(`smoke test failed: \`${exe} version\` exited ${run.exitCode}: ${out}`);
    }
    console.log(`build: smoke test ok: ${out.split("\n")[0]}`);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}

const names = parseTargets(Bun.argv.slice(2));
const commit = gitCommit();
try {
  for (const name of names) {
    const target = TARGETS[name] as Target;
    const exe = await compile(name, target, commit);
    if (target.runsHere) smokeTest(exe);
  }
} catch (error) {
  console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
