import { type AmiFrame, createAmiParser } from "./ami-parser.ts";

/**
 * A capture a branch sends to support, read into the frames the live link would have parsed. Two
 * shapes are recognised:
 *
 * - `ami`: the AMI wire as text (a `telnet`/`nc` session, a proxy's dump, the repository's `.ami`
 *   transcripts, the box's own `[pbx.ami] capture_dir` files): an optional banner, `Key: Value`
 *   frames ended by a blank line, CRLF or LF. Lines starting with `;;` are comments (the
 *   transcripts carry their provenance that way, the capture files what the box sent). A banner
 *   where a frame could start (`Asterisk Call Manager/…`) opens a new link: its frames are
 *   parsed afresh and `links` says where it began, so captures of several links, one after the
 *   other, read as the box read them.
 * - `console`: Asterisk's console or log file with `manager set debug on`. Asterisk prints every
 *   event it considers for a manager session as `<-- Examining AMI event: -->` (Asterisk 20+:
 *   `<-- Examining AMI event (12345): -->`; at debug level without manager debug:
 *   `… should_send_event: Examining AMI event (12345):`) followed by the event's lines and a blank
 *   line, among the console's other lines. With `verbose timestamps` every line, the event's
 *   included, starts with `[Aug 29 19:13:56] `. The same event is printed once per connected
 *   manager session: a repeat of an event already read (same text, SequenceNumber included) is
 *   dropped and counted. `<--- Examining AMI action: -->` blocks are what clients sent: skipped.
 *
 * Every frame goes through the production parser (`createAmiParser`), so its limits, repeated
 * headers and bad-frame counting are the live link's.
 */
export type CaptureFormat = "ami" | "console";

export interface AmiCapture {
  readonly format: CaptureFormat;
  /** In capture order, events and responses alike. */
  readonly frames: readonly AmiFrame[];
  /** Frames the parser dropped (not `Key: Value`, over a limit, cut off at the end). */
  readonly badFrames: number;
  /** Console only: events printed again for another manager session, dropped. */
  readonly repeated: number;
  /** AMI text: the index in `frames` where each link after a banner begins (a new login). */
  readonly links: readonly number[];
}

const MARKER = /Examining AMI (event|action)\b[^:\n]*:/;
/** `[Aug 29 19:13:56] `, `[2025-11-16 22:51:47.012] `: the console's per-line timestamp. */
const LINE_TIME = /^\[[^\]]{8,40}\] ?/;
const COMMENT = ";;";
const BANNER = /^Asterisk Call Manager\//;

export function readAmiCapture(text: string): AmiCapture {
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  return lines.some((line) => MARKER.test(line)) ? readConsole(lines) : readWire(lines);
}

function readWire(lines: readonly string[]): AmiCapture {
  const frames: AmiFrame[] = [];
  const links: number[] = [];
  let badFrames = 0;
  let link: string[] = [];
  const parse = () => {
    const parser = createAmiParser();
    frames.push(...parser.push(`${link.join("\r\n")}\r\n\r\n`));
    parser.end();
    badFrames += parser.badFrames;
    link = [];
  };
  let frameStart = true;
  for (const line of lines) {
    if (line.startsWith(COMMENT)) continue;
    if (frameStart && BANNER.test(line)) {
      parse();
      links.push(frames.length);
    }
    link.push(line);
    frameStart = line.trim() === "";
  }
  parse();
  return { format: "ami", frames, badFrames, repeated: 0, links };
}

function readConsole(lines: readonly string[]): AmiCapture {
  const parser = createAmiParser({ expectBanner: false });
  const frames: AmiFrame[] = [];
  const seen = new Set<string>();
  let repeated = 0;
  let block: string[] | null = null;
  let isEvent = false;
  let stripTime = false;

  const close = () => {
    if (block !== null && block.length > 0 && isEvent) {
      const text = block.join("\r\n");
      if (seen.has(text)) repeated++;
      else {
        seen.add(text);
        frames.push(...parser.push(`${text}\r\n\r\n`));
      }
    }
    block = null;
  };

  for (const raw of lines) {
    const marker = MARKER.exec(raw);
    if (marker !== null) {
      close();
      block = [];
      isEvent = marker[1] === "event";
      stripTime = LINE_TIME.test(raw);
      continue;
    }
    if (block === null) continue;
    const line = stripTime ? raw.replace(LINE_TIME, "") : raw;
    // An event's lines end at the blank line Asterisk prints after it, or at the first line that
    // is not `Key: Value` (another part of Asterisk logging in between).
    if (line.trim() === "" || !/^[\x21-\x39\x3b-\x7e]+:/.test(line)) close();
    else block.push(line);
  }
  close();
  parser.end();
  return { format: "console", frames, badFrames: parser.badFrames, repeated, links: [] };
}
