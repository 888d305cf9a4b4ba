import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { z } from "zod";
import { createBox } from "../../src/app.ts";
import { boxSections, ConfigError, loadConfig, loadConfigWith } from "../../src/config/load.ts";
import { PBX_SECTIONS, pbxSectionNames } from "../../src/config/pbx-sections.ts";
import { boxConfigSchema } from "../../src/config/schema.ts";
import { DEMO_CONFIG } from "../../src/demo.ts";
import { checkPbx } from "../../src/doctor.ts";
import type { PbxEventSource } from "../../src/domain/call/pbx-event.ts";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { PbxDeps, PbxModule } from "../../src/pbx/pbx-module.ts";
import { PBX_REGISTRY, type PbxRegistry, pbxEntry } from "../../src/pbx/registry.ts";

const BASE = { ...DEMO_CONFIG, http: { admin_token: "registry-test-token-0123" } };

describe("the PBX registry", () => {
  test("every config section has its registry line, with that section's schema, and nothing else does", () => {
    expect(Object.keys(PBX_REGISTRY)).toEqual(Object.keys(PBX_SECTIONS));
    for (const [key, entry] of Object.entries(PBX_REGISTRY))
      expect(entry.schema).toBe(PBX_SECTIONS[key as keyof typeof PBX_SECTIONS]);
    expect(Object.values(PBX_REGISTRY).map((e) => e.check)).toEqual(["pbx", "sip", "mango"]);
  });

  test("the environment's sections are the box's own, then one per PBX section, under the names integrators use", () => {
    expect(boxSections().slice(-3)).toEqual(["pbx.ami", "pbx.sip", "pbx.mango"]);
    const config = loadConfig({
      base: BASE,
      env: {
        BRANCHBOX_PBX_AMI_HOST: "pbx.branch.local",
        BRANCHBOX_PBX_AMI_USERNAME: "branchbox",
        BRANCHBOX_PBX_AMI_SECRET: "s3cret",
      },
    });
    expect(config.pbx.ami).toEqual({
      host: "pbx.branch.local",
      port: 5038,
      username: "branchbox",
      secret: "s3cret",
      handsets: [],
      handset_pattern: "",
      profile: "auto",
      trunk_contexts: [],
      capture_dir: "",
      capture_max_mb: 64,
      cel_csv: "",
      cel_url: "",
      timezone: "",
      originate_context: "from-internal",
      dial_context: "from-internal",
      transfer_context: "from-internal",
      originate_channel: "Local/{extension}@{context}/n",
      originate_ring_seconds: 30,
      agi_listen: "",
      route_tech: "PJSIP",
    });
  });

  test("the admin page's and doctor's words name the same sections as before", async () => {
    expect(en.adminPbxNone(pbxSectionNames())).toBe(
      "No PBX connected: shifts work, calls are not seen. Add a [pbx.ami], [pbx.sip] or [pbx.mango] section to the config.",
    );
    expect(ru.adminPbxNone(pbxSectionNames())).toBe(
      "АТС не подключена: смены работают, звонки не видны. Добавьте раздел [pbx.ami], [pbx.sip] или [pbx.mango] в конфигурацию.",
    );
    const none = loadConfig({ base: BASE });
    expect(await checkPbx(none)).toEqual([
      {
        name: "pbx",
        status: "WARN",
        detail: "no PBX configured: the roster works, calls are not seen",
        fix: "add a [pbx.ami], [pbx.sip] or [pbx.mango] section (see the example config)",
      },
    ]);
  });
});

