// Issue 17, desk-phone action URLs: real HTTP requests to a whole test box, from a phone's address.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import { PHONE_REQUESTS_PER_MINUTE } from "../../src/http/phone-actions.ts";
import { createLogger } from "../../src/log/logger.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";
import { peer } from "../support/kiosk-client.ts";

const YEALINK_TOKEN = "yealink-token-0123456789abcdef";
const SNOM_TOKEN = "snom-token-0123456789abcdefghij";

export const PHONES: ConfigInput["phones"] = [
  { id: "reception-a", extension: "101", address: "10.0.0.21", vendor: "yealink", token: YEALINK_TOKEN },
  { id: "manager", extension: "102", address: "10.0.0.22", vendor: "snom", token: SNOM_TOKEN },
];

let box: TestBox;
beforeEach(async () => {
  box = await makeTestBox({ config: { phones: PHONES } });
});
afterEach(() => box.close());

const get = (path: string, from: string) => box.app.request(path, {}, peer(from));
const storedEvents = () => (box.db.query("SELECT count(*) AS n FROM phone_events").get() as { n: number }).n;

describe("GET /phone/<token>/<event>", () => {
  test("over a real socket, a Yealink phone's incoming call is accepted and shown as ringing from the caller", async () => {
    const phones: ConfigInput["phones"] = [
      { ...(PHONES?.[0] as NonNullable<ConfigInput["phones"]>[number]), address: "127.0.0.1" },
    ];
    await box.close();
    box = await makeTestBox({ config: { phones } });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: box.app.fetch });
    try {
      const url = `http://127.0.0.1:${server.port}/phone/${YEALINK_TOKEN}/incoming_call?remote=sip%3A%2B79161234567%40pbx&display_remote=%D0%98%D0%B2%D0%B0%D0%BD&active_user=101&call_id=33093`;
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("OK");
      expect(box.deps.phones.status().phones[0]?.state.activity).toEqual({
        state: "ringing",
        remote: "+79161234567",
        since: box.clock.now(),
      });
      expect(storedEvents()).toBe(1);
    } finally {
      server.stop(true);
    }
  });

  test("a Snom phone's log off and DND are kept; no call is created from any of it", async () => {
    for (const event of ["log_off", "dnd_on", "incoming?remote=sip:200@pbx", "connected", "disconnected"])
      expect((await get(`/phone/${SNOM_TOKEN}/${event}`, "10.0.0.22")).status).toBe(200);
    expect(box.deps.phones.status().phones[1]?.state).toMatchObject({
      loggedOn: false,
      dnd: true,
      activity: { state: "idle" },
      last: { kind: "ended" },
    });
    expect(box.calls.live()).toEqual([]);
    expect(
      (
        box.db
          .query("SELECT (SELECT count(*) FROM pbx_journal) + (SELECT count(*) FROM calls) AS n")
          .get() as { n: number }
      ).n,
    ).toBe(0);
  });

  test("refusals are coded, counted and store nothing: an unknown token, the wrong address, an unknown event", async () => {
    const unknown = await get(`/phone/${"x".repeat(30)}/incoming_call`, "10.0.0.21");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "PHONE.UNKNOWN_TOKEN" } });

    const wrongAddress = await get(`/phone/${YEALINK_TOKEN}/incoming_call`, "10.0.0.99");
    expect(wrongAddress.status).toBe(403);
    expect(await wrongAddress.json()).toMatchObject({ error: { code: "PHONE.WRONG_ADDRESS" } });

    // Another phone's address with this phone's token is still the wrong address.
    expect((await get(`/phone/${YEALINK_TOKEN}/incoming_call`, "10.0.0.22")).status).toBe(403);

    const unknownEvent = await get(`/phone/${YEALINK_TOKEN}/connected`, "10.0.0.21");
    expect(unknownEvent.status).toBe(404);
    expect(await unknownEvent.json()).toMatchObject({ error: { code: "PHONE.UNKNOWN_EVENT" } });

    // Without a socket peer to check, the address cannot match.
    expect((await box.app.request(`/phone/${YEALINK_TOKEN}/incoming_call`)).status).toBe(403);

    expect(storedEvents()).toBe(0);
    const status = box.deps.phones.status();
    expect(status.unknownToken).toBe(1);
    expect(status.phones[0]?.refused).toEqual({ "PHONE.WRONG_ADDRESS": 3, "PHONE.UNKNOWN_EVENT": 1 });
    expect(status.phones[0]?.state.last).toBeNull();
  });

  test("a storage error is answered, changes no state and leaves the box running", async () => {
    box.db.run("ALTER TABLE phone_events RENAME TO phone_events_gone");
    const failed = await get(`/phone/${YEALINK_TOKEN}/dnd_on`, "10.0.0.21");
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(box.deps.phones.status().phones[0]?.state.dnd).toBeNull();
    box.db.run("ALTER TABLE phone_events_gone RENAME TO phone_events");
    expect((await get(`/phone/${YEALINK_TOKEN}/dnd_on`, "10.0.0.21")).status).toBe(200);
    expect(box.deps.phones.status().phones[0]?.state.dnd).toBe(true);
  });

  test("a box that runs for weeks keeps a week of events: older ones go as new ones come", async () => {
    await get(`/phone/${YEALINK_TOKEN}/dnd_on`, "10.0.0.21");
    box.clock.advance(8 * 24 * 60 * 60_000);
    await get(`/phone/${YEALINK_TOKEN}/dnd_off`, "10.0.0.21");
    expect(box.db.query("SELECT kind FROM phone_events").all()).toEqual([{ kind: "dnd_off" }]);
  });

  test("an IPv4 phone seen on a dual-stack socket (::ffff:10.0.0.21) is its own address", async () => {
    expect((await get(`/phone/${YEALINK_TOKEN}/dnd_on`, "::ffff:10.0.0.21")).status).toBe(200);
  });

  test("the token is never logged", async () => {
    const lines: string[] = [];
    await box.close();
    box = await makeTestBox({
      config: { phones: PHONES },
      log: createLogger({ level: "debug", write: (line: string) => void lines.push(line) }),
    });
    await get(`/phone/${YEALINK_TOKEN}/incoming_call`, "10.0.0.99");
    await get(`/phone/${YEALINK_TOKEN}/mute`, "10.0.0.21");
    await get(`/phone/${"y".repeat(30)}/mute`, "10.0.0.21");
    const refusals = lines.filter((line) => line.includes("PHONE."));
    expect(refusals.length).toBe(3);
    expect(lines.join("\n")).not.toContain(YEALINK_TOKEN);
    expect(lines.join("\n")).not.toContain("y".repeat(30));
  });

  test("a wrong Host is refused before the phone routes see it (the box's Host check)", async () => {
    const response = await box.app.request(
      `http://evil.example/phone/${YEALINK_TOKEN}/dnd_on`,
      {},
      peer("10.0.0.21"),
    );
    expect(response.status).toBe(421);
    expect(storedEvents()).toBe(0);
  });

  test("one address is limited to its requests per minute (PHONE.RATE_LIMITED), then counts again", async () => {
    for (let i = 0; i < PHONE_REQUESTS_PER_MINUTE; i += 1)
      expect((await get(`/phone/${"z".repeat(30)}/dnd_on`, "10.0.0.50")).status).toBe(404);
    const limited = await get(`/phone/${YEALINK_TOKEN}/dnd_on`, "10.0.0.50");
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: "PHONE.RATE_LIMITED" } });
    // Another address is not held back by it.
    expect((await get(`/phone/${YEALINK_TOKEN}/dnd_on`, "10.0.0.21")).status).toBe(200);
    box.clock.advance(60_000);
    expect((await get(`/phone/${"z".repeat(30)}/dnd_on`, "10.0.0.50")).status).toBe(404);
  });

  test("a restart rebuilds each phone's state from what it accepted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "branchbox-phones-"));
    try {
      const first = await makeTestBox({ config: { phones: PHONES }, dir });
      for (const event of ["dnd_on", "incoming?remote=sip:%2B79161234567@pbx", "connected"])
        await first.app.request(`/phone/${SNOM_TOKEN}/${event}`, {}, peer("10.0.0.22"));
      await first.close();
      const again = await makeTestBox({ config: { phones: PHONES }, dir, clock: first.clock });
      expect(again.deps.phones.status().phones[1]?.state).toMatchObject({
        dnd: true,
        activity: { state: "talking", remote: "+79161234567" },
      });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("[[phones]]", () => {
  const load = (phones: unknown) =>
    loadConfig({
      fileText: `[branch]\nid = "b"\nname = "B"\n[http]\nadmin_token = "${"a".repeat(20)}"\n`,
      base: { phones },
    });

  test("a token or an address shared by two phones, a short token, a host name for an address: refused with the key", () => {
    const two = [PHONES?.[0], { ...PHONES?.[1], token: YEALINK_TOKEN, address: "10.0.0.21" }];
    expect(() => load(two)).toThrow(
      /phones\[1\]\.token = \(hidden\)[\s\S]*unique[\s\S]*phones\[1\]\.address/,
    );
    expect(() => load([{ ...PHONES?.[0], token: "short" }])).toThrow(/phones\[0\]\.token = \(hidden\)/);
    expect(() => load([{ ...PHONES?.[0], address: "phone.local" }])).toThrow(/phones\[0\]\.address/);
    expect(load(PHONES).phones.map((p) => p.id)).toEqual(["reception-a", "manager"]);
    expect(load(undefined).phones).toEqual([]);
  });
});
