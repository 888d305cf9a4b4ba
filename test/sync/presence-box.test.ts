// Issue 18, R0.3d at the box: HQ's `staff.elsewhere` on the `presence` down stream, through the
// inbox's commit into the roster (a closed-elsewhere fact AT the instant, audited, sent up), the
// kiosk's board (ru first, en second) and the routing (R4.7: not rung here today).
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BoardContent } from "../../src/http/kiosk/board.tsx";
import { messages } from "../../src/i18n/index.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";
import { bytes, down } from "./inbound-fixtures.ts";

const boxes: TestBox[] = [];
afterEach(async () => {
  for (const box of boxes.splice(0)) await box.close();
});

// The demo branch: desk front (101); anna, olga (reception), sergey (manager, dedicated 102).
const t = (hhmm: string, day = 21) => Date.parse(`2026-11-${day}T${hhmm}:00+03:00`);
const elsewhere = (employeeId: string, at: number, branchName: string | null = "Филиал 2") => ({
  id: `elsewhere:b2:${employeeId}:${at}`,
  type: "staff.elsewhere",
  data: { employeeId, branch: "b2", branchName, at },
});

async function box(): Promise<TestBox> {
  const b = await makeTestBox();
  boxes.push(b);
  return b;
}

const rosterFacts = (b: TestBox) =>
  b.db
    .query<{ data: string }, []>("SELECT data FROM outbox WHERE stream = 'roster' ORDER BY seq")
    .all()
    .map((r) => JSON.parse(r.data) as { kind: string; employeeId: string; at: number; source: string });

const boardHtml = (b: TestBox, lang: "ru" | "en") =>
  String(BoardContent({ board: b.roster.board(b.clock.now()), t: messages(lang) }));

