// docs/errors.md is generated from the error catalogue (scripts/gen-errors.ts): regenerated here in
// memory, it must equal what is on disk. And the catalogue must hold every code src/ uses, and
// nothing src/ no longer uses, so the page is the whole list.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { ERRORS_PAGE, errorsPage } from "../../scripts/gen-errors.ts";
import { ERROR_CODES } from "../../src/domain/error-codes.ts";

const STALE = "docs/errors.md is not current: run `npm run errors` and commit the result";
const ROOT = resolve(import.meta.dir, "../..");
const SRC = join(ROOT, "src");
/** Where the codes are defined; every other file of src/ is where they are used. */
const CATALOGUE = new Set(["src/domain/error-codes.ts", "src/http/error-catalogue.ts"]);

/** A whole string literal of the form AREA.NAME (`"ROSTER.PIN_LOCKED"`): a code, by this project's habit. */
const CODE = /^[A-Z][A-Z0-9]*\.[A-Z][A-Z0-9_]*$/;

/**
 * Comments and string literals, in source order. A comment is matched first where it starts, so a
 * code in prose is not a use; a string is matched first where it starts, so "http://x" is no comment.
 */
const TOKENS = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"((?:\\.|[^"\\\n])*)"|'((?:\\.|[^'\\\n])*)'|`((?:\\.|[^`\\])*)`/g;

interface Use {
  readonly code: string;
  readonly where: string;
}

/** Every string literal in `source` that is a whole code, with its file and line. */
function codeLiterals(file: string, source: string): Use[] {
  const uses: Use[] = [];
  for (const match of source.matchAll(TOKENS)) {
    const text = match[1] ?? match[2] ?? match[3];
    if (text === undefined || !CODE.test(text)) continue;
    const line = source.slice(0, match.index).split("\n").length;
    uses.push({ code: text, where: `${file}:${line}` });
  }
  return uses;
}

/** The uses of codes the catalogue lacks, as `CODE (file:line)`. */
function uncatalogued(uses: readonly Use[], known: ReadonlySet<string>): string[] {
  return uses.filter((u) => !known.has(u.code)).map((u) => `${u.code} (${u.where})`);
}

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(SRC, { recursive: true }) as string[]) {
    if (!/\.tsx?$/.test(name) || /\.test\.tsx?$/.test(name) || name.endsWith(".d.ts")) continue;
    const path = join(SRC, name);
    files.set(relative(ROOT, path), readFileSync(path, "utf8"));
  }
  return files;
}

const known: ReadonlySet<string> = new Set(Object.keys(ERROR_CODES));

describe("docs/errors.md", () => {
  test("is current", () => {
    let current = "";
    try {
      current = readFileSync(ERRORS_PAGE, "utf8");
    } catch {
      // missing: the comparison below fails with the hint
    }
    expect(current === errorsPage(), STALE).toBe(true);
  });

  test("lists every code with its status column", () => {
    const page = errorsPage();
    const escaped = (code: string) => code.replace(/[.]/g, "\\.");
    for (const code of known) expect(page).toMatch(new RegExp(`\\| \`${escaped(code)}\` +\\| `));
  });
});

describe("the error catalogue", () => {
  const files = sourceFiles();
  const uses = [...files].flatMap(([file, source]) => codeLiterals(file, source));

  test("holds every code src/ uses", () => {
    expect(uses.length).toBeGreaterThan(50);
    expect(
      uncatalogued(uses, known),
      "add each to src/domain/error-codes.ts and src/http/error-catalogue.ts",
    ).toEqual([]);
  });

  test("holds no code src/ no longer uses", () => {
    const outside = [...files].filter(([file]) => !CATALOGUE.has(file)).map(([, source]) => source);
    const unused = [...known].filter(
      (code) => !outside.some((source) => source.includes(`"${code}"`) || source.includes(`'${code}'`)),
    );
    expect(unused).toEqual([]);
  });

  test("a planted code is caught, with its file and line; prose and longer strings are not codes", () => {
    const planted = [
      `import { fail } from "../errors.ts";`,
      `// ROSTER.NOT_YET in a comment is prose, and so is "ROSTER.IN_QUOTES" in one`,
      `/* a block comment: "PBX.BLOCKED" */`,
      `const url = "http://box.local/a"; // STORAGE.AFTER_URL`,
      `const name = "branchbox.db", rule = "R0.3a", text = "PBX.EVENT_INVALID: an event without a key";`,
      `log.warn("x", { code: 'SYNC.NEW_THING' });`,
      `return fail("ROSTER.NEW_REFUSAL", \`no \${what}\`);`,
      "const known = `ROSTER.PIN_LOCKED`;",
    ].join("\n");
    const found = codeLiterals("src/x.ts", planted);
    expect(found.map((u) => u.code)).toEqual(["SYNC.NEW_THING", "ROSTER.NEW_REFUSAL", "ROSTER.PIN_LOCKED"]);
    expect(uncatalogued(found, known)).toEqual([
      "SYNC.NEW_THING (src/x.ts:6)",
      "ROSTER.NEW_REFUSAL (src/x.ts:7)",
    ]);
  });
});
