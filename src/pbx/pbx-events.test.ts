import { describe, expect, test } from "bun:test";
import { PbxEventFactory } from "./pbx-events.ts";

const make = new PbxEventFactory("test:pbx");
const leg = { legId: "c1:101", callId: "c1", extension: "101" };

describe("one key per fact, whichever translator reports it", () => {
  test("a call's start and end are keyed by the call", () => {
    expect(make.callStart("c1", 5, { did: "+74951112233" })).toEqual({
      source: "test:pbx",
      key: "c1:start",
      kind: "call-start",
      callId: "c1",
      legId: null,
      extension: null,
      at: 5,
      did: "+74951112233",
    });
    expect(make.callEnd("c1", 9).key).toBe("c1:end");
    expect(make.callEnd("c1", 9, { recordingUrl: "r.wav" }).recordingUrl).toBe("r.wav");
  });

  test("a leg's ringing, answer and end are keyed by the leg, and name its extension", () => {
    expect(make.leg("ringing", leg, 6)).toMatchObject({
      key: "c1:101:ringing",
      legId: "c1:101",
      extension: "101",
    });
    expect(make.leg("answered", leg, 7).key).toBe("c1:101:answered");
    expect(make.leg("leg-ended", leg, 8, { cause: "normal" })).toMatchObject({
      key: "c1:101:ended",
      kind: "leg-ended",
      callId: "c1",
      cause: "normal",
    });
  });

  test("a transfer is keyed by the call and the leg that handed it on", () => {
    const transfer = {
      kind: "blind" as const,
      fromLegId: "c1:101",
      toExtension: "102",
      consultCallId: null,
      toLegId: null,
    };
    expect(make.transfer(leg, 8, transfer)).toMatchObject({
      key: "c1:transfer:c1:101",
      kind: "transfer",
      legId: "c1:101",
      extension: "101",
      transfer,
    });
  });
});
