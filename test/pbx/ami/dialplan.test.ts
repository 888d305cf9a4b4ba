// The shipped dialplan (firmware-config/asterisk/extensions_branchbox.conf) checked without an
// Asterisk (none installs from this machine's registries): its lines parsed as pbx_config reads
// extensions.conf (contexts, `exten =>`, `same =>`, priorities and labels, one application call),
// brackets balanced, every label a Goto names present, only applications and functions of
// Asterisk's core, and the contract with the box: the AstDB keys it reads are the ones the push
// writes, the variables it reads are the ones the FastAGI server sets, the steps it knows are the
// rules' no-answer steps. What this does NOT prove: that Asterisk runs it as intended (docs/routing.md).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RUSSIAN_NUMBERS } from "../../../src/domain/rules/phone-number.ts";
import type { NoAnswerStep } from "../../../src/domain/rules/routing.ts";
import { AGI_VARIABLES } from "../../../src/pbx/ami/agi-server.ts";
import { astdbKeys, STAMP_KEY } from "../../../src/pbx/ami/astdb-keys.ts";

const TEXT = readFileSync(
  join(import.meta.dir, "../../../firmware-config/asterisk/extensions_branchbox.conf"),
  "utf8",
);

const APPS = new Set([
  "NoOp",
  "Set",
  "ExecIf",
  "GotoIf",
  "Goto",
  "AGI",
  "Dial",
  "Return",
  "StackPop",
  "Hangup",
  "Busy",
  "Progress",
  "Playback",
  "VoiceMail",
  "UserEvent",
]);
const FUNCTIONS = new Set(["DB", "CUT", "FILTER", "LEN", "IF", "CALLERID", "LOCAL"]);

interface Line {
  readonly context: string;
  readonly exten: string;
  readonly label: string | null;
  readonly app: string;
  readonly args: string;
  readonly row: number;
}

function parse(text: string): { contexts: string[]; lines: Line[] } {
  const contexts: string[] = [];
  const lines: Line[] = [];
  let context = "";
  let exten = "";
  text.split("\n").forEach((raw, i) => {
    const row = i + 1;
    const line = raw.replace(/\s+$/, "");
    if (line.trim() === "" || line.trimStart().startsWith(";")) return;
    const header = /^\[([A-Za-z0-9_-]+)\]$/.exec(line);
    if (header !== null) {
      context = header[1] as string;
      contexts.push(context);
      exten = "";
      return;
    }
    const m =
      /^exten => ([^,]+),(1|n)(?:\(([a-z]+)\))?,([A-Za-z]+)\((.*)\)$/.exec(line) ??
      /^ same => ()(n)(?:\(([a-z]+)\))?,([A-Za-z]+)\((.*)\)$/.exec(line);
    if (m === null || context === "") throw new Error(`line ${row} is no dialplan line: ${line}`);
    if (m[1] !== "") {
      if (m[2] !== "1") throw new Error(`line ${row}: an extension starts at priority 1`);
      exten = m[1] as string;
    } else if (exten === "") throw new Error(`line ${row}: "same" before any "exten"`);
    lines.push({ context, exten, label: m[3] ?? null, app: m[4] as string, args: m[5] as string, row });
  });
  return { contexts, lines };
}

const { contexts, lines } = parse(TEXT);

