import { describe, expect, test } from "bun:test";
import { attribute } from "../../../src/domain/attribution/attribute.ts";
import type { CallRecord } from "../../../src/domain/call/call-types.ts";
import type { PbxEvent } from "../../../src/domain/call/pbx-event.ts";
import { AmiTranslator } from "../../../src/pbx/ami/ami-translate.ts";
import { assemble, DEFAULT_SETTINGS, rosterOf } from "../../scenarios/scenario-branch.ts";
import { readTranscript } from "../../support/ami-transcript.ts";

/**
 * The box's own click-to-call (issue 15, R2.1) as Asterisk reports it: `Originate` of
 * `Local/101@from-internal/n` with `ChannelId` `bb-<id>`, the client's number as `Exten` and as
 * the caller id 101's phone is shown (test/fixtures/ami/click-to-call/, hand-written on the FreePBX
 * model). Each transcript through the real translator, the journal's dedupe, the assembler and
 * attribution, on the usual morning (Bella checked in at the front desk, 101).
 */
interface Played {
  readonly events: readonly PbxEvent[];
  /** The frame that produced each event, by event key. */
  readonly frameOf: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly records: readonly CallRecord[];
  readonly frames: readonly Readonly<Record<string, string>>[];
}

function play(file: string): Played {
  const translator = new AmiTranslator({ source: "ami:pbx.test" });
  const { frames } = readTranscript(`click-to-call/${file}`);
  const frameOf = new Map<string, Readonly<Record<string, string>>>();
  const events = frames.flatMap((frame) => {
    const out = translator.translate(frame);
    for (const event of out) frameOf.set(event.key, frame);
    return out;
  });
  const { finished, rejected, live } = assemble(events);
  expect(rejected).toEqual([]);
  expect(live).toEqual([]);
  const scenario = { name: file, rules: ["R2.1"], what: file, expected: [] };
  const records = finished.flatMap((call) => attribute(call, rosterOf(scenario), DEFAULT_SETTINGS));
  return { events, frameOf, records, frames };
}

/** The PBX's time of the first frame that matches. */
const timeOf = (frames: Played["frames"], match: (f: Readonly<Record<string, string>>) => boolean) =>
  Math.round(Number(frames.find(match)?.Timestamp) * 1000);

const legsOf = (record: CallRecord | undefined) =>
  record?.legs.map(({ extension, employeeId, ending, placedCall }) => ({
    extension,
    employeeId,
    ending,
    placedCall,
  }));

describe("R2.1: the box's click-to-call is one outbound call from the employee", () => {
  test("it starts as the employee's phone rings, under the Originate's ChannelId, to the client's number", () => {
    const { events, frameOf } = play("c2c-answered.ami");
    const start = events[0];
    expect(start).toMatchObject({
      kind: "call-start",
      callId: "bb-c2c-answered",
      from: { number: "101", extension: "101" },
      to: { number: "84951234567", extension: null },
    });
    // The DialBegin that rings 101: the command shows `ringing-employee` from here.
    expect(frameOf.get(start?.key ?? "")).toMatchObject({ Event: "DialBegin" });
    expect(frameOf.get(start?.key ?? "")?.DestChannel).toStartWith("PJSIP/101-");
    expect(new Set(events.map((e) => e.callId))).toEqual(new Set(["bb-c2c-answered"]));
    expect(events.filter((e) => e.kind === "ringing")).toEqual([]);
  });

  test("both answer: answered, owned by the employee, talk time from the client's answer, not the employee's", () => {
    const { records, frames } = play("c2c-answered.ami");
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record).toMatchObject({
      id: "bb-c2c-answered",
      direction: "outbound",
      outcome: "answered",
      to: { number: "84951234567" },
      owner: { employeeId: "bella", rule: "desk-checkin" },
    });
    expect(legsOf(record)).toEqual([
      { extension: "101", employeeId: "bella", ending: "completed", placedCall: true },
    ]);
    expect(record?.pops.map((p) => [p.employeeId, p.rule])).toEqual([["bella", "R3.1"]]);
    const clientAnswered = timeOf(
      frames,
      (f) =>
        f.Event === "DialEnd" &&
        f.DialStatus === "ANSWER" &&
        f.DestChannel?.startsWith("PJSIP/trunk-sip-") === true,
    );
    const employeeAnswered = timeOf(
      frames,
      (f) => f.Event === "Newstate" && f.ChannelState === "6" && f.Channel?.startsWith("PJSIP/101-") === true,
    );
    expect(employeeAnswered).toBeLessThan(clientAnswered - 10_000);
    expect(record?.answeredAt).toBe(clientAnswered);
    expect(record?.legs[0]?.answeredAt).toBe(clientAnswered);
  });

  test("the employee never answers: an outbound call nobody answered (missed, outbound), no missed call for anyone", () => {
    const { records, events } = play("c2c-employee-no-answer.ami");
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record).toMatchObject({
      direction: "outbound",
      outcome: "missed",
      answeredAt: null,
      to: { number: "84951234567" },
      owner: { employeeId: "bella" },
    });
    // The employee's own phone is the placing leg: cancelled as the originate gave up, never a
    // rung leg that missed an inbound call, and nobody is popped (R3.3 is for inbound calls).
    expect(legsOf(record)).toEqual([
      { extension: "101", employeeId: "bella", ending: "cancelled", placedCall: true },
    ]);
    expect(record?.pops).toEqual([]);
    expect(events.map((e) => e.kind)).toEqual(["call-start", "leg-ended", "call-end"]);
  });

  test("the employee answers, the client is busy: an outbound busy call, unanswered", () => {
    const { records } = play("c2c-client-busy.ami");
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record).toMatchObject({
      direction: "outbound",
      outcome: "busy",
      answeredAt: null,
      to: { number: "84951234567" },
      owner: { employeeId: "bella" },
    });
    expect(legsOf(record)).toEqual([
      { extension: "101", employeeId: "bella", ending: "busy", placedCall: true },
    ]);
    expect(record?.pops).toEqual([]);
  });
});
