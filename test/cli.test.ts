import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAmiPeer } from "./support/ami-peer.ts";
import { startFakeNotifier } from "./support/fake-sip-notifier.ts";
import { startMosquitto } from "./support/mosquitto.ts";
import { freePort } from "./support/process.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "branchbox-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI as branch IT would, with only the environment given (no inherited BRANCHBOX_*). */
function run(args: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync([process.execPath, MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
    cwd: join(import.meta.dir, ".."),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

/** The same, without blocking this process: a peer served from the test itself can answer. */
async function runAsync(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
    cwd: join(import.meta.dir, ".."),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out, err };
}

function writeConfig(name: string, storageDir: string, extra = ""): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `[branch]\nid = "msk-01"\nname = "Москва, Тверская"\n\n[http]\nlisten = "127.0.0.1:0"\nadmin_token = "cli-test-token-0123456789"\n\n[storage]\ndir = "${storageDir}"\n\n[[desks]]\nid = "front"\nname = "Ресепшен"\nextension = "101"\n${extra}`,
  );
  return path;
}

describe("usage and version", () => {
  test("version prints the version and the commit, exit 0", () => {
    const { code, out } = run(["version"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^branchbox \d+\.\d+\.\d+\S* \(\S+\)\n$/);
  });

  test("an unknown command or option is bad usage: exit 2 with the usage", () => {
    for (const args of [["teleport"], ["serve", "--frobnicate"], []]) {
      const { code, err, out } = run(args);
      expect(code).toBe(2);
      expect(err + out).toContain("usage:");
    }
  });
});

describe("configuration", () => {
  test("a bad value stops the start with the key, the value and what was expected: exit 2", () => {
    const path = writeConfig("bad.toml", join(dir, "bad-data"), "");
    const { code, err } = run(["migrate", "--config", path], {
      BRANCHBOX_KIOSK_IDLE_SECONDS: "soon",
      BRANCHBOX_KIOSK_LANGUAGE: "de",
    });
    expect(code).toBe(2);
    expect(err).toContain('kiosk.idle_seconds (from BRANCHBOX_KIOSK_IDLE_SECONDS) = "soon": expected number');
    expect(err).toContain(
      'kiosk.language (from BRANCHBOX_KIOSK_LANGUAGE) = "de": expected one of "ru", "en"',
    );
    expect(err).not.toContain("    at "); // no stack trace
  });

  test("a missing required key is named", () => {
    const path = join(dir, "missing.toml");
    writeFileSync(path, `[branch]\nname = "X"\n`);
    const { code, err } = run(["migrate", "--config", path]);
    expect(code).toBe(2);
    expect(err).toContain("branch.id: required, missing");
    expect(err).toContain("http: required, missing");
  });

  test("the admin token is never echoed back, even when it is wrong", () => {
    const path = writeConfig("short-token.toml", join(dir, "x"));
    const { code, err } = run(["migrate", "--config", path], { BRANCHBOX_HTTP_ADMIN_TOKEN: "short-secret" });
    expect(code).toBe(2);
    expect(err).toContain("http.admin_token");
    expect(err).not.toContain("short-secret");
  });

  test("an unknown key stops serve and hq with exit 2, naming the key, its section and the nearest known key", () => {
    // A misspelt fallback_employee used to be dropped in silence, switching R1.1 off.
    const path = writeConfig("typo.toml", join(dir, "typo-data"), '\n[calls]\nfallback_employe = "anna"\n');
    for (const args of [
      ["serve", "--config", path],
      ["migrate", "--config", path],
    ]) {
      const { code, err } = run(args);
      expect(code).toBe(2);
      expect(err).toContain(
        "calls.fallback_employe: no such setting in [calls] (did you mean fallback_employee?)",
      );
    }
    expect(existsSync(join(dir, "typo-data"))).toBe(false);
    const env = run(["migrate", "--config", writeConfig("ok.toml", join(dir, "ok-data"))], {
      BRANCHBOX_CALLS_FALLBACK_EMPLOYE: "anna",
    });
    expect(env.code).toBe(2);
    expect(env.err).toContain(
      "calls.fallback_employe (from BRANCHBOX_CALLS_FALLBACK_EMPLOYE): no such setting",
    );

    const hq = join(dir, "hq-typo.toml");
    writeFileSync(
      hq,
      `[mqtt]\nurl = "mqtt://127.0.0.1:1"\n\n[hq]\ntoken = "hq-test-token-0123456789"\nforward_ur = "http://crm.local/"\n`,
    );
    const refused = run(["hq", "--config", hq]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("hq.forward_ur: no such setting in [hq] (did you mean forward_url?)");
    expect(refused.err).not.toContain("    at ");
  });

  test("no config file and no --demo: exit 2 saying what to pass", () => {
    const { code, err } = run(["serve", "--config", join(dir, "nope.toml")]);
    expect(code).toBe(2);
    expect(err).toContain("cannot read the config file");
  });
});

describe("staff import", () => {
  const staff = [
    { id: "anna", name: "Анна Смирнова", role: "reception", pin: "1234" },
    { id: "sergey", name: "Сергей Иванов", role: "manager", pin: "987654", extension: "102" },
  ];

  test("imports, stores only Argon2id hashes, and a re-import updates without duplicating", () => {
    const data = join(dir, "staff-data");
    const config = writeConfig("staff.toml", data);
    const file = join(dir, "staff.json");
    writeFileSync(file, JSON.stringify(staff));
    const first = run(["staff", "import", file, "--config", config]);
    expect(first.code).toBe(0);
    expect(first.out).toContain("2 added, 0 updated");

    writeFileSync(
      file,
      JSON.stringify([{ ...staff[0], name: "Анна Смирнова-Котова", pin: "4321" }, staff[1]]),
    );
    const second = run(["staff", "import", file, "--config", config]);
    expect(second.code).toBe(0);
    expect(second.out).toContain("0 added, 2 updated");

    const db = new Database(join(data, "branchbox.db"), { readonly: true });
    const rows = db
      .query<{ id: string; name: string; pin_hash: string }, []>(
        "SELECT id, name, pin_hash FROM staff ORDER BY id",
      )
      .all();
    db.close();
    expect(rows.map((r) => r.id)).toEqual(["anna", "sergey"]);
    expect(rows[0]?.name).toBe("Анна Смирнова-Котова");
    for (const row of rows) expect(row.pin_hash).toStartWith("$argon2id$");
    expect(Bun.password.verifySync("4321", rows[0]?.pin_hash ?? "")).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('"1234"');
  });

  test("an invalid list is refused whole: exit 2, each problem named, nothing written", () => {
    const data = join(dir, "staff-bad-data");
    const config = writeConfig("staff-bad.toml", data);
    const file = join(dir, "staff-bad.json");
    writeFileSync(file, JSON.stringify([staff[0], { id: "x", name: "X", role: "boss", pin: "12" }]));
    const { code, err } = run(["staff", "import", file, "--config", config]);
    expect(code).toBe(2);
    expect(err).toContain("entry 2 (x) role");
    expect(err).toContain("entry 2 (x) pin: 4 to 8 digits");
    expect(existsSync(join(data, "branchbox.db"))).toBe(false);
  });

  test("a file that is not JSON: exit 2", () => {
    const file = join(dir, "staff.txt");
    writeFileSync(file, "anna,1234");
    const { code, err } = run(["staff", "import", file, "--config", writeConfig("s3.toml", join(dir, "s3"))]);
    expect(code).toBe(2);
    expect(err).toContain("cannot read it as JSON");
  });
});

describe("storage", () => {
  test("migrate creates the database, is idempotent, and uses WAL", () => {
    const data = join(dir, "migrate-data");
    const config = writeConfig("migrate.toml", data);
    expect(run(["migrate", "--config", config]).out).toContain("applied migrations 1");
    expect(run(["migrate", "--config", config]).out).toContain("database is up to date");
    const db = new Database(join(data, "branchbox.db"));
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    db.close();
  });

  test("a read-only storage folder gives a clear error, not a stack trace: exit 1", () => {
    const data = join(dir, "ro-data");
    mkdirSync(data);
    const root = process.getuid?.() === 0;
    // root ignores permission bits, so as root the folder becomes a read-only tmpfs mount.
    if (root)
      expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", data]).exitCode).toBe(0);
    else chmodSync(data, 0o555);
    try {
      const { code, err } = run(["migrate", "--config", writeConfig("ro.toml", data)]);
      expect(code).toBe(1);
      expect(err).toMatch(/read-only|cannot open the database/);
      expect(err).toContain("storage.dir");
      expect(err).not.toContain("    at ");
    } finally {
      if (root) Bun.spawnSync(["umount", data]);
      else chmodSync(data, 0o755);
    }
  });
});

describe("doctor", () => {
  test("prints each check with OK/WARN/FAIL and fails on a damaged database", () => {
    const data = join(dir, "doctor-data");
    const config = writeConfig("doctor.toml", data);
    expect(run(["migrate", "--config", config]).code).toBe(0);
    const healthy = run(["doctor", "--config", config]);
    expect(healthy.out).toMatch(/^OK +config/m);
    expect(healthy.out).toMatch(/^OK +database .*integrity ok/m);
    expect(healthy.out).toMatch(/^(OK|WARN) +disk/m);
    expect(healthy.out).toMatch(/^(OK|WARN|FAIL) +clock/m);

    writeFileSync(join(data, "branchbox.db"), "this is not a database".repeat(300));
    rmSync(join(data, "branchbox.db-wal"), { force: true });
    rmSync(join(data, "branchbox.db-shm"), { force: true });
    const damaged = run(["doctor", "--config", config]);
    expect(damaged.code).toBe(1);
    expect(damaged.out).toMatch(/^FAIL +database/m);
    expect(damaged.out).toContain("->");
  });

  test("a bad config is a FAIL with the problem named", () => {
    const path = join(dir, "doctor-bad.toml");
    writeFileSync(path, "[branch]\nid = 'Bad Id'\n");
    const { code, out } = run(["doctor", "--config", path]);
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL +config/m);
    expect(out).toContain("branch.id");
  });
});

describe("doctor: the PBX", () => {
  test("logs in to the AMI port, names a refused login without echoing the secret, and a closed port", async () => {
    const peer = await startAmiPeer({ username: "branchbox", secret: "right-secret-1" });
    const config = writeConfig("doctor-pbx.toml", join(dir, "doctor-pbx-data"));
    const ami = (secret: string, port = peer.port) => ({
      BRANCHBOX_PBX_AMI_HOST: "127.0.0.1",
      BRANCHBOX_PBX_AMI_PORT: String(port),
      BRANCHBOX_PBX_AMI_USERNAME: "branchbox",
      BRANCHBOX_PBX_AMI_SECRET: secret,
    });
    try {
      const good = await runAsync(["doctor", "--config", config], ami("right-secret-1"));
      expect(good.out).toMatch(
        /^OK +pbx +127\.0\.0\.1:\d+: Asterisk Call Manager\/\S+, logged in as branchbox/m,
      );
      const refused = await runAsync(["doctor", "--config", config], ami("wrong-secret-2"));
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/^FAIL +pbx .*login refused for branchbox/m);
      expect(refused.out).toContain("manager.conf");
      expect(refused.out + refused.err).not.toContain("wrong-secret-2");
      const closed = await runAsync(["doctor", "--config", config], ami("right-secret-1", await freePort()));
      expect(closed.code).toBe(1);
      expect(closed.out).toMatch(/^FAIL +pbx/m);
    } finally {
      await peer.close();
    }
  });
});

