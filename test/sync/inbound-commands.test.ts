// HQ's commands: never run after their expiry (on arrival or when their turn comes), at most once
// per commandId, one reply each on up/replies written in the deciding commit.
import { afterEach, expect, test } from "bun:test";
import { MAX_RUNNING } from "../../src/sync/inbound/command-runner.ts";
import type { Command, CommandPort } from "../../src/sync/inbound/index.ts";
import { until } from "../support/command-rig.ts";
import { bytes, down, type InboxFixture, makeInbox, replies } from "./inbound-fixtures.ts";

let box: InboxFixture | undefined;
afterEach(() => box?.close());

const command = (commandId: string, expiresAt: number, kind = "click-to-call") => ({
  type: "command.run",
  data: { commandId, kind, expiresAt, args: { employeeId: "anna", number: "+79161112233" } },
});

/** A port that runs click-to-call, each run waiting for the test to release it. */
function gatedPort() {
  const ran: string[] = [];
  const gates: (() => void)[] = [];
  const port: CommandPort = {
    supports: (kind) => kind === "click-to-call",
    run: async (c: Command) => {
      ran.push(c.commandId);
      await new Promise<void>((resolve) => gates.push(resolve));
      return c.args.fail === true ? { ok: false, reason: "the employee's phone is busy" } : { ok: true };
    },
  };
  const release = async () => {
    while (gates.length === 0) await Bun.sleep(1);
    gates.shift()?.();
    await Bun.sleep(5);
  };
  return { port, ran, release };
}

test("a command expired in transit is not run: an `expired` reply goes up in the same commit", () => {
  const { port, ran } = gatedPort();
  box = makeInbox({ commands: port });
  box.inbound.handle("commands", bytes(down("commands", 1, [command("c-1", box.clock.t - 1)])));
  expect(ran).toEqual([]);
  expect(replies(box.db)).toEqual([
    { id: "c-1", type: "command.reply", data: { commandId: "c-1", status: "expired" } },
  ]);
  expect(box.repliesWoken).toBe(1);
  expect(box.lines.find((l) => l.code === "SYNC.COMMAND_EXPIRED")).toMatchObject({
    commandId: "c-1",
    lateMs: 1,
  });
  expect(box.inbound.status().commands).toMatchObject({ expired: 1, pending: 0 });
});

test("without a PBX control port every command is answered `unsupported`", () => {
  box = makeInbox();
  box.inbound.handle("commands", bytes(down("commands", 1, [command("c-1", box.clock.t + 60_000)])));
  expect(replies(box.db).map((r) => r.data)).toEqual([{ commandId: "c-1", status: "unsupported" }]);
  expect(box.codes()).toContain("SYNC.COMMAND_UNSUPPORTED");
});

test("a supported command runs once, after its commit, and is answered `done`; its commandId under a new seq is not run again", async () => {
  const gate = gatedPort();
  box = makeInbox({ commands: gate.port });
  box.inbound.handle("commands", bytes(down("commands", 1, [command("c-1", box.clock.t + 60_000)])));
  await gate.release();
  expect(gate.ran).toEqual(["c-1"]);
  expect(replies(box.db).map((r) => r.data)).toEqual([{ commandId: "c-1", status: "done" }]);
  box.inbound.handle("commands", bytes(down("commands", 2, [command("c-1", box.clock.t + 60_000)])));
  await Bun.sleep(10);
  expect(gate.ran).toEqual(["c-1"]);
  expect(replies(box.db)).toHaveLength(1);
  expect(box.codes()).toContain("SYNC.COMMAND_DUPLICATE");
  expect(box.inbound.status().commands).toMatchObject({ done: 1, duplicates: 1 });
});

test("commands run side by side: the second starts while the first still waits for its call", async () => {
  const gate = gatedPort();
  box = makeInbox({ commands: gate.port });
  const t0 = box.clock.t;
  box.inbound.handle("commands", bytes(down("commands", 1, [command("slow", t0 + 60_000)])));
  box.inbound.handle("commands", bytes(down("commands", 2, [command("next", t0 + 60_000)])));
  await until(() => gate.ran.length === 2, "both running");
  expect(gate.ran).toEqual(["slow", "next"]);
  expect(replies(box.db)).toEqual([]);
  expect(box.inbound.status().commands).toMatchObject({ pending: 2 });
});

