// Issue 16: /api/v1/employees/<id>/forwarding (R4.1–R4.4) and /absences (R4.7), authenticated like
// the rest of /api/v1, whole PUTs, coded 4xx on bad input with nothing changed.
import { afterEach, describe, expect, test } from "bun:test";
import { makeTestBox, type TestBox } from "../support/box.ts";

let box: TestBox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

const put = (b: TestBox, path: string, body: unknown) =>
  b.api(path, { method: "PUT", body: typeof body === "string" ? body : JSON.stringify(body) });
const codeOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string } }).error.code;
const auditCount = (b: TestBox) =>
  b.db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit").get()?.n ?? -1;

const TO_DEPARTMENT = {
  action: { kind: "forward", to: { extension: "600" } },
  notice: { kind: "custom", recording: "ne-mozhet-otvetit" },
  timeoutSeconds: 90,
} as const;

describe("forwarding (R4.1–R4.4)", () => {
  test("R4.1: GET says the default when the employee has none of their own: busy after 120 s", async () => {
    box = await makeTestBox();
    const response = await box.api("/api/v1/employees/anna/forwarding");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      employeeId: "anna",
      own: false,
      action: { kind: "drop", tone: "busy" },
      notice: { kind: "default" },
      timeoutSeconds: 120,
      setBy: null,
      updatedAt: null,
    });
  });

  test("R4.4: PUT sets anyone's (branch IT), audited via api; GET reads it back; null is the default again", async () => {
    box = await makeTestBox();
    const response = await put(box, "/api/v1/employees/anna/forwarding", TO_DEPARTMENT);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      own: true,
      ...TO_DEPARTMENT,
      setBy: { via: "manager", employeeId: null },
    });
    expect(box.rules.forwarding("anna")?.action).toEqual(TO_DEPARTMENT.action);
    expect(await (await box.api("/api/v1/employees/anna/forwarding")).json()).toMatchObject({
      own: true,
      updatedAt: "2026-11-21T06:00:00.000Z",
    });
    expect((await put(box, "/api/v1/employees/anna/forwarding", null)).status).toBe(200);
    expect(box.rules.forwarding("anna")).toBeNull();
    expect(auditCount(box)).toBe(2);
  });

  test("bad input is a coded 4xx and changes nothing", async () => {
    box = await makeTestBox();
    const cases: [string, unknown, number, string][] = [
      ["anna", "{not json", 400, "API.BAD_JSON"],
      ["anna", { ...TO_DEPARTMENT, timeoutSeconds: 10 }, 400, "API.INVALID_BODY"],
      ["anna", { ...TO_DEPARTMENT, action: { kind: "ring-forever" } }, 400, "API.INVALID_BODY"],
      ["anna", { ...TO_DEPARTMENT, extra: true }, 400, "API.INVALID_BODY"],
      [
        "anna",
        { ...TO_DEPARTMENT, action: { kind: "forward", to: { employeeId: "anna" } } },
        400,
        "RULES.BAD_FORWARDING",
      ],
      [
        "anna",
        { ...TO_DEPARTMENT, action: { kind: "forward", to: { employeeId: "maria" } } },
        400,
        "RULES.BAD_FORWARDING",
      ],
      ["maria", TO_DEPARTMENT, 404, "ROSTER.UNKNOWN_EMPLOYEE"],
    ];
    for (const [id, body, status, code] of cases) {
      const response = await put(box, `/api/v1/employees/${id}/forwarding`, body);
      expect([response.status, await codeOf(response)]).toEqual([status, code]);
    }
    const missing = await box.api("/api/v1/employees/maria/forwarding");
    expect([missing.status, await codeOf(missing)]).toEqual([404, "ROSTER.UNKNOWN_EMPLOYEE"]);
    expect(box.rules.forwarding("anna")).toBeNull();
    expect(auditCount(box)).toBe(0);
  });

  test("without the admin token: 401 AUTH.UNAUTHORIZED, nothing changed", async () => {
    box = await makeTestBox();
    for (const method of ["GET", "PUT"]) {
      const response = await box.app.request("/api/v1/employees/anna/forwarding", {
        method,
        headers: { "content-type": "application/json", authorization: "Bearer wrong-token-0123456789" },
        ...(method === "PUT" ? { body: JSON.stringify(TO_DEPARTMENT) } : {}),
      });
      expect([response.status, await codeOf(response)]).toEqual([401, "AUTH.UNAUTHORIZED"]);
    }
    expect(box.rules.forwarding("anna")).toBeNull();
  });
});

describe("absences (R4.7)", () => {
  const OFFICE = ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "09:00", to: "18:00" }));

  test("R4.7: PUT the schedule and the ranges whole; GET shows them and whether they are away now", async () => {
    box = await makeTestBox();
    const body = {
      schedule: OFFICE,
      ranges: [{ kind: "vacation", firstDay: "2026-11-23", lastDay: "2026-11-27" }],
    };
    const response = await put(box, "/api/v1/employees/olga/absences", body);
    expect(response.status).toBe(200);
    const view = (await response.json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      employeeId: "olga",
      schedule: OFFICE,
      ranges: [{ kind: "vacation", firstDay: "2026-11-23", lastDay: "2026-11-27", source: "box" }],
      // Saturday: off by her schedule, then the vacation all week: back on Monday 30th at 09:00.
      away: { reason: "schedule", until: "2026-11-30T06:00:00.000Z" },
    });
    expect(await (await box.api("/api/v1/employees/olga/absences")).json()).toEqual(view);
    // Whole: a PUT without the range removes it; no schedule is null.
    const cleared = await (
      await put(box, "/api/v1/employees/olga/absences", { schedule: null, ranges: [] })
    ).json();
    expect(cleared).toEqual({ employeeId: "olga", schedule: null, ranges: [], away: null });
    expect(box.rules.absence("olga", box.clock.now())).toBeNull();
  });

  test("bad days or hours are a coded 400 and change nothing", async () => {
    box = await makeTestBox();
    const cases: [unknown, string][] = [
      [{ schedule: [{ day: "mon", from: "18:00", to: "09:00" }], ranges: [] }, "API.INVALID_BODY"],
      [{ schedule: [{ day: "monday", from: "09:00", to: "18:00" }], ranges: [] }, "API.INVALID_BODY"],
      [{ schedule: [], ranges: [] }, "API.INVALID_BODY"],
      [
        { schedule: null, ranges: [{ kind: "vacation", firstDay: "2026-12-05", lastDay: "2026-12-01" }] },
        "API.INVALID_BODY",
      ],
      [
        { schedule: null, ranges: [{ kind: "vacation", firstDay: "2026-02-29", lastDay: "2026-03-01" }] },
        "API.INVALID_BODY",
      ],
      [{ schedule: null }, "API.INVALID_BODY"],
      [
        { schedule: null, ranges: [{ kind: "sick", firstDay: "2026-01-01", lastDay: "2027-06-01" }] },
        "RULES.BAD_ABSENCE",
      ],
    ];
    for (const [body, code] of cases) {
      const response = await put(box, "/api/v1/employees/olga/absences", body);
      expect([response.status, await codeOf(response)]).toEqual([400, code]);
    }
    expect(box.deps.rules.absences("olga")).toEqual({ schedule: null, ranges: [] });
    expect(auditCount(box)).toBe(0);
  });
});
