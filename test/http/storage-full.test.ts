import { afterEach, beforeEach, expect, test } from "bun:test";
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
