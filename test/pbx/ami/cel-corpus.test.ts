import { describe, expect, test } from "bun:test";
import { celTime, hangupExtra } from "../../../src/pbx/ami/cel-rows.ts";
import { celDifferences, expectedCel, replayCel } from "../../support/real-cel.ts";

/**
 * Issue 13: Asterisk's CEL records, written on other people's PBXs (test/fixtures/cel/real/,
 * provenance in README.md there), read as the box reads a gap back: every call the rows hold,
 * placed by the same rules as a live AMI call, none invented, every event marked recovered.
 */
function proves(file: string, name: string): void {
  test(`${file}: ${name}`, () => {
    const capture = expectedCel().find((c) => c.file === file);
    if (capture === undefined) throw new Error(`${file} is not in expected.json`);
    const replay = replayCel(capture);
    expect(celDifferences(capture, replay)).toEqual([]);
    expect(replay.events.every((event) => event.recovered?.via === "cel")).toBe(true);
  });
}

describe("real CEL recordings by others, with the branch's handsets known", () => {
  proves("wazo-internal-answered.psql", "an internal call 1045 → 1001, answered and completed on both legs");
  proves("wazo-internal-no-answer.psql", "an internal call nobody answers is one missed call");
  proves(
    "wazo-internal-busy-forward-answered.psql",
    "a busy SCCP phone forwarding to another: one internal call, answered by the forward target",
  );
  proves("wazo-inbound-did-answered.psql", "an inbound trunk call to DID 999101 answered on SCCP/101");
  proves(
    "wazo-inbound-early-hangup.psql",
    "a caller hanging up after 61 ms, before any phone rang: one missed inbound call, no leg",
  );
  proves("wazo-outbound-answered.psql", "an outbound call answered by the far end: the placing phone talked");
  proves("wazo-outbound-unanswered.psql", "an outbound call nobody answered is not answered");
  proves(
    "wazo-queue-answered-abridged.psql",
    "a queue call answered by a member, the other member not missing it",
  );
  proves(
    "wazo-group-answered-local-abridged.psql",
    "a ring group through Local pairs optimised away: answered by 9jqihz0h, no Local channel as a leg",
  );
  proves(
    "wazo-queue-interception-pickup.psql",
    "a phone dialling *88001 picks up a queue call ringing on an agent (bridged with the caller while still logged under its own linkedid): one internal call answered by the interceptor, the agent answered elsewhere",
  );
});

describe("CEL rows as the backends write them", () => {
  test("eventtime: epoch seconds, an offset, and a wall clock read in the PBX's zone across DST", () => {
    expect(celTime("1335310195.513823", "UTC")).toBe(1335310195513);
    expect(celTime("2024-09-24 09:37:44.351668-04", "Europe/Moscow")).toBe(
      Date.parse("2024-09-24T13:37:44.351Z"),
    );
    expect(celTime("2023-05-31 15:11:10.059877+00", "Europe/Moscow")).toBe(
      Date.parse("2023-05-31T15:11:10.059Z"),
    );
    // Summer (EDT, -4) and winter (EST, -5) in Quebec, as the uniqueids of the corpus show.
    expect(celTime("2015-06-18 14:08:56.910686", "America/Montreal")).toBe(
      Date.parse("2015-06-18T18:08:56.910Z"),
    );
    expect(celTime("2018-02-06 13:33:31", "America/Montreal")).toBe(Date.parse("2018-02-06T18:33:31.000Z"));
    expect(celTime("2031-03-14 09:00:00", "Europe/Moscow")).toBe(Date.parse("2031-03-14T06:00:00Z"));
    expect(celTime("yesterday", "UTC")).toBeNull();
  });

  test("HANGUP extra: Asterisk 12+ JSON and the older comma list", () => {
    expect(hangupExtra('{"hangupcause":17,"hangupsource":"","dialstatus":"BUSY"}')).toEqual({
      cause: 17,
      dialstatus: "BUSY",
    });
    expect(hangupExtra("16,,ANSWER")).toEqual({ cause: 16, dialstatus: "ANSWER" });
    expect(hangupExtra("16,dialplan/builtin,")).toEqual({ cause: 16, dialstatus: null });
    expect(hangupExtra("")).toEqual({ cause: null, dialstatus: null });
    expect(hangupExtra("{not json")).toEqual({ cause: null, dialstatus: null });
  });
});
