import { afterEach, expect, test } from "bun:test";
import type { StaffEntry } from "../../src/service/staff-import.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";

let box: TestBox | undefined;
afterEach(() => box?.close());

const receptionists = (n: number): StaffEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    name: `Receptionist ${i}`,
    role: "reception",
    pin: "1234",
    extension: null,
  }));
const factCount = (b: TestBox) =>
  b.db.query<{ n: number }, []>("SELECT count(*) AS n FROM roster_facts").get()?.n;

test("commands arriving together are committed together, and each caller hears back only after the commit", async () => {
  box = await makeTestBox({ staff: receptionists(40) });
  let notifications = 0;
  box.roster.subscribe(() => notifications++);
  const now = box.clock.now();
  const pending = Array.from({ length: 40 }, (_, i) =>
    box?.roster.record({ kind: "check-in", employeeId: `r${i}`, deskId: "front", source: "api" }, now),
  );
  expect(factCount(box)).toBe(0); // nothing is written until the turn ends
  const results = await Promise.all(pending);
  expect(results.every((r) => r?.ok)).toBe(true);
  expect(factCount(box)).toBe(40);
  expect(notifications).toBe(1); // one commit, one board update
  expect(box.roster.ownerOf("101", now).employeeId).toBe("r0"); // the first to arrive holds the phone
});

test("within one batch each command is checked against the ones before it", async () => {
  box = await makeTestBox();
  const now = box.clock.now();
  const [checkIn, checkOut, again] = await Promise.all([
    box.roster.record({ kind: "check-in", employeeId: "anna", deskId: "front", source: "api" }, now),
    box.roster.record({ kind: "check-out", employeeId: "anna", deskId: null, source: "api" }, now),
    box.roster.record({ kind: "check-out", employeeId: "anna", deskId: null, source: "api" }, now),
  ]);
  expect(checkIn?.ok).toBe(true);
  expect(checkOut?.ok).toBe(true);
  expect(again?.ok ? "ok" : again?.error.code).toBe("ROSTER.NOT_ON_SHIFT");
  expect(factCount(box)).toBe(2);
});

test("a batch the disk refuses is refused whole: every caller gets the error, the timeline is what the disk has", async () => {
  box = await makeTestBox({ staff: receptionists(200) });
  const pages = box.db.query<{ page_count: number }, []>("PRAGMA page_count").get()?.page_count ?? 0;
  box.db.run(`PRAGMA max_page_count = ${pages}`);
  const now = box.clock.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) =>
      box?.roster.record({ kind: "check-in", employeeId: `r${i}`, deskId: "front", source: "api" }, now),
    ),
  );
  expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
  expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/full/i);
  expect(factCount(box)).toBe(0);
  expect(box.roster.ownerOf("101", now).employeeId).toBeNull();
  expect(box.roster.board(now).onShift).toHaveLength(0);

  box.db.run("PRAGMA max_page_count = 1073741823");
  const retry = await box.roster.record(
    { kind: "check-in", employeeId: "r7", deskId: "front", source: "api" },
    now,
  );
  expect(retry.ok).toBe(true);
  expect(box.roster.ownerOf("101", now).employeeId).toBe("r7");
});

test("every roster fact has its outbox record for headquarters, committed with it", async () => {
  box = await makeTestBox();
  const now = box.clock.now();
  await Promise.all([
    box.roster.record({ kind: "check-in", employeeId: "anna", deskId: "front", source: "kiosk" }, now),
    box.roster.record({ kind: "check-out", employeeId: "olga", deskId: null, source: "kiosk" }, now), // refused
  ]);
  const rows = box.db
    .query<{ stream: string; seq: number; id: string; type: string; data: string }, []>(
      "SELECT * FROM outbox",
    )
    .all();
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ stream: "roster", seq: 1, id: "fact-1", type: "roster.fact" });
  expect(JSON.parse(rows[0]?.data ?? "{}")).toMatchObject({
    kind: "check-in",
    employeeId: "anna",
    deskId: "front",
    source: "kiosk",
  });
});
