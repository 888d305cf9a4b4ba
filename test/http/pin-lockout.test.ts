// The PIN lockout under parallel guesses and on a full disk (issue 10): the budget of
// `pin_max_attempts` is claimed before each slow Argon2 check, so guesses sent at once cannot
// share an attempt; and when an attempt cannot be recorded no PIN is judged at all.
import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import type { PinResult } from "../../src/service/roster-port.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";
import { type KioskBox, makeKioskBox, testIdText } from "../support/kiosk-client.ts";

const MINUTE = 60_000;
let closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function box(): Promise<TestBox> {
  const b = await makeTestBox();
  closers.push(() => b.close());
  return b;
}

const codes = (results: readonly PinResult[]) => {
  const count: Record<string, number> = {};
  for (const r of results) {
    const code = r.ok ? "ok" : r.error.code;
    count[code] = (count[code] ?? 0) + 1;
  }
  return count;
};

describe("parallel wrong PINs share one budget", () => {
  for (const n of [25, 100]) {
    test(`${n} wrong PINs at once: at most 5 judged, the lock holds, the right PIN waits for it to expire`, async () => {
      const b = await box();
      const now = b.clock.now();
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => b.roster.verifyPin("olga", String(10_000 + i), now)),
      );
      const count = codes(results);
      // Four judged wrong with tries left, the fifth judged wrong and locking; the rest refused unjudged.
      expect(count).toEqual({ "ROSTER.PIN_WRONG": 4, "ROSTER.PIN_LOCKED": n - 4 });
      const pins = b.roster.pinStatus(now);
      expect(pins.wrongSinceStart).toBe(5);
      expect(pins.refusedLockedSinceStart).toBe(n - 5);
      expect(pins.wrongToday).toEqual([{ employeeId: "olga", name: "Ольга Петрова", count: 5 }]);
      const lockedUntil = now + 5 * MINUTE;
      expect(pins.locked).toEqual([{ employeeId: "olga", name: "Ольга Петрова", until: lockedUntil }]);
      for (const r of results)
        if (!r.ok && r.error.code === "ROSTER.PIN_LOCKED") expect(r.error.lockedUntil).toBe(lockedUntil);

      // The right PIN, at once and just before the lock lifts, is refused with the same lock.
      for (const at of [now, lockedUntil - 1]) {
        const right = await b.roster.verifyPin("olga", "2222", at);
        expect(right.ok ? "ok" : right.error).toEqual({
          code: "ROSTER.PIN_LOCKED",
          message: "too many wrong PINs",
          lockedUntil,
        });
      }
      expect((await b.roster.verifyPin("olga", "2222", lockedUntil)).ok).toBe(true);
      expect(b.roster.pinStatus(lockedUntil).locked).toEqual([]);
    });
  }

  test("a late wrong PIN never shortens a lock set while it was being checked", async () => {
    const b = await box();
    const now = b.clock.now();
    // Four wrong ones judged one by one; then the fifth and a sixth at once: the fifth locks,
    // the sixth is refused unjudged, and nothing after them unlocks.
    for (let i = 0; i < 4; i++) await b.roster.verifyPin("irina", "0000", now);
    const [fifth, sixth] = await Promise.all([
      b.roster.verifyPin("irina", "0001", now),
      b.roster.verifyPin("irina", "0002", now),
    ]);
    expect(fifth?.ok === false && fifth.error.code).toBe("ROSTER.PIN_LOCKED");
    expect(sixth?.ok === false && sixth.error.code).toBe("ROSTER.PIN_LOCKED");
    const later = await b.roster.verifyPin("irina", "3333", now + MINUTE);
    expect(later.ok ? "ok" : later.error.code).toBe("ROSTER.PIN_LOCKED");
  });

  test("the lock and the count survive a restart of the box", async () => {
    const dir = mkdtempSync(join(tmpdir(), "branchbox-pin-"));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await makeTestBox({ dir });
    const now = first.clock.now();
    await Promise.all(Array.from({ length: 10 }, () => first.roster.verifyPin("anna", "0000", now)));
    await first.close();
    const second = await makeTestBox({ dir });
    closers.push(() => second.close());
    const right = await second.roster.verifyPin("anna", "1111", now + MINUTE);
    expect(right.ok ? "ok" : right.error.code).toBe("ROSTER.PIN_LOCKED");
    expect(second.roster.pinStatus(now).wrongToday).toEqual([
      { employeeId: "anna", name: "Анна Смирнова", count: 5 },
    ]);
  });

  test("a right PIN clears the count: five more wrong ones are needed for a lock", async () => {
    const b = await box();
    const now = b.clock.now();
    for (let i = 0; i < 4; i++) await b.roster.verifyPin("anna", "0000", now);
    expect((await b.roster.verifyPin("anna", "1111", now)).ok).toBe(true);
    const again = await b.roster.verifyPin("anna", "0000", now);
    expect(again.ok ? "ok" : again.error).toMatchObject({ code: "ROSTER.PIN_WRONG", attemptsLeft: 4 });
    // The day's tally still counts all five wrong ones.
    expect(b.roster.pinStatus(now).wrongToday).toEqual([
      { employeeId: "anna", name: "Анна Смирнова", count: 5 },
    ]);
  });
});

