// Issue 14, item 8: the kiosk and the desk screens answer only screens paired with the box (a code
// from /admin, then a device cookie); the box's own screen (loopback) is paired by itself. Item 1:
// an unpaired screen cannot post a PIN, so it cannot spend anyone's tries.
import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigInput } from "../../src/config/schema.ts";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { PAIRING_CODE_TRIES, PAIRING_CODE_TTL_MS } from "../../src/service/device-pairing.ts";
import { TEST_TOKEN } from "../support/box.ts";
import {
  type KioskBox,
  LOOPBACK,
  makeKioskBox,
  peer,
  SAME_ORIGIN,
  testIdText,
  ticketIn,
} from "../support/kiosk-client.ts";

const LAN = "192.168.1.50";
const FORM = "application/x-www-form-urlencoded";
const HX = { "hx-request": "true", "hx-request-type": "partial" };

let box: KioskBox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

async function start(kiosk: ConfigInput["kiosk"] = {}): Promise<KioskBox> {
  box = await makeKioskBox({ config: { kiosk } });
  return box;
}

/** A screen on the branch LAN (or wherever `address` says): keeps the cookie the box gives it. */
function screen(b: KioskBox, address = LAN) {
  let cookie = "";
  const request = async (path: string, init: RequestInit & { hx?: boolean } = {}) => {
    const headers = {
      ...(init.hx === true ? HX : {}),
      ...(cookie === "" ? {} : { cookie }),
      ...init.headers,
    };
    const response = await b.web.request(path, { ...init, headers }, peer(address));
    const device = /(?:^|, )(bb_device=[^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
    if (device !== undefined) cookie = device;
    return response;
  };
  return {
    get: (path: string, o: { hx?: boolean } = {}) => request(path, o),
    post: (path: string, fields: Record<string, string>, o: { hx?: boolean } = {}) =>
      request(path, {
        ...o,
        method: "POST",
        headers: { origin: SAME_ORIGIN, "content-type": FORM },
        body: new URLSearchParams(fields).toString(),
      }),
    cookie: () => cookie,
  };
}

/** Branch IT on /admin, with the admin token. */
const admin = (b: KioskBox) => ({
  page: async () =>
    (await b.web.request("/admin", { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text(),
  post: (path: string, fields: Record<string, string> = {}, origin = SAME_ORIGIN) =>
    b.web.request(path, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, origin, "content-type": FORM },
      body: new URLSearchParams(fields).toString(),
    }),
  /** Presses "pair a screen" and reads the code the page shows. */
  async newCode(name = "Ресепшен, киоск у входа"): Promise<string> {
    const made = await this.post("/admin/devices/code", { name });
    expect(made.status).toBe(303);
    const code = testIdText(await this.page(), "devices-code-digits");
    expect(code).toMatch(/^[0-9]{6}$/);
    return code as string;
  },
});

/** A code that is not `code`: the same length, one digit changed. */
const wrong = (code: string, i = 0) => `${(Number(code) + 1 + i) % 1_000_000}`.padStart(6, "0");

const NAMES = ["Анна Смирнова", "Ольга Петрова", "Сергей Иванов"];

describe("issue 14 (8): an unpaired screen on the LAN", () => {
  test("issue 14 (8): an unpaired device cannot post a PIN: KIOSK.NOT_PAIRED, and nobody's tries are spent", async () => {
    const b = await start();
    const lan = screen(b);
    for (let i = 0; i < 2 * 5; i++) {
      const refused = await lan.post("/pin", { employeeId: "olga", pin: String(4000 + i) }, { hx: true });
      expect(refused.status).toBe(403);
      const html = await refused.text();
      // htmx gets the pairing screen as a fragment for #screen, with the catalogue's sentence.
      expect(html.startsWith("<!DOCTYPE html>")).toBe(false);
      expect(html).toContain('data-testid="pairing"');
      expect(testIdText(html, "pair-error")).toBe(ru.errNotPaired);
    }
    const pins = b.roster.pinStatus(b.clock.now());
    expect({ wrong: pins.wrongSinceStart, locked: pins.locked, today: pins.wrongToday }).toEqual({
      wrong: 0,
      locked: [],
      today: [],
    });
    // The manager's unlock, a PIN post too, is refused the same way.
    const unlock = await lan.post("/unlock", { employeeId: "sergey", lockedId: "olga", pin: "1" });
    expect(unlock.status).toBe(403);
    expect(b.roster.pinStatus(b.clock.now()).wrongSinceStart).toBe(0);
    // Olga's own PIN still works at the box's own screen, first try.
    const own = await b.post("/pin", { employeeId: "olga", pin: "2222" }, { hx: true });
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('name="ticket"');
  });

  test("issue 14 (8): an unpaired device cannot check anyone in, even with a valid ticket: no roster change", async () => {
    const b = await start();
    const ticket = ticketIn(await (await b.post("/pin", { employeeId: "anna", pin: "1111" })).text());
    const facts = b.factCount();
    const refused = await screen(b).post("/action", { ticket, kind: "check-in", deskId: "front" });
    expect(refused.status).toBe(403);
    expect(testIdText(await refused.text(), "pair-error")).toBe(ru.errNotPaired);
    expect(b.factCount()).toBe(facts);
    expect(testIdText(await (await b.get("/")).text(), "desk-front-holder")).toBe(ru.free);
  });

  test("issue 14 (8): an unpaired device sees the pairing screen and no name, caller or board on any page", async () => {
    const b = await start();
    const lan = screen(b);
    const home = await lan.get("/");
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain('data-testid="pairing"');
    expect(html).toContain(ru.pairTitle);
    expect(html).not.toContain('data-testid="board"');
    for (const path of ["/pin/anna", "/unlock/olga", "/unlock/olga/sergey", "/desk/front"]) {
      const page = await lan.get(path);
      const body = await page.text();
      expect({ path, status: page.status, pairing: body.includes('data-testid="pairing"') }).toEqual({
        path,
        status: 403,
        pairing: true,
      });
      for (const name of NAMES) expect(body).not.toContain(name);
    }
    // Paired, the desk screen comes back to where it was asked for.
    expect(await (await lan.get("/desk/front")).text()).toContain('name="next" value="/desk/front"');
    // English too, from the switch in the header.
    expect(await (await lan.get("/?lang=en")).text()).toContain(en.pairTitle);
  });

  test("issue 14 (8): an unpaired device gets no live stream: board, call cards, desk (403, KIOSK.NOT_PAIRED)", async () => {
    const b = await start();
    const lan = screen(b);
    for (const path of ["/events", "/calls/events", "/desk/front/events"]) {
      const stream = await lan.get(path);
      expect({ path, status: stream.status, type: stream.headers.get("content-type") }).toEqual({
        path,
        status: 403,
        type: "text/plain; charset=UTF-8",
      });
      expect(await stream.text()).toStartWith("KIOSK.NOT_PAIRED:");
    }
  });

  test("issue 14 (8): only the socket's own peer counts: X-Forwarded-For and a request without a socket are not loopback", async () => {
    const b = await start();
    const status = async (address: string | null, headers: Record<string, string> = {}) =>
      (await b.web.request("/desk/front", { headers }, address === null ? undefined : peer(address))).status;
    for (const loopback of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
      expect({ loopback, status: await status(loopback) }).toEqual({ loopback, status: 200 });
    for (const other of [LAN, "10.0.0.1", "::ffff:192.168.1.50", "fe80::1", "128.0.0.1"])
      expect({ other, status: await status(other) }).toEqual({ other, status: 403 });
    expect(await status(LAN, { "x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1" })).toBe(403);
    // The box's app itself, with no socket under it (no env): unknown is not loopback.
    expect((await b.app.request("/desk/front")).status).toBe(403);
  });
});

describe("issue 14 (8): pairing with a code from /admin", () => {
  test("issue 14 (8): a code from /admin pairs the device: cookie HttpOnly, SameSite=Strict, long-lived; it then works and is listed", async () => {
    const b = await start();
    const it = admin(b);
    expect(testIdText(await it.page(), "devices-none")).toBe(ru.adminDevicesNone);
    const code = await it.newCode();
    const lan = screen(b);
    const paired = await lan.post("/pair", { code, next: "/desk/front" });
    expect(paired.status).toBe(303);
    expect(paired.headers.get("location")).toBe("/desk/front");
    const cookie = paired.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^bb_device=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain(`Max-Age=${400 * 86_400}`);
    expect(cookie).not.toContain("Secure");

    const desk = await lan.get("/desk/front");
    expect(desk.status).toBe(200);
    // Every answer renews the cookie (Chromium keeps one at most 400 days).
    expect(desk.headers.get("set-cookie")).toStartWith(`${lan.cookie()}; Max-Age=${400 * 86_400}`);
    const stream = await lan.get("/desk/front/events");
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
    expect((await lan.get("/")).status).toBe(200);
    const pin = await lan.post("/pin", { employeeId: "anna", pin: "1111" });
    expect(pin.status).toBe(200);
    const ticket = ticketIn(await pin.text());
    expect((await lan.post("/action", { ticket, kind: "check-in", deskId: "front" })).status).toBe(200);
    expect(testIdText(await (await lan.get("/")).text(), "desk-front-holder")).toContain("Анна Смирнова");

    const page = await it.page();
    expect(page).not.toContain('data-testid="devices-code"');
    const row = testIdText(page, "device-1") ?? "";
    expect(row).toContain("Ресепшен, киоск у входа");
    expect(row).toContain(LAN);
    expect(testIdText(page, "audit")).toContain("device.pair");
    // Seen again later from another address: /admin says when and where.
    b.clock.advance(5 * 60_000);
    expect(
      (await b.web.request("/", { headers: { cookie: lan.cookie() } }, peer("192.168.1.77"))).status,
    ).toBe(200);
    expect(testIdText(await it.page(), "device-1")).toContain("192.168.1.77");
  });

  test("issue 14 (8): over HTTPS the device cookie is Secure", async () => {
    const b = await start();
    const code = await admin(b).newCode();
    const paired = await b.web.request(
      "https://localhost/pair",
      {
        method: "POST",
        headers: { origin: "https://localhost", "content-type": FORM },
        body: new URLSearchParams({ code }).toString(),
      },
      peer(LAN),
    );
    expect(paired.status).toBe(303);
    expect(paired.headers.get("set-cookie")).toContain("Secure");
  });

  test("issue 14 (8): wrong, expired and used codes are refused (KIOSK.PAIRING_CODE_REFUSED), and 5 wrong tries void a code", async () => {
    const b = await start();
    const it = admin(b);
    const refused = async (lan: ReturnType<typeof screen>, code: string) => {
      const answer = await lan.post("/pair", { code });
      expect({ status: answer.status, cookie: answer.headers.get("set-cookie") }).toEqual({
        status: 403,
        cookie: null,
      });
      expect(testIdText(await answer.text(), "pair-error")).toBe(ru.errPairingCodeRefused);
    };
    // No code asked for: nothing pairs.
    await refused(screen(b), "123456");
    // Used: the first screen pairs, the second with the same code does not.
    const used = await it.newCode();
    expect((await screen(b).post("/pair", { code: used })).status).toBe(303);
    const second = screen(b, "192.168.1.51");
    await refused(second, used);
    // Expired: 10 minutes after /admin showed it.
    const late = await it.newCode();
    b.clock.advance(PAIRING_CODE_TTL_MS);
    await refused(second, late);
    expect(await it.page()).not.toContain('data-testid="devices-code"');
    // Guessed: after 5 wrong tries (from any screen) even the right code is refused.
    const guessed = await it.newCode();
    for (let i = 0; i < PAIRING_CODE_TRIES; i++) await refused(screen(b, `10.0.0.${i}`), wrong(guessed, i));
    await refused(second, guessed);
    expect(await it.page()).not.toContain('data-testid="devices-code"');
    // "Pair" tapped with too few digits is a slip, not a try: after two slips and 4 wrong tries the
    // code still pairs.
    const slipped = await it.newCode();
    for (const slip of ["", slipped.slice(0, 5)]) await refused(second, slip);
    for (let i = 0; i < PAIRING_CODE_TRIES - 1; i++) await refused(second, wrong(slipped, i));
    expect((await second.post("/pair", { code: slipped })).status).toBe(303);
    expect((await second.get("/desk/front")).status).toBe(200);
    // A new code replaces the old one, which no longer pairs.
    const third = screen(b, "192.168.1.52");
    const replaced = await it.newCode();
    const fresh = await it.newCode();
    if (replaced !== fresh) await refused(third, replaced);
    expect((await third.post("/pair", { code: fresh })).status).toBe(303);
  });

  test("issue 14 (8): revoking on /admin makes the cookie worthless at once; a cross-site revoke is refused", async () => {
    const b = await start();
    const it = admin(b);
    expect((await it.post("/admin/devices/code", { name: " " })).status).toBe(400);
    expect(await it.page()).not.toContain('data-testid="devices-code"');
    const lan = screen(b);
    expect((await lan.post("/pair", { code: await it.newCode() })).status).toBe(303);
    expect((await lan.get("/desk/front")).status).toBe(200);

    expect((await it.post("/admin/devices/1/revoke", {}, "http://evil.example")).status).toBe(403);
    expect((await lan.get("/desk/front")).status).toBe(200);

    const revoked = await it.post("/admin/devices/1/revoke");
    expect(revoked.status).toBe(303);
    expect((await lan.get("/desk/front")).status).toBe(403);
    expect((await lan.post("/pin", { employeeId: "anna", pin: "1111" })).status).toBe(403);
    const page = await it.page();
    expect(testIdText(page, "devices-none")).toBe(ru.adminDevicesNone);
    expect(testIdText(page, "audit")).toContain("device.revoke");
    expect((await it.post("/admin/devices/1/revoke")).status).toBe(404);
  });

  test("issue 14 (8): a revoke also ends the screen's open live stream before it sends anything more", async () => {
    box = await makeKioskBox({ kiosk: { heartbeatMs: 50 } });
    const b = box;
    const lan = screen(b);
    expect((await lan.post("/pair", { code: await admin(b).newCode() })).status).toBe(303);
    const stream = await lan.get("/desk/front/events");
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = "";
    while (!received.includes("data:")) received += decoder.decode((await reader.read()).value);

    expect((await admin(b).post("/admin/devices/1/revoke")).status).toBe(303);
    // Anna checks in at the box's own screen: a change the desk stream would otherwise show.
    const ticket = ticketIn(await (await b.post("/pin", { employeeId: "anna", pin: "1111" })).text());
    expect((await b.post("/action", { ticket, kind: "check-in", deskId: "front" })).status).toBe(200);
    const ended = (async () => {
      let after = "";
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        after += decoder.decode(chunk.value);
      return after;
    })();
    let timer: Timer | undefined;
    const stillOpen = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the stream is still open 5 s after the revoke")), 5000);
    });
    const after = await Promise.race([ended, stillOpen]).finally(() => clearTimeout(timer));
    expect(after).not.toContain("Анна Смирнова");
    expect(after).not.toContain("data:");
  });

  test("issue 14 (8): a database that fails while pairing or checking a cookie shows no board (fails closed)", async () => {
    const b = await start();
    const paired = screen(b);
    expect((await paired.post("/pair", { code: await admin(b).newCode() })).status).toBe(303);
    const code = await admin(b).newCode();
    b.db.close();
    const pairing = await screen(b, "192.168.1.60").post("/pair", { code });
    expect(pairing.status).toBeGreaterThanOrEqual(500);
    expect(pairing.headers.get("set-cookie")).toBeNull();
    const failed = await pairing.text();
    expect(failed).toContain('data-testid="pair-error"');
    const desk = await paired.get("/desk/front");
    expect(desk.status).toBe(403);
    for (const body of [failed, await desk.text()]) {
      expect(body).toContain('data-testid="pairing"');
      expect(body).not.toContain('data-testid="board"');
      for (const name of NAMES) expect(body).not.toContain(name);
    }
  });

  test("issue 14 (8): the cookie's token is not stored in plain text, only its SHA-256", async () => {
    const b = await start();
    const lan = screen(b);
    expect((await lan.post("/pair", { code: await admin(b).newCode() })).status).toBe(303);
    const token = lan.cookie().slice("bb_device=".length);
    expect(token.length).toBeGreaterThan(40);
    const row = b.db.query<Record<string, unknown>, []>("SELECT * FROM kiosk_devices").get() ?? {};
    expect(row.token_hash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(token);
    b.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    for (const file of readdirSync(b.dir))
      expect({ file, has: readFileSync(join(b.dir, file)).includes(token) }).toEqual({ file, has: false });
  });
});

describe("issue 14 (8): [kiosk] require_pairing and loopback_paired", () => {
  test("issue 14 (8): the box's own screen (loopback) is paired by itself, with no cookie", async () => {
    const b = await start();
    const own = screen(b, LOOPBACK);
    expect((await own.get("/")).status).toBe(200);
    expect(await (await own.get("/")).text()).toContain('data-testid="board"');
    expect((await own.post("/pin", { employeeId: "anna", pin: "1111" })).status).toBe(200);
    expect(own.cookie()).toBe("");
  });

  test("issue 14 (8): loopback_paired = false: the box's own screen pairs like any other", async () => {
    const b = await start({ loopback_paired: false });
    const own = screen(b, LOOPBACK);
    expect(await (await own.get("/")).text()).toContain('data-testid="pairing"');
    expect((await own.post("/pin", { employeeId: "anna", pin: "1111" })).status).toBe(403);
    expect((await own.post("/pair", { code: await admin(b).newCode() })).status).toBe(303);
    expect((await own.post("/pin", { employeeId: "anna", pin: "1111" })).status).toBe(200);
  });

  test("issue 14 (8): require_pairing = false restores the open kiosk for every device", async () => {
    const b = await start({ require_pairing: false });
    const lan = screen(b);
    expect(await (await lan.get("/")).text()).toContain('data-testid="board"');
    expect((await lan.get("/desk/front")).status).toBe(200);
    const pin = await lan.post("/pin", { employeeId: "anna", pin: "1111" });
    expect(pin.status).toBe(200);
    const ticket = ticketIn(await pin.text());
    expect((await lan.post("/action", { ticket, kind: "check-in", deskId: "front" })).status).toBe(200);
    expect(testIdText(await admin(b).page(), "devices-rule")).toBe(ru.adminDevicesOpen);
  });
});
