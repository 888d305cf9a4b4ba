import { constants, Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallRecord } from "../src/domain/call/call-types.ts";
import { SCENARIOS } from "./scenarios/call-scenarios.ts";
import { comparable, type ExpectedRecord, normalized, STAFF } from "./scenarios/scenario-branch.ts";

const ROOT = join(import.meta.dir, "..");
const MAIN = join(ROOT, "src", "main.ts");
const TRANSCRIPT = join(ROOT, "test/fixtures/ami/inbound-front-desk-answered.ami");
const CONSOLE_LOG = join(ROOT, "test/fixtures/ami/console/inbound-front-desk-answered.console.txt");
let dir: string;

/** Runs the CLI as support would, with only the environment given (no inherited BRANCHBOX_*). */
function run(args: string[]) {
  const result = Bun.spawnSync([process.execPath, MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: dir },
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/** The scenario branch (test/scenarios/scenario-branch.ts) as a box's config, times in UTC. */
function writeConfig(name: string, storage: string, calls = ""): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `[branch]\nid = "msk-01"\nname = "Scenario branch"\ntimezone = "UTC"\n\n[http]\nadmin_token = "replay-test-token-0123456789"\n\n[storage]\ndir = "${storage}"\n\n[calls]\nsenior_manager = "oleg"\n${calls}\n[[desks]]\nid = "front"\nname = "Front desk"\nextension = "101"\n\n[[desks]]\nid = "hall"\nname = "Hall desk"\nextension = "104"\n`,
  );
  return path;
}

/** The scenarios' usual morning as the roster file replay reads. */
const usualMorning = () =>
  writeJson("roster.json", [
    { kind: "check-in", employeeId: "bella", deskId: "front", at: "2024-11-21T09:00:00Z" },
    { kind: "check-in", employeeId: "anna", deskId: "hall", at: "2024-11-21T09:00:00Z" },
  ]);

const expectedOf = (name: string): readonly ExpectedRecord[] => {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) throw new Error(`no scenario ${name}`);
  return scenario.expected;
};

/** `comparable` reads ids, parties, legs, owners and pops, which callJson keeps as recorded. */
const asRecords = (json: string) => JSON.parse(json) as CallRecord[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "branchbox-replay-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("branchbox replay: an AMI transcript", () => {
  test("R0.3: the front desk's call is the receptionist's on shift there, as the scenario table says", () => {
    const config = writeConfig("front.toml", join(dir, "no-box"));
    const staff = writeJson("staff.json", STAFF);
    const args = ["replay", TRANSCRIPT, "--config", config, "--staff", staff, "--roster", usualMorning()];

    const json = run([...args, "--json"]);
    expect(json.code).toBe(0);
    const expected = expectedOf("inbound-front-desk-answered");
    expect(comparable(asRecords(json.out), expected)).toEqual(normalized(expected));
    expect(json.err).toContain("frames: 71 (bad 0)");
    expect(json.err).toContain("calls: 1, orphans: 0, still going on: 0");

    const table = run(args);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(
      /\n2024-11-21 09:12:03 +\+79161234567 +74957654321 +answered +Bella \(bella\) ext 101 +1 +0:48\n/,
    );
    expect(table.out).toMatch(
      /ext 101: completed, rang 09:12:03 answered 09:12:09 ended 09:12:51; Bella \(bella\) \[desk-checkin\]/,
    );
    expect(table.out).toContain("events: 5 (already reported 0, refused 0)");
  });

  test("R1.1: without a roster nobody is on shift: the desk's call goes to the fallback employee", () => {
    const config = writeConfig("fallback.toml", join(dir, "no-box"), 'fallback_employee = "maria"\n');
    const staff = writeJson("staff.json", STAFF);
    const { code, out } = run(["replay", TRANSCRIPT, "--config", config, "--staff", staff, "--json"]);
    expect(code).toBe(0);
    const expected = expectedOf("front-desk-nobody-on-shift-fallback");
    expect(comparable(asRecords(out), expected)).toEqual(normalized(expected));
  });

  test("a capture that cannot be read, or a roster naming nobody on the staff, is bad usage: exit 2", () => {
    const missing = run(["replay", join(dir, "no-such.ami")]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("no-such.ami: cannot read the capture (ENOENT)");

    const roster = writeJson("typo.json", [
      { kind: "check-in", employeeId: "bela", deskId: "front", at: "2024-11-21T09:00:00Z" },
    ]);
    const config = writeConfig("typo.toml", join(dir, "no-box"));
    const typo = run([
      "replay",
      TRANSCRIPT,
      "--config",
      config,
      "--staff",
      writeJson("staff.json", STAFF),
      "--roster",
      roster,
    ]);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('fact 1: no employee "bela"');

    expect(run(["replay"]).code).toBe(2);
  });
});

