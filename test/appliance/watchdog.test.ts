import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { unixAddress, watchdogIntervalMs } from "../../src/appliance/sd-notify.ts";
import { notifySystemd } from "../../src/appliance/systemd.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { listenNotifySocket } from "../support/notify-socket.ts";
import { ensureBinary, freePort, makeTestDir } from "../support/process.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("sd_notify parts", () => {
  test("WATCHDOG=1 goes out every WatchdogSec/2, and only from the pid systemd watches", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "7" }, 42)).toBeNull();
    expect(watchdogIntervalMs({}, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "soon" }, 42)).toBeNull();
  });

  test("a failing check feeds nothing and its multi-line reason goes out as one STATUS line", async () => {
    const socket = listenNotifySocket();
    const link = notifySystemd({
      log: silentLogger,
      status: "serving",
      check: () => "database: disk I/O error\nat page 7",
      env: { NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: "100000" },
    });
    try {
      const status = await socket.waitFor(
        (n) => n.fields.STATUS?.startsWith("unhealthy") === true,
        2000,
        "STATUS",
      );
      expect(status.fields.STATUS).toBe("unhealthy: database: disk I/O error at page 7");
      await Bun.sleep(200);
      expect(socket.received.filter((n) => n.fields.WATCHDOG !== undefined)).toEqual([]);
    } finally {
      link.stopping();
      socket.close();
    }
  });

  test("an abstract socket name has a leading NUL and no trailing one; a path has its NUL", () => {
    expect([...unixAddress("@sd")]).toEqual([1, 0, 0, 115, 100]);
    expect([...unixAddress("/run/x")]).toEqual([1, 0, ...Buffer.from("/run/x"), 0]);
    expect(() => unixAddress("/".repeat(200))).toThrow("unix socket path");
  });
});

const WATCHDOG_USEC = 1_000_000; // the box feeds every 500 ms
const BLOCK_SECONDS = 3;
/** How late the box may handle the signal on a loaded machine; the silent window starts after it. */
const SIGNAL_SLACK_MS = 400;

