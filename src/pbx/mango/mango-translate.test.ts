import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import { MANGO_STATS_FIELDS, parseMangoStatsCsv } from "../../hq/mango/mango-stats.ts";
import { causeOfDisconnect } from "./mango-disconnect.ts";
import {
  type MangoRecordData,
  MangoTranslator,
  mangoRecordingUrl,
  mangoToPbxEvents,
} from "./mango-translate.ts";

interface Fixture {
  readonly records: readonly { kind: MangoRecordData["kind"]; json: Record<string, unknown> }[];
}

/** A real fixture's records, received when Mango says they happened (HQ's clock = Mango's here). */
function real(name: string): MangoRecordData[] {
  const path = new URL(`../../../test/fixtures/mango/real/${name}`, import.meta.url);
  const fixture = JSON.parse(readFileSync(path, "utf8")) as Fixture;
  return fixture.records.map((r) => {
    const seconds = Number(r.json.timestamp ?? r.json.end_time);
    return { kind: r.kind, json: r.json, receivedAt: seconds * 1000 };
  });
}

const kinds = (events: readonly PbxEvent[]) => events.map((e) => `${e.kind}${e.legId ? ` ${e.legId}` : ""}`);

const leg = (
  callId: string,
  seq: number,
  state: string,
  more: Record<string, unknown> = {},
): MangoRecordData => ({
  kind: "call",
  json: {
    entry_id: "E1",
    call_id: callId,
    seq,
    timestamp: 1_700_000_000 + seq,
    call_state: state,
    location: "abonent",
    from: { number: "79161234567" },
    to: { extension: "101", line_number: "74957654321" },
    ...more,
  },
  receivedAt: 1_700_000_000_000 + seq * 1000,
});

describe("Mango events → PbxEvents, on real payloads", () => {
  test("a live capture (Odoo module): one answered inbound call, its missing seq 1 counted as a gap", () => {
    const records = real("odoo-cloud-phone-answered.json");
    const translator = new MangoTranslator({ source: "mango" });
    // seq 2 of a leg never seen waits for seq 1…
    expect(translator.accept(records[0] as MangoRecordData)).toEqual([]);
    // …until the reorder window passes.
    const late = translator.tick(1670060542_000 + 2_000);
    expect(kinds(late)).toEqual(["call-start", "answered MToxMDA4NjI3Nzo1MDI6NjQ0MjQzNTM5:222"]);
    expect(late[0]?.from).toEqual({ number: "+79607164646", extension: null });
    expect(late[0]?.did).toBe("sip:roistat-0758@vpbx400076322.mangosip.ru");
    const end = translator.accept(records[1] as MangoRecordData);
    expect(end).toMatchObject([{ kind: "call-end", callId: "MTYxNzM5NjY0OTE=", at: 1670060661_000 }]);
    expect(translator.stats().unplaced).toEqual({ "seq-gap": 1 });
    expect(translator.stats().liveEntries).toBe(0);
  });

  test("the same capture with its summary close behind (as HQ relays them): the leg's waiting events apply before the call ends", () => {
    const records = real("odoo-cloud-phone-answered.json");
    const translator = new MangoTranslator({ source: "mango" });
    expect(translator.accept(records[0] as MangoRecordData)).toEqual([]);
    // No time passes: the summary is Mango's last word, seq 1 will never come.
    const all = translator.accept(records[1] as MangoRecordData);
    expect(kinds(all)).toEqual(["call-start", "answered MToxMDA4NjI3Nzo1MDI6NjQ0MjQzNTM5:222", "call-end"]);
    expect(translator.stats().unplaced).toEqual({ "seq-gap": 1 });
    expect(translator.tick(1670060542_000 + 60_000)).toEqual([]);
  });

  test("R2.3: the API document's blind transfer: 333's leg transferred to 321's, the consultation absorbed, ended by the grace period", () => {
    const records = real("vpbx-api-blind-transfer.json");
    const { events, stats } = mangoToPbxEvents(records, 1399957036_000 + 30_000);
    expect(kinds(events)).toEqual([
      "call-start",
      "ringing 300:200:333",
      "answered 300:200:333",
      "call-start 400-200:333",
      "ringing 400-200:321",
      "transfer 300:200:333",
      "leg-ended 300:200:333",
      "answered 400-200:321",
      "leg-ended 400-200:321",
      "call-end",
    ]);
    const transfer = events.find((e) => e.kind === "transfer");
    expect(transfer?.transfer).toEqual({
      kind: "attended",
      fromLegId: "300:200:333",
      toExtension: "321",
      consultCallId: "232wc3e3w3s222:400-200",
      toLegId: "400-200:321",
    });
    expect(events.at(-1)).toMatchObject({ kind: "call-end", callId: "232wc3e3w3s222", at: 1399957036_000 });
    expect(stats.unplaced).toEqual({});
  });

  test("the grace period is at most 30 s: one tick earlier the call is still open", () => {
    const records = real("vpbx-api-blind-transfer.json");
    const { events } = mangoToPbxEvents(records, 1399957036_000 + 29_999, {
      source: "mango",
      graceMs: 60_000,
    });
    expect(events.some((e) => e.kind === "call-end")).toBe(false);
  });
});