describe("extensions_branchbox.conf reads as a dialplan", () => {
  test("three contexts: the inbound route (R2.6), the direct call (R4.7) and the no-answer step (R4.1-R4.3)", () => {
    expect(contexts).toEqual(["branchbox-route", "branchbox-direct", "branchbox-noanswer"]);
  });

  test("every line calls one core application, with (), $\u007b}, $[] balanced", () => {
    for (const l of lines) {
      expect(APPS.has(l.app)).toBe(true);
      const depth = { paren: 0, brace: 0, bracket: 0 };
      const text = `${l.app}(${l.args})`;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === "(") depth.paren++;
        if (c === ")") depth.paren--;
        if (c === "{" && text[i - 1] === "$") depth.brace++;
        else if (c === "{") throw new Error(`line ${l.row}: a brace without $`);
        if (c === "}") depth.brace--;
        if (c === "[" && text[i - 1] === "$") depth.bracket++;
        if (c === "]") depth.bracket--;
        if (depth.paren < 0 || depth.brace < 0 || depth.bracket < 0)
          throw new Error(`line ${l.row}: closes what is not open`);
      }
      expect({ row: l.row, ...depth }).toEqual({ row: l.row, paren: 0, brace: 0, bracket: 0 });
    }
  });

  test("only core dialplan functions are called", () => {
    const called = lines.flatMap((l) => [...l.args.matchAll(/\$\{([A-Z_]+)\(/g)].map((m) => m[1] as string));
    expect(called.length).toBeGreaterThan(20);
    expect(called.filter((f) => !FUNCTIONS.has(f))).toEqual([]);
  });

  test("every label a Goto or GotoIf names is in the same extension; every other context named is one of the three", () => {
    for (const l of lines) {
      const targets: string[] = [];
      if (l.app === "GotoIf") targets.push(...l.args.slice(l.args.lastIndexOf("?") + 1).split(":"));
      if (l.app === "Goto") targets.push(l.args);
      for (const t of targets) {
        if (t.includes(",")) {
          const [ctx] = t.split(",");
          if (!(ctx as string).startsWith("$")) expect(contexts).toContain(ctx as string);
          continue;
        }
        const labels = lines
          .filter((x) => x.context === l.context && x.exten === l.exten)
          .map((x) => x.label);
        expect({ row: l.row, label: t, found: labels.includes(t) }).toEqual({
          row: l.row,
          label: t,
          found: true,
        });
      }
    }
  });

  test("the subroutine always ends in Return (the PBX's own route), Hangup or a Goto out after StackPop", () => {
    const route = lines.filter((l) => l.context === "branchbox-route");
    // From the `own` label on, the first line that leaves is the Return (the PBX's own route).
    const own = route.findIndex((l) => l.label === "own");
    expect(own).toBeGreaterThan(-1);
    expect(route.slice(own).find((l) => ["Return", "Goto", "Hangup", "Dial"].includes(l.app))?.app).toBe(
      "Return",
    );
    const goOut = route.findIndex((l) => l.app === "Goto" && l.args.includes(","));
    expect(route[goOut - 1]?.app).toBe("StackPop");
  });
});

describe("the dialplan and the box agree", () => {
  test("issue 16: it tells the box what it routed (UserEvent BranchboxRoute with Rule and Target), as routedCall reads it", () => {
    const events = lines.filter((l) => l.args.includes("UserEvent(BranchboxRoute") || l.app === "UserEvent");
    expect(events.length).toBe(2);
    for (const l of events) expect(l.args).toMatch(/BranchboxRoute,Rule: [^,]+,Target: /);
  });

  test("R2.6, R4.7, R4.1: every AstDB key the dialplan reads is one the push writes", () => {
    const written = astdbKeys(
      {
        responsible: new Map([["+79161234567", "104"]]),
        absent: ["106"],
        noAnswer: [
          {
            extension: "104",
            employeeId: "s",
            timeoutSeconds: 30,
            step: { kind: "busy" },
            notice: { kind: "default" },
            rule: "R4.1",
            reason: "",
          },
        ],
        settings: { ringSeconds: 20, fallback: "600" },
      },
      { tech: "PJSIP", numbers: RUSSIAN_NUMBERS },
    );
    const families = new Set([...written.keys()].map((k) => k.split("/")[0] as string));
    families.add(STAMP_KEY);
    const read = new Set([...TEXT.matchAll(/\$\{DB\(branchbox\/([a-z]+)/g)].map((m) => m[1] as string));
    expect([...read].sort()).toEqual([
      "absent",
      "cc",
      "fallback",
      "fwd",
      "nd",
      "np",
      "resp",
      "ring",
      "stamp",
      "tech",
    ]);
    for (const key of read) expect(families.has(key)).toBe(true);
  });

  test("R2.6: it reads every variable the FastAGI server sets, and the AGI's status", () => {
    for (const name of AGI_VARIABLES.filter((v) => v !== "BB_RULE")) expect(TEXT).toContain(`\${${name}}`);
    const dollar = "$";
    expect(TEXT).toContain(`GotoIf($["${dollar}{AGISTATUS}" != "SUCCESS"]?own)`);
    expect(TEXT).toContain(`AGI(${dollar}{agi}/route?did=${dollar}{did})`);
  });

  test("R4.2: it knows every no-answer step of the rules; busy is also what it does with none (R4.1)", () => {
    const steps: NoAnswerStep["kind"][] = ["busy", "message", "forward", "voicemail"];
    for (const step of steps.filter((s) => s !== "busy")) expect(TEXT).toContain(`"\${BB_STEP}" = "${step}"`);
    const noanswer = lines.filter((l) => l.context === "branchbox-noanswer");
    const firstLabelled = noanswer.findIndex((l) => l.label !== null);
    expect(noanswer[firstLabelled - 2]?.app).toBe("Busy");
  });
});
