import { expect, test } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import { makeTestBox, TEST_TOKEN } from "../support/box.ts";
import { LOOPBACK, peer } from "../support/kiosk-client.ts";

test("no PIN and no admin token in any log line, whatever the requests", async () => {
  const lines: string[] = [];
  const box = await makeTestBox({ log: createLogger({ level: "debug", write: (line) => lines.push(line) }) });
  try {
    const form = (fields: Record<string, string>) => ({
      method: "POST",
      headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    // Wrong PINs up to the lock (a warn line), the right one (on the box's own screen), then API
    // calls with the token.
    for (const pin of ["4242", "5353", "6464", "7575", "8686"])
      await box.app.request("/pin", form({ employeeId: "olga", pin }), peer(LOOPBACK));
    await box.app.request("/pin", form({ employeeId: "anna", pin: "1111" }), peer(LOOPBACK));
    await box.api("/api/v1/roster/check-in", {
      method: "POST",
      body: JSON.stringify({ employeeId: "anna", deskId: "front" }),
    });
    await box.app.request("/api/v1/desks", { headers: { authorization: "Bearer wrong-token-9876" } });
    await box.app.request("/admin", { headers: { authorization: `Basic ${btoa(`admin:${TEST_TOKEN}`)}` } });
    // A failure path logs the error: make one (a closed database) and read what it wrote.
    box.db.close();
    await box.api("/api/v1/roster/check-out", {
      method: "POST",
      body: JSON.stringify({ employeeId: "anna" }),
    });
  } finally {
    box.close();
  }
  const log = lines.join("\n");
  expect(lines.some((l) => l.includes("pin locked"))).toBe(true);
  expect(lines.some((l) => l.includes("request failed"))).toBe(true);
  for (const secret of ["4242", "5353", "6464", "7575", "8686", "1111", TEST_TOKEN, "wrong-token-9876"]) {
    expect(log).not.toContain(secret);
  }
});
