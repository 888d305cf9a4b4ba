// Crash test: a roster fact the API confirmed with 200 survives a kill -9 of the compiled binary
// (SQLite WAL, synchronous=FULL), and so does the check-out that closes it. Each round is a
// check-in, a power cut, a restart on the same storage, a check-out, another power cut, another
// restart; every restart must tell the same story through /api/v1/desks and /api/v1/owner.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { ensureBinary, freePort, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

const ROUNDS = 5;
const TOKEN = randomBytes(24).toString("hex");
const auth = { authorization: `Bearer ${TOKEN}` };

type Desk = { id: string; holder: { employeeId: string } | null };
type Owner = { extension: string; employeeId: string | null; rule: string };

let dir = "";
let port = 0;
let starts = 0;
let current: Running | undefined;

async function start(): Promise<Running> {
  starts += 1;
  current = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    port,
    name: `start-${starts}`,
    env: { BRANCHBOX_HTTP_ADMIN_TOKEN: TOKEN },
  });
  return current;
}

async function post(box: Running, path: string, body: unknown): Promise<Response> {
  return fetch(`${box.baseUrl}${path}`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The body if it arrived before the kill (it is small, so it nearly always has). */
const bodyOf = (response: Response): Promise<string> => response.text().catch(() => "(body cut by the kill)");

async function getJson<T>(box: Running, path: string): Promise<T> {
  const response = await fetch(`${box.baseUrl}${path}`, { headers: auth });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function frontHolder(box: Running): Promise<string | null> {
  const desks = await getJson<Desk[]>(box, "/api/v1/desks");
  const front = desks.find((d) => d.id === "front");
  if (front === undefined) throw new Error(`no desk "front" in ${JSON.stringify(desks)}`);
  return front.holder?.employeeId ?? null;
}

async function ownerOf101(box: Running): Promise<Owner> {
  const at = encodeURIComponent(new Date().toISOString());
  return getJson<Owner>(box, `/api/v1/owner?extension=101&at=${at}`);
}

describe("crash: kill -9 right after a 200", () => {
  beforeAll(async () => {
    ensureBinary();
    dir = makeTestDir("crash");
    port = await freePort();
  }, 120_000);

  afterAll(async () => {
    await current?.kill9();
    if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
  });

  test(`a check-in and a check-out confirmed with 200 are there after a restart (${ROUNDS} rounds)`, async () => {
    let box = await start();
    for (let round = 1; round <= ROUNDS; round++) {
      const checkIn = await post(box, "/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" });
      await box.kill9(); // the moment the status line is in: the body is read after the kill
      const checkInBody = await bodyOf(checkIn);
      expect(`round ${round} check-in: ${checkIn.status} ${checkInBody}`).toBe(
        `round ${round} check-in: 200 ${checkInBody}`,
      );

      box = await start();
      expect(await frontHolder(box)).toBe("anna");
      const owner = await ownerOf101(box);
      expect({ employeeId: owner.employeeId, rule: owner.rule }).toEqual({
        employeeId: "anna",
        rule: "desk-checkin",
      });

      const checkOut = await post(box, "/api/v1/roster/check-out", { employeeId: "anna" });
      await box.kill9();
      const checkOutBody = await bodyOf(checkOut);
      expect(`round ${round} check-out: ${checkOut.status} ${checkOutBody}`).toBe(
        `round ${round} check-out: 200 ${checkOutBody}`,
      );

      box = await start();
      expect(await frontHolder(box)).toBeNull();
      const after = await ownerOf101(box);
      expect({ employeeId: after.employeeId, rule: after.rule }).toEqual({
        employeeId: null,
        rule: "unmapped",
      });
    }
    await box.stop();
  }, 120_000);
});
