import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../src/config/load.ts";

const EXAMPLE = join(import.meta.dir, "..", "firmware-config", "branchbox.toml.example");

describe("configuration", () => {
  test("the shipped example is valid and states every default", () => {
    const config = loadConfig({ file: EXAMPLE });
    expect(config).toMatchObject({
      branch: { id: "msk-01", timezone: "Europe/Moscow" },
      http: { listen: "0.0.0.0:8080" },
      storage: { dir: "/var/lib/branchbox" },
      kiosk: { language: "ru", idle_seconds: 30 },
      roster: { max_shift_hours: 14, pin_max_attempts: 5, pin_lock_minutes: 5 },
      desks: [{ id: "front", name: "Ресепшен", extension: "101" }],
    });
    // Without the optional keys the same defaults apply.
    const minimal = loadConfig({
      fileText: '[branch]\nid="b"\nname="B"\n[http]\nadmin_token="0123456789abcdef"\n',
    });
    expect(minimal.http.listen).toBe(config.http.listen);
    expect(minimal.kiosk).toEqual(config.kiosk);
    expect(minimal.roster).toEqual(config.roster);
  });

  test("BRANCHBOX_<SECTION>_<KEY> overrides the file", () => {
    const config = loadConfig({
      file: EXAMPLE,
      env: {
        BRANCHBOX_HTTP_LISTEN: "127.0.0.1:18080",
        BRANCHBOX_STORAGE_DIR: "/tmp/x",
        BRANCHBOX_KIOSK_IDLE_SECONDS: "45",
      },
    });
    expect(config.http.listen).toBe("127.0.0.1:18080");
    expect(config.storage.dir).toBe("/tmp/x");
    expect(config.kiosk.idle_seconds).toBe(45);
  });

  test("an unknown variable in the BRANCHBOX_ namespace is an error, not silently ignored", () => {
    expect(() => loadConfig({ file: EXAMPLE, env: { BRANCHBOX_HTPP_LISTEN: "x" } })).toThrow(
      /BRANCHBOX_HTPP_LISTEN: no such setting/,
    );
  });

  test("desks must have unique ids and extensions", () => {
    const text = `${readFileSync(EXAMPLE, "utf8")}\n[[desks]]\nid = "front"\nname = "Again"\nextension = "101"\n`;
    try {
      loadConfig({ fileText: text });
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toContain('desks[1].id = "front": expected unique');
      expect(problems).toContain('desks[1].extension = "101": expected unique');
    }
  });

  test("a bad listen address, time zone and language are named with what was expected", () => {
    try {
      loadConfig({
        file: EXAMPLE,
        env: { BRANCHBOX_HTTP_LISTEN: "localhost", BRANCHBOX_BRANCH_TIMEZONE: "Moscow" },
      });
      throw new Error("expected a ConfigError");
    } catch (error) {
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toContain(
        'http.listen (from BRANCHBOX_HTTP_LISTEN) = "localhost": expected host:port',
      );
      expect(problems).toContain(
        'branch.timezone (from BRANCHBOX_BRANCH_TIMEZONE) = "Moscow": expected an IANA time zone',
      );
    }
  });
});

test('the branch id "hq" is refused: the sync protocol keeps it for headquarters\' presence', () => {
  expect(() => loadConfig({ file: EXAMPLE, env: { BRANCHBOX_BRANCH_ID: "hq" } })).toThrow(
    /branch.id.*reserves for headquarters/,
  );
  expect(loadConfig({ file: EXAMPLE, env: { BRANCHBOX_BRANCH_ID: "hq-2" } }).branch.id).toBe("hq-2");
});

