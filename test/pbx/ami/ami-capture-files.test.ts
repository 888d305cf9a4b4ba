import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, silentLogger } from "../../../src/log/logger.ts";
import { readAmiCapture } from "../../../src/pbx/ami/ami-capture.ts";
import { AmiCaptureFiles } from "../../../src/pbx/ami/ami-capture-files.ts";
import { FrameEnds } from "../../../src/pbx/ami/ami-frame-ends.ts";
import { fillUp, mountTmpfs, unmount } from "../../support/tmpfs.ts";

const MB = 1024 * 1024;
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const fresh = () => {
  dir = mkdtempSync(join(tmpdir(), "branchbox-capture-"));
  return join(dir, "capture");
};
const parent = () => dir ?? "";

/** Event frame `n` as Asterisk writes it, about 400 bytes. */
const frame = (n: number) =>
  `Event: Newexten\r\nPrivilege: dialplan,all\r\nSequenceNumber: ${n}\r\nChannel: PJSIP/trunk-${String(n).padStart(8, "0")}\r\nCallerIDNum: +79161234567\r\nContext: from-pstn\r\nExten: 74957654321\r\nApplication: Dial\r\nAppData: PJSIP/101,30,tT${"x".repeat(200)}\r\nUniqueid: 1732180000.${n}\r\n\r\n`;

const files = (at: string) =>
  readdirSync(at)
    .filter((name) => name.endsWith(".ami"))
    .sort();
const sizeOf = (at: string) => files(at).reduce((sum, name) => sum + statSync(join(at, name)).size, 0);
const sequence = (text: string) => readAmiCapture(text).frames.map((f) => Number(f.SequenceNumber));

describe("FrameEnds: where frames end in bytes split anywhere", () => {
  test("a blank line ends a frame, CRLF or LF, whatever the chunks' split", () => {
    const wire = Buffer.from("Banner/1\r\nA: 1\r\n\r\nB: 2\n\nC: 3\r\n\r\n");
    const expected = [18, 24, 32];
    for (let size = 1; size <= wire.length; size++) {
      const ends = new FrameEnds();
      const found: number[] = [];
      for (let at = 0; at < wire.length; at += size)
        for (const end of ends.scan(wire.subarray(at, at + size))) found.push(at + end);
      expect(found).toEqual(expected);
    }
  });
});

