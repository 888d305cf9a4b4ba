import { afterEach, beforeEach, expect, test } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";

let box: TestBox;
beforeEach(async () => {
  box = await makeTestBox();
});
afterEach(() => box.close());

const post = (path: string, body: unknown) => box.api(path, { method: "POST", body: JSON.stringify(body) });
const toggle = (checkIn: boolean) =>
  checkIn
    ? post("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" })
    : post("/api/v1/roster/check-out", { employeeId: "anna" });
const factCount = () =>
  box.db.query<{ n: number }, []>("SELECT count(*) AS n FROM roster_facts").get()?.n ?? -1;

test("a full disk: a coded 507, no half-written fact, reads keep working, and writes resume once there is room", async () => {
  // SQLite refuses to grow the file past max_page_count with SQLITE_FULL, exactly as on a full disk.
  const pages = box.db.query<{ page_count: number }, []>("PRAGMA page_count").get()?.page_count ?? 0;
  box.db.run(`PRAGMA max_page_count = ${pages}`);
  let accepted = 0;
  let refused: Response | null = null;
  for (let i = 0; i < 2000 && refused === null; i++) {
    box.clock.advance(1000);
    const response = await toggle(i % 2 === 0);
    if (response.status === 200) accepted++;
    else refused = response;
  }
  if (refused === null) throw new Error("the database never filled up");
  expect(refused.status).toBe(507);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("STORAGE.DISK_FULL");
  // What the box believes is exactly what is on disk: the refused fact is in neither.
  expect(factCount()).toBe(accepted);
  const holder = ((await (await box.api("/api/v1/desks")).json()) as { holder: unknown }[])[0]?.holder;
  expect(holder === null).toBe(accepted % 2 === 0);

  box.db.run("PRAGMA max_page_count = 1073741823");
  box.clock.advance(1000);
  expect((await toggle(accepted % 2 === 0)).status).toBe(200);
  expect(factCount()).toBe(accepted + 1);
});

test("the log reports only facts that were stored: no 'roster fact' line for a batch the disk refused", async () => {
  const lines: string[] = [];
  const logged = await makeTestBox({ log: createLogger({ write: (line) => lines.push(line) }) });
  try {
    const pages = logged.db.query<{ page_count: number }, []>("PRAGMA page_count").get()?.page_count ?? 0;
    logged.db.run(`PRAGMA max_page_count = ${pages}`);
    const send = (path: string, body: unknown) =>
      logged.api(path, { method: "POST", body: JSON.stringify(body) });
    let refused = 0;
    for (let i = 0; i < 2000 && refused < 20; i++) {
      logged.clock.advance(1000);
      // Several at once: one group commit, refused whole once the disk is full.
      const batch = await Promise.all([
        send("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" }),
        send("/api/v1/roster/check-out", { employeeId: "anna" }),
        send("/api/v1/roster/check-in", { employeeId: "olga", deskId: "front" }),
        send("/api/v1/roster/check-out", { employeeId: "olga" }),
      ]);
      refused += batch.filter((r) => r.status === 507).length;
    }
    expect(refused).toBeGreaterThan(0);
    const stored =
      logged.db.query<{ n: number }, []>("SELECT count(*) AS n FROM roster_facts").get()?.n ?? -1;
    const factLines = lines.filter((line) => JSON.parse(line).msg === "roster fact");
    expect(factLines.length).toBe(stored);
    const seqs = factLines.map((line) => JSON.parse(line).seq as number);
    const onDisk = logged.db.query<{ seq: number }, []>("SELECT seq FROM roster_facts ORDER BY seq").all();
    expect(seqs).toEqual(onDisk.map((r) => r.seq));
  } finally {
    await logged.close();
  }
});
