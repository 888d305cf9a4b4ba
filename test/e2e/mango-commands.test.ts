// Issue 17 over the real wire: a branch publishes a `pbx.command` envelope on up/replies to a real
// Mosquitto → the compiled `branchbox hq` ([hq.mango], api_url = the wire fake of Mango's API)
// checks, claims and sends it signed → the fake answers 200 → Mango's signed `result/callback`
// reaches HQ → the branch gets the command's `mango.result` on down/pbx. A command naming another
// branch's extension is refused at HQ: nothing reaches the fake, the branch is told why.
import { expect, test } from "bun:test";
import mqtt from "mqtt";
import { DOWN_RECORD_SCHEMAS, type PbxCommand } from "../../src/contract/down-records.ts";
import { type Envelope, envelopeSchema, PROTOCOL_VERSION, topics } from "../../src/contract/protocol.ts";
import { postAsMango, startFakeMango } from "../support/fake-mango.ts";
import { startMosquitto } from "../support/mosquitto.ts";
import { eventually, SyncSystem, withSystem } from "../support/sync-system.ts";

const SECRETS = { apiKey: "e2e-vpbx-key-17c", salt: "e2e-vpbx-salt-17c" };

test("issue 17: pbx.command on up/replies → branchbox hq → the signed command at Mango → result/callback → mango.result on the branch's down/pbx", async () => {
  const sys = new SyncSystem();
  const fake = startFakeMango(SECRETS);
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto());
    const hq = await sys.startHq({ url: broker.url }, "hq-mango-commands", [
      "[hq.mango]",
      `vpbx_api_key = "${SECRETS.apiKey}"`,
      `vpbx_api_salt = "${SECRETS.salt}"`,
      `api_url = "${fake.apiUrl}"`,
      "[[hq.mango.branches]]",
      `branch = "east"`,
      `lines = ["74951112233"]`,
      `extensions = ["222"]`,
      "[[hq.mango.branches]]",
      `branch = "west"`,
      `extensions = ["333"]`,
    ]);
    // The branch, as its sync relay speaks on the wire.
    const branch = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: "east-box",
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    const down: Envelope[] = [];
    branch.on("message", (topic, payload) => {
      if (topic === topics.down("east", "pbx"))
        down.push(envelopeSchema.parse(JSON.parse(payload.toString())));
    });
    await branch.subscribeAsync(topics.down("east", "pbx"), { qos: 1 });
    try {
      const expiresAt = Date.now() + 60_000;
      const commands: PbxCommand[] = [
        {
          commandId: "e2e-cb-1",
          pbx: "mango",
          command: "callback",
          params: { from: { extension: "222" }, to_number: "79161234567", line_number: "74951112233" },
          expiresAt,
        },
        {
          commandId: "e2e-cb-2",
          pbx: "mango",
          command: "callback",
          params: { from: { extension: "333" }, to_number: "79161234567" },
          expiresAt,
        },
      ];
      const envelope: Envelope = {
        v: PROTOCOL_VERSION,
        branch: "east",
        epoch: 1,
        stream: "replies",
        seqFrom: 1,
        seqTo: 2,
        historical: false,
        records: commands.map((data, i) => ({
          id: data.commandId,
          seq: i + 1,
          ts: Date.now(),
          type: "pbx.command",
          data,
        })),
      };
      await branch.publishAsync(topics.up("east", "replies"), JSON.stringify(envelope), { qos: 1 });

      await eventually("the signed command at Mango", () => fake.requests.length > 0, 20_000);
      expect(fake.rejected).toEqual([]);
      expect(fake.requests.map((r) => [r.path, r.json])).toEqual([
        [
          "commands/callback",
          {
            command_id: "e2e-cb-1",
            from: { extension: "222" },
            to_number: "79161234567",
            line_number: "74951112233",
          },
        ],
      ]);
      const results = () => down.flatMap((e) => e.records).filter((r) => r.type === "mango.result");
      await eventually("HQ's refusal of the other branch's extension", () => results().length === 1, 20_000);
      expect(results()[0]?.data).toMatchObject({ commandId: "e2e-cb-2", by: "hq", result: null });

      const callback = await postAsMango(
        `${hq.baseUrl}/mango/result/callback`,
        JSON.stringify({ command_id: "e2e-cb-1", result: 1000 }),
        SECRETS,
      );
      expect(callback.status).toBe(200);
      await eventually("Mango's result on down/pbx", () => results().length === 2, 20_000);
      const done = DOWN_RECORD_SCHEMAS.pbx["mango.result"].parse(results()[1]?.data);
      expect(done).toMatchObject({ commandId: "e2e-cb-1", command: "callback", result: 1000, by: "mango" });
      expect(results().map((r) => [r.seq, r.id])).toEqual([
        [1, "mango:result:e2e-cb-2"],
        [2, "mango:result:e2e-cb-1"],
      ]);
      // Nothing was sent twice, and the refused one never reached Mango.
      expect(fake.requests.length).toBe(1);
      const mango = await sys.hqGet<{ commands: { outcomes: Record<string, number> } }>(hq, "/api/v1/mango");
      expect(mango.commands.outcomes).toEqual({ done: 1, refused: 1 });
    } finally {
      await branch.endAsync();
      await fake.stop();
    }
  });
}, 90_000);
