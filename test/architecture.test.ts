import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * STYLE practice 1: `src/domain/` is pure. Its code may import only other domain files, and may not
 * read a clock, a random source, the process, the runtime, the network or a timer. Tests beside the
 * code (`*.test.ts`) are exempt: they import `bun:test`.
 */
const DOMAIN = resolve(import.meta.dir, "../src/domain");

/**
 * Bare imports the domain may use. Empty on purpose: the domain needs no package (no zod either; a
 * config or a wire message is checked at the edge and arrives as a plain typed value). A package may
 * be added here only if it is pure computation and says so.
 */
const ALLOWED_PACKAGES: ReadonlySet<string> = new Set();

const FORBIDDEN_CALLS: readonly [RegExp, string][] = [
  [/\bDate\.now\s*\(/, "Date.now()"],
  [/\bnew\s+Date\s*(\(\s*\)|(?![\s(]))/, "new Date() without an instant"],
  [/\bDate\s*\(\s*\)/, "Date() without an instant"],
  [/\bperformance\s*\./, "performance"],
  [/\bset(Timeout|Interval|Immediate)\b/, "a timer"],
  [/\bqueueMicrotask\b/, "queueMicrotask"],
  [/\bMath\.random\b/, "Math.random"],
  [/\bcrypto\s*\./, "crypto"],
  [/\bprocess\s*\./, "process."],
  [/\bBun\s*\./, "Bun."],
  [/\bfetch\s*\(/, "fetch()"],
  [/\bconsole\s*\./, "console (STYLE 10: log through the structured logger, outside the domain)"],
  [/\brequire\s*\(/, "require()"],
];

/** Removes comments and the contents of plain string literals, so prose cannot trip the checks. */
function codeOnly(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (match) =>
    match.startsWith("/") ? " " : `${match[0]}${match[0]}`,
  );
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function specifiers(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, " ");
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
    /\brequire\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of withoutComments.matchAll(pattern)) found.push(match[1] as string);
  }
  return found;
}

/** What is wrong with one domain file, as readable lines; empty when it is pure. */
function violations(file: string, source: string): string[] {
  const problems: string[] = [];
  for (const spec of specifiers(source)) {
    if (spec.startsWith("./") || spec.startsWith("../")) {
      const target = resolve(dirname(file), spec);
      if (relative(DOMAIN, target).startsWith("..")) problems.push(`imports ${spec}, outside src/domain`);
    } else if (!ALLOWED_PACKAGES.has(spec)) {
      problems.push(`imports ${spec}`);
    }
  }
  if (/\bimport\s*\(/.test(codeOnly(source))) problems.push("imports dynamically");
  const code = codeOnly(source);
  for (const [pattern, what] of FORBIDDEN_CALLS) {
    if (pattern.test(code)) problems.push(`uses ${what}`);
  }
  return problems;
}

function domainFiles(): string[] {
  return (readdirSync(DOMAIN, { recursive: true }) as string[])
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
    .map((name) => join(DOMAIN, name))
    .sort();
}

describe("STYLE: the domain imports nothing that does I/O", () => {
  test("STYLE: no file under src/domain imports outside the domain or reads a clock, a timer or the runtime", () => {
    const files = domainFiles();
    expect(files.map((f) => relative(DOMAIN, f))).toContain(join("roster", "roster-timeline.ts"));
    const report = files.flatMap((file) =>
      violations(file, readFileSync(file, "utf8")).map((p) => `${relative(DOMAIN, file)}: ${p}`),
    );
    expect(report).toEqual([]);
  });

  test("STYLE: the check catches each kind of impure import", () => {
    const file = join(DOMAIN, "roster", "bad.ts");
    const imports = [
      `import { Database } from "bun:sqlite";`,
      `import { readFileSync } from "node:fs";`,
      `import fs from "fs";`,
      `import * as net from "net";`,
      `import mqtt from "mqtt";`,
      `import { Hono } from "hono";`,
      `import { UserAgent } from "sip.js";`,
      `import { z } from "zod";`,
      `export { x } from "hono/jsx";`,
      `import "node:process";`,
      `import type { Db } from "../../store/db.ts";`,
      `const m = await import("node:os");`,
      `const m = require("fs");`,
      `import {\n  a,\n  b,\n} from "node:path";`,
    ];
    for (const line of imports) expect(violations(file, line)).not.toEqual([]);
    expect(violations(file, `import type { Instant } from "./types.ts";`)).toEqual([]);
    expect(violations(file, `import { fail } from "../errors.ts";`)).toEqual([]);
  });

  test("STYLE: the check catches a clock, a timer, randomness, the process and the runtime", () => {
    const file = join(DOMAIN, "roster", "bad.ts");
    const calls = [
      "const t = Date.now();",
      "const d = new Date();",
      "const d = new Date;",
      "const s = Date();",
      "const p = performance.now();",
      "setTimeout(f, 10);",
      "const h = setInterval(f, 10);",
      "const r = Math.random();",
      "const e = process.env.X;",
      "const v = Bun.version;",
      "const id = crypto.randomUUID();",
      "console.log(x);",
      "await fetch(url);",
    ];
    for (const line of calls) expect(violations(file, line)).not.toEqual([]);
  });

  test("STYLE: an instant passed in, and prose in comments or strings, are not flagged", () => {
    const file = join(DOMAIN, "roster", "ok.ts");
    const pure = [
      "const d = new Date(at);",
      "const t = Date.parse(iso);",
      "// the domain never calls Date.now() or setTimeout",
      "/** not process.env, not Bun.file */",
      'const why = "nobody at new Date() reads Math.random";',
      "const timeout = options.setTimeoutMs;",
    ];
    for (const line of pure) expect(violations(file, line)).toEqual([]);
  });
});

// ── Layers: which part of src/ may import which ────────────────────────────────────────────────
const SRC = resolve(import.meta.dir, "../src");

/**
 * The allowed arrows, one row per part of src/ (`http/<sub>` for the HTTP surfaces). A part may
 * always import its own files; `root` is src/*.ts (the CLI and the composition roots), which may
 * import anything. Type-only imports count: a type is a dependency too. docs/architecture.md
 * draws this table.
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  lib: [],
  log: [],
  i18n: ["domain"],
  contract: ["domain", "lib"],
  config: ["lib"],
  store: ["domain", "contract", "lib", "log"],
  service: ["domain", "contract", "store", "config", "lib", "log"],
  pbx: ["domain", "config", "lib", "log"],
  sync: ["domain", "contract", "service", "store", "config", "lib", "log"],
  hq: ["domain", "contract", "config", "lib", "log"],
  appliance: ["config", "store", "lib", "log"],
  http: ["http/api", "http/ui", "service", "domain", "store", "sync", "config", "lib", "log"],
  "http/ui": ["http", "domain", "i18n", "lib"],
  "http/api": ["http", "service", "domain", "lib", "log"],
  "http/kiosk": ["http", "http/ui", "service", "domain", "store", "i18n", "config", "lib", "log"],
  "http/admin": ["http", "http/ui", "service", "domain", "sync", "i18n", "config", "lib", "log"],
};

/** The part of src/ a file belongs to (see LAYERS), or null outside src/. */
function partOf(file: string): string | null {
  const rel = relative(SRC, file);
  if (rel.startsWith("..")) return null;
  const parts = rel.split(/[\\/]/);
  if (parts.length === 1) return "root";
  if (parts[0] === "http" && parts.length > 2) return `http/${parts[1]}`;
  return parts[0] as string;
}

/** Relative imports of a file, resolved to files (with the extension the code writes). */
function edges(file: string, source: string): string[] {
  return specifiers(source)
    .filter((spec) => spec.startsWith("./") || spec.startsWith("../"))
    .map((spec) => resolve(dirname(file), spec));
}

function sourceFiles(): string[] {
  return (readdirSync(SRC, { recursive: true }) as string[])
    .filter(
      (name) => /\.tsx?$/.test(name) && !/\.(test|fuzz\.test)\.tsx?$/.test(name) && !name.endsWith(".d.ts"),
    )
    .map((name) => join(SRC, name))
    .sort();
}

/** Arrows that LAYERS does not allow, as `from-file → to-file (from-part may not import to-part)`. */
export function layerViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    const fromPart = partOf(from);
    if (fromPart === null || fromPart === "root") continue;
    const allowed = LAYERS[fromPart];
    for (const to of targets) {
      const toPart = partOf(to);
      if (toPart === null || toPart === fromPart) continue;
      if (allowed === undefined || !allowed.includes(toPart))
        problems.push(`${relative(SRC, from)} → ${relative(SRC, to)} (${fromPart} may not import ${toPart})`);
    }
  }
  return problems;
}