describe("[pbx.sip]", () => {
  const BASE = '[branch]\nid="b"\nname="B"\n[http]\nadmin_token="0123456789abcdef"\n';

  test("the example's commented section, uncommented, is valid; defaults fill the rest", () => {
    const example = readFileSync(EXAMPLE, "utf8");
    const section = example.slice(example.indexOf("# [pbx.sip]"), example.indexOf("# register = false"));
    const uncommented = section.replace(/^# /gm, "").replace(/ {2,}#.*$/gm, "");
    const config = loadConfig({ fileText: `${BASE}${uncommented}` });
    expect(config.pbx.sip).toEqual({
      ws_url: "ws://192.168.1.10:8080",
      extensions: ["101", "102"],
      domain: "",
      username: "branchbox",
      password: "",
      register: false,
    });
    expect(loadConfig({ file: EXAMPLE }).pbx.sip).toBeUndefined();
  });

  test("environment variables set it, extensions as a comma-separated list", () => {
    const config = loadConfig({
      fileText: BASE,
      env: {
        BRANCHBOX_PBX_SIP_WS_URL: "wss://pbx.example:8089/ws",
        BRANCHBOX_PBX_SIP_EXTENSIONS: "101, 102,103",
        BRANCHBOX_PBX_SIP_REGISTER: "true",
        BRANCHBOX_PBX_SIP_PASSWORD: "s3cret-sip",
      },
    });
    expect(config.pbx.sip?.extensions).toEqual(["101", "102", "103"]);
    expect(config.pbx.sip?.register).toBe(true);
  });

  test("a bad URL or extension is named; the password is never shown", () => {
    try {
      loadConfig({
        fileText: `${BASE}[pbx.sip]\nws_url = "http://pbx:8080"\nextensions = ["10a"]\npassword = 7\n`,
      });
      throw new Error("expected a ConfigError");
    } catch (error) {
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toContain('pbx.sip.ws_url = "http://pbx:8080": expected a WebSocket URL');
      expect(problems).toContain('pbx.sip.extensions[0] = "10a": expected digits');
      expect(problems).toContain("pbx.sip.password = (hidden)");
    }
    expect(() => loadConfig({ fileText: `${BASE}[pbx.sip]\nws_url = "ws://p"\nextensions = []\n` })).toThrow(
      /pbx.sip.extensions = \[\]: expected at least one extension/,
    );
  });
});

describe("[pbx.mango] (issue 17)", () => {
  const BASE = '[branch]\nid="b"\nname="B"\n[http]\nadmin_token="0123456789abcdef"\n';

  test("an empty section turns it on with its defaults; the example's commented one, uncommented, says them", () => {
    expect(loadConfig({ fileText: `${BASE}[pbx.mango]\n` }).pbx.mango).toEqual({
      grace_seconds: 30,
      reorder_seconds: 2,
    });
    const example = readFileSync(EXAMPLE, "utf8");
    const start = example.indexOf("# [pbx.mango]");
    const section = example.slice(start, example.indexOf("\n\n", start));
    const uncommented = section.replace(/^# /gm, "").replace(/ {2,}#.*$/gm, "");
    expect(loadConfig({ fileText: `${BASE}${uncommented}\n` }).pbx.mango).toEqual({
      grace_seconds: 30,
      reorder_seconds: 2,
    });
    expect(loadConfig({ file: EXAMPLE }).pbx.mango).toBeUndefined();
  });

  test("a grace period past Mango's 30 s, or a setting it does not know, is refused", () => {
    expect(() => loadConfig({ fileText: `${BASE}[pbx.mango]\ngrace_seconds = 60\n` })).toThrow(
      /pbx.mango.grace_seconds/,
    );
    expect(() => loadConfig({ fileText: `${BASE}[pbx.mango]\nkey = "x"\n` })).toThrow(ConfigError);
  });
});

describe("[pbx.ami] handsets (issue 12)", () => {
  const BASE = '[branch]\nid="b"\nname="B"\n[http]\nadmin_token="0123456789abcdef"\n';
  const AMI = '[pbx.ami]\nhost = "pbx"\nusername = "branchbox"\nsecret = "s3cret"\n';

  test("the example's commented section, uncommented, is valid: no handset settings, profile auto", () => {
    const example = readFileSync(EXAMPLE, "utf8");
    const section = example.slice(
      example.indexOf("# [pbx.ami]"),
      example.indexOf("# Or, for a PBX without AMI"),
    );
    // Its settings are the `# key = value` lines; the rest is prose.
    const settings = section
      .split("\n")
      .filter((line) => /^# [a-z_]+ = /.test(line))
      .map((line) => line.slice(2).replace(/ {2,}#.*$/, ""));
    expect(settings.map((line) => line.split(" = ")[0])).toEqual([
      "host",
      "port",
      "username",
      "secret",
      "handsets",
      "handset_pattern",
      "trunk_contexts",
      "profile",
      "capture_dir",
      "capture_max_mb",
      "cel_url",
      "cel_csv",
      "timezone",
      "originate_context",
      "dial_context",
      "transfer_context",
      "originate_channel",
      "originate_ring_seconds",
      "agi_listen",
      "route_tech",
    ]);
    const config = loadConfig({ fileText: `${BASE}[pbx.ami]\n${settings.join("\n")}\n` });
    expect(config.pbx.ami).toMatchObject({
      handsets: [],
      handset_pattern: "",
      trunk_contexts: [],
      profile: "auto",
      capture_dir: "",
      capture_max_mb: 64,
      agi_listen: "",
      route_tech: "PJSIP",
    });
  });

  test("environment variables set device names and trunk contexts as comma-separated lists", () => {
    const config = loadConfig({
      fileText: `${BASE}${AMI}`,
      env: {
        BRANCHBOX_PBX_AMI_HANDSETS: "reception-a, 150010001",
        BRANCHBOX_PBX_AMI_TRUNK_CONTEXTS: "from-pstn,osvpi_trunk",
        BRANCHBOX_PBX_AMI_PROFILE: "known",
        BRANCHBOX_PBX_AMI_HANDSET_PATTERN: "^2\\d\\d$",
      },
    });
    expect(config.pbx.ami).toMatchObject({
      handsets: ["reception-a", "150010001"],
      trunk_contexts: ["from-pstn", "osvpi_trunk"],
      profile: "known",
      handset_pattern: "^2\\d\\d$",
    });
  });

  test("a bad pattern, profile or device name is named; an unknown key is refused", () => {
    try {
      loadConfig({
        fileText: `${BASE}${AMI}handset_pattern = "(("\nprofile = "asterisk"\nhandsets = ["a b"]\n`,
      });
      throw new Error("expected a ConfigError");
    } catch (error) {
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toContain('pbx.ami.handset_pattern = "((": expected a regular expression');
      expect(problems).toContain("pbx.ami.profile");
      expect(problems).toContain('pbx.ami.handsets[0] = "a b": expected device names');
    }
    expect(() => loadConfig({ fileText: `${BASE}${AMI}extensions = ["101"]\n` })).toThrow(/extensions/);
  });
});

describe("[pbx.ami] call control (issue 15)", () => {
  const BASE = '[branch]\nid="b"\nname="B"\n[http]\nadmin_token="0123456789abcdef"\n';
  const AMI = '[pbx.ami]\nhost = "pbx"\nusername = "branchbox"\nsecret = "s3cret"\n';

  test("FreePBX's contexts by default; each key set from the file or the environment", () => {
    expect(loadConfig({ fileText: `${BASE}${AMI}` }).pbx.ami).toMatchObject({
      originate_context: "from-internal",
      dial_context: "from-internal",
      transfer_context: "from-internal",
      originate_channel: "Local/{extension}@{context}/n",
      originate_ring_seconds: 30,
    });
    const config = loadConfig({
      fileText: `${BASE}${AMI}originate_context = "originate-skipvm"\noriginate_channel = "PJSIP/{extension}"\n`,
      env: {
        BRANCHBOX_PBX_AMI_TRANSFER_CONTEXT: "internal-transfer",
        BRANCHBOX_PBX_AMI_ORIGINATE_RING_SECONDS: "20",
      },
    });
    expect(config.pbx.ami).toMatchObject({
      originate_context: "originate-skipvm",
      originate_channel: "PJSIP/{extension}",
      transfer_context: "internal-transfer",
      originate_ring_seconds: 20,
    });
  });

  test("a context that is no dialplan name, a channel without {extension} and a ring time out of 5-300 s are refused by name", () => {
    try {
      loadConfig({
        fileText: `${BASE}${AMI}dial_context = "from internal"\noriginate_channel = "Local/101@x"\noriginate_ring_seconds = 1\n`,
      });
      throw new Error("expected a ConfigError");
    } catch (error) {
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toContain('pbx.ami.dial_context = "from internal": expected a dialplan context');
      expect(problems).toContain("pbx.ami.originate_channel");
      expect(problems).toContain("pbx.ami.originate_ring_seconds");
    }
  });
});

describe("[pbx.ami] capture_dir: raw capture for support (issue 12)", () => {
  const BASE = '[branch]\nid="b"\nname="B"\n[http]\nadmin_token="0123456789abcdef"\n';
  const AMI = '[pbx.ami]\nhost = "pbx"\nusername = "branchbox"\nsecret = "s3cret"\n';
  const problemsOf = (text: string, env: Record<string, string> = {}): string => {
    try {
      loadConfig({ fileText: `${BASE}${AMI}${text}`, env });
    } catch (error) {
      return (error as ConfigError).problems.join("\n");
    }
    throw new Error("expected a ConfigError");
  };

  test("off by default; a folder and a size in MB turn it on, from the file or the environment", () => {
    expect(loadConfig({ fileText: `${BASE}${AMI}` }).pbx.ami).toMatchObject({
      capture_dir: "",
      capture_max_mb: 64,
    });
    const fromFile = loadConfig({
      fileText: `${BASE}${AMI}capture_dir = "/var/lib/branchbox/capture"\ncapture_max_mb = 16\n`,
    });
    expect(fromFile.pbx.ami).toMatchObject({ capture_dir: "/var/lib/branchbox/capture", capture_max_mb: 16 });
    const fromEnv = loadConfig({
      fileText: `${BASE}${AMI}`,
      env: { BRANCHBOX_PBX_AMI_CAPTURE_DIR: "/srv/capture", BRANCHBOX_PBX_AMI_CAPTURE_MAX_MB: "128" },
    });
    expect(fromEnv.pbx.ami).toMatchObject({ capture_dir: "/srv/capture", capture_max_mb: 128 });
  });

  test("a relative folder, a size out of 1-1024 MB or not a number, and a misspelt key are refused by name", () => {
    expect(problemsOf('capture_dir = "capture"\n')).toContain(
      'pbx.ami.capture_dir = "capture": expected an absolute path',
    );
    expect(problemsOf("capture_max_mb = 0\n")).toMatch(/pbx\.ami\.capture_max_mb = 0: .*1/);
    expect(problemsOf("capture_max_mb = 5000\n")).toMatch(/pbx\.ami\.capture_max_mb = 5000: .*1024/);
    expect(problemsOf("capture_max_mb = 1.5\n")).toContain("pbx.ami.capture_max_mb = 1.5");
    expect(problemsOf("", { BRANCHBOX_PBX_AMI_CAPTURE_MAX_MB: "lots" })).toContain("pbx.ami.capture_max_mb");
    expect(problemsOf('capture_dirs = "/srv/capture"\n')).toContain("did you mean capture_dir?");
  });
});

describe("[pbx.ami] the PBX's CEL, read back after a gap (issue 13)", () => {
  const BASE = '[branch]\nid="b"\nname="B"\n[http]\nadmin_token="0123456789abcdef"\n';
  const AMI = '[pbx.ami]\nhost = "pbx"\nusername = "branchbox"\nsecret = "s3cret"\n';
  const problemsOf = (text: string): string => {
    try {
      loadConfig({ fileText: `${BASE}${AMI}${text}` });
    } catch (error) {
      return (error as ConfigError).problems.join("\n");
    }
    throw new Error("expected a ConfigError");
  };

  test("none by default; a database URL, or a CSV file, and the PBX's zone, from the file or the environment", () => {
    expect(loadConfig({ fileText: `${BASE}${AMI}` }).pbx.ami).toMatchObject({
      cel_url: "",
      cel_csv: "",
      timezone: "",
    });
    expect(
      loadConfig({ fileText: `${BASE}${AMI}cel_url = "postgres://cel@pbx/asterisk"\n` }).pbx.ami?.cel_url,
    ).toBe("postgres://cel@pbx/asterisk");
    const url = "mysql://cel:secret@127.0.0.1/asteriskcdrdb";
    expect(
      loadConfig({ fileText: `${BASE}${AMI}cel_url = "${url}"\ntimezone = "Asia/Yekaterinburg"\n` }).pbx.ami,
    ).toMatchObject({ cel_url: url, timezone: "Asia/Yekaterinburg" });
    const fromEnv = loadConfig({
      fileText: `${BASE}${AMI}`,
      env: { BRANCHBOX_PBX_AMI_CEL_CSV: "/var/log/asterisk/cel-custom/Master.csv" },
    });
    expect(fromEnv.pbx.ami?.cel_csv).toBe("/var/log/asterisk/cel-custom/Master.csv");
  });

  test("a URL of another kind or without its database, a relative file, an unknown zone and both sources at once are refused by name", () => {
    expect(problemsOf('cel_url = "http://pbx/cel"\n')).toContain("pbx.ami.cel_url");
    expect(problemsOf('cel_url = "mysql://cel@pbx"\n')).toContain("pbx.ami.cel_url");
    expect(problemsOf('cel_url = "postgres://cel@pbx"\n')).toContain("pbx.ami.cel_url");
    expect(problemsOf('cel_csv = "Master.csv"\n')).toContain("pbx.ami.cel_csv");
    expect(problemsOf('timezone = "Moscow"\n')).toContain("pbx.ami.timezone");
    expect(
      problemsOf('cel_url = "mysql://cel@pbx/asteriskcdrdb"\ncel_csv = "/var/log/Master.csv"\n'),
    ).toContain("keep one");
  });
});