describe("a source added as one section and one registry line", () => {
  const fakeSection = z.strictObject({
    url: z.string().min(1),
    retries: z.coerce.number().int().min(0).default(3),
  });
  const sections = { ...PBX_SECTIONS, fake: fakeSection };
  const started: string[] = [];
  const loaded: string[] = [];
  let given: PbxDeps | null = null;
  const fakeModule: PbxModule<z.output<typeof fakeSection>> = {
    create: (section, deps) => {
      given = deps;
      const source: PbxEventSource = {
        name: `fake:${section.url}`,
        start: () => started.push(section.url),
        stop: async () => {},
        status: () => ({ state: "connected", since: 0, detail: "", eventsReceived: 0, badFrames: 0 }),
      };
      const routes = new Hono().get("/ping", (c) => c.text(`pong from ${section.url}`));
      return { source, routes };
    },
    probe: async (section) => ({ ok: true, detail: `${section.url} answers` }),
  };
  const registry: PbxRegistry = {
    ...PBX_REGISTRY,
    fake: pbxEntry(fakeSection, "fake", async () => {
      loaded.push("fake");
      return fakeModule;
    }),
  };
  const load = (env: Record<string, string>, base: Record<string, unknown> = BASE) =>
    loadConfigWith(boxConfigSchema(sections), boxSections(sections), { base, env });

  test("the loader takes its section from the file and BRANCHBOX_PBX_FAKE_*, and refuses a key it does not know", () => {
    expect(boxSections(sections).slice(-4)).toEqual(["pbx.ami", "pbx.sip", "pbx.mango", "pbx.fake"]);
    expect(load({ BRANCHBOX_PBX_FAKE_URL: "fake://pbx" }).pbx.fake).toEqual({
      url: "fake://pbx",
      retries: 3,
    });
    const problems = (() => {
      try {
        load({ BRANCHBOX_PBX_FAKE_URL: "fake://pbx", BRANCHBOX_PBX_FAKE_RETRYS: "2" });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      "pbx.fake.retrys (from BRANCHBOX_PBX_FAKE_RETRYS): no such setting in [pbx.fake]",
    );
    expect(problems[0]).toContain("did you mean retries?");
    expect(() => load({ BRANCHBOX_PBX_OTHER_URL: "x" })).toThrow(
      /pbx\.ami, pbx\.sip, pbx\.mango, pbx\.fake\)/,
    );
    // The box's own schema does not know it: the section is the registry's doing, not a loophole.
    expect(() => loadConfig({ base: BASE, env: { BRANCHBOX_PBX_FAKE_URL: "fake://pbx" } })).toThrow(
      ConfigError,
    );
  });

  test("doctor probes it under its own name, and names it among the sections to add", async () => {
    expect(await checkPbx(load({ BRANCHBOX_PBX_FAKE_URL: "fake://pbx" }), registry)).toEqual([
      { name: "fake", status: "OK", detail: "fake://pbx answers" },
    ]);
    const [none] = await checkPbx(load({}), registry);
    expect(none?.fix).toBe(
      "add a [pbx.ami], [pbx.sip], [pbx.mango] or [pbx.fake] section (see the example config)",
    );
  });

  test("the composition root builds and starts it, mounts its HTTP routes at /pbx/fake, and loads no code of sources not configured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "branchbox-registry-"));
    loaded.length = 0;
    started.length = 0;
    try {
      const bare = await createBox(load({}, { ...BASE, storage: { dir } }), {
        log: silentLogger,
        pbx: registry,
      });
      expect(bare.sources).toEqual([]);
      expect(loaded).toEqual([]);
      await bare.close();
      const config = load({ BRANCHBOX_PBX_FAKE_URL: "fake://pbx" }, { ...BASE, storage: { dir } });
      const box = await createBox(config, { log: silentLogger, pbx: registry });
      try {
        expect(box.sources.map((s) => s.name)).toEqual(["fake:fake://pbx"]);
        expect(started).toEqual(["fake://pbx"]);
        const response = await box.app.request("/pbx/fake/ping");
        expect(await response.text()).toBe("pong from fake://pbx");
      } finally {
        await box.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the composition root tells a source the branch's extensions: its desks' and its staff's (issue 12)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "branchbox-registry-"));
    given = null;
    try {
      const config = load({ BRANCHBOX_PBX_FAKE_URL: "fake://pbx" }, { ...BASE, storage: { dir } });
      const box = await createBox(config, {
        log: silentLogger,
        pbx: registry,
        seedStaff: [
          { id: "s", name: "S", role: "manager", pin: "9999", extension: "150010002" },
          { id: "r", name: "R", role: "reception", pin: "1111", extension: null },
        ],
      });
      try {
        const known = (given as PbxDeps | null)?.knownExtensions();
        expect([...(known ?? [])].sort()).toEqual(["101", "150010002"]);
      } finally {
        await box.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
