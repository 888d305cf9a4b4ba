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
