import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateSafely, openDatabase } from "../../src/store/db.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { freePort } from "../support/process.ts";

const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "branchbox-doctor-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config whose port is free and whose storage is its own. */
async function config(name: string): Promise<{ path: string; data: string }> {
  const data = join(dir, `${name}-data`);
  const path = join(dir, `${name}.toml`);
  writeFileSync(
    path,
    `[branch]\nid = "msk-01"\nname = "Москва"\n\n[http]\nlisten = "127.0.0.1:${await freePort()}"\nadmin_token = "doctor-test-token-0123456789"\n\n[storage]\ndir = "${data}"\n`,
  );
  return { path, data };
}

/**
 * `branchbox doctor` with a `timedatectl` of the test's making first on PATH: it answers
 * `show -p NTPSynchronized --value` as systemd's would on a synchronized, an unsynchronized or a
 * systemd-less machine (exit 1, nothing on stdout).
 */
function doctor(configPath: string, ntp: "yes" | "no" | "unknown") {
  const bin = join(dir, `bin-${ntp}`);
  mkdirSync(bin, { recursive: true });
  const body =
    ntp === "unknown" ? "echo 'System has not been booted with systemd' >&2\nexit 1" : `echo ${ntp}`;
  writeFileSync(join(bin, "timedatectl"), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, "timedatectl"), 0o755);
  const run = Bun.spawnSync([process.execPath, MAIN, "doctor", "--config", configPath], {
    env: { PATH: `${bin}:${process.env.PATH ?? ""}`, HOME: dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: run.exitCode, out: run.stdout.toString() };
}

describe("doctor", () => {
  test("clock: OK when NTP-synchronized, FAIL (exit 1) with what to do when not, WARN when it cannot tell", async () => {
    const { path } = await config("clock");
    expect(doctor(path, "yes").out).toMatch(/^OK +clock +synchronized/m);

    const unsynced = doctor(path, "no");
    expect(unsynced.out).toMatch(
      /^FAIL +clock +not synchronized\n +-> enable time sync: `timedatectl set-ntp true`/m,
    );
    expect(unsynced.code).toBe(1);
    expect(unsynced.out).toContain("doctor: 1 check(s) failed");

    // Without systemd's answer, timesyncd's flag file decides; this host may or may not have it.
    const unknown = doctor(path, "unknown");
    if (existsSync("/run/systemd/timesync/synchronized")) expect(unknown.out).toMatch(/^OK +clock/m);
    else expect(unknown.out).toMatch(/^WARN +clock +cannot tell.*\n +-> make sure NTP runs/m);
  });

  test("database: pending migrations are OK and said; a schema from a newer branchbox is a FAIL naming the copy to put back", async () => {
    const { path, data } = await config("schema");
    const older = openDatabase(data, { migrate: false });
    migrateSafely(
      older,
      data,
      MIGRATIONS.filter((m) => m.version <= 2),
    );
    older.close();
    const latest = MIGRATIONS.at(-1)?.version as number;
    expect(doctor(path, "yes").out).toMatch(
      new RegExp(`^OK +database .*integrity ok, schema v2; migrates to v${latest} at the next start`, "m"),
    );

    const newer = openDatabase(data, { migrate: false });
    migrateSafely(newer, data, [
      ...MIGRATIONS,
      { version: latest + 1, name: "newer", sql: "CREATE TABLE newer (x INTEGER) STRICT" },
    ]);
    newer.close();
    const result = doctor(path, "yes");
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      new RegExp(`^FAIL +database .*schema v${latest + 1} is from a newer branchbox`, "m"),
    );
    expect(result.out).toContain(`put back ${join(data, `branchbox.db.v2.pre-v${latest + 1}`)}`);
  });
});
