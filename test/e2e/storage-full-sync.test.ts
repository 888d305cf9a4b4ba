// Issue 10: the box's storage directory is a real, small tmpfs that fills up while headquarters'
// acks arrive. The compiled branch binary, the compiled `branchbox hq` and a real Mosquitto each
// run as their own process. HQ's acks then cannot be written (the DELETE needs room in the WAL):
// the box must stay up, say so once, count it, keep answering the kiosk, and apply the acks once
// there is room again.
import { expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startMosquitto } from "../support/mosquitto.ts";
import type { Running } from "../support/process.ts";
import { ADMIN_TOKEN, eventually, expectComplete, SyncSystem, withSystem } from "../support/sync-system.ts";
import { fillUp, mountTmpfs, unmount } from "../support/tmpfs.ts";

/** Room for the demo branch's database, its WAL and the test's filler. */
const TMPFS_SIZE = "8m";

/** A POST with the admin token; its status and body. */
async function post(branch: Running, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${branch.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: response.status, text: await response.text() };
}

/** Anna's next roster move: check-in when off shift, check-out when on. */
function toggle(branch: Running, onShift: boolean) {
  return onShift
    ? post(branch, "/api/v1/roster/check-out", { employeeId: "anna" })
    : post(branch, "/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
}

/** The branch's log lines (JSON) that match `filter`. */
function logLines(branch: Running, filter: (line: Record<string, unknown>) => boolean) {
  return readFileSync(branch.stdoutPath, "utf8")
    .split("\n")
    .flatMap((text) => {
      try {
        return [JSON.parse(text) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .filter(filter);
}

test("a full disk while HQ's acks arrive: the box stays up, logs it once, counts it, answers the kiosk, and applies the acks once there is room", async () => {
  const sys = new SyncSystem();
  const data = join(sys.branchDir, "data");
  await withSystem(sys, async () => {
    mountTmpfs(data, TMPFS_SIZE);
    try {
      const broker = sys.watch(await startMosquitto());
      const hq = await sys.startHq({ url: broker.url });
      const branch = await sys.startBranch({ url: broker.url });
      const alive = () => {
        try {
          process.kill(branch.pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const hqThrough = async () => {
        const { branches } = await sys.hqGet<{
          branches: { branch: string; streams: Record<string, { through: number }> }[];
        }>(hq, "/api/v1/branches");
        return branches.find((b) => b.branch === sys.branchId)?.streams.roster?.through ?? 0;
      };

      // Acks flow: a fact reaches HQ and leaves the outbox.
      let onShift = false;
      let accepted = 0;
      expect((await toggle(branch, onShift)).status).toBe(200);
      onShift = !onShift;
      accepted++;
      await eventually("the first fact to be acknowledged", () => sys.branchCounts().outbox === 0, 20_000);

      // HQ hangs with its connection open; facts wait for its ack in the box's outbox.
      hq.pause();
      for (let i = 0; i < 40; i++) {
        expect((await toggle(branch, onShift)).status).toBe(200);
        onShift = !onShift;
        accepted++;
      }
      expect(sys.branchCounts().outbox).toBe(40);

      // The disk fills up: the box's writes are refused with the coded 507.
      const filler = join(data, "filler");
      expect(fillUp(filler)).toBeGreaterThan(0);
      const refused = await toggle(branch, onShift);
      expect(refused.status).toBe(507);
      expect(JSON.parse(refused.text)).toMatchObject({ error: { code: "STORAGE.DISK_FULL" } });

      // HQ comes back, commits the 40 and acks them: the box cannot write the ack.
      hq.resume();
      await eventually("HQ to commit every fact", async () => (await hqThrough()) === accepted, 20_000);
      await eventually(
        "the box to count the failed ack write and a retry",
        async () => (await sys.branchMetric(branch, "branchbox_storage_errors_total")) >= 2,
        20_000,
      );
      expect(alive()).toBe(true);
      expect(await sys.branchMetric(branch, "branchbox_storage_failing")).toBe(1);
      expect(sys.branchCounts().outbox).toBe(40);
      // The kiosk still answers; a write still gets the coded 507.
      const kiosk = await fetch(`${branch.baseUrl}/`, { signal: AbortSignal.timeout(5000) });
      await kiosk.arrayBuffer();
      expect(kiosk.status).toBe(200);
      expect((await toggle(branch, onShift)).status).toBe(507);
      // Logged once, however often it was retried.
      const failed = logLines(branch, (l) => l.code === "STORAGE.DISK_FULL" && l.site === "sync.acks");
      expect(failed.length).toBe(1);
      expect(failed[0]?.level).toBe("error");

      // Room again: the waiting acks are written, the outbox drains, new facts flow.
      rmSync(filler);
      await eventually("the outbox to drain", () => sys.branchCounts().outbox === 0, 20_000);
      await eventually(
        "the box to say storage works again",
        async () => (await sys.branchMetric(branch, "branchbox_storage_failing")) === 0,
        20_000,
      );
      const recovered = logLines(branch, (l) => l.code === "STORAGE.RECOVERED" && l.site === "sync.acks");
      expect(recovered.length).toBe(1);
      expect((await toggle(branch, onShift)).status).toBe(200);
      accepted++;
      await expectComplete(sys, hq, accepted, 30_000);
      expect(alive()).toBe(true);
    } finally {
      await sys.close();
      unmount(data);
    }
  });
}, 120_000);
