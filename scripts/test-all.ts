// `npm test`: every check CI runs, in order, stopping at the first failure.
//
//   set-up (Chromium…) → tsc → biome → bun test → npm run build + scripts/build.sh → browser test
//
// While working on one part: `npm test -- --only unit,browser` or `npm test -- --from build`
// (step ids: setup, tsc, biome, unit, build, browser). CI runs every step.
//
// Ends with one line, `tests: N passed, N failed`, counting bun test's tests and the browser
// test's checks; a step that fails without test counts (tsc, biome, build) counts as one failure.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const ARTIFACTS = join(ROOT, "test-artifacts");
const BIN = join(ROOT, "node_modules/.bin");
const BUN = process.execPath;

type Counts = { passed: number; failed: number; skipped: number };
type StepResult = { ok: boolean; counts?: Counts; why?: string };
type Step = { id: string; name: string; run: () => Promise<StepResult> };

/** Runs a command with inherited output; `tee` also collects stdout for parsing. */
async function sh(
  cmd: string[],
  tee = false,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string }> {
  const proc = Bun.spawn(cmd, {
    cwd: ROOT,
    stdin: "ignore",
    stdout: tee ? "pipe" : "inherit",
    stderr: "inherit",
    env: { ...process.env, FORCE_COLOR: "0", ...env },
  });
  let stdout = "";
  if (tee && proc.stdout) {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      process.stdout.write(chunk);
      stdout += decoder.decode(chunk, { stream: true });
    }
  }
  return { code: await proc.exited, stdout };
}

const exitOk = async (cmd: string[]): Promise<StepResult> => {
  const { code } = await sh(cmd);
  return code === 0 ? { ok: true } : { ok: false, why: `${cmd.join(" ")} exited ${code}` };
};

/** bun test writes a JUnit report beside its usual console output; the counts come from it. */
async function bunTest(): Promise<StepResult> {
  const report = join(ARTIFACTS, "bun-test.junit.xml");
  rmSync(report, { force: true });
  // bunfig.toml's `[test] timeout` is not a setting bun test reads (only --timeout is): without
  // the flag every test had bun's 5 s default.
  const { code } = await sh(
    [BUN, "test", "--timeout=20000", "--reporter=junit", `--reporter-outfile=${report}`],
    false,
    { TMPDIR: RUN_TMP },
  );
  let xml = "";
  try {
    xml = readFileSync(report, "utf8");
  } catch {
    // no report: counted below as one failure
  }
  const head = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
  const tests = attr("tests");
  const counts: Counts = {
    failed: attr("failures"),
    skipped: attr("skipped"),
    passed: tests - attr("failures") - attr("skipped"),
  };
  if (code === 0 && tests > 0) return { ok: true, counts };
  // An error outside any test (a file that throws on load) fails the run without a failing test.
  if (counts.failed === 0) counts.failed = 1;
  const why = tests === 0 ? "bun test ran no test" : `bun test exited ${code}`;
  return { ok: false, counts, why };
}

/**
 * The browser tests (test/e2e/*.browser.ts) are TypeScript (type-checked with the rest) and share
 * test/support with the crash tests; Bun bundles each for Node, and Node drives Chromium
 * (playwright-core under Bun is unreliable). One file after another (each starts its own box);
 * each ends with `browser checks: N passed, N failed`.
 */
async function browserTests(): Promise<StepResult> {
  const outdir = join(ARTIFACTS, "e2e-bundle");
  rmSync(join(ARTIFACTS, "screenshots"), { recursive: true, force: true });
  const files = [...new Bun.Glob("test/e2e/*.browser.ts").scanSync({ cwd: ROOT })].sort();
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  const failedFiles: string[] = [];
  for (const file of files) {
    console.log(`\n--- ${file}`);
    const bundle = await Bun.build({
      entrypoints: [join(ROOT, file)],
      target: "node",
      format: "esm",
      packages: "external",
      outdir,
      naming: "[name].mjs",
      throw: false,
    });
    const output = bundle.outputs[0]?.path;
    if (!bundle.success || output === undefined) {
      for (const log of bundle.logs) console.error(log);
      counts.failed += 1;
      failedFiles.push(`${file} (could not bundle)`);
      continue;
    }
    const { code, stdout } = await sh(["node", output], true, { TMPDIR: RUN_TMP });
    const match = [...stdout.matchAll(/^browser checks: (\d+) passed, (\d+) failed$/gm)].at(-1);
    const passed = Number(match?.[1] ?? 0);
    const failed = Number(match?.[2] ?? 0);
    counts.passed += passed;
    counts.failed += failed === 0 && (code !== 0 || match === undefined) ? 1 : failed;
    if (code !== 0 || match === undefined || failed > 0) failedFiles.push(file);
  }
  if (files.length === 0)
    return { ok: false, counts: { ...counts, failed: 1 }, why: "no browser test found" };
  if (failedFiles.length === 0) return { ok: true, counts };
  return { ok: false, counts, why: `browser checks failed in ${failedFiles.join(", ")}` };
}

