// The real endpoint-list recordings of test/fixtures/ami/real/ (README.md there: sources, licences,
// what a consumer must conclude) as the frames Asterisk sent, for the fake AMI peer and the reader.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AmiFrame } from "../../src/pbx/ami/ami-fields.ts";

export const REAL = join(import.meta.dir, "..", "fixtures", "ami", "real");

/** The ActionID of the PJSIPShowEndpoints in alexforster/AmiClient's recorded session. */
const AMICLIENT_PJSIP_ACTION = "3ec566db-feec-4758-bc41-407ae70491c2";

const headers = (lines: readonly string[]): AmiFrame =>
  Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trimStart()];
    }),
  );

/**
 * Asterisk 13's answer to PJSIPShowEndpoints in AmiClient's README: every frame of that session
 * carrying the action's ActionID. The session also holds what the client wrote (Action frames,
 * other ActionIDs) and the example program's own `~~~ "1107" (Unavailable) ~~~` lines, printed
 * to the same terminal between frames: neither is Asterisk's, both are left out.
 */
export function amiclientPjsipEndpoints(): AmiFrame[] {
  const text = readFileSync(join(REAL, "amiclient-pjsip-show-endpoints.txt"), "utf8");
  return text
    .split(/\r?\n\r?\n/)
    .map((block) => headers(block.split(/\r?\n/).filter((l) => l.includes(":") && !l.startsWith("~~~"))))
    .filter((frame) => frame.ActionID === AMICLIENT_PJSIP_ACTION && frame.Action === undefined);
}

/**
 * Asterisk's answer to SIPPeers as DAMI's README prints it: JavaScript objects, one per frame,
 * values as DAMI converted them (numbers unquoted). Each `Key: value` line becomes a header.
 */
export function damiSipPeers(): AmiFrame[] {
  const text = readFileSync(join(REAL, "dami-sippeers.txt"), "utf8");
  const frames: AmiFrame[] = [];
  let current: string[] | null = null;
  const pairs = (body: string) =>
    [...body.matchAll(/(\w+): ("[^"]*"|[^,\s}]+)/g)].map(
      (m) => `${m[1]}: ${(m[2] ?? "").replace(/^"|"$/g, "")}`,
    );
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\/\/\s?/, "").trim();
    if (line.startsWith("{") && line.endsWith("}")) frames.push(headers(pairs(line)));
    else if (line === "{") current = [];
    else if (line.startsWith("}")) {
      if (current !== null) frames.push(headers(current));
      current = null;
    } else if (current !== null) current.push(...pairs(line));
  }
  return frames;
}
