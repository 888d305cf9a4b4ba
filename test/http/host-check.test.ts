import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { DEMO_CONFIG } from "../../src/demo.ts";
import { hostCheck, MACHINE_REFRESH_MS, machineHosts } from "../../src/http/host-check.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type KioskBox, makeKioskBox } from "../support/kiosk-client.ts";

let box: KioskBox;
beforeEach(async () => {
  box = await makeKioskBox({
    config: {
      http: { admin_token: TEST_TOKEN, listen: "192.0.2.10:8080", allowed_hosts: ["Box.Branch.Local"] },
    },
  });
});
afterEach(() => box.close());

const bearer = { authorization: `Bearer ${TEST_TOKEN}` };

describe("Host header (DNS rebinding)", () => {
  test("the box answers for localhost, its listen address, its own names and addresses and allowed_hosts, and refuses any other name with 421 HTTP.BAD_HOST", async () => {
    const own = [
      "http://localhost/healthz",
      "http://127.0.0.1:8080/healthz",
      "http://[::1]:8080/healthz",
      "http://192.0.2.10:8080/healthz",
      "http://box.branch.local/healthz",
      "http://BOX.branch.local.:8080/healthz",
      ...machineHosts().map((h) => `http://${h.includes(":") ? `[${h}]` : h}:8080/healthz`),
    ];
    for (const url of own)
      expect({ url, status: (await box.web.request(url)).status }).toEqual({ url, status: 200 });

    const page = await box.web.request("http://evil.example:8080/");
    expect(page.status).toBe(421);
    expect(await page.text()).toStartWith("HTTP.BAD_HOST:");
    const api = await box.web.request("http://evil.example:8080/api/v1/desks", { headers: bearer });
    expect(api.status).toBe(421);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("HTTP.BAD_HOST");
    // A header naming another host is what a rebound browser sends; the URL's host alone is not trusted.
    const header = await box.web.request("http://127.0.0.1:8080/healthz", {
      headers: { host: "evil.example:8080" },
    });
    expect(header.status).toBe(421);
  });

  test("a rebound page's same-origin form post is refused before the CSRF check would let it through, and records nothing", async () => {
    const rebound = "http://evil.example:8080";
    const response = await box.web.request(`${rebound}/pin`, {
      method: "POST",
      headers: {
        origin: rebound,
        "sec-fetch-site": "same-origin",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ employeeId: "anna", pin: "1111" }).toString(),
    });
    expect(response.status).toBe(421);
    expect(await response.text()).not.toContain("ticket");
    expect(box.factCount()).toBe(0);
  });

  test("a new address of the machine (DHCP) is answered once the names are read again, at most every MACHINE_REFRESH_MS", async () => {
    let now = 0;
    const names = ["branchbox", "10.0.0.5"];
    const app = new Hono();
    app.use(
      hostCheck({
        listen: "0.0.0.0:8080",
        allowed: [],
        log: silentLogger,
        now: () => now,
        machine: () => names,
      }),
    );
    app.get("/", (c) => c.text("ok"));

    expect((await app.request("http://10.0.0.5:8080/")).status).toBe(200);
    expect((await app.request("http://0.0.0.0:8080/")).status).toBe(421);
    names.push("10.0.0.77");
    expect((await app.request("http://10.0.0.77:8080/")).status).toBe(421);
    now += MACHINE_REFRESH_MS;
    expect((await app.request("http://10.0.0.77:8080/")).status).toBe(200);
  });
});

describe("[http] allowed_hosts", () => {
  const load = (http: Record<string, unknown>, env: Record<string, string> = {}) =>
    loadConfig({ base: { ...DEMO_CONFIG, http: { admin_token: TEST_TOKEN, ...http } }, env });

  test("takes names and addresses from the file or a comma list from the environment, and stops the start on a port", () => {
    expect(load({}).http.allowed_hosts).toEqual([]);
    expect(
      load({ allowed_hosts: ["box.branch.local", "10.1.2.3", "[fe80::1]"] }).http.allowed_hosts,
    ).toHaveLength(3);
    expect(load({}, { BRANCHBOX_HTTP_ALLOWED_HOSTS: "box.branch.local, kiosk" }).http.allowed_hosts).toEqual([
      "box.branch.local",
      "kiosk",
    ]);
    for (const bad of ["box.branch.local:8080", "http://box", "*"]) {
      expect(() => load({ allowed_hosts: [bad] })).toThrow(ConfigError);
      try {
        load({ allowed_hosts: [bad] });
      } catch (error) {
        expect((error as ConfigError).problems.join("\n")).toContain("http.allowed_hosts");
      }
    }
  });
});