const ALL_STEPS: Step[] = [
  {
    id: "setup",
    name: "set-up (scripts/setup-test.sh)",
    run: () => exitOk(["bash", "scripts/setup-test.sh"]),
  },
  {
    id: "tsc",
    name: "typecheck (tsc --noEmit -p .)",
    run: () => exitOk([join(BIN, "tsc"), "--noEmit", "-p", "."]),
  },
  {
    id: "biome",
    name: "format and lint (biome ci .)",
    run: () => exitOk([join(BIN, "biome"), "ci", "--colors=off", "."]),
  },
  { id: "unit", name: "unit, HTTP and crash tests (bun test)", run: bunTest },
  {
    id: "build",
    name: "build (npm run build, then the release: scripts/build.sh)",
    run: async () => {
      const host = await exitOk(["npm", "run", "--silent", "build"]);
      return host.ok ? exitOk(["bash", "scripts/build.sh"]) : host;
    },
  },
  { id: "browser", name: "browser tests (node, Chromium)", run: browserTests },
];

function selectSteps(argv: string[]): Step[] {
  const ids = ALL_STEPS.map((s) => s.id);
  const [flag, value, ...extra] = argv;
  if (flag === undefined) return ALL_STEPS;
  const wanted = (value ?? "").split(",").filter((id) => id !== "");
  if (extra.length > 0 || wanted.length === 0 || wanted.some((id) => !ids.includes(id))) {
    console.error(
      `usage: bun scripts/test-all.ts [--only ID[,ID...] | --from ID]   (ids: ${ids.join(", ")})`,
    );
    process.exit(2);
  }
  if (flag === "--only") return ALL_STEPS.filter((s) => wanted.includes(s.id));
  if (flag === "--from" && wanted.length === 1) return ALL_STEPS.slice(ids.indexOf(wanted[0] as string));
  return selectSteps(["--help"]);
}

const steps = selectSteps(Bun.argv.slice(2));

/**
 * The tests' temp folder for this run: bun test and the browser test get it as TMPDIR, so every
 * folder a test, a broker, a lab or a box makes under tmpdir() lands in it, and a passing run
 * removes it whole (tests that stop a process by PID do not all delete what it wrote). A failed
 * run keeps it for a look. Traversable (0711): the sandbox and kiosk tests run programs as
 * unprivileged users inside it. Not for set-up: apt's sandboxed user writes to TMPDIR.
 */
const RUN_TMP = mkdtempSync(join(tmpdir(), "branchbox-run-"));
chmodSync(RUN_TMP, 0o711);

mkdirSync(ARTIFACTS, { recursive: true });
const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const timings: string[] = [];
const started = performance.now();
let failure: string | undefined;

for (const [i, step] of steps.entries()) {
  console.log(`\n=== [${i + 1}/${steps.length}] ${step.name}`);
  const t0 = performance.now();
  let result: StepResult;
  try {
    result = await step.run();
  } catch (error) {
    result = { ok: false, why: error instanceof Error ? error.message : String(error) };
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  timings.push(`${step.name}: ${seconds}s`);
  if (result.counts !== undefined) {
    total.passed += result.counts.passed;
    total.failed += result.counts.failed;
    total.skipped += result.counts.skipped;
  } else if (!result.ok) {
    total.failed += 1;
  }
  if (!result.ok) {
    failure = `step ${i + 1}/${steps.length} "${step.name}" failed: ${result.why ?? "see above"}`;
    break;
  }
}

console.log(`\n=== timings (total ${((performance.now() - started) / 1000).toFixed(1)}s)`);
for (const line of timings) console.log(`  ${line}`);
console.log(failure === undefined ? "\ntest-all: every step passed" : `\ntest-all: FAILED — ${failure}`);
if (failure === undefined && total.failed === 0) rmSync(RUN_TMP, { recursive: true, force: true });
else console.log(`test-all: the tests' temp files are kept in ${RUN_TMP}`);
const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : "";
console.log(`tests: ${total.passed} passed, ${total.failed} failed${skipped}`);
process.exit(failure === undefined && total.failed === 0 ? 0 : 1);
