import { describe, expect, test } from "bun:test";
import { type AmiFrame, amiGet, amiValues, createAmiParser, formatAmiFrame } from "./ami-parser.ts";

const SAMPLE =
  "Asterisk Call Manager/9.0.0\r\n" +
  "Response: Success\r\nActionID: bb-1\r\nMessage: Authentication accepted\r\n\r\n" +
  "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/101-00000001\r\n" +
  "CallerIDName: Ирина\r\nUniqueid: 1700000000.1\r\nLinkedid: 1700000000.1\r\n\r\n" +
  "Event: Hangup\r\nUniqueid: 1700000000.1\r\nCause: 16\r\nCause-txt: Normal Clearing\r\n\r\n";

const EXPECTED: Record<string, string>[] = [
  { Response: "Success", ActionID: "bb-1", Message: "Authentication accepted" },
  {
    Event: "Newchannel",
    Privilege: "call,all",
    Channel: "PJSIP/101-00000001",
    CallerIDName: "Ирина",
    Uniqueid: "1700000000.1",
    Linkedid: "1700000000.1",
  },
  { Event: "Hangup", Uniqueid: "1700000000.1", Cause: "16", "Cause-txt": "Normal Clearing" },
];

const plain = (frames: AmiFrame[]): Record<string, string>[] => frames.map((f) => ({ ...f }));