describe("doctor: the SIP WebSocket", () => {
  test("[pbx.sip]: a SIP answer to OPTIONS is OK; a closed port FAILs with what to check", async () => {
    const notifier = startFakeNotifier();
    const config = writeConfig("doctor-sip.toml", join(dir, "doctor-sip-data"));
    const sip = (wsUrl: string) => ({ BRANCHBOX_PBX_SIP_WS_URL: wsUrl, BRANCHBOX_PBX_SIP_EXTENSIONS: "101" });
    try {
      const good = await runAsync(["doctor", "--config", config], sip(notifier.wsUrl));
      expect(good.out).toMatch(
        /^OK +sip +ws:\/\/127\.0\.0\.1:\d+: SIP over WebSocket answers OPTIONS \(200 OK\)/m,
      );
      expect(good.out).not.toMatch(/^WARN +pbx/m);
      const closed = await runAsync(
        ["doctor", "--config", config],
        sip(`ws://127.0.0.1:${await freePort()}`),
      );
      expect(closed.code).toBe(1);
      expect(closed.out).toMatch(/^FAIL +sip .*WebSocket refused or closed\n +-> check ws_url/m);
    } finally {
      notifier.stop();
    }
  });
});

describe("doctor: headquarters' broker", () => {
  test("connects with the branch's credentials; a wrong password is a FAIL that does not print it", async () => {
    const broker = await startMosquitto({ users: [{ username: "msk-01", password: "right-broker-pw" }] });
    const config = writeConfig("doctor-hq.toml", join(dir, "doctor-hq-data"));
    const mqttEnv = (password: string) => ({
      BRANCHBOX_MQTT_URL: broker.url,
      BRANCHBOX_MQTT_USERNAME: "msk-01",
      BRANCHBOX_MQTT_PASSWORD: password,
    });
    try {
      const good = await runAsync(["doctor", "--config", config], mqttEnv("right-broker-pw"));
      expect(good.out).toMatch(/^OK +hq +mqtt:\/\/127\.0\.0\.1:\d+\/?: connected \(no TLS\)/m);
      const refused = await runAsync(["doctor", "--config", config], mqttEnv("wrong-broker-pw"));
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/^FAIL +hq /m);
      expect(refused.out).toContain("credentials");
      expect(refused.out + refused.err).not.toContain("wrong-broker-pw");
      const none = await runAsync(["doctor", "--config", config]);
      expect(none.out).toMatch(/^WARN +hq +no headquarters broker configured/m);
    } finally {
      await broker.stop();
    }
  });
});
