// Issue 10: writes that run after a commit, where no caller can be told (the roster's listener
// re-attributing calls, HQ's commands run after the inbox's commit), on a real tmpfs that fills
// up between the commit and them. Nothing may escape the callback (Bun ends the process on an
// uncaught error or an unhandled rejection): the failure is logged once and counted, and the
// write is made once there is room, exactly once.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import { StorageFaults, storageFaults } from "../../src/store/storage-faults.ts";
import { type CommandPort, createInbound } from "../../src/sync/inbound/index.ts";
import { CallScript } from "../fixtures/domain/call-fixtures.ts";
import { makeTestBox } from "../support/box.ts";
import { eventually } from "../support/test-hq.ts";
import { fillUp, mountTmpfs, unmount } from "../support/tmpfs.ts";
import { BRANCH, bytes, capturingLogger, down, replies } from "../sync/inbound-fixtures.ts";

const T = (hhmmss: string) => Date.parse(`2026-11-21T${hhmmss}+03:00`);

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A tmpfs mount for this test, unmounted (and its folder removed) after it, passed or not. */
function smallDisk(): { mount: string; filler: string } {
  const mount = mkdtempSync(join(tmpdir(), "branchbox-small-disk-"));
  mountTmpfs(mount, "8m");
  const before = cleanup;
  cleanup = async () => {
    await before?.();
    unmount(mount);
    rmSync(mount, { recursive: true, force: true });
  };
  return { mount, filler: join(mount, "filler") };
}

test("a manager's correction whose re-attribution finds the disk full: the box goes on, and the changed record is written once there is room", async () => {
  const disk = smallDisk();
  const box = await makeTestBox({
    dir: join(disk.mount, "box"),
    clock: { now: () => T("12:00:00"), set() {}, advance() {} },
  });
  const closeDisk = cleanup;
  cleanup = async () => {
    await box.close();
    await closeDisk?.();
  };
  const post = (path: string, body: unknown) => box.api(path, { method: "POST", body: JSON.stringify(body) });
  const callRecords = () =>
    box.db
      .query<{ data: string }, []>("SELECT data FROM outbox WHERE stream = 'calls' ORDER BY seq")
      .all()
      .map((r) => JSON.parse(r.data) as { owner: { employeeId: string } });

  expect(
    (
      await post("/api/v1/roster/check-in", {
        employeeId: "olga",
        deskId: "front",
        at: "2026-11-21T09:00:00+03:00",
      })
    ).status,
  ).toBe(200);
  const call = new CallScript("c-1");
  await box.calls.deliver([
    call.inbound(T("10:00:00")),
    call.ring("c-1-leg", "101", T("10:00:01")),
    call.answer("c-1-leg", "101", T("10:00:05")),
    call.end("c-1-leg", "101", "normal", T("10:01:00")),
    call.hangup(T("10:01:00")),
  ]);
  expect(callRecords().map((r) => r.owner.employeeId)).toEqual(["olga"]);

  // The disk fills up right after the correction's commit, before the calls it covers are saved again.
  const reattribute = box.calls.reattributeSince.bind(box.calls);
  let filled = false;
  box.calls.reattributeSince = (from) => {
    if (!filled) filled = fillUp(disk.filler) > 0;
    return reattribute(from);
  };
  const errorsBefore = storageFaults.status().errors;
  const handover = await post("/api/v1/roster/handover", {
    employeeId: "irina",
    deskId: "front",
    at: "2026-11-21T09:30:00+03:00",
  });
  expect(handover.status).toBe(200);
  await eventually(
    "the failed re-attribution to be retried",
    () => storageFaults.status().errors >= errorsBefore + 2,
  );
  expect(storageFaults.status().failing).toContain("calls.reattribute");
  expect(callRecords()).toHaveLength(1);
  // The box still answers.
  expect((await box.api("/api/v1/desks")).status).toBe(200);

  rmSync(disk.filler);
  await eventually("the re-attributed record to be written", () => callRecords().length === 2);
  expect(callRecords()[1]?.owner.employeeId).toBe("irina");
  expect(storageFaults.status().failing).not.toContain("calls.reattribute");
});

test("a command whose end cannot be written (the disk filled while it ran) is answered once there is room, and not run again", async () => {
  const disk = smallDisk();
  const db = openDatabase(join(disk.mount, "inbox"));
  const { log, lines } = capturingLogger();
  const faults = new StorageFaults();
  const now = T("10:00:00");
  let runs = 0;
  const port: CommandPort = {
    supports: (kind) => kind === "click-to-call",
    run: async () => {
      runs++;
      fillUp(disk.filler);
      return { ok: true };
    },
  };
  const inbound = createInbound({
    db,
    branch: BRANCH,
    log,
    now: () => now,
    commands: port,
    storageFaults: faults,
  });
  const closeDisk = cleanup;
  cleanup = async () => {
    await inbound.stop();
    db.close();
    await closeDisk?.();
  };
  inbound.start();

  const outcome = inbound.handle(
    "commands",
    bytes(
      down("commands", 1, [
        {
          type: "command.run",
          data: {
            commandId: "c-1",
            kind: "click-to-call",
            expiresAt: now + 60_000,
            args: { employeeId: "anna", number: "+79161112233" },
          },
        },
      ]),
    ),
  );
  expect(outcome.kind).toBe("applied");
  await eventually("the failed end to be retried", () => faults.status().errors >= 2);
  expect(faults.status().failing).toEqual(["sync.commands"]);
  expect(replies(db)).toEqual([]);
  const logged = lines.filter((l) => l.code === "STORAGE.DISK_FULL");
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ level: "error", site: "sync.commands", commandId: "c-1" });

  rmSync(disk.filler);
  await eventually("the reply to be written", () => replies(db).length === 1);
  expect(replies(db).map((r) => r.data)).toEqual([{ commandId: "c-1", status: "done" }]);
  expect(runs).toBe(1);
  expect(faults.status().failing).toEqual([]);
  expect(lines.filter((l) => l.code === "STORAGE.RECOVERED")).toHaveLength(1);
});
