import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The folder of AMI transcripts (`test/fixtures/ami/*.ami`). */
export const TRANSCRIPTS = join(import.meta.dir, "../fixtures/ami");

export interface Transcript {
  /** `;; scenario: <name>` */
  readonly scenario: string;
  /** `;; rules: R0.1 R0.2 …` */
  readonly rules: readonly string[];
  /** Every `;; key: value` header line. */
  readonly headers: Readonly<Record<string, string>>;
  /** The frames, in order, as `Record<header, value>`. */
  readonly frames: readonly Record<string, string>[];
}

/**
 * Reads a transcript without the production parser: frames are separated by a blank line, lines
 * starting with `;;` are comments (the header says what the transcript shows), a line is
 * `Key: value` split at the first colon. LF or CRLF.
 */
export function parseTranscript(text: string): Transcript {
  const headers: Record<string, string> = {};
  const frames: Record<string, string>[] = [];
  let frame: Record<string, string> = {};
  const flush = () => {
    if (Object.keys(frame).length > 0) frames.push(frame);
    frame = {};
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith(";;")) {
      const header = /^;;\s*([a-z-]+):\s*(.*)$/.exec(line);
      if (header?.[1] !== undefined && headers[header[1]] === undefined) headers[header[1]] = header[2] ?? "";
      continue;
    }
    if (line.trim() === "") {
      flush();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon > 0) frame[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  flush();
  return {
    scenario: headers.scenario ?? "",
    rules: (headers.rules ?? "").split(/\s+/).filter(Boolean),
    headers,
    frames,
  };
}

export function readTranscript(file: string): Transcript {
  return parseTranscript(readFileSync(join(TRANSCRIPTS, file), "utf8"));
}

/**
 * Every whole-call transcript (not the mid-call resync pieces), in the order they happened: one
 * day at a branch, as a single AMI stream. Their ids are unique across files.
 */
export function transcriptDay(): string {
  const files = readdirSync(TRANSCRIPTS).filter((f) => f.endsWith(".ami") && !f.startsWith("mid-call"));
  const text = new Map(files.map((f) => [f, readFileSync(join(TRANSCRIPTS, f), "utf8")]));
  const first = (f: string) => Number(/^Timestamp: (\S+)/m.exec(text.get(f) ?? "")?.[1]);
  return files
    .sort((a, b) => first(a) - first(b))
    .map((f) => text.get(f))
    .join("\n\n");
}