describe("Mango ordering and what cannot be placed", () => {
  test("events of one leg sent in parallel apply in seq order; a repeated seq is dropped and counted", () => {
    const translator = new MangoTranslator({ source: "mango" });
    expect(translator.accept(leg("L", 2, "Connected"))).toEqual([]);
    expect(kinds(translator.accept(leg("L", 1, "Appeared")))).toEqual([
      "call-start",
      "ringing L:101",
      "answered L:101",
    ]);
    expect(translator.accept(leg("L", 2, "Connected"))).toEqual([]);
    expect(translator.stats().unplaced).toEqual({ "stale-seq": 1 });
  });

  test("an event without entry_id, or a summary / recording of an entry never seen, creates nothing and is counted", () => {
    const translator = new MangoTranslator({ source: "mango" });
    expect(
      translator.accept({
        ...leg("L", 1, "Appeared"),
        json: { call_id: "L", seq: 1, call_state: "Appeared" },
      }),
    ).toEqual([]);
    expect(
      translator.accept({ kind: "summary", json: { entry_id: "nope", entry_result: 1 }, receivedAt: 1 }),
    ).toEqual([]);
    expect(
      translator.accept({
        kind: "recording",
        json: { entry_id: "nope", recording_id: "R", recording_state: "Completed" },
        receivedAt: 1,
      }),
    ).toEqual([]);
    expect(translator.stats().unplaced).toEqual({
      "invalid-call": 1,
      "summary-unknown-entry": 1,
      "recording-unknown-entry": 1,
    });
  });

  test("R2.5: a recording started before the summary holds the end until it completes; its link is on the call-end", () => {
    const translator = new MangoTranslator({ source: "mango" });
    translator.accept(leg("L", 1, "Appeared"));
    translator.accept(leg("L", 2, "Connected"));
    translator.accept({
      kind: "recording",
      json: { entry_id: "E1", recording_id: "R9", recording_state: "Started" },
      receivedAt: 3,
    });
    translator.accept(leg("L", 3, "Disconnected", { disconnect_reason: 1110 }));
    expect(
      translator.accept({
        kind: "summary",
        json: { entry_id: "E1", entry_result: 1, end_time: 1_700_000_004 },
        receivedAt: 4,
      }),
    ).toEqual([]);
    const end = translator.accept({
      kind: "recording",
      json: { entry_id: "E1", recording_id: "R9", recording_state: "Completed", completion_code: 1000 },
      receivedAt: 5,
    });
    expect(end).toMatchObject([
      { kind: "call-end", recordingUrl: mangoRecordingUrl("R9"), at: 1_700_000_004_000 },
    ]);
  });

  test("a recording Mango did not save (4002 too short) gives no link, and is counted", () => {
    const translator = new MangoTranslator({ source: "mango" });
    translator.accept(leg("L", 1, "Appeared"));
    translator.accept({
      kind: "recording",
      json: { entry_id: "E1", recording_id: "R", recording_state: "Completed", completion_code: "4002" },
      receivedAt: 2,
    });
    translator.accept(leg("L", 2, "Disconnected", { disconnect_reason: 1110 }));
    const end = translator.accept({
      kind: "summary",
      json: { entry_id: "E1", entry_result: 0 },
      receivedAt: 3,
    });
    expect(end[0]?.recordingUrl).toBeUndefined();
    expect(translator.stats().unplaced).toEqual({ "recording-not-saved": 1 });
  });
});