describe("/admin and /metrics show locks and wrong PINs", () => {
  test("who is locked, until when, and how many wrong PINs today", async () => {
    const k = await makeKioskBox();
    closers.push(() => k.close());
    const now = k.clock.now();
    await Promise.all(Array.from({ length: 7 }, () => k.roster.verifyPin("olga", "0000", now)));
    await k.roster.verifyPin("anna", "0000", now);

    const admin = await k.web.request("/admin", {
      headers: { authorization: "Bearer test-admin-token-0123456789" },
    });
    expect(admin.status).toBe(200);
    const html = await admin.text();
    expect(html).toContain(ru.adminPinsTitle);
    // 09:00 Moscow is the demo's clock; the lock is 5 minutes.
    expect(testIdText(html, "pin-locked-olga")).toBe(`Ольга Петрова09:05${ru.adminPinsUnlock}`);
    expect(testIdText(html, "pin-wrong-olga")).toBe("Ольга Петрова5");
    expect(testIdText(html, "pin-wrong-anna")).toBe("Анна Смирнова1");
    expect(html).not.toContain('data-testid="pin-locked-anna"');

    const metrics = await (
      await k.web.request("/metrics", { headers: { authorization: "Bearer test-admin-token-0123456789" } })
    ).text();
    expect(metrics).toContain('branchbox_pin_locked{employee="olga"} 1');
    expect(metrics).not.toContain('branchbox_pin_locked{employee="anna"}');
    expect(metrics).toContain('branchbox_pin_wrong_today{employee="olga"} 5');
    expect(metrics).toContain('branchbox_pin_wrong_today{employee="anna"} 1');
    expect(metrics).toContain("branchbox_pin_wrong_total 6");
    expect(metrics).toContain("branchbox_pin_refused_locked_total 2");

    // The next branch day starts a fresh tally; the lock has long expired.
    k.clock.advance(24 * 60 * MINUTE);
    const tomorrow = await (
      await k.web.request("/admin", { headers: { authorization: "Bearer test-admin-token-0123456789" } })
    ).text();
    expect(tomorrow).toContain(ru.adminPinsNoneLocked);
    expect(tomorrow).toContain(ru.adminPinsNoneWrong);
  });
});

describe("issue 14: a lock can be lifted, audited", () => {
  const auth = { authorization: "Bearer test-admin-token-0123456789" };

  test("/admin's Unlock button (a plain form POST) lifts olga's lock: her right PIN works at once, the audit says who and how", async () => {
    const k = await makeKioskBox();
    closers.push(() => k.close());
    const now = k.clock.now();
    for (let i = 0; i < 5; i++) await k.roster.verifyPin("olga", "0000", now);
    expect((await k.roster.verifyPin("olga", "2222", now)).ok).toBe(false);
    const page = await (await k.web.request("/admin", { headers: auth })).text();
    expect(page).toContain('action="/admin/pins/olga/unlock"');

    const unlock = await k.web.request("/admin/pins/olga/unlock", {
      method: "POST",
      headers: { ...auth, origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
    });
    expect(unlock.status).toBe(303);
    expect(unlock.headers.get("location")).toStartWith("/admin");
    expect((await k.roster.verifyPin("olga", "2222", now)).ok).toBe(true);
    const after = await (await k.web.request("/admin", { headers: auth })).text();
    expect(after).toContain(ru.adminPinsNoneLocked);
    expect(k.roster.audit(5)[0]).toMatchObject({ actorId: null, action: "pin.unlock" });
    expect(k.roster.audit(5)[0]?.detail).toMatch(/^PIN lock of olga lifted via admin \(locked until /);
  });

  test("a POST from another site (no matching Origin) is refused by CSRF and lifts nothing", async () => {
    const k = await makeKioskBox();
    closers.push(() => k.close());
    const now = k.clock.now();
    for (let i = 0; i < 5; i++) await k.roster.verifyPin("olga", "0000", now);
    const forged = await k.web.request("/admin/pins/olga/unlock", {
      method: "POST",
      headers: {
        ...auth,
        origin: "http://evil.example",
        "content-type": "application/x-www-form-urlencoded",
      },
    });
    expect(forged.status).toBe(403);
    expect((await k.roster.verifyPin("olga", "2222", now)).ok).toBe(false);
  });

  test("POST /api/v1/pins/:id/unlock does the same for integrators; an unknown employee is ROSTER.UNKNOWN_EMPLOYEE; a receptionist may not lift a lock", async () => {
    const k = await makeKioskBox();
    closers.push(() => k.close());
    const now = k.clock.now();
    for (let i = 0; i < 5; i++) await k.roster.verifyPin("irina", "0000", now);
    const api = await k.web.request("/api/v1/pins/irina/unlock", { method: "POST", headers: auth });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ employeeId: "irina", wasLocked: true });
    expect((await k.roster.verifyPin("irina", "3333", now)).ok).toBe(true);
    const unknown = await k.web.request("/api/v1/pins/nobody/unlock", { method: "POST", headers: auth });
    expect(await unknown.json()).toMatchObject({ error: { code: "ROSTER.UNKNOWN_EMPLOYEE" } });
    const byReception = k.roster.unlockPin("irina", { actorId: "anna", via: "kiosk" }, now);
    expect(byReception.ok ? "ok" : byReception.error.code).toBe("ROSTER.NOT_A_MANAGER");
    const byManager = k.roster.unlockPin("irina", { actorId: "sergey", via: "kiosk" }, now);
    expect(byManager.ok).toBe(true);
    expect(k.roster.audit(1)[0]).toMatchObject({ actorId: "sergey", action: "pin.unlock" });
  });
});