describe("AMI parser", () => {
  test("reads the banner apart from the frames, CRLF", () => {
    const p = createAmiParser();
    expect(plain(p.push(SAMPLE))).toEqual(EXPECTED);
    expect(p.banner).toBe("Asterisk Call Manager/9.0.0");
    expect(p.badFrames).toBe(0);
    expect(p.buffered).toBe(0);
  });

  test("LF only and a mix of LF and CRLF read the same", () => {
    const lf = createAmiParser();
    expect(plain(lf.push(SAMPLE.replace(/\r\n/g, "\n")))).toEqual(EXPECTED);
    let i = 0;
    const mixed = SAMPLE.replace(/\r\n/g, () => (i++ % 2 === 0 ? "\n" : "\r\n"));
    const m = createAmiParser();
    expect(plain(m.push(mixed))).toEqual(EXPECTED);
    expect(m.banner).toBe("Asterisk Call Manager/9.0.0");
  });

  test("split at every byte boundary, even inside a UTF-8 character, gives the same frames", () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = createAmiParser();
      const frames = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
      expect(plain(frames)).toEqual(EXPECTED);
      expect(p.banner).toBe("Asterisk Call Manager/9.0.0");
    }
  });

  test("byte by byte gives the same frames", () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    const p = createAmiParser();
    const frames: AmiFrame[] = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...p.push(bytes.subarray(i, i + 1)));
    expect(plain(frames)).toEqual(EXPECTED);
  });

  test("a garbage line drops its frame, counts it once, and the next frame is read", () => {
    const p = createAmiParser({ expectBanner: false });
    const frames = p.push(
      "Event: A\r\nthis line has no colon\r\nMore: x\r\n\r\n" + "Event: B\r\n\r\n" + "just garbage\r\n\r\n",
    );
    expect(plain(frames)).toEqual([{ Event: "B" }]);
    expect(p.badFrames).toBe(2);
  });

  test("an elision line (`...`, as documentation abridges frames) is skipped and its frame kept", () => {
    const p = createAmiParser({ expectBanner: false });
    const frames = p.push("Event: A\r\nUniqueid: 1\r\n...\r\nEvent: B\r\n…\r\nMore: x\r\n\r\n");
    expect(plain(frames)).toEqual([
      { Event: "A", Uniqueid: "1" },
      { Event: "B", More: "x" },
    ]);
    expect(p.badFrames).toBe(0);
  });

  test("a key with a space or an empty key is garbage; a bare `Key:` is an empty value", () => {
    const p = createAmiParser({ expectBanner: false });
    const frames = p.push("Bad key: x\r\n\r\n: x\r\n\r\nEvent: C\r\nAccountCode:\r\nExten: \r\n\r\n");
    expect(plain(frames)).toEqual([{ Event: "C", AccountCode: "", Exten: "" }]);
    expect(p.badFrames).toBe(2);
  });

  test("an over-long line is discarded as it streams in, up to the next blank line", () => {
    const p = createAmiParser({ expectBanner: false, limits: { maxLineLength: 100 } });
    expect(p.push("Event: Long\r\nData: ")).toEqual([]);
    for (let i = 0; i < 1000; i++) {
      expect(p.push("x".repeat(1000))).toEqual([]);
      expect(p.buffered).toBeLessThan(300);
    }
    const frames = p.push("\r\nAfter: still dropped\r\n\r\nEvent: Next\r\n\r\n");
    expect(plain(frames)).toEqual([{ Event: "Next" }]);
    expect(p.badFrames).toBe(1);
  });

  test("a line at the limit is kept, one character over is not", () => {
    const p = createAmiParser({ expectBanner: false, limits: { maxLineLength: 20 } });
    const ok = `K: ${"v".repeat(17)}`;
    expect(ok.length).toBe(20);
    expect(plain(p.push(`${ok}\r\n\r\n${ok}v\r\n\r\n`))).toEqual([{ K: "v".repeat(17) }]);
    expect(p.badFrames).toBe(1);
  });

  test("a frame over the header count or over the size is discarded whole", () => {
    const p = createAmiParser({ expectBanner: false, limits: { maxHeaders: 5, maxFrameLength: 200 } });
    const many = Array.from({ length: 6 }, (_, i) => `H${i}: v`).join("\r\n");
    const big = Array.from({ length: 4 }, (_, i) => `H${i}: ${"v".repeat(60)}`).join("\r\n");
    const frames = p.push(`${many}\r\n\r\n${big}\r\n\r\nEvent: Ok\r\n\r\n`);
    expect(plain(frames)).toEqual([{ Event: "Ok" }]);
    expect(p.badFrames).toBe(2);
  });

  test("repeated keys keep every value, joined by a line feed; case-insensitive getter", () => {
    const p = createAmiParser({ expectBanner: false });
    const [frame] = p.push(
      "Event: Newchannel\r\nChanVariable: FROM_DID=4951234567\r\nChanVariable: BRANCH=msk1\r\nUniqueID: 1.1\r\n\r\n",
    );
    expect(frame?.ChanVariable).toBe("FROM_DID=4951234567\nBRANCH=msk1");
    expect(amiValues(frame ?? {}, "chanvariable")).toEqual(["FROM_DID=4951234567", "BRANCH=msk1"]);
    expect(amiGet(frame ?? {}, "uniqueid")).toBe("1.1");
    expect(amiGet(frame ?? {}, "Linkedid")).toBeUndefined();
  });

  test("two events glued with no blank line between them are two frames (goami2's recording, issue 12)", () => {
    const p = createAmiParser({ expectBanner: false });
    const frames = p.push(
      "Event: Newexten\r\nChannel: SIP/okon-3d\r\nEvent: DialEnd\r\nDialStatus: ANSWER\r\n\r\nEvent: Newstate\r\n\r\n",
    );
    expect(plain(frames)).toEqual([
      { Event: "Newexten", Channel: "SIP/okon-3d" },
      { Event: "DialEnd", DialStatus: "ANSWER" },
      { Event: "Newstate" },
    ]);
    expect(p.badFrames).toBe(0);
  });

  test("keys that name Object.prototype members are plain keys", () => {
    const p = createAmiParser({ expectBanner: false });
    const [frame] = p.push("__proto__: x\r\nconstructor: y\r\ntoString: z\r\n\r\n");
    const proto = "__proto__";
    expect(frame?.[proto]).toBe("x");
    expect(amiGet(frame ?? {}, "CONSTRUCTOR")).toBe("y");
    expect(amiGet({ Event: "A" }, "hasOwnProperty")).toBeUndefined();
    expect(Object.keys(frame ?? {})).toEqual(["__proto__", "constructor", "toString"]);
  });

  test("unknown events pass through; blank lines between frames are ignored", () => {
    const p = createAmiParser({ expectBanner: false });
    expect(plain(p.push("\r\n\r\nEvent: SomethingNew\r\nX-Vendor: 1\r\n\r\n\r\n"))).toEqual([
      { Event: "SomethingNew", "X-Vendor": "1" },
    ]);
    expect(p.badFrames).toBe(0);
  });

  test("no banner: a first line that is a header starts a frame", () => {
    const p = createAmiParser();
    expect(plain(p.push("Event: A\r\n\r\n"))).toEqual([{ Event: "A" }]);
    expect(p.banner).toBeNull();
  });

  test("a frame cut by the end of the stream is counted; reset expects a new banner", () => {
    const p = createAmiParser();
    p.push("Asterisk Call Manager/9.0.0\r\nEvent: Cut\r\nUniq");
    p.reset();
    expect(p.badFrames).toBe(1);
    expect(p.banner).toBeNull();
    expect(plain(p.push("Asterisk Call Manager/9.0.0\r\nEvent: A\r\n\r\n"))).toEqual([{ Event: "A" }]);
    expect(p.banner).toBe("Asterisk Call Manager/9.0.0");
  });

  test("formatAmiFrame writes CRLF and one line per repeated value", () => {
    expect(formatAmiFrame({ Action: "Setvar", Variable: "A=1\nB=2" })).toBe(
      "Action: Setvar\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n",
    );
  });
});
