#!/usr/bin/env bun
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { compileExecutable } from "../../compile-executable.ts";
import { Children, killOnExit, ROOT, stopChild } from "../lib/children.ts";
import { machine } from "../lib/host.ts";
import { goal, mb, ms, percentiles, progress } from "../lib/stats.ts";

/**
 * `npm run bench:startup`: the appliance benchmark of issue 5. The box and a bare Bun.serve
 * hello-world, both compiled here the same way (`--compile --minify --bytecode --splitting`, source
 * maps embedded), in the same run:
 *   - exec -> first /healthz 200, over --runs starts, alternating the two so noise hits both;
 *   - RSS after --idle-seconds (default 60) of idling, both running at once, and again after one
 *     load of the kiosk page (which Chromium does right after boot);
 *   - binary size.
 * The box runs `serve` with a plain config (no PBX, no HQ: what a box starts with before branch
 * IT fills in the rest) and with `--demo`, each on a database made by a first start (a restart,
 * as after a power cut). Not a test: it prints, it does not fail on a missed goal.
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { runs: { type: "string", default: "15" }, "idle-seconds": { type: "string", default: "60" } },
});
const RUNS = Number(values.runs);
const IDLE_SECONDS = Number(values["idle-seconds"]);
if (!(RUNS > 0) || !(IDLE_SECONDS >= 0)) {
  console.error("usage: bun scripts/bench/startup/index.ts [--runs N] [--idle-seconds S]");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "branchbox-bench-startup-"));
const children = new Children();
killOnExit(children, dir);

const HELLO = `Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT),
  fetch: (req) => new URL(req.url).pathname === "/healthz" ? Response.json({ status: "ok" }) : new Response("hello"),
});
`;

/** Compiles `entry` as scripts/build.ts compiles the box; returns the executable's size. */
async function compile(entry: string, outfile: string): Promise<number> {
  await compileExecutable({ entry, outfile, version: "bench", commit: "bench" });
  return statSync(outfile).size;
}

interface Subject {
  readonly name: string;
  readonly argv: string[];
  readonly env: (port: number) => Record<string, string>;
}

let nextPort = 20000 + Math.floor(Math.random() * 20000);

/** Starts `subject`, returns it once /healthz answers 200, with the ms from exec to that answer. */
async function start(subject: Subject): Promise<{ child: Subprocess; port: number; ms: number }> {
  const port = nextPort++;
  const started = performance.now();
  const child = Bun.spawn(subject.argv, {
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", HOME: dir, ...subject.env(port) },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  children.track(child);
  const url = `http://127.0.0.1:${port}/healthz`;
  const deadline = started + 20_000;
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return { child, port, ms: performance.now() - started };
    } catch {
      // not listening yet: ask again at once, the answer is what is measured
    }
    if (child.exitCode !== null) throw new Error(`${subject.name} exited ${child.exitCode} before /healthz`);
    if (performance.now() > deadline) throw new Error(`${subject.name}: no /healthz within 20 s`);
  }
}

interface Rss {
  /** VmRSS: what the goal is about. */
  readonly total: number;
  /** RssAnon: the process's own memory (heaps, JIT code, SQLite's cache). */
  readonly anon: number;
  /** RssFile: pages of the executable (Bun's code, ICU data, the embedded bundle) it has touched; shared, clean. */
  readonly file: number;
}

function rss(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mbOf = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
  return { total: mbOf("VmRSS"), anon: mbOf("RssAnon"), file: mbOf("RssFile") };
}

/** GET / and every /assets/ file it links, as the kiosk's browser does after boot. */
async function loadPage(port: number): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  const page = await (await fetch(`${base}/`)).text();
  for (const [, asset] of page.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
    await (await fetch(`${base}${(asset as string).replaceAll("&amp;", "&")}`)).arrayBuffer();
  }
}