test(`a command that expires while ${MAX_RUNNING} others run is not run: \`expired\` when its turn comes`, async () => {
  const gate = gatedPort();
  box = makeInbox({ commands: gate.port });
  const t0 = box.clock.t;
  const slow = Array.from({ length: MAX_RUNNING }, (_, i) => command(`slow-${i}`, t0 + 60_000));
  box.inbound.handle("commands", bytes(down("commands", 1, [...slow, command("quick", t0 + 5_000)])));
  await until(() => gate.ran.length === MAX_RUNNING, "the first ones running");
  box.clock.t = t0 + 10_000;
  await gate.release();
  await until(() => replies((box as InboxFixture).db).length === 2, "two replies");
  expect(gate.ran).not.toContain("quick");
  expect(replies(box.db).map((r) => r.data)).toEqual([
    { commandId: "slow-0", status: "done" },
    { commandId: "quick", status: "expired" },
  ]);
});

test("a failed run is answered `failed` with the reason, and not retried", async () => {
  const gate = gatedPort();
  box = makeInbox({ commands: gate.port });
  const c = command("c-1", box.clock.t + 60_000);
  box.inbound.handle(
    "commands",
    bytes(down("commands", 1, [{ ...c, data: { ...c.data, args: { fail: true } } }])),
  );
  await gate.release();
  expect(replies(box.db).map((r) => r.data)).toEqual([
    { commandId: "c-1", status: "failed", reason: "the employee's phone is busy" },
  ]);
  expect(gate.ran).toEqual(["c-1"]);
});

test("at most once across a crash: a command running when the box died is answered `failed`, never run again; pending ones run after the restart", async () => {
  const gate = gatedPort();
  box = makeInbox({ commands: gate.port });
  const t = box.clock.t;
  box.inbound.handle("commands", bytes(down("commands", 1, [command("running", t + 60_000)])));
  await Bun.sleep(5);
  expect(gate.ran).toEqual(["running"]);
  // A command committed but not yet started, as if the box died right after the commit.
  box.db.run(
    "INSERT INTO commands (command_id, kind, expires_at, args, state, received_at) VALUES ('next', 'click-to-call', ?, '{}', 'pending', ?)",
    [t + 60_000, t],
  );
  const after = gatedPort();
  box = box.restart(after.port);
  box.inbound.start();
  await after.release();
  await box.inbound.stop();
  expect(after.ran).toEqual(["next"]);
  expect(replies(box.db).map((r) => r.data)).toEqual([
    {
      commandId: "running",
      status: "failed",
      reason: "interrupted: the box stopped while it ran; not run again",
    },
    { commandId: "next", status: "done" },
  ]);
  expect(box.codes()).toContain("SYNC.COMMAND_INTERRUPTED");
});

test("a restart answers a command it stopped under by the port's `resume` (what the PBX did), never by running it again; nothing is written after the stop", async () => {
  const gate = gatedPort();
  box = makeInbox({ commands: gate.port });
  box.inbound.handle("commands", bytes(down("commands", 1, [command("c-1", box.clock.t + 60_000)])));
  await until(() => gate.ran.length === 1, "the run");
  const stopped = box.inbound.stop();
  await gate.release(); // the run ends after the stop: its answer is not written
  await stopped;
  expect(replies(box.db)).toEqual([]);
  const resumed: string[] = [];
  const ran: string[] = [];
  box = box.restart({
    supports: () => true,
    run: async (c) => {
      ran.push(c.commandId);
      return { ok: true };
    },
    resume: async (c) => {
      resumed.push(c.commandId);
      return { ok: false, reason: "the number called was busy" };
    },
  });
  box.inbound.start();
  await until(() => replies((box as InboxFixture).db).length === 1, "the reply");
  await box.inbound.stop();
  expect({ resumed, ran }).toEqual({ resumed: ["c-1"], ran: [] });
  expect(replies(box.db).map((r) => r.data)).toEqual([
    { commandId: "c-1", status: "failed", reason: "the number called was busy" },
  ]);
});