describe("R0.3d the box applies HQ's word of a check-in elsewhere", () => {
  test("R0.3d: the open shift closes at the instant there (late: the box was offline), audited, sent up; the board says where", async () => {
    const b = await box();
    b.clock.set("2026-11-21T09:00:00+03:00");
    expect(
      (
        await b.roster.record(
          { kind: "check-in", employeeId: "anna", deskId: "front", source: "kiosk" },
          t("09:00"),
        )
      ).ok,
    ).toBe(true);
    b.clock.set("2026-11-21T12:00:00+03:00");
    const envelope = bytes(down("presence", 1, [elsewhere("anna", t("10:00"))]));
    expect(b.inbound.handle("presence", envelope)).toMatchObject({ kind: "applied", applied: 1 });

    expect(b.roster.shifts(t("00:00"), t("23:59"), b.clock.now())).toMatchObject([
      { employeeId: "anna", from: t("09:00"), to: t("10:00"), endedBy: "closed-elsewhere" },
    ]);
    expect(b.roster.ownerOf("101", t("10:30"))).toMatchObject({ employeeId: null, rule: "unmapped" });
    expect(b.roster.ownerOf("101", t("09:30"))).toMatchObject({ employeeId: "anna" });
    const [entry] = b.roster.audit(1);
    expect(entry).toMatchObject({ action: "roster.closed-elsewhere", actorId: null, at: t("12:00") });
    expect(entry?.detail).toBe(
      "closed-elsewhere of anna as of 2026-11-21T07:00:00.000Z, entered via hq; reason: checked in at Филиал 2 (b2)",
    );
    expect(rosterFacts(b).at(-1)).toMatchObject({
      kind: "closed-elsewhere",
      employeeId: "anna",
      at: t("10:00"),
      source: "hq",
    });

    expect(b.roster.board(b.clock.now()).elsewhere).toEqual([
      {
        employeeId: "anna",
        name: expect.any(String),
        branchId: "b2",
        branchName: "Филиал 2",
        since: t("10:00"),
      },
    ]);
    expect(boardHtml(b, "ru")).toContain("сегодня в филиале «Филиал 2», с 10:00");
    expect(boardHtml(b, "en")).toContain("at branch “Филиал 2” today, since 10:00");

    // The same word again, as a duplicate seq and under a new seq: nothing more.
    expect(b.inbound.handle("presence", envelope)).toMatchObject({ kind: "duplicate" });
    const again = down("presence", 2, [elsewhere("anna", t("10:00"))]);
    expect(b.inbound.handle("presence", bytes(again))).toMatchObject({ kind: "applied" });
    expect(rosterFacts(b).filter((f) => f.kind === "closed-elsewhere")).toHaveLength(1);
    expect(b.roster.audit(10).filter((a) => a.action === "roster.closed-elsewhere")).toHaveLength(1);
  });

  test("R0.3d: back at branch 1 later the same day, the board stops saying elsewhere and the new shift stays open", async () => {
    const b = await box();
    await b.roster.record(
      { kind: "check-in", employeeId: "anna", deskId: "front", source: "kiosk" },
      t("09:00"),
    );
    b.clock.set("2026-11-21T10:05:00+03:00");
    b.inbound.handle("presence", bytes(down("presence", 1, [elsewhere("anna", t("10:00"))])));
    expect(b.roster.elsewhereNow("anna", t("14:00"))).not.toBeNull();
    b.clock.set("2026-11-21T15:00:00+03:00");
    await b.roster.record(
      { kind: "check-in", employeeId: "anna", deskId: "front", source: "kiosk" },
      t("15:00"),
    );
    expect(b.roster.board(t("15:01")).elsewhere).toEqual([]);
    expect(b.roster.ownerOf("101", t("15:01"))).toMatchObject({ employeeId: "anna" });
  });

  test("R0.3d R4.7: a manager with no shift here closes nothing, yet their dedicated extension is absent here today; not the next day", async () => {
    const b = await box();
    b.clock.set("2026-11-21T11:00:00+03:00");
    expect(b.routing.snapshot(t("11:00")).absent).not.toContain("102");
    b.inbound.handle("presence", bytes(down("presence", 1, [elsewhere("sergey", t("10:00"), null)])));
    expect(rosterFacts(b).filter((f) => f.kind === "closed-elsewhere")).toEqual([]);
    expect(b.routing.snapshot(t("11:00")).absent).toContain("102");
    expect(boardHtml(b, "ru")).toContain("сегодня в филиале «b2», с 10:00");
    // The branch's next day: at home again as far as this box knows.
    expect(b.routing.snapshot(t("09:00", 22)).absent).not.toContain("102");
  });

  test("R0.3d: a shift begun here after the check-in elsewhere is not closed", async () => {
    const b = await box();
    await b.roster.record(
      { kind: "check-in", employeeId: "olga", deskId: "front", source: "kiosk" },
      t("09:00"),
    );
    b.clock.set("2026-11-21T09:30:00+03:00");
    b.inbound.handle("presence", bytes(down("presence", 1, [elsewhere("olga", t("08:00"))])));
    expect(b.roster.shifts(t("00:00"), t("23:59"), t("09:30"))).toMatchObject([
      { employeeId: "olga", to: null },
    ]);
    expect(b.roster.board(t("09:30")).elsewhere).toEqual([]);
  });

  test("R0.3d: a store failure in the inbox's transaction leaves nothing: no fact, no row, the shift still open in memory; the redelivery applies it", async () => {
    const b = await box();
    await b.roster.record(
      { kind: "check-in", employeeId: "anna", deskId: "front", source: "kiosk" },
      t("09:00"),
    );
    b.clock.set("2026-11-21T11:00:00+03:00");
    // The stream's mark is written last, after the roster wrote the close: the whole envelope rolls back.
    b.db.run(
      "CREATE TRIGGER broken_inbox BEFORE INSERT ON inbox_hwm BEGIN SELECT RAISE(ABORT, 'disk failed (test)'); END",
    );
    const envelope = bytes(down("presence", 1, [elsewhere("anna", t("10:00"))]));
    expect(b.inbound.handle("presence", envelope)).toMatchObject({ kind: "failed" });
    expect(b.roster.ownerOf("101", t("10:30"))).toMatchObject({ employeeId: "anna" });
    expect(b.roster.elsewhereNow("anna", t("11:00"))).toBeNull();
    expect(rosterFacts(b).map((f) => f.kind)).toEqual(["check-in"]);
    b.db.run("DROP TRIGGER broken_inbox");
    expect(b.inbound.handle("presence", envelope)).toMatchObject({ kind: "applied" });
    expect(b.roster.ownerOf("101", t("10:30"))).toMatchObject({ employeeId: null });
    expect(rosterFacts(b).map((f) => f.kind)).toEqual(["check-in", "closed-elsewhere"]);
  });

  test("R0.3d: after a restart the board still says where they are today", async () => {
    const dir = mkdtempSync(join(tmpdir(), "branchbox-presence-"));
    try {
      const clock = fakeClock("2026-11-21T11:00:00+03:00");
      const first = await makeTestBox({ dir, clock });
      first.inbound.handle("presence", bytes(down("presence", 1, [elsewhere("sergey", t("10:00"))])));
      await first.close();
      const again = await makeTestBox({ dir, clock });
      boxes.push(again);
      expect(again.roster.board(t("12:00")).elsewhere).toMatchObject([
        { employeeId: "sergey", since: t("10:00") },
      ]);
      expect(again.routing.snapshot(t("12:00")).absent).toContain("102");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
