// Issue 15: the composition root gives the command service the PBX adapter's control, serves it on
// /api/v1/commands and runs HQ's command.run through it.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createBox } from "../../src/app.ts";
import { boxSections, loadConfigWith } from "../../src/config/load.ts";
import { PBX_SECTIONS } from "../../src/config/pbx-sections.ts";
import { boxConfigSchema } from "../../src/config/schema.ts";
import { DEMO_CONFIG } from "../../src/demo.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { PbxModule } from "../../src/pbx/pbx-module.ts";
import { PBX_REGISTRY, pbxEntry } from "../../src/pbx/registry.ts";
import { systemTimer } from "../../src/service/timer.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { until } from "../support/command-rig.ts";
import { failed, fakePbxControl } from "../support/fake-pbx-control.ts";
import { bytes, down, replies } from "../sync/inbound-fixtures.ts";

test("issue 15: the first PBX adapter with a control acts for the API and for HQ; closing the box leaves nothing running", async () => {
  const section = z.strictObject({ url: z.string().min(1) });
  const control = fakePbxControl(systemTimer());
  const fake: PbxModule<z.output<typeof section>> = {
    create: () => ({
      source: {
        name: "fake",
        start: () => {},
        stop: async () => {},
        status: () => ({ state: "connected", since: 0, detail: "", eventsReceived: 0, badFrames: 0 }),
      },
      control,
    }),
    probe: async () => ({ ok: true, detail: "" }),
  };
  const sections = { ...PBX_SECTIONS, fake: section };
  const dir = mkdtempSync(join(tmpdir(), "branchbox-cmdwire-"));
  const config = loadConfigWith(boxConfigSchema(sections), boxSections(sections), {
    base: { ...DEMO_CONFIG, http: { admin_token: TEST_TOKEN }, storage: { dir } },
    env: { BRANCHBOX_PBX_FAKE_URL: "fake://" },
  });
  const box = await createBox(config, {
    log: silentLogger,
    pbx: { ...PBX_REGISTRY, fake: pbxEntry(section, "fake", async () => fake) },
  });
  try {
    const r = await box.app.request("/api/v1/commands", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "click-to-call", extension: "101", number: "555", commandId: "api-1" }),
    });
    expect(r.status).toBe(202);
    // The employee answered (the controller's ok); the client's answer would come from the source.
    await until(() => box.deps.commands.get("api-1")?.state === "connected", "the API's command connected");
    control.script("originate", failed("PBX.CONTROL_FAILED", "busy (Reason 5)"));
    const run = { commandId: "hq-1", kind: "click-to-call", expiresAt: Date.now() + 30_000 };
    box.inbound.handle(
      "commands",
      bytes(
        down("commands", 1, [
          { type: "command.run", data: { ...run, args: { extension: "101", number: "556" } } },
        ]),
      ),
    );
    await until(() => replies(box.db).some((x) => x.id === "hq-1"), "HQ's reply");
    expect(replies(box.db).find((x) => x.id === "hq-1")?.data).toEqual({
      commandId: "hq-1",
      status: "failed",
      reason: "busy (Reason 5)",
    });
    expect(control.requests.map((x) => x.request.commandId)).toEqual(["api-1", "hq-1"]);
  } finally {
    await box.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