describe("AMI capture files", () => {
  test("rotation: the files together stay under the cap, the oldest go first, each file starts at a frame and replays alone", async () => {
    const at = fresh();
    // An earlier run's file: counted in the cap, and removed first.
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, "ami-20000101T000000.000Z.ami"), frame(0).repeat(100));
    const capture = new AmiCaptureFiles({
      dir: at,
      maxBytes: 1 * MB,
      source: "ami:pbx:5038",
      log: silentLogger,
    });
    await capture.start();
    capture.opened();
    capture.received(Buffer.from("Asterisk Call Manager/9.0.0\r\n"));
    const wire = Buffer.from(Array.from({ length: 8000 }, (_, i) => frame(i + 1)).join(""));
    // Odd-sized reads, as a socket gives them: frames cut anywhere.
    for (let offset = 0; offset < wire.length; offset += 1000)
      capture.received(wire.subarray(offset, offset + 1000));
    await capture.close();

    const names = files(at);
    expect(names).not.toContain("ami-20000101T000000.000Z.ami");
    expect(names.length).toBeGreaterThan(2);
    expect(sizeOf(at)).toBeLessThanOrEqual(1 * MB);
    expect(capture.status()).toMatchObject({ on: true, keptBytes: sizeOf(at), files: names.length });
    // What is kept is the newest, whole and in order: the last frame sent is the last one read.
    const all = sequence(names.map((name) => readFileSync(join(at, name), "utf8")).join("\n"));
    expect(all.at(-1)).toBe(8000);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => 8000 - all.length + 1 + i));
    for (const name of names) {
      const alone = readAmiCapture(readFileSync(join(at, name), "utf8"));
      expect(alone.badFrames).toBe(0);
      expect(alone.frames.length).toBeGreaterThan(0);
    }
  });

  test("a credential among the actions sent (the Login's Secret, the MD5 login's Key) is never written", async () => {
    const at = fresh();
    const capture = new AmiCaptureFiles({ dir: at, maxBytes: MB, source: "ami:pbx:5038", log: silentLogger });
    await capture.start();
    capture.opened();
    capture.received(Buffer.from("Asterisk Call Manager/9.0.0\r\n"));
    capture.sent("Action: Login\r\nActionID: bb-1\r\nUsername: box\r\nSecret: pl41n-s3cret\r\n\r\n");
    capture.sent(
      "Action: Login\r\nActionID: bb-2\r\nAuthType: MD5\r\nUsername: box\r\nkey: 0f3c9a7d1e2b\r\n\r\n",
    );
    capture.received(
      Buffer.from("Response: Success\r\nActionID: bb-1\r\nMessage: Authentication accepted\r\n\r\n"),
    );
    await capture.close();
    const text = files(at)
      .map((name) => readFileSync(join(at, name), "utf8"))
      .join("");
    expect(text).not.toContain("pl41n-s3cret");
    expect(text).not.toContain("0f3c9a7d1e2b");
    expect(text).toContain(";; > Secret: (not kept)\r\n");
    expect(text).toContain(";; > key: (not kept)\r\n");
    expect(text).toContain(";; > Username: box\r\n");
    // The actions are comments: replay reads only what the PBX sent.
    expect(readAmiCapture(text).frames.map((f) => ({ ...f }))).toEqual([
      { Response: "Success", ActionID: "bb-1", Message: "Authentication accepted" },
    ]);
  });

  test("the folder is made 0700 and every file 0600: they hold callers' numbers", async () => {
    const at = fresh();
    const capture = new AmiCaptureFiles({ dir: at, maxBytes: MB, source: "ami:pbx:5038", log: silentLogger });
    await capture.start();
    capture.opened();
    capture.received(Buffer.from(frame(1)));
    await capture.close();
    expect(statSync(at).mode & 0o777).toBe(0o700);
    const names = files(at);
    expect(names).toHaveLength(1);
    for (const name of names) expect(statSync(join(at, name)).mode & 0o777).toBe(0o600);
  });

  test("a frame that never ends is not kept past 256 KB, and the next frame starts a clean one", async () => {
    const at = fresh();
    const capture = new AmiCaptureFiles({
      dir: at,
      maxBytes: 4 * MB,
      source: "ami:pbx:5038",
      log: silentLogger,
    });
    await capture.start();
    capture.opened();
    capture.received(Buffer.from(frame(1)));
    for (let i = 0; i < 40; i++) capture.received(Buffer.from(`Junk: ${"y".repeat(10_000)}\r\n`));
    capture.received(Buffer.from(`\r\n${frame(2)}`));
    await capture.close();
    const text = files(at)
      .map((name) => readFileSync(join(at, name), "utf8"))
      .join("");
    expect(text).not.toContain("yyyy");
    expect(text).toMatch(/;; \d+ bytes without a frame's end, not kept/);
    expect(sequence(text)).toEqual([1, 2]);
    expect(readAmiCapture(text).badFrames).toBe(0);
  });

  test("a full disk stops the capture, logged once with its code; the tap goes on taking bytes without a throw", async () => {
    const at = fresh();
    mountTmpfs(at, "1m");
    try {
      const lines: string[] = [];
      const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
      const capture = new AmiCaptureFiles({ dir: at, maxBytes: 64 * MB, source: "ami:pbx:5038", log });
      await capture.start();
      fillUp(join(at, "filler"));
      capture.opened();
      for (let i = 1; i <= 200; i++) capture.received(Buffer.from(frame(i)));
      await capture.close();
      expect(capture.status()).toMatchObject({
        on: false,
        reason: expect.stringContaining("the disk is full"),
      });
      for (let i = 201; i <= 400; i++) capture.received(Buffer.from(frame(i)));
      capture.sent("Action: Ping\r\n\r\n");
      await capture.close();
      const failures = lines.filter((line) => line.includes("PBX.AMI_CAPTURE_FAILED"));
      expect(failures).toHaveLength(1);
    } finally {
      unmount(at);
    }
  });

  test("a capture_dir that cannot be a folder: capture is off and says why", async () => {
    fresh();
    writeFileSync(join(parent(), "file"), "");
    const capture = new AmiCaptureFiles({
      dir: join(parent(), "file", "capture"),
      maxBytes: MB,
      source: "ami:pbx:5038",
      log: silentLogger,
    });
    await capture.start();
    capture.opened();
    capture.received(Buffer.from(frame(1)));
    await capture.close();
    expect(capture.status()).toMatchObject({ on: false, reason: expect.stringContaining("not a directory") });
  });
});
