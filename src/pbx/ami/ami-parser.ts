/**
 * Incremental parser for the Asterisk Manager Interface (AMI) wire.
 *
 * The wire: after connect the server sends one banner line ("Asterisk Call Manager/9.0.0"), then
 * frames of "Key: Value" lines, each frame ended by a blank line. Asterisk writes CRLF; proxies and
 * hand-written peers write LF, sometimes mixed, so both end a line (one trailing CR is dropped).
 *
 * ALWAYS:
 * - `push` never throws, whatever it is fed, and returns the frames its chunk completed, in order;
 * - memory stays bounded: a partial line over `maxLineLength`, a frame over `maxFrameLength`
 *   characters or over `maxHeaders` lines is discarded up to the next blank line, not buffered;
 * - every dropped frame (a line that is not "Key: Value", a limit exceeded, a frame cut by `end`)
 *   counts once in `badFrames`, and parsing resumes with the next frame; an elision line (`...`)
 *   is the exception: it is skipped and its frame kept (see isElision).
 *
 * Frame shape: a null-prototype record, keys exactly as sent. AMI repeats some keys
 * (`ChanVariable`, `Variable` in Originate/Setvar-style frames); the values of a repeated key are
 * joined with "\n" — unambiguous, since no value can hold a line feed — and `amiValues` splits them.
 */
export type AmiFrame = Record<string, string>;

export interface AmiParserLimits {
  /** Characters in one line, the line ending excluded. */
  readonly maxLineLength: number;
  /** Characters in one frame (sum of its lines). */
  readonly maxFrameLength: number;
  /** Lines in one frame. */
  readonly maxHeaders: number;
}

export const DEFAULT_AMI_LIMITS: AmiParserLimits = {
  maxLineLength: 8 * 1024,
  maxFrameLength: 64 * 1024,
  maxHeaders: 200,
};

export interface AmiParser {
  /** Feed bytes (UTF-8, split anywhere, even inside a character) or text. */
  push(chunk: string | Uint8Array): AmiFrame[];
  /** The stream ended: an unfinished frame is dropped and counted. */
  end(): void;
  /** A new connection: `end()`, then expect a banner again. Counters are kept. */
  reset(): void;
  /** The banner line of the current connection, once it has arrived. */
  readonly banner: string | null;
  readonly badFrames: number;
  /** Characters held between calls (partial line + unfinished frame): bounded by the limits. */
  readonly buffered: number;
}

export interface AmiParserOptions {
  readonly limits?: Partial<AmiParserLimits>;
  /**
   * Whether the first line is a banner (a client reading a server; default true). The first line
   * is taken as the banner only if it is not a "Key: Value" line, so a peer that sends none loses
   * nothing. A server reading a client passes false.
   */
  readonly expectBanner?: boolean;
}

/** Printable ASCII without space or colon: every AMI key, including `ChanVariable(SIP/100-01)`. */
const KEY = /^[\x21-\x39\x3b-\x7e]+$/;

