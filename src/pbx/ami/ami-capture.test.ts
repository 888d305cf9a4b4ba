import { describe, expect, test } from "bun:test";
import { readAmiCapture } from "./ami-capture.ts";

/** Hand-written samples in the shapes real captures have (the console shape as test/fixtures/ami/console/README.md describes it). */
const plain = (frames: readonly Record<string, string>[]) => frames.map((f) => ({ ...f }));

describe("AMI capture: AMI text", () => {
  test("reads a banner and CRLF frames with the production parser", () => {
    const capture = readAmiCapture(
      "Asterisk Call Manager/9.0.0\r\nEvent: Newchannel\r\nUniqueid: 1.1\r\n\r\nEvent: Hangup\r\nUniqueid: 1.1\r\n\r\n",
    );
    expect(capture.format).toBe("ami");
    expect(plain(capture.frames)).toEqual([
      { Event: "Newchannel", Uniqueid: "1.1" },
      { Event: "Hangup", Uniqueid: "1.1" },
    ]);
    expect(capture.badFrames).toBe(0);
  });

  test("two events glued without a blank line are both read (the parser splits them)", () => {
    const capture = readAmiCapture("Event: Newchannel\nUniqueid: 1.1\nEvent: Hangup\nUniqueid: 1.1\n");
    expect(plain(capture.frames)).toEqual([
      { Event: "Newchannel", Uniqueid: "1.1" },
      { Event: "Hangup", Uniqueid: "1.1" },
    ]);
  });

  test("`;;` comment lines are skipped; a repeated header keeps every value", () => {
    const capture = readAmiCapture(
      ";; scenario: x\n;; rules: R0.1\n\nEvent: VarSet\nChanVariable: A=1\nChanVariable: B=2\n\n",
    );
    expect(plain(capture.frames)).toEqual([{ Event: "VarSet", ChanVariable: "A=1\nB=2" }]);
    expect(capture.badFrames).toBe(0);
  });

  test("a banner where a frame starts opens a new link: its Login answer is read, not lost as a bad frame", () => {
    const capture = readAmiCapture(
      [
        ";; link 1 opened",
        "Asterisk Call Manager/9.0.0",
        "Response: Success",
        "",
        "Event: Hangup",
        "SequenceNumber: 9",
        "",
        ";; link 1 closed",
        ";; link 2 opened",
        "Asterisk Call Manager/11.0.0",
        "Response: Success",
        "",
        "Event: Newchannel",
        "SequenceNumber: 1",
        "",
      ].join("\r\n"),
    );
    expect(plain(capture.frames)).toEqual([
      { Response: "Success" },
      { Event: "Hangup", SequenceNumber: "9" },
      { Response: "Success" },
      { Event: "Newchannel", SequenceNumber: "1" },
    ]);
    expect(capture.links).toEqual([0, 2]);
    expect(capture.badFrames).toBe(0);
  });

  test("a line that is not `Key: Value` costs its frame only, counted", () => {
    const capture = readAmiCapture("Event: A\nnot a header\n\nEvent: B\n\n");
    expect(plain(capture.frames)).toEqual([{ Event: "B" }]);
    expect(capture.badFrames).toBe(1);
  });
});

describe("AMI capture: Asterisk console log with manager debug", () => {
  test("reads the events among the console's other lines and skips the actions", () => {
    const capture = readAmiCapture(
      [
        "  == Manager 'box' logged on from 10.0.0.5",
        "*CLI> <--- Examining AMI action: -->",
        "Action: Ping",
        "",
        "<-- Examining AMI event: -->",
        "Event: Newchannel",
        "SequenceNumber: 1",
        "Uniqueid: 1.1",
        "",
        "",
        '    -- Executing [101@from-internal:1] Dial("PJSIP/101-00000001", "PJSIP/102") in new stack',
        "<-- Examining AMI event (911141824): -->",
        "Event: Hangup",
        "SequenceNumber: 2",
        "Uniqueid: 1.1",
        "[Dec 26 14:43:50] NOTICE[9404]: chan_sip.c:24592 handle_response_peerpoke: Peer '777' is now Reachable.",
      ].join("\r\n"),
    );
    expect(capture.format).toBe("console");
    expect(plain(capture.frames)).toEqual([
      { Event: "Newchannel", SequenceNumber: "1", Uniqueid: "1.1" },
      { Event: "Hangup", SequenceNumber: "2", Uniqueid: "1.1" },
    ]);
    expect(capture.badFrames).toBe(0);
  });

  test("an event printed again for a second manager session is read once and counted", () => {
    const event = (seq: number) => [
      "<-- Examining AMI event: -->",
      "Event: VarSet",
      `SequenceNumber: ${seq}`,
      "",
    ];
    const capture = readAmiCapture([...event(7), ...event(8), ...event(7), ...event(9)].join("\n"));
    expect(capture.frames.map((f) => f.SequenceNumber)).toEqual(["7", "8", "9"]);
    expect(capture.repeated).toBe(1);
  });

  test("verbose timestamps: the time before every line is not part of the event", () => {
    const capture = readAmiCapture(
      [
        "[Aug 29 19:13:56] ",
        "[Aug 29 19:13:56] <-- Examining AMI event: -->",
        "[Aug 29 19:13:56] Event: DialBegin",
        "[Aug 29 19:13:56] Channel: PJSIP/spa-00000002",
        "[Aug 29 19:13:56] DestChannel: PJSIP/pap2t-00000003",
        "[Aug 29 19:13:56] ",
        "[Aug 29 19:13:57] Some other log line",
      ].join("\n"),
    );
    expect(plain(capture.frames)).toEqual([
      { Event: "DialBegin", Channel: "PJSIP/spa-00000002", DestChannel: "PJSIP/pap2t-00000003" },
    ]);
  });

  test("the debug-level form (`should_send_event: Examining AMI event (n):`) is read too", () => {
    const capture = readAmiCapture(
      [
        "[2025-11-16 22:51:47.012] DEBUG[2462]: manager.c:5657 should_send_event: Examining AMI event (993992674):",
        "Event: VarSet",
        "Timestamp: 1763333507.012350",
        "Variable: BRIDGEPEER",
        "Value: ",
        "",
      ].join("\n"),
    );
    expect(plain(capture.frames)).toEqual([
      { Event: "VarSet", Timestamp: "1763333507.012350", Variable: "BRIDGEPEER", Value: "" },
    ]);
  });
});