describe("a full disk fails closed", () => {
  /** A small tmpfs as the storage dir (the tests run as root), filled to the last byte. */
  function tmpfs(): { dir: string; fill: () => void; free: () => void } {
    const dir = mkdtempSync(join(tmpdir(), "branchbox-fullpin-"));
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", dir]);
    if (mount.status !== 0) throw new Error(`cannot mount a tmpfs (run as root): ${mount.stderr}`);
    closers.push(() => {
      spawnSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    const filler = join(dir, "filler");
    return {
      dir,
      fill: () => {
        const fd = openSync(filler, "w");
        const chunk = Buffer.alloc(64 * 1024);
        try {
          for (;;) writeSync(fd, chunk);
        } catch (error) {
          if ((error as { code?: string }).code !== "ENOSPC") throw error;
        } finally {
          closeSync(fd);
        }
        // The last partial page too: nothing at all is left.
        const tail = openSync(filler, "a");
        try {
          for (;;) writeSync(tail, Buffer.alloc(1));
        } catch (error) {
          if ((error as { code?: string }).code !== "ENOSPC") throw error;
        } finally {
          closeSync(tail);
        }
      },
      free: () => rmSync(filler, { force: true }),
    };
  }

  test("no PIN is accepted while attempts cannot be recorded; the kiosk says to call branch IT", async () => {
    const disk = tmpfs();
    const k: KioskBox = await makeKioskBox({ dir: disk.dir });
    closers.push(() => k.close());
    disk.fill();

    for (const pin of ["0000", "2222", "0000", "2222"]) {
      const response = await k.post("/pin", { employeeId: "olga", pin }, { hx: true });
      expect(response.status).toBe(507);
      expect(response.headers.get("content-type")).toContain("text/html");
      const html = await response.text();
      expect(testIdText(html, "pin-error")).toBe(ru.errDiskFull);
      expect(html).not.toContain("action-");
    }
    const english = await k.post(
      "/pin",
      { employeeId: "olga", pin: "2222" },
      { hx: true, cookie: "bb_lang=en" },
    );
    expect(testIdText(await english.text(), "pin-error")).toBe(en.errDiskFull);
    // Nothing was judged, so nothing was counted.
    expect(k.roster.pinStatus(k.clock.now()).wrongSinceStart).toBe(0);
    // The kiosk still answers reads.
    expect((await k.get("/")).status).toBe(200);

    disk.free();
    const right = await k.post("/pin", { employeeId: "olga", pin: "2222" }, { hx: true });
    expect(right.status).toBe(200);
  });

  test("a kiosk action the disk refuses is a screen in words, not a JSON body", async () => {
    const disk = tmpfs();
    const k: KioskBox = await makeKioskBox({ dir: disk.dir });
    closers.push(() => k.close());
    const pad = await k.post("/pin", { employeeId: "anna", pin: "1111" }, { hx: true });
    const ticket = /name="ticket" value="([^"]+)"/.exec(await pad.text())?.[1];
    if (ticket === undefined) throw new Error("no ticket on the action screen");
    disk.fill();
    const response = await k.post("/action", { ticket, kind: "check-in", deskId: "front" }, { hx: true });
    expect(response.status).toBe(507);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain(ru.errDiskFull);
    expect(k.factCount()).toBe(0);
  });
});