export function createAmiParser(options: AmiParserOptions = {}): AmiParser {
  const limits: AmiParserLimits = { ...DEFAULT_AMI_LIMITS, ...options.limits };
  const expectBanner = options.expectBanner ?? true;
  let decoder = new TextDecoder("utf-8");
  let awaitingBanner = expectBanner;
  let banner: string | null = null;
  let badFrames = 0;
  let rest = "";
  /** The rest of an over-long line is being thrown away up to its line feed. */
  let skippingLine = false;
  let frame: AmiFrame | null = null;
  let frameLength = 0;
  let headers = 0;
  /** The current frame is already lost: drop lines until the blank line that ends it. */
  let bad = false;

  const clearFrame = () => {
    frame = null;
    frameLength = 0;
    headers = 0;
  };

  const markBad = () => {
    awaitingBanner = false;
    bad = true;
    clearFrame();
  };

  const endFrame = (out: AmiFrame[]) => {
    if (bad) badFrames++;
    else if (frame !== null) out.push(frame);
    bad = false;
    clearFrame();
  };

  const onLine = (raw: string, out: AmiFrame[]) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "") {
      endFrame(out);
      return;
    }
    if (bad || isElision(line)) return;
    const colon = line.indexOf(":");
    const key = colon > 0 ? line.slice(0, colon) : "";
    const isHeader = KEY.test(key);
    if (awaitingBanner) {
      awaitingBanner = false;
      if (!isHeader) {
        banner = line;
        return;
      }
    }
    if (!isHeader) {
      markBad();
      return;
    }
    // Real streams glue two events with no blank line between them (issue 12, goami2's recording):
    // an Event line in a frame that already has one starts the next frame.
    if (key === "Event" && frame !== null && frame.Event !== undefined) endFrame(out);
    headers++;
    frameLength += line.length;
    if (headers > limits.maxHeaders || frameLength > limits.maxFrameLength) {
      markBad();
      return;
    }
    // AMI writes "Key: Value"; a bare "Key:" (trailing space stripped by some proxy) is an empty value.
    const value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    const current: AmiFrame = frame ?? Object.create(null);
    frame = current;
    const before = current[key];
    current[key] = before === undefined ? value : `${before}\n${value}`;
  };

  const end = () => {
    if (rest.trim() !== "" || skippingLine) bad = true;
    rest = "";
    skippingLine = false;
    if (bad || frame !== null) badFrames++;
    bad = false;
    clearFrame();
  };

  return {
    push(chunk) {
      const out: AmiFrame[] = [];
      try {
        const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
        let start = 0;
        for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
          if (skippingLine) {
            skippingLine = false;
          } else if (lineLength(rest, text, start, nl) > limits.maxLineLength) {
            markBad();
          } else {
            onLine(rest + text.slice(start, nl), out);
          }
          rest = "";
          start = nl + 1;
        }
        if (!skippingLine) {
          // +1: a CR may still be the last character of a line whose LF has not arrived.
          if (rest.length + (text.length - start) > limits.maxLineLength + 1) {
            rest = "";
            skippingLine = true;
            markBad();
          } else {
            rest += text.slice(start);
          }
        }
      } catch {
        // Nothing above should throw; if it ever does, lose this frame rather than the connection.
        rest = "";
        markBad();
      }
      return out;
    },
    end,
    reset() {
      end();
      decoder = new TextDecoder("utf-8");
      awaitingBanner = expectBanner;
      banner = null;
    },
    get banner() {
      return banner;
    },
    get badFrames() {
      return badFrames;
    },
    get buffered() {
      return rest.length + frameLength;
    },
  };
}

/**
 * `...` (or `…`) on a line of its own: documentation and pasted support tickets abridge frames so.
 * Asterisk never sends it; it stands for headers left out, so it is skipped and the frame keeps
 * what was written.
 */
const isElision = (line: string): boolean => /^\s*(\.\.\.|…)\s*$/.test(line);

/** Length of the line ending at `nl`, without its LF or CR, without building it. */
function lineLength(rest: string, text: string, start: number, nl: number): number {
  const length = rest.length + (nl - start);
  const last = nl > start ? text.charCodeAt(nl - 1) : rest.charCodeAt(rest.length - 1);
  return last === 13 ? length - 1 : length;
}

/** A header by name, ignoring case (Asterisk spells `Uniqueid`, `UniqueID`, `UniqueId` by version). */
export function amiGet(frame: AmiFrame, key: string): string | undefined {
  // Own keys only: a caller may pass a plain object, whose prototype has `constructor` & co.
  if (Object.hasOwn(frame, key)) return frame[key];
  const wanted = key.toLowerCase();
  for (const k of Object.keys(frame)) if (k.toLowerCase() === wanted) return frame[k];
  return undefined;
}

/** Every value of a possibly repeated header (see the frame shape above), ignoring case. */
export function amiValues(frame: AmiFrame, key: string): string[] {
  const wanted = key.toLowerCase();
  const out: string[] = [];
  for (const k of Object.keys(frame)) {
    const v = frame[k];
    if (v !== undefined && k.toLowerCase() === wanted) out.push(...v.split("\n"));
  }
  return out;
}

/** Serialize an action or event frame for the wire: CRLF lines, blank line at the end. */
export function formatAmiFrame(frame: Readonly<Record<string, string>>): string {
  let out = "";
  for (const key of Object.keys(frame)) {
    for (const value of (frame[key] ?? "").split("\n")) out += `${key}: ${value.replace(/\r/g, "")}\r\n`;
  }
  return `${out}\r\n`;
}
