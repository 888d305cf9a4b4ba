// Issue 17 end to end: a click on the desk panel of a branch on Mango Office reaches Mango's API.
// The compiled box (`serve --demo`, [pbx.mango]) takes the holder's PIN and the number as the
// panel's form posts them (htmx, same origin) → its command service → a pbx.command on up/replies
// → a real Mosquitto → the compiled `branchbox hq` ([hq.mango], api_url = the wire fake of Mango's
// API, which checks key, form and signature) → the signed `commands/callback`. Mango's answer then
// comes back the way Mango sends it: the signed `result/callback` and the `events/call` legs of the
// API document's callback flow (test/fixtures/mango/api-doc/callback-flow.json, its ids rewritten
// to this branch's extension, number and command) → HQ → down/pbx → the box, whose command follows
// them: connected when the employee's phone answers, and (the document's client leg ending 1124
// without an answer) failed, the client having not answered — never `done`.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { postAsMango, startFakeMango } from "../support/fake-mango.ts";
import { startMosquitto } from "../support/mosquitto.ts";
import { makeTestDir, type Running, startBranchbox } from "../support/process.ts";
import { ADMIN_TOKEN, eventually, SyncSystem, withSystem } from "../support/sync-system.ts";

const SECRETS = { apiKey: "e2e-vpbx-key-17d", salt: "e2e-vpbx-salt-17d" };
const COMMAND_ID = "desk-front-e2e-1";

interface Flow {
  readonly records: readonly { readonly kind: string; readonly json: Record<string, unknown> }[];
}
const FLOW = JSON.parse(
  readFileSync(new URL("../fixtures/mango/api-doc/callback-flow.json", import.meta.url), "utf8"),
) as Flow;

/** The document's flow for this branch: its employee 1234 is front's 101, its client our number. */
function flowFor(commandId: string, number: string): { kind: string; json: string }[] {
  return FLOW.records.map((r) => ({
    kind: r.kind,
    json: JSON.stringify(r.json)
      .replaceAll('"cmd.2.vpbx.12345.external.system.com.net"', JSON.stringify(commandId))
      .replaceAll('"1234"', '"101"')
      .replaceAll('"74955404444"', JSON.stringify(number)),
  }));
}

type CommandJson = { commandId: string; state: string; reason: string | null; callId: string | null };

test("issue 17, R2.1 on Mango: the desk panel's click → the box → Mosquitto → branchbox hq → the signed commands/callback at Mango; Mango's result and legs bring the command back to the panel's state", async () => {
  const sys = new SyncSystem();
  const mango = startFakeMango(SECRETS);
  let box: Running | null = null;
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto());
    const hq = await sys.startHq({ url: broker.url }, "hq-mango-desk", [
      "[hq.mango]",
      `vpbx_api_key = "${SECRETS.apiKey}"`,
      `vpbx_api_salt = "${SECRETS.salt}"`,
      `api_url = "${mango.apiUrl}"`,
      "[[hq.mango.branches]]",
      `branch = "demo"`,
      `extensions = ["101", "102"]`,
    ]);
    box = await startBranchbox({
      args: ["serve", "--demo"],
      dir: makeTestDir("mango-desk-panel"),
      env: {
        BRANCHBOX_HTTP_ADMIN_TOKEN: ADMIN_TOKEN,
        BRANCHBOX_MQTT_URL: broker.url,
        BRANCHBOX_PBX_MANGO_GRACE_SECONDS: "30",
      },
    });
    const base = box.baseUrl;
    try {
      const api = (path: string, body?: unknown) =>
        fetch(`${base}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(5000),
        });
      // The panel's form posts, as kiosk.js and htmx send them from the box's own page.
      const panelPost = async (path: string, fields: Record<string, string>) => {
        const response = await fetch(`${base}${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            origin: base,
            "hx-request": "true",
          },
          body: new URLSearchParams(fields).toString(),
          signal: AbortSignal.timeout(5000),
        });
        return { status: response.status, html: await response.text() };
      };
      expect((await api("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" })).status).toBe(
        200,
      );

      // The box links to HQ (its relay saw HQ online): the down stream is subscribed.
      await eventually(
        "the box linked to headquarters",
        async () => /^branchbox_sync_hq_online 1$/m.test(await (await api("/metrics")).text()),
        30_000,
      );

      const opened = await panelPost("/desk/front/panel", { employeeId: "anna", pin: "1111" });
      expect(opened.status).toBe(200);
      const ticket = /name="ticket" value="([^"]+)"/.exec(opened.html)?.[1];
      expect(ticket).toBeDefined();
      const click = await panelPost("/desk/front/call", {
        ticket: ticket ?? "",
        commandId: COMMAND_ID,
        q: "8 (916) 123-45-67",
      });
      expect(click.status).toBeLessThan(300);

      // At Mango: one signed callback from front's phone to the number, with the box's command id.
      await eventually(
        "the signed commands/callback at Mango",
        async () => mango.requests.some((r) => r.path === "commands/callback"),
        30_000,
      );
      expect(mango.rejected).toEqual([]);
      const sent = mango.requests.filter((r) => r.path === "commands/callback");
      expect(sent).toHaveLength(1);
      expect(sent[0]?.json).toEqual({
        command_id: COMMAND_ID,
        from: { extension: "101" },
        to_number: "79161234567",
      });

      // Mango answers as its document shows: the result, then the employee's leg and the client's.
      const result = await postAsMango(
        `${hq.baseUrl}/mango/result/callback`,
        JSON.stringify({ command_id: COMMAND_ID, result: 1000 }),
        SECRETS,
      );
      expect(result.status).toBe(200);
      const command = async () => (await (await api(`/api/v1/commands/${COMMAND_ID}`)).json()) as CommandJson;
      const [appeared, connected, ...rest] = flowFor(COMMAND_ID, "79161234567");
      for (const event of [appeared, connected]) {
        if (event === undefined) throw new Error("the document's flow has its legs");
        expect(
          (await postAsMango(`${hq.baseUrl}/mango/events/${event.kind}`, event.json, SECRETS)).status,
        ).toBe(200);
      }
      await eventually(
        "the command connected: front's phone answered",
        async () => {
          const c = await command();
          return c.state === "connected";
        },
        30_000,
      );
      expect((await command()).callId).toBe("232wc3e3w3s222");
      for (const event of rest)
        expect(
          (await postAsMango(`${hq.baseUrl}/mango/events/${event.kind}`, event.json, SECRETS)).status,
        ).toBe(200);
      await eventually(
        "the command settled by the client's leg",
        async () => {
          const c = await command();
          return c.state !== "connected";
        },
        30_000,
      );
      const settled = await command();
      expect(settled.state).toBe("failed");
      expect(settled.reason).not.toBeNull();
      // HQ sent one command and shows it done by Mango's result.
      const status = await sys.hqGet<{ commands: { outcomes: Record<string, number> } }>(hq, "/api/v1/mango");
      expect(status.commands.outcomes).toMatchObject({ done: 1 });
    } finally {
      await box?.stop();
      await mango.stop();
    }
  });
}, 120_000);
