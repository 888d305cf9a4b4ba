import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import type { HistoryRead, HistoryWindow, PbxHistory } from "../../src/domain/call/pbx-history.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { PbxGaps, type PbxGapsOptions } from "../../src/service/pbx-gaps.ts";
import { openDatabase } from "../../src/store/db.ts";
import { makeTestDir } from "../support/process.ts";

/**
 * Issue 13, "nothing lost while the box was down": the watermark of each PBX link, the gaps it
 * leaves, and reading them back from the PBX's records — on a real SQLite file.
 */
const SOURCE = "ami:pbx:5038";
const T0 = Date.parse("2031-03-14T09:00:00Z");
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(options: Partial<PbxGapsOptions> = {}) {
  const dir = makeTestDir("gaps");
  dirs.push(dir);
  const clock = { now: T0 };
  const open = () => openDatabase(dir);
  const db = open();
  const gaps = new PbxGaps(db, { log: silentLogger, now: () => clock.now, marginMs: 60_000, ...options });
  return { dir, db, gaps, clock, open };
}

const recoveredEnd = (callId: string, at: number): PbxEvent => ({
  source: SOURCE,
  key: `${callId}:end`,
  kind: "call-end",
  callId,
  legId: null,
  extension: null,
  at,
  recovered: { via: "cel", at },
});

/** A history that answers with `events` and remembers the windows it was asked for. */
function history(
  answer: (window: HistoryWindow) => Promise<HistoryRead>,
): PbxHistory & { asked: HistoryWindow[] } {
  const asked: HistoryWindow[] = [];
  return {
    describe: "CEL in a test",
    asked,
    read: (window) => {
      asked.push(window);
      return answer(window);
    },
  };
}

