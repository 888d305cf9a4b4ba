import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import { createInbound, type PbxDownRecord } from "../../src/sync/inbound/index.ts";
import { BRANCH, bytes, capturingLogger, down, makeInbox } from "./inbound-fixtures.ts";

const event = (n: number) => ({
  id: `mango:call:${String(n).padStart(32, "0")}`,
  type: "mango.event",
  data: {
    kind: "call",
    json: { entry_id: "e1", call_id: `c${n}`, seq: n, call_state: "Appeared" },
    receivedAt: 5,
  },
});

describe("the inbox's pbx down stream (issue 17)", () => {
  test("mango.event records go to the PbxEventsPort once each, in seq order, inside the commit", () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), "branchbox-inbound-pbx-")));
    const handed: PbxDownRecord[][] = [];
    const inbound = createInbound({
      db,
      branch: BRANCH,
      log: capturingLogger().log,
      now: () => 10,
      onPbxEvents: (records) => {
        // Inside the transaction: the mark has not moved yet.
        expect(db.query("SELECT count(*) AS n FROM inbox_hwm WHERE stream = 'pbx'").get()).toEqual({ n: 0 });
        handed.push([...records]);
      },
    });
    expect(inbound.handle("pbx", bytes(down("pbx", 1, [event(1), event(2)])))).toMatchObject({
      kind: "applied",
    });
    expect(inbound.handle("pbx", bytes(down("pbx", 1, [event(1), event(2)])))).toMatchObject({
      kind: "duplicate",
    });
    expect(handed.map((batch) => batch.map((r) => r.seq))).toEqual([[1, 2]]);
    expect(handed[0]?.[0]).toEqual({
      seq: 1,
      id: event(1).id,
      type: "mango.event",
      event: event(1).data,
    } as PbxDownRecord);
    expect(inbound.status().pbx).toEqual({ handed: 2, withoutSource: 0 });
    expect(inbound.status().streams.pbx.through).toBe(2);
    db.close();
  });

  test("a mango.result (how the box's pbx.command ended) goes to the port with its type, in order with the events", () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), "branchbox-inbound-pbx-")));
    const handed: PbxDownRecord[] = [];
    const inbound = createInbound({
      db,
      branch: BRANCH,
      log: capturingLogger().log,
      now: () => 10,
      onPbxEvents: (records) => handed.push(...records),
    });
    const result = {
      id: "mango:result:cmd-1",
      type: "mango.result",
      data: { commandId: "cmd-1", command: "callback", result: 1000, by: "mango", receivedAt: 7 },
    };
    expect(inbound.handle("pbx", bytes(down("pbx", 1, [event(1), result])))).toMatchObject({
      kind: "applied",
    });
    expect(handed.map((r) => [r.seq, r.type])).toEqual([
      [1, "mango.event"],
      [2, "mango.result"],
    ]);
    expect(handed[1]?.event).toEqual(result.data as PbxDownRecord["event"]);
    db.close();
  });

  test("a port that throws (its store failed) rolls the envelope back: not applied, redelivered", () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), "branchbox-inbound-pbx-")));
    let fail = true;
    const inbound = createInbound({
      db,
      branch: BRANCH,
      log: capturingLogger().log,
      now: () => 10,
      onPbxEvents: () => {
        if (fail) throw new Error("disk I/O error");
      },
    });
    expect(inbound.handle("pbx", bytes(down("pbx", 1, [event(1)])))).toMatchObject({ kind: "failed" });
    expect(inbound.status().streams.pbx.through).toBe(0);
    fail = false;
    expect(inbound.handle("pbx", bytes(down("pbx", 1, [event(1)])))).toMatchObject({ kind: "applied" });
    db.close();
  });

  test("with no PBX source: the records keep their inbox rows and mark, counted and logged SYNC.PBX_NO_SOURCE", () => {
    const box = makeInbox();
    expect(box.inbound.handle("pbx", bytes(down("pbx", 1, [event(1)])))).toMatchObject({ kind: "applied" });
    expect(box.inbound.status().pbx).toEqual({ handed: 0, withoutSource: 1 });
    expect(box.codes()).toContain("SYNC.PBX_NO_SOURCE");
    expect(box.db.query("SELECT id, type FROM inbox WHERE stream = 'pbx'").all()).toEqual([
      { id: event(1).id, type: "mango.event" },
    ]);
    box.close();
  });

  test("a mango.event whose data fails the schema rejects the envelope whole", () => {
    const box = makeInbox();
    const bad = { ...event(2), data: { kind: "fax", json: {}, receivedAt: 1 } };
    expect(box.inbound.handle("pbx", bytes(down("pbx", 1, [event(1), bad])))).toMatchObject({
      kind: "rejected",
      code: "SYNC.DOWN_BAD_RECORD",
    });
    expect(box.inbound.status().streams.pbx.through).toBe(0);
    box.close();
  });
});