describe("branchbox replay: an Asterisk console log (manager debug)", () => {
  test("R0.3: the console's events give the transcript's calls, each event repeated for a second session read once", () => {
    const config = writeConfig("console.toml", join(dir, "no-box"));
    const staff = writeJson("staff.json", STAFF);
    const args = ["replay", CONSOLE_LOG, "--config", config, "--staff", staff, "--roster", usualMorning()];
    const { code, out, err } = run([...args, "--json"]);
    expect(code).toBe(0);
    const expected = expectedOf("inbound-front-desk-answered");
    expect(comparable(asRecords(out), expected)).toEqual(normalized(expected));
    expect(err).toContain("read: Asterisk console log (manager debug)");
    expect(err).toContain("repeated for another session 12");
  });
});

describe("branchbox replay never writes the box's database", () => {
  /** Opens the box's database without creating a file beside it, to count rows. */
  const counts = (path: string) => {
    const db = new Database(
      `file:${path}?immutable=1`,
      constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI,
    );
    const n = (table: string) => db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()?.n;
    const result = { staff: n("staff"), calls: n("calls"), journal: n("pbx_journal"), outbox: n("outbox") };
    db.close();
    return result;
  };
  const fileState = (path: string) => {
    const s = statSync(path);
    return { mtimeMs: s.mtimeMs, size: s.size };
  };

  let box: string;
  let config: string;
  let db: string;
  beforeAll(() => {
    box = join(dir, "box");
    config = writeConfig("box.toml", box);
    db = join(box, "branchbox.db");
    const withPins = writeJson(
      "staff-pins.json",
      STAFF.map((s) => ({ ...s, pin: "2468" })),
    );
    expect(run(["staff", "import", withPins, "--config", config]).code).toBe(0);
  });

  test("stopped box: the staff come from its database, which keeps its bytes, its time and its folder", () => {
    const before = { file: fileState(db), folder: readdirSync(box).sort(), rows: counts(db) };

    const { code, out } = run(["replay", TRANSCRIPT, "--config", config, "--roster", usualMorning()]);
    expect(code).toBe(0);
    expect(out).toContain(`staff: ${db} (read-only)`);
    expect(out).toMatch(/answered +Bella \(bella\) ext 101/);

    expect({ file: fileState(db), folder: readdirSync(box).sort(), rows: counts(db) }).toEqual(before);
    expect(before.rows).toEqual({ staff: STAFF.length, calls: 0, journal: 0, outbox: 0 });
  });

  test("running box (its WAL open): read through the WAL, nothing written", () => {
    const running = new Database(db);
    try {
      running.run("PRAGMA journal_mode = WAL");
      running.run("UPDATE staff SET name = 'Bella R.' WHERE id = 'bella'");
      const before = { file: fileState(db), wal: fileState(`${db}-wal`), folder: readdirSync(box).sort() };

      const { code, out } = run(["replay", TRANSCRIPT, "--config", config, "--roster", usualMorning()]);
      expect(code).toBe(0);
      expect(out).toMatch(/answered +Bella R\. \(bella\) ext 101/);

      expect({ file: fileState(db), wal: fileState(`${db}-wal`), folder: readdirSync(box).sort() }).toEqual(
        before,
      );
      expect(running.query<{ n: number }, []>("SELECT count(*) AS n FROM calls").get()?.n).toBe(0);
    } finally {
      running.close();
    }
  });
});