try {
  progress("compiling the bare hello-world and the box the same way...");
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "hello.ts"), HELLO);
  const helloBin = join(dir, "bin", "hello");
  const boxBin = join(dir, "bin", "branchbox");
  const helloSize = await compile(join(dir, "hello.ts"), helloBin);
  const boxSize = await compile(join(ROOT, "src/main.ts"), boxBin);
  const toml = join(dir, "box.toml");
  writeFileSync(
    toml,
    `[branch]\nid = "bench"\nname = "Bench"\n\n[http]\nadmin_token = "bench-token-0123456789"\n\n[[desks]]\nid = "front"\nname = "Front"\nextension = "101"\n`,
  );
  const boxEnv = (name: string) => (port: number) => ({
    BRANCHBOX_STORAGE_DIR: join(dir, `data-${name}`),
    BRANCHBOX_HTTP_LISTEN: `127.0.0.1:${port}`,
  });
  const subjects: Subject[] = [
    { name: "bare hello", argv: [helloBin], env: (port) => ({ PORT: String(port) }) },
    { name: "box (config)", argv: [boxBin, "serve", "--config", toml], env: boxEnv("config") },
    { name: "box (--demo)", argv: [boxBin, "serve", "--demo"], env: boxEnv("demo") },
  ];
  // First starts make the databases (and the demo's PIN hashes); what follows are restarts.
  for (const subject of subjects.slice(1)) await stopChild((await start(subject)).child);

  const times = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  progress(`${RUNS} starts of each, alternating...`);
  for (let run = 0; run < RUNS; run++) {
    for (const subject of subjects) {
      const { child, ms } = await start(subject);
      times.get(subject.name)?.push(ms);
      await stopChild(child);
    }
  }

  progress(`idling all three for ${IDLE_SECONDS} s...`);
  const idle = await Promise.all(subjects.map((s) => start(s)));
  await Bun.sleep(IDLE_SECONDS * 1000);
  const memory = idle.map(({ child }) => rss(child.pid));
  // Chromium loads the kiosk right after boot: what the box holds once it has, beside the idle
  // figure (the bare hello answers its "hello" to the same requests).
  await Promise.all(idle.map(({ port }) => loadPage(port)));
  await Bun.sleep(1000);
  const afterPage = idle.map(({ child }) => rss(child.pid));
  await Promise.all(idle.map(({ child }) => stopChild(child)));

  const bare = percentiles(times.get("bare hello") ?? []);
  const bareRss = (memory[0] as Rss).total;
  const lines = [
    `branchbox startup benchmark: ${machine()}, load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
    `  exec -> first /healthz 200 (${RUNS} starts each):`,
  ];
  subjects.forEach((subject, i) => {
    const t = percentiles(times.get(subject.name) ?? []);
    const ratio = t.p50 / bare.p50;
    lines.push(
      `    ${subject.name.padEnd(14)} p50 ${ms(t.p50)}  max ${ms(t.max)}` +
        (i === 0 ? "" : `   ${ratio.toFixed(1)}x bare  (goal <= 10x: ${goal(ratio <= 10)})`),
    );
  });
  lines.push(`  RSS after ${IDLE_SECONDS} s idle:`);
  subjects.forEach((subject, i) => {
    const m = memory[i] as Rss;
    const ratio = m.total / bareRss;
    lines.push(
      `    ${subject.name.padEnd(14)} ${mb(m.total)} (anon ${mb(m.anon)}, file ${mb(m.file)})` +
        (i === 0 ? "" : `   ${ratio.toFixed(2)}x bare  (goal <= 1.5x: ${goal(ratio <= 1.5)})`),
    );
  });
  lines.push("  RSS 1 s after one kiosk page load (/ and the assets it links):");
  subjects.forEach((subject, i) => {
    const m = afterPage[i] as Rss;
    const ratio = m.total / (afterPage[0] as Rss).total;
    lines.push(
      `    ${subject.name.padEnd(14)} ${mb(m.total)} (anon ${mb(m.anon)}, file ${mb(m.file)})` +
        (i === 0 ? "" : `   ${ratio.toFixed(2)}x bare`),
    );
  });
  lines.push(
    "  binary size:",
    `    bare hello     ${mb(helloSize / 1024 / 1024)}`,
    `    box            ${mb(boxSize / 1024 / 1024)}   +${mb((boxSize - helloSize) / 1024 / 1024)} over bare`,
  );
  console.log(lines.join("\n"));
} finally {
  children.killAll();
  rmSync(dir, { recursive: true, force: true });
}