describe("PBX link gaps (issue 13)", () => {
  test("a box whose link was never up reads no history: no flood of old calls, no gap", async () => {
    const { gaps } = setup();
    const cel = history(async () => ({
      events: [recoveredEnd("old", T0 - 86_400_000)],
      calls: 1,
      via: "cel",
      skipped: 0,
    }));
    expect(await gaps.linkUp(SOURCE, T0, cel)).toEqual([]);
    expect(cel.asked).toEqual([]);
    expect(gaps.recent()).toEqual([]);
  });

  test("the window since the link was last known up is read back, with the margin, and the gap listed as recovered", async () => {
    const { gaps, clock } = setup();
    const cel = history(async () => ({
      events: [recoveredEnd("c1", T0 + 30_000)],
      calls: 1,
      via: "cel",
      skipped: 2,
    }));
    await gaps.linkUp(SOURCE, T0, cel);
    clock.now = T0 + 600_000;
    const events = await gaps.linkUp(SOURCE, clock.now, cel);
    expect(events.map((e) => e.key)).toEqual(["c1:end"]);
    expect(cel.asked).toEqual([{ from: T0 - 60_000, to: T0 + 660_000 }]);
    expect(gaps.recent()).toMatchObject([
      {
        source: SOURCE,
        lostAt: T0,
        backAt: T0 + 600_000,
        state: "recovered",
        via: "cel",
        calls: 1,
        events: 1,
        skipped: 2,
        attempts: 1,
      },
    ]);
  });

  test("the watermark survives a restart (a crash gives no warning): the gap starts at the last stamp", async () => {
    const { gaps, clock, db, open } = setup({ heartbeatMs: 10 });
    const source = {
      name: SOURCE,
      status: () => ({ state: "connected" as const, since: T0, detail: "", eventsReceived: 0, badFrames: 0 }),
    };
    await gaps.linkUp(SOURCE, T0, null);
    clock.now = T0 + 45_000;
    gaps.start(
      () => [source],
      async () => {},
    );
    const stamped = () => db.query<{ up_at: number }, []>("SELECT up_at FROM pbx_links").get()?.up_at;
    const deadline = Date.now() + 5_000;
    while (stamped() !== T0 + 45_000 && Date.now() < deadline) await Bun.sleep(5);
    expect(stamped()).toBe(T0 + 45_000);
    // kill -9: no stop(), the database is simply opened again by the next process.
    const again = new PbxGaps(open(), { log: silentLogger, now: () => T0 + 900_000 });
    await again.linkUp(SOURCE, T0 + 900_000, null);
    expect(again.recent()[0]).toMatchObject({
      lostAt: T0 + 45_000,
      backAt: T0 + 900_000,
      state: "no-history",
    });
    gaps.stop([]);
  });

  test("a new link is not stamped before its gap is read (stamping first would hide the gap)", async () => {
    const { gaps, clock, db } = setup({ heartbeatMs: 5 });
    let since = T0;
    let beats = 0;
    const source = {
      name: SOURCE,
      status: () => ({ state: "connected" as const, since, detail: "", eventsReceived: 0, badFrames: 0 }),
    };
    await gaps.linkUp(SOURCE, T0, null);
    gaps.start(
      () => {
        beats++;
        return [source];
      },
      async () => {},
    );
    // The link drops and comes back at T0 + 300 s; its linkUp has not come yet.
    since = T0 + 300_000;
    clock.now = T0 + 301_000;
    const after = beats + 5;
    const deadline = Date.now() + 5_000;
    while (beats < after && Date.now() < deadline) await Bun.sleep(5);
    expect(beats).toBeGreaterThanOrEqual(after);
    expect(db.query<{ up_at: number }, []>("SELECT up_at FROM pbx_links").get()?.up_at).toBe(T0);
    await gaps.linkUp(SOURCE, T0 + 300_000, null);
    expect(gaps.recent()[0]).toMatchObject({ lostAt: T0, backAt: T0 + 300_000 });
    gaps.stop([]);
  });

  test("a source without history (SIP dialogs): the gap is listed as 'calls may be missing'", async () => {
    const { gaps, clock } = setup();
    await gaps.linkUp("sip:pbx:8080", T0, null);
    clock.now = T0 + 120_000;
    expect(await gaps.linkUp("sip:pbx:8080", clock.now, null)).toEqual([]);
    expect(gaps.recent()).toMatchObject([{ state: "no-history", calls: 0 }]);
  });

  test("a history that refuses leaves the gap unread with its reason and changes nothing else; a retry reads it", async () => {
    const { gaps, clock, db } = setup({ heartbeatMs: 5, retryMs: 1 });
    let up = false;
    const cel = history(async () => {
      if (!up) throw new Error("Access denied for user 'cel'@'box'");
      return { events: [recoveredEnd("c2", T0 + 10_000)], calls: 1, via: "cel", skipped: 0 };
    });
    await gaps.linkUp(SOURCE, T0, cel);
    clock.now = T0 + 120_000;
    expect(await gaps.linkUp(SOURCE, clock.now, cel)).toEqual([]);
    expect(gaps.recent()).toMatchObject([
      { state: "unread", detail: "CEL in a test: Access denied for user 'cel'@'box'" },
    ]);
    const calls = db.query<{ n: number }, []>("SELECT count(*) AS n FROM calls").get()?.n;
    expect(calls).toBe(0);

    up = true;
    const delivered: PbxEvent[] = [];
    gaps.start(
      () => [],
      async (events) => void delivered.push(...events),
    );
    const deadline = Date.now() + 5_000;
    while (delivered.length === 0 && Date.now() < deadline) {
      clock.now += 1_000;
      await Bun.sleep(5);
    }
    gaps.stop([]);
    expect(delivered.map((e) => e.key)).toEqual(["c2:end"]);
    expect(gaps.recent()[0]).toMatchObject({ state: "recovered", calls: 1, attempts: 2 });
  });

  test("a history that does not answer in time leaves the gap unread", async () => {
    const { gaps, clock } = setup({ readTimeoutMs: 30 });
    const cel = history(() => new Promise(() => {}));
    await gaps.linkUp(SOURCE, T0, cel);
    clock.now = T0 + 120_000;
    expect(await gaps.linkUp(SOURCE, clock.now, cel)).toEqual([]);
    expect(gaps.recent()).toMatchObject([{ state: "unread", detail: "CEL in a test: no answer in 30 ms" }]);
  });

  test("a backfill reads exactly the period asked (no margin) from every source that keeps a history, delivers it and lists it", async () => {
    const { gaps } = setup();
    const cel = history(async () => ({
      events: [recoveredEnd("b1", T0 + 5_000)],
      calls: 1,
      via: "cel",
      skipped: 0,
    }));
    const delivered: PbxEvent[] = [];
    gaps.start(
      () => [],
      async (events) => void delivered.push(...events),
    );
    expect(await gaps.backfill({ from: T0, to: T0 + 86_400_000 })).toEqual([]);
    gaps.register(SOURCE, cel);
    const listed = await gaps.backfill({ from: T0, to: T0 + 86_400_000 });
    gaps.stop([]);
    expect(cel.asked).toEqual([{ from: T0, to: T0 + 86_400_000 }]);
    expect(delivered.map((e) => e.key)).toEqual(["b1:end"]);
    expect(listed).toMatchObject([
      { source: SOURCE, state: "recovered", calls: 1, detail: "backfill: CEL in a test" },
    ]);
  });

  test("a CDR (where CEL is off) gives only the calls the box never saw: its legs would not meet the live stream's keys", async () => {
    const { gaps, clock, db } = setup();
    db.query(
      "INSERT INTO pbx_journal (source, key, call_id, event, received_at) VALUES (?, ?, ?, '{}', ?)",
    ).run(SOURCE, "seen:start", "seen", T0);
    const viaCdr = (callId: string): PbxEvent => ({
      ...recoveredEnd(callId, T0 + 1_000),
      recovered: { via: "cdr", at: T0 },
    });
    const cdr = history(async () => ({
      events: [viaCdr("seen"), viaCdr("unseen")],
      calls: 2,
      via: "cdr",
      skipped: 0,
    }));
    await gaps.linkUp(SOURCE, T0, cdr);
    clock.now = T0 + 600_000;
    const events = await gaps.linkUp(SOURCE, clock.now, cdr);
    expect(events.map((e) => e.callId)).toEqual(["unseen"]);
    expect(gaps.recent()[0]).toMatchObject({ state: "recovered", via: "cdr", calls: 1 });
  });
});