describe("systemd notify: the compiled binary under a fake $NOTIFY_SOCKET", () => {
  test("READY=1 once /healthz answers; WATCHDOG=1 regularly; silence while the event loop or the database is stuck; STOPPING=1", async () => {
    const binary = ensureBinary();
    const dir = makeTestDir("watchdog");
    dirs.push(dir);
    const socket = listenNotifySocket();
    const port = await freePort();
    const box = Bun.spawn([binary, "serve", "--demo"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        NOTIFY_SOCKET: socket.address,
        WATCHDOG_USEC: String(WATCHDOG_USEC),
        BB_TEST_BLOCK_SECONDS: String(BLOCK_SECONDS),
        BRANCHBOX_HTTP_LISTEN: `127.0.0.1:${port}`,
        BRANCHBOX_STORAGE_DIR: join(dir, "data"),
        // A quiet box: the demo's own phone system would write calls, and a write waiting out the
        // lock below blocks the loop before the probe can say why (silent all the same, which is
        // what systemd acts on). A PBX of its own at a closed port turns the demo's off.
        BRANCHBOX_PBX_AMI_HOST: "127.0.0.1",
        BRANCHBOX_PBX_AMI_PORT: String(await freePort()),
        BRANCHBOX_PBX_AMI_USERNAME: "watchdog",
        BRANCHBOX_PBX_AMI_SECRET: "watchdog",
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const watchdogs = (from: number, to = Number.POSITIVE_INFINITY) =>
      socket.received.filter((n) => n.fields.WATCHDOG === "1" && n.at > from && n.at < to).map((n) => n.at);
    try {
      const ready = await socket.waitFor((n) => n.fields.READY === "1", 15_000, "READY=1");
      // At the moment READY arrives, the port already answers.
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(ready.fields.STATUS).toContain(`serving on http://127.0.0.1:${port}/`);

      // Fed regularly: about every 500 ms, never a gap of WatchdogSec.
      await Bun.sleep(2000);
      const fed = watchdogs(ready.at);
      expect(fed.length).toBeGreaterThanOrEqual(3);
      expect(maxGap([ready.at, ...fed])).toBeLessThan(WATCHDOG_USEC / 1000);

      // Event loop stuck (SIGUSR2 test hook busy-waits 3 s): no WATCHDOG=1 until it returns.
      const blockedAt = performance.now();
      box.kill("SIGUSR2");
      const resumed = await socket.waitFor(
        (n) => n.fields.WATCHDOG === "1" && n.at > blockedAt + BLOCK_SECONDS * 1000,
        5000,
        "WATCHDOG=1 after the block",
      );
      const lastBefore = Math.max(0, ...watchdogs(0, blockedAt + SIGNAL_SLACK_MS));
      expect(watchdogs(blockedAt + SIGNAL_SLACK_MS, blockedAt + BLOCK_SECONDS * 1000 - 100)).toEqual([]);
      expect(resumed.at - lastBefore).toBeGreaterThan(BLOCK_SECONDS * 1000 - SIGNAL_SLACK_MS);

      // Database stuck: another connection holds the write lock; the loop turns but does not feed.
      const other = new Database(join(dir, "data", "branchbox.db"));
      const lockedAt = performance.now();
      other.run("BEGIN IMMEDIATE");
      await socket.waitFor(
        (n) => n.at > lockedAt && (n.fields.STATUS ?? "").startsWith("unhealthy: database"),
        3000,
        "STATUS=unhealthy: database",
      );
      await Bun.sleep(2500);
      const duringLock = watchdogs(lockedAt + WATCHDOG_USEC / 1000, performance.now());
      other.run("ROLLBACK");
      const unlockedAt = performance.now();
      other.close();
      expect(duringLock).toEqual([]);
      const back = await socket.waitFor(
        (n) => n.fields.WATCHDOG === "1" && n.at > unlockedAt,
        3000,
        "WATCHDOG=1 after the lock",
      );
      expect(back.at - unlockedAt).toBeLessThan(WATCHDOG_USEC / 1000 + 1000);
      await socket.waitFor(
        (n) => n.at > unlockedAt && (n.fields.STATUS ?? "").startsWith("serving"),
        3000,
        "STATUS=serving again",
      );

      box.kill("SIGTERM");
      expect(await box.exited).toBe(0);
      await socket.waitFor((n) => n.fields.STOPPING === "1", 2000, "STOPPING=1");
    } catch (error) {
      box.kill("SIGKILL");
      await box.exited;
      const out = `${await new Response(box.stdout).text()}${await new Response(box.stderr).text()}`;
      throw new Error(`${(error as Error).message}\n--- box output ---\n${out.slice(-3000)}`);
    } finally {
      socket.close();
    }
  }, 40_000);
});

describe("systemd notify: a socket file, as systemd's /run/systemd/notify", () => {
  test("READY=1 and STOPPING=1 reach a path socket; no WATCHDOG=1 when systemd asks for none", async () => {
    const binary = ensureBinary();
    const dir = makeTestDir("notify-path");
    dirs.push(dir);
    const socket = listenNotifySocket(join(dir, "notify"));
    const port = await freePort();
    const box = Bun.spawn([binary, "serve", "--demo"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        NOTIFY_SOCKET: socket.address,
        BRANCHBOX_HTTP_LISTEN: `127.0.0.1:${port}`,
        BRANCHBOX_STORAGE_DIR: join(dir, "data"),
      },
      stdout: "ignore",
      stderr: "ignore",
    });
    try {
      await socket.waitFor((n) => n.fields.READY === "1", 15_000, "READY=1");
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      await Bun.sleep(300);
      box.kill("SIGTERM");
      expect(await box.exited).toBe(0);
      await socket.waitFor((n) => n.fields.STOPPING === "1", 2000, "STOPPING=1");
      expect(socket.received.filter((n) => n.fields.WATCHDOG !== undefined)).toEqual([]);
    } finally {
      box.kill("SIGKILL");
      socket.close();
    }
  }, 30_000);
});

function maxGap(times: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] as number) - (times[i - 1] as number));
  return gap;
}
