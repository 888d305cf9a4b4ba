// docs/rules.md defines every rule id the repository cites, so `grep -rnwF "R0.3a" src test` always
// leads somewhere: each id of the domain digest is a heading there, every id a file cites is one of
// them, and a rule's "Proven:" paths exist and cite it.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/process.ts";

const RULES_DOC = "docs/rules.md";

/**
 * The ids of the domain digest (shared/DOMAIN.md, outside this repository): its numbered rules,
 * the lettered failures of R0.3, and the lettered cases of R3.5–R3.9.
 */
const DOMAIN_IDS = [
  ...["R0.1", "R0.2", "R0.3", "R0.3a", "R0.3b", "R0.3c", "R0.3d", "R0.4"],
  ...["R1.1", "R1.2", "R1.3", "R1.4", "R1.5"],
  ...["R2.1", "R2.2", "R2.3", "R2.4", "R2.5", "R2.6", "R2.7", "R2.8", "R2.9"],
  ...["R3.1", "R3.2", "R3.3", "R3.4", "R3.5", "R3.5a", "R3.5b", "R3.5c", "R3.6", "R3.6a", "R3.6b"],
  ...["R3.7", "R3.7a", "R3.7b", "R3.8", "R3.8a", "R3.8b", "R3.8c", "R3.9", "R3.9a", "R3.9b", "R3.10"],
  ...["R4.1", "R4.2", "R4.3", "R4.4", "R4.5", "R4.6", "R4.7"],
];

/** A cited rule id: `R3.2`, `R0.3a`; not `R1.wav`, `HR1.2`, `R1.x`. */
const CITED = /\bR\d+\.\d+[a-z]?\b/g;
/** A rule's definition: `### R3.2 — title` (a lettered part may be `####`). */
const HEADING = /^(#{3,4}) (R\d+\.\d+[a-z]?) — \S/;
/** Where the repository's own text lives; node_modules, dist and dot folders are skipped. */
const SCANNED = ["src", "test", "scripts", "web", "firmware-config", "docs", "README.md"];
const SKIPPED_DIRS = new Set(["node_modules", "dist"]);

interface Rule {
  readonly id: string;
  readonly line: number;
  /** The rule's "Status: …" paragraph, or its parent's for a lettered part without one. */
  readonly status: string;
}

function parseRules(text: string): Rule[] {
  const lines = text.split("\n");
  const rules: Rule[] = [];
  let parentStatus = "";
  for (let i = 0; i < lines.length; i++) {
    const heading = HEADING.exec(lines[i] ?? "");
    if (heading === null) continue;
    const [, hashes, id] = heading;
    let status = "";
    for (let j = i + 1; j < lines.length && !(lines[j] ?? "").startsWith("#"); j++) {
      if (!(lines[j] ?? "").startsWith("Status:")) continue;
      const paragraph: string[] = [];
      for (let k = j; k < lines.length && (lines[k] ?? "").trim() !== ""; k++) paragraph.push(lines[k] ?? "");
      status = paragraph.join(" ");
      break;
    }
    if (hashes === "###") parentStatus = status;
    rules.push({ id: id ?? "", line: i + 1, status: status === "" ? parentStatus : status });
  }
  return rules;
}

function* textFiles(path: string): Generator<string> {
  const full = join(REPO_ROOT, path);
  if (!existsSync(full)) return;
  const entries = readdirSync(full, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!entry.name.startsWith(".") && !SKIPPED_DIRS.has(entry.name)) yield* textFiles(child);
    } else if (entry.isFile()) {
      yield child;
    }
  }
}

interface Citation {
  readonly id: string;
  readonly where: string;
}

/** Every id cited in the repository's text files (binary files skipped), with `path:line`. */
function citations(): Citation[] {
  const found: Citation[] = [];
  for (const root of SCANNED) {
    const paths = root.includes(".") ? [root] : [...textFiles(root)];
    for (const path of paths) {
      const bytes = readFileSync(join(REPO_ROOT, path));
      if (bytes.includes(0)) continue;
      bytes
        .toString("utf8")
        .split("\n")
        .forEach((line, i) => {
          for (const [id] of line.matchAll(CITED)) found.push({ id, where: `${path}:${i + 1}` });
        });
    }
  }
  return found;
}

const rules = parseRules(readFileSync(join(REPO_ROOT, RULES_DOC), "utf8"));
const defined = new Set(rules.map((r) => r.id));

describe(`${RULES_DOC}: every rule id is defined`, () => {
  test("the citation pattern finds rule ids and nothing that merely looks like one", () => {
    const ids = (s: string) => [...s.matchAll(CITED)].map(([id]) => id);
    expect(ids(`test("R0.3a: an off-shift login…"), (R1.1), R3.1–R3.3, "R2.3 R1.3"`)).toEqual([
      "R0.3a",
      "R1.1",
      "R3.1",
      "R3.3",
      "R2.3",
      "R1.3",
    ]);
    expect(ids("rec/R1.wav HR1.2 R1.x v1.2.3 R1.2x3 R0.3ab")).toEqual([]);
  });

  test("each id is defined once, by a heading", () => {
    expect(rules.length).toBeGreaterThan(0);
    const twice = rules.filter((r, i) => rules.findIndex((o) => o.id === r.id) !== i);
    expect(twice.map((r) => `${r.id} again at ${RULES_DOC}:${r.line}`)).toEqual([]);
  });

  test("every id of the domain digest is defined", () => {
    expect(DOMAIN_IDS.filter((id) => !defined.has(id))).toEqual([]);
  });

  test("every id cited in the repository is defined", () => {
    const undefinedIds = citations()
      .filter((c) => !defined.has(c.id))
      .map((c) => `${c.id} is cited at ${c.where} but not defined in ${RULES_DOC}`);
    expect(undefinedIds).toEqual([]);
  });
});

describe(`${RULES_DOC}: each rule's status is checkable`, () => {
  const STATUS = /^Status: (implemented|partly|not yet)\b/;
  const PATH = /`((?:src|test|scripts|docs|web|firmware-config)\/[^`\s*]+\.[a-z]+)`/g;
  const paths = (s: string) => [...s.matchAll(PATH)].map((m) => m[1] ?? "");

  test("every rule says implemented, partly or not yet", () => {
    const bad = rules.filter((r) => !STATUS.test(r.status)).map((r) => `${r.id} (${RULES_DOC}:${r.line})`);
    expect(bad).toEqual([]);
  });

  test("every path a status names exists", () => {
    const missing = rules.flatMap((r) =>
      paths(r.status)
        .filter((p) => !existsSync(join(REPO_ROOT, p)))
        .map((p) => `${r.id}: ${p}`),
    );
    expect(missing).toEqual([]);
  });

  test("an implemented or partly rule is proven by tests that cite its id", () => {
    const problems: string[] = [];
    for (const rule of rules) {
      const kind = STATUS.exec(rule.status)?.[1];
      if (kind === undefined || kind === "not yet") continue;
      const proven = paths(rule.status.split("Proven:")[1] ?? "");
      if (!proven.some((p) => p.startsWith("test/") || p.endsWith(".test.ts"))) {
        problems.push(`${rule.id} is ${kind} but names no test under "Proven:"`);
      }
      for (const p of proven) {
        const full = join(REPO_ROOT, p);
        if (!existsSync(full)) continue;
        const cited = new Set([...readFileSync(full, "utf8").matchAll(CITED)].map(([id]) => id));
        if (!cited.has(rule.id)) problems.push(`${rule.id}: ${p} is named as its proof but does not cite it`);
      }
    }
    expect(problems).toEqual([]);
  });
});