describe("disconnect_reason → why an unanswered leg ended", () => {
  test.each([
    [1110, "cancelled"],
    [1111, "no-answer"],
    [1121, "busy"],
    [1122, "busy"],
    [1183, "answered-elsewhere"],
    [1133, "failed"],
    [1164, "failed"],
    [1192, "failed"],
    [2210, "failed"],
    [3200, "failed"],
    [4201, "failed"],
    [5001, "failed"],
    [5003, "failed"],
    [1090, "normal"],
    [1120, "normal"],
  ] as const)("%i → %s", (reason, cause) => {
    expect(causeOfDisconnect(reason, false)).toBe(cause);
  });

  test("an answered leg ends normal whatever the code", () => {
    expect(causeOfDisconnect(1121, true)).toBe("normal");
  });
});

describe("a gap's statistics (kind stats, issue 17)", () => {
  /** The live stats/result row of 2026 as HQ relays it: {entry_id, rows}, the fields it asked for. */
  const liveStats = (): MangoRecordData => {
    const path = new URL("../../../test/fixtures/mango/real/stats-result-live-2026.txt", import.meta.url);
    const fields = MANGO_STATS_FIELDS;
    const { rows } = parseMangoStatsCsv(readFileSync(path, "utf8"), fields);
    return { kind: "stats", json: { entry_id: rows[0]?.entry_id, rows }, receivedAt: 1778150990_000 };
  };

  test("an entry the box never saw (a live row of 2026): one finished outbound call, not answered, busy", () => {
    const { events, stats } = mangoToPbxEvents([liveStats()], 1778151000_000);
    expect(kinds(events)).toEqual(["call-start ...:202", "leg-ended ...:202", "call-end"]);
    expect(events[0]).toMatchObject({
      callId: "...",
      at: 1778150907_000,
      extension: "202",
      from: { number: "sip:user@example", extension: "202" },
      to: { number: "+79000000000", extension: null },
      did: null,
    });
    expect(events[1]).toMatchObject({ at: 1778150929_000, cause: causeOfDisconnect(1121, false) });
    expect(events[1]?.cause).toBe("busy");
    expect(events[2]).toMatchObject({ kind: "call-end", at: 1778150929_000 });
    expect(stats.unplaced).toEqual({});
  });

  test("inbound, answered by an employee, with a recording: ringing, answered, ended; the link on the call (R2.5)", () => {
    const row = {
      records: "[rec-7]",
      start: "1700000100",
      finish: "1700000160",
      answer: "1700000110",
      from_extension: "",
      from_number: "79161234567",
      to_extension: "101",
      to_number: "74957654321",
      disconnect_reason: "1110",
      line_number: "74957654321",
      location: "abonent",
      entry_id: "E-gap",
    };
    const record: MangoRecordData = {
      kind: "stats",
      json: { entry_id: "E-gap", rows: [row] },
      receivedAt: 1,
    };
    const { events } = mangoToPbxEvents([record], 2);
    expect(kinds(events)).toEqual([
      "call-start",
      "ringing E-gap:1:101",
      "answered E-gap:1:101",
      "leg-ended E-gap:1:101",
      "call-end",
    ]);
    expect(events[0]).toMatchObject({
      did: "74957654321",
      from: { number: "+79161234567", extension: null },
    });
    expect(events[2]?.at).toBe(1700000110_000);
    expect(events.at(-1)).toMatchObject({ at: 1700000160_000, recordingUrl: mangoRecordingUrl("rec-7") });
  });

  test("the summary wins: stats for an ended entry change nothing; an open entry (legs, no summary) ends at its finish", () => {
    const summary: MangoRecordData = {
      kind: "summary",
      json: { entry_id: "E1", end_time: 1_700_000_009 },
      receivedAt: 1_700_000_009_000,
    };
    const stats = (finish: number): MangoRecordData => ({
      kind: "stats",
      json: {
        entry_id: "E1",
        rows: [{ start: "1700000001", finish: String(finish), answer: "0", to_extension: "101" }],
      },
      receivedAt: 1_700_000_010_000,
    });
    const ended = mangoToPbxEvents(
      [leg("L1", 1, "Appeared"), leg("L1", 2, "Disconnected"), summary, stats(1_700_000_050)],
      1_700_000_011_000,
    );
    expect(kinds(ended.events).filter((k) => k === "call-end")).toEqual(["call-end"]);
    expect(ended.events.at(-1)?.at).toBe(1_700_000_009_000);
    expect(ended.stats.unplaced).toEqual({ "stats-after-end": 1 });

    const open = mangoToPbxEvents([leg("L1", 1, "Appeared"), stats(1_700_000_030)], 1_700_000_011_000);
    expect(kinds(open.events)).toEqual(["call-start", "ringing L1:101", "call-end"]);
    expect(open.events.at(-1)?.at).toBe(1_700_000_030_000);
  });
});