/** Every import cycle among files, each as the files around it (Tarjan's strongly connected parts). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    indexOf.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indexOf.get(next) as number));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const part: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        part.push(member);
      } while (member !== node);
      const selfLoop = (graph.get(node) ?? []).includes(node);
      if (part.length > 1 || selfLoop) cycles.push(part.sort());
    }
  };
  for (const node of graph.keys()) if (!indexOf.has(node)) visit(node);
  return cycles;
}

function srcGraph(): Map<string, string[]> {
  return new Map(sourceFiles().map((file) => [file, edges(file, readFileSync(file, "utf8"))]));
}

describe("architecture: the arrows between the parts of src/", () => {
  test("every part of src/ is in the table", () => {
    const parts = new Set(sourceFiles().map((f) => partOf(f) as string));
    parts.delete("root");
    expect([...parts].filter((p) => LAYERS[p] === undefined)).toEqual([]);
  });

  test("no file imports a part its layer may not import (type-only imports included)", () => {
    expect(layerViolations(srcGraph())).toEqual([]);
  });

  test("no import cycles among the files of src/ (type-only imports included)", () => {
    const cycles = importCycles(srcGraph()).map((c) => c.map((f) => relative(SRC, f)).join(" ↔ "));
    expect(cycles).toEqual([]);
  });

  test("a planted backwards import is caught, and so is a cycle", () => {
    const graph = srcGraph();
    const store = join(SRC, "store", "roster-store.ts");
    const planted = new Map(graph);
    planted.set(store, [...(graph.get(store) ?? []), join(SRC, "http", "app.ts")]);
    expect(layerViolations(planted)).toEqual([
      "store/roster-store.ts → http/app.ts (store may not import http)",
    ]);
    const typeOnly = new Map(graph);
    const kioskFile = join(SRC, "http", "admin", "index.tsx");
    typeOnly.set(kioskFile, [
      ...(graph.get(kioskFile) ?? []),
      ...edges(kioskFile, `import type { KioskOptions } from "../kiosk/index.tsx";`),
    ]);
    expect(layerViolations(typeOnly)).toEqual([
      "http/admin/index.tsx → http/kiosk/index.tsx (http/admin may not import http/kiosk)",
    ]);
    const a = join(SRC, "lib", "a.ts");
    const b = join(SRC, "lib", "b.ts");
    const cyclic = new Map([
      [a, [b]],
      [b, [a]],
    ]);
    expect(importCycles(cyclic).map((c) => c.map((f) => relative(SRC, f)))).toEqual([
      ["lib/a.ts", "lib/b.ts"],
    ]);
  });
});

describe("docs/architecture.md draws the same table", () => {
  test("each part's row names exactly the parts LAYERS lets it import", () => {
    const doc = readFileSync(resolve(import.meta.dir, "../docs/architecture.md"), "utf8");
    const rows = new Map<string, string[]>();
    for (const line of doc.split("\n")) {
      const cells = line.split("|").map((c) => c.trim());
      const part = /^`([a-z0-9/]+)\/`$/.exec(cells[1] ?? "")?.[1];
      if (part === undefined || cells.length < 5) continue;
      rows.set(part, [...(cells[3] ?? "").matchAll(/`([a-z0-9/]+)`/g)].map((m) => m[1] as string).sort());
    }
    const table = Object.fromEntries(
      Object.entries(LAYERS).map(([part, allowed]) => [part, [...allowed].sort()]),
    );
    expect(Object.fromEntries(rows)).toEqual(table);
  });
});
