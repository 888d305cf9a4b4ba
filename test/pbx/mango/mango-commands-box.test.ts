// Issue 17: a whole box on [pbx.mango] acts on its calls through headquarters. A click-to-call
// submitted to the box's command service (POST /api/v1/commands, the service the desk panel's
// buttons submit to) becomes a pbx.command in the durable outbox (up/replies), and is answered by
// what HQ relays down on `pbx`: the command's mango.result and Mango's events carrying its
// command_id (the API document's callback flow, test/fixtures/mango/api-doc/callback-flow.json).
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { pbxCommandSchema } from "../../../src/contract/down-records.ts";
import { outboxStore } from "../../../src/store/outbox-store.ts";
import { makeTestBox, type TestBox } from "../../support/box.ts";
import { until } from "../../support/command-rig.ts";
import { bytes, down } from "../../sync/inbound-fixtures.ts";

interface Flow {
  readonly records: readonly { readonly kind: string; readonly json: Record<string, unknown> }[];
}
const CALLBACK = JSON.parse(
  readFileSync(new URL("../../fixtures/mango/api-doc/callback-flow.json", import.meta.url), "utf8"),
) as Flow;

const boxes: TestBox[] = [];
afterEach(async () => {
  for (const box of boxes.splice(0)) await box.close();
});

/** A Mango box that talks to headquarters: a broker address nobody answers (the outbox keeps all). */
async function mangoBox(mqttUrl: string): Promise<TestBox> {
  const box = await makeTestBox({
    config: { pbx: { mango: {} }, mqtt: { url: mqttUrl } },
  });
  boxes.push(box);
  return box;
}

const clickToCall = (box: TestBox, commandId: string) =>
  box.api("/api/v1/commands", {
    method: "POST",
    body: JSON.stringify({ kind: "click-to-call", extension: "101", number: "74955404444", commandId }),
  });

const pbxCommands = (box: TestBox) =>
  outboxStore(box.db)
    .pending("replies", 0, 100)
    .filter((r) => r.type === "pbx.command");

test("R2.1 on Mango: a click-to-call is a pbx.command in the outbox, answered by HQ's relayed result and Mango's events", async () => {
  const box = await mangoBox("mqtt://127.0.0.1:9");
  expect((await clickToCall(box, "cc-1")).status).toBe(202);
  await until(() => pbxCommands(box).length === 1, "the pbx.command is in the outbox");
  const [record] = pbxCommands(box);
  expect(record?.id).toBe("cc-1");
  expect(pbxCommandSchema.parse(record?.data)).toMatchObject({
    commandId: "cc-1",
    pbx: "mango",
    command: "callback",
    params: { from: { extension: "101" }, to_number: "74955404444" },
  });
  // Mango's events for the command, as the document's example shows them, for this branch's 101.
  const events = CALLBACK.records.slice(0, 2).map((r, i) => ({
    id: `mango:call:${i}`,
    type: "mango.event",
    data: {
      kind: r.kind,
      json: { ...r.json, command_id: "cc-1", to: { extension: "101", number: "101" } },
      receivedAt: box.clock.now(),
    },
  }));
  const result = {
    id: "mango:result:cc-1",
    type: "mango.result",
    data: { commandId: "cc-1", command: "callback", result: 1000, by: "mango", receivedAt: box.clock.now() },
  };
  box.inbound.handle("pbx", bytes(down("pbx", 1, [result, events[0] as never])));
  await until(
    () => box.deps.commands.get("cc-1")?.callId === "232wc3e3w3s222",
    "onCall: the entry is the call",
  );
  expect(box.deps.commands.get("cc-1")?.state).not.toBe("connected");
  box.inbound.handle("pbx", bytes(down("pbx", 3, [events[1] as never])));
  await until(() => box.deps.commands.get("cc-1")?.state === "connected", "the employee's leg Connected");
});

test("HQ's refusal fails the command with HQ's reason; nothing more is sent for it", async () => {
  const box = await mangoBox("mqtt://127.0.0.1:9");
  expect((await clickToCall(box, "cc-2")).status).toBe(202);
  await until(() => pbxCommands(box).length === 1, "the pbx.command is in the outbox");
  const refusal = {
    id: "mango:result:cc-2",
    type: "mango.result",
    data: {
      commandId: "cc-2",
      command: "callback",
      result: null,
      by: "hq",
      reason: "extension 101 is not this branch's",
      receivedAt: box.clock.now(),
    },
  };
  box.inbound.handle("pbx", bytes(down("pbx", 1, [refusal])));
  await until(() => box.deps.commands.get("cc-2")?.state === "failed", "the command failed");
  expect(box.deps.commands.get("cc-2")?.reason).toContain("extension 101 is not this branch's");
  expect(pbxCommands(box).length).toBe(1);
});

test("without [mqtt] url a Mango box refuses at once and writes nothing", async () => {
  const box = await mangoBox("");
  await clickToCall(box, "cc-3");
  await until(() => box.deps.commands.get("cc-3")?.state === "failed", "the command failed");
  expect(pbxCommands(box)).toEqual([]);
});