describe("R2.1 on Mango: a callback is the employee placing a call (the API document's flow)", () => {
  interface Flow {
    readonly records: readonly { kind: MangoRecordData["kind"]; json: Record<string, unknown> }[];
  }
  const flow = JSON.parse(
    readFileSync(new URL("../../../test/fixtures/mango/api-doc/callback-flow.json", import.meta.url), "utf8"),
  ) as Flow;
  const records = flow.records.map((r) => ({
    kind: r.kind,
    json: r.json,
    receivedAt: Number(r.json.timestamp) * 1000,
  }));

  test("1234's phone rings and answers (no answer of the call), then 5555 is dialled and rejects (1124): placed, never answered", () => {
    const { events } = mangoToPbxEvents(records, 1399906979_000 + 31_000);
    expect(kinds(events)).toEqual([
      "call-start 100:500:251:1234",
      "ringing 100:500:258:5555",
      "leg-ended 100:500:258:5555",
      "leg-ended 100:500:251:1234",
      "call-end",
    ]);
    expect(events[0]).toMatchObject({
      callId: "232wc3e3w3s222",
      extension: "1234",
      from: { number: null, extension: "1234" },
      to: { number: "+74955404444", extension: "5555" },
    });
    expect(events.some((e) => e.kind === "answered")).toBe(false);
  });

  test("the dialled party answers: the call is answered then, at Mango's time of that leg's Connected", () => {
    const [a1, a2, a3, b1, b2] = records;
    if (b1 === undefined || b2 === undefined) throw new Error("five records");
    const connected = { ...b2, json: { ...b2.json, call_state: "Connected", disconnect_reason: undefined } };
    const ended = { ...b2, json: { ...b2.json, seq: "3", timestamp: 1399906999, disconnect_reason: "1110" } };
    const { events } = mangoToPbxEvents(
      [a1, a2, a3, b1, connected, ended] as MangoRecordData[],
      1399906999_000 + 31_000,
    );
    const answered = events.filter((e) => e.kind === "answered");
    expect(answered.map((e) => [e.legId, e.at])).toEqual([["100:500:258:5555", 1399906979_000]]);
  });

  test("the employee does not answer their own phone (1121 busy): the number is never dialled, the call ends unanswered", () => {
    const [a1, a2] = records;
    if (a1 === undefined || a2 === undefined) throw new Error("records");
    const busy = { ...a2, json: { ...a2.json, call_state: "Disconnected", disconnect_reason: 1121 } };
    const { events } = mangoToPbxEvents([a1, busy] as MangoRecordData[], 1399906973_000 + 31_000);
    expect(kinds(events)).toEqual(["call-start 100:500:251:1234", "leg-ended 100:500:251:1234", "call-end"]);
    expect(events[1]).toMatchObject({ cause: "busy" });
  });
});
