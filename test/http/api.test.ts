import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { makeTestBox, type TestBox } from "../support/box.ts";

let box: TestBox;
beforeEach(async () => {
  box = await makeTestBox();
});
afterEach(() => box.close());

const factCount = () => box.db.query<{ n: number }, []>("SELECT count(*) AS n FROM roster_facts").get()?.n;
const post = (path: string, body: unknown) =>
  box.api(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(5);
}

describe("GET /healthz", () => {
  test("answers without auth with status and version", async () => {
    const response = await box.app.request("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });
});

describe("auth", () => {
  test("no token, a wrong token, or a token of another length: 401 with a code", async () => {
    for (const authorization of [
      undefined,
      "Bearer wrong",
      `Bearer ${"x".repeat(200)}`,
      "Basic Zm9vOmJhcg==",
    ]) {
      const response = await box.app.request("/api/v1/desks", {
        headers: authorization ? { authorization } : {},
      });
      await expectError(response, 401, "AUTH.UNAUTHORIZED");
    }
  });

  test("a write with a wrong token changes nothing", async () => {
    const response = await box.app.request("/api/v1/roster/check-in", {
      method: "POST",
      headers: { authorization: "Bearer nope", "content-type": "application/json" },
      body: JSON.stringify({ employeeId: "anna", deskId: "front" }),
    });
    await expectError(response, 401, "AUTH.UNAUTHORIZED");
    expect(factCount()).toBe(0);
  });
});

describe("roster commands", () => {
  test("R0.2: check-in makes the receptionist the holder of the desk and the owner of its extension", async () => {
    const response = await post("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
    expect(response.status).toBe(200);
    const desks = (await (await box.api("/api/v1/desks")).json()) as {
      holder: { employeeId: string; name: string };
    }[];
    expect(desks[0]?.holder).toMatchObject({ employeeId: "anna", name: "Анна Смирнова" });
    const owner = await (await box.api("/api/v1/owner?extension=101")).json();
    expect(owner).toMatchObject({ extension: "101", employeeId: "anna", rule: "desk-checkin" });
  });

  test("handover gives the phone to the second receptionist; check-out returns it", async () => {
    await post("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
    box.clock.advance(60_000);
    expect((await post("/api/v1/roster/handover", { employeeId: "olga", deskId: "front" })).status).toBe(200);
    box.clock.advance(60_000);
    expect((await (await box.api("/api/v1/owner?extension=101")).json()).employeeId).toBe("olga");
    expect((await post("/api/v1/roster/check-out", { employeeId: "olga" })).status).toBe(200);
    box.clock.advance(1000);
    expect((await (await box.api("/api/v1/owner?extension=101")).json()).employeeId).toBe("anna");
  });

  test("owner at a past instant answers from the timeline, not from now", async () => {
    await post("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
    const before = new Date(box.clock.now() - 1000).toISOString();
    const owner = await (
      await box.api(`/api/v1/owner?extension=101&at=${encodeURIComponent(before)}`)
    ).json();
    expect(owner).toMatchObject({ employeeId: null, rule: "unmapped" });
  });

  test("a late check-in with a past time is a correction: it re-attributes and leaves an audit entry", async () => {
    box.clock.set("2026-11-21T11:00:00+03:00");
    const response = await post("/api/v1/roster/check-in", {
      employeeId: "olga",
      deskId: "front",
      at: "2026-11-21T09:00:00+03:00",
    });
    expect(response.status).toBe(200);
    const owner = await (await box.api("/api/v1/owner?extension=101&at=2026-11-21T09:30:00%2B03:00")).json();
    expect(owner.employeeId).toBe("olga");
    const audit = box.roster.audit(10);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.detail).toContain("olga");
  });
});

describe("bad input: a coded error and no change in the database", () => {
  const cases: [string, string, unknown, number, string][] = [
    ["malformed JSON", "/api/v1/roster/check-in", "{not json", 400, "API.BAD_JSON"],
    ["a JSON array", "/api/v1/roster/check-in", [], 400, "API.INVALID_BODY"],
    ["missing deskId", "/api/v1/roster/check-in", { employeeId: "anna" }, 400, "API.INVALID_BODY"],
    ["missing employeeId", "/api/v1/roster/check-out", {}, 400, "API.INVALID_BODY"],
    [
      "a number for employeeId",
      "/api/v1/roster/check-in",
      { employeeId: 7, deskId: "front" },
      400,
      "API.INVALID_BODY",
    ],
    [
      "an unknown field",
      "/api/v1/roster/check-in",
      { employeeId: "anna", deskId: "front", pin: "1" },
      400,
      "API.INVALID_BODY",
    ],
    [
      "unknown employee",
      "/api/v1/roster/check-in",
      { employeeId: "ghost", deskId: "front" },
      404,
      "ROSTER.UNKNOWN_EMPLOYEE",
    ],
    [
      "check-in at an unknown desk",
      "/api/v1/roster/check-in",
      { employeeId: "anna", deskId: "back" },
      404,
      "ROSTER.UNKNOWN_DESK",
    ],
    [
      "handover to an unknown desk",
      "/api/v1/roster/handover",
      { employeeId: "anna", deskId: "x" },
      404,
      "ROSTER.UNKNOWN_DESK",
    ],
    [
      "check-out of someone not on shift",
      "/api/v1/roster/check-out",
      { employeeId: "anna" },
      409,
      "ROSTER.NOT_ON_SHIFT",
    ],
    [
      "an absurd at (year 1970)",
      "/api/v1/roster/check-in",
      { employeeId: "anna", deskId: "front", at: "1970-01-01T00:00:00Z" },
      400,
      "ROSTER.BAD_TIME",
    ],
    [
      "an at in the future",
      "/api/v1/roster/check-in",
      { employeeId: "anna", deskId: "front", at: "2030-01-01T00:00:00Z" },
      400,
      "ROSTER.BAD_TIME",
    ],
    [
      "an at that is not a time",
      "/api/v1/roster/check-in",
      { employeeId: "anna", deskId: "front", at: "yesterday" },
      400,
      "API.INVALID_BODY",
    ],
    [
      "an at without a zone",
      "/api/v1/roster/check-in",
      { employeeId: "anna", deskId: "front", at: "2026-11-21T09:00:00" },
      400,
      "API.INVALID_BODY",
    ],
    [
      "an at that does not exist",
      "/api/v1/roster/check-in",
      { employeeId: "anna", deskId: "front", at: "2026-02-30T09:00:00Z" },
      400,
      "ROSTER.BAD_TIME",
    ],
    ["an unknown endpoint", "/api/v1/roster/teleport", { employeeId: "anna" }, 404, "API.NOT_FOUND"],
  ];
  for (const [name, path, body, status, code] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      await expectError(await post(path, body), status, code);
      expect(factCount()).toBe(0);
      expect(box.roster.audit(10)).toHaveLength(0);
    });
  }

  test("a date that does not exist is refused, not rolled over to a real one inside the window", async () => {
    // On 2 December, Date.parse's roll-overs of these (1 December, 1 March…) would be accepted
    // corrections with an audit entry; each must be a coded 400 and leave nothing behind.
    box.clock.set("2026-12-02T12:00:00Z");
    for (const at of [
      "2026-11-31T10:00:00Z",
      "2026-11-30T24:00:00Z",
      "2026-12-01T10:00:00+24:00",
      "2026-11-31T10:00:00+03:00",
    ]) {
      await expectError(
        await post("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front", at }),
        400,
        "ROSTER.BAD_TIME",
      );
      await expectError(
        await box.api(`/api/v1/owner?extension=101&at=${encodeURIComponent(at)}`),
        400,
        "ROSTER.BAD_TIME",
      );
      await expectError(
        await box.api(`/api/v1/calls?since=${encodeURIComponent(at)}`),
        400,
        "API.INVALID_QUERY",
      );
    }
    expect(factCount()).toBe(0);
    expect(box.roster.audit(10)).toHaveLength(0);
    // The real day before it is still a correction the API takes.
    const real = await post("/api/v1/roster/check-in", {
      employeeId: "anna",
      deskId: "front",
      at: "2026-11-30T10:00:00Z",
    });
    expect(real.status).toBe(200);
    expect(((await real.json()) as { at: string }).at).toBe("2026-11-30T10:00:00.000Z");
  });

  test("a body over 16 KiB → 413 API.TOO_LARGE", async () => {
    await expectError(
      await post("/api/v1/roster/check-in", { employeeId: "a".repeat(20_000), deskId: "front" }),
      413,
      "API.TOO_LARGE",
    );
    expect(factCount()).toBe(0);
  });

  test("a second check-in at the same desk → 409 and still one fact", async () => {
    await post("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
    await expectError(
      await post("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" }),
      409,
      "ROSTER.ALREADY_ON_SHIFT",
    );
    expect(factCount()).toBe(1);
  });

  test("owner: a missing or bad extension and a bad at are coded errors", async () => {
    await expectError(await box.api("/api/v1/owner"), 400, "API.INVALID_QUERY");
    await expectError(await box.api("/api/v1/owner?extension=abc"), 400, "API.INVALID_QUERY");
    await expectError(await box.api("/api/v1/owner?extension=101&at=soon"), 400, "ROSTER.BAD_TIME");
  });
});

describe("secure headers", () => {
  test("a CSP allowing only the box's own scripts, on every response", async () => {
    const response = await box.app.request("/healthz");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
