import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AssembledCall, AssembledLeg } from "../../src/domain/call/call-types.ts";
import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import type { AmiFrame } from "../../src/pbx/ami/ami-fields.ts";
import { createAmiParser } from "../../src/pbx/ami/ami-parser.ts";
import { AmiTranslator } from "../../src/pbx/ami/ami-translate.ts";
import { assemble } from "../scenarios/scenario-branch.ts";

/**
 * The real third-party captures (test/fixtures/ami/real/, README.md there) replayed as a branch
 * would: the capture's bytes through the product's parser, the translator knowing the capture's
 * handsets as the branch's extensions (their device names, as staff extensions would be), the
 * journal's dedupe and the assembler; then every call compared with expected.json.
 */

export const REAL_CAPTURES = join(import.meta.dir, "../fixtures/ami/real");

export interface ExpectedCall {
  readonly direction: string;
  readonly caller: string | null;
  readonly callerDevice: string | null;
  readonly called: string;
  readonly calledNormalized?: string;
  readonly outcome: string;
  readonly answeredBy: string | null;
  readonly answeredOn?: string;
  readonly legs: readonly string[];
  readonly legEndings?: Readonly<Record<string, string>>;
  readonly optionalLegs?: readonly string[];
  readonly notMissed?: readonly string[];
  readonly finished?: boolean;
}

export interface ExpectedCapture {
  readonly file: string;
  readonly handsets: readonly string[];
  readonly trunks: readonly string[];
  readonly calls: readonly ExpectedCall[];
}

export function expectedCaptures(): ExpectedCapture[] {
  return JSON.parse(readFileSync(join(REAL_CAPTURES, "expected.json"), "utf8")).captures;
}

export function expectedCapture(file: string): ExpectedCapture {
  const capture = expectedCaptures().find((c) => c.file === file);
  if (capture === undefined) throw new Error(`${file} is not in expected.json`);
  return capture;
}

/** `SIP/150010001` → `150010001`: the name a branch gives the phone as an extension. */
export const endpointOf = (device: string): string => device.slice(device.indexOf("/") + 1);

export interface Replay {
  readonly events: readonly PbxEvent[];
  /** The finished calls in the order they ended, then the calls still live. */
  readonly calls: readonly AssembledCall[];
  readonly rejected: readonly string[];
  /** Per call id, the frame that gave the call's first `answered`: where its talk time starts. */
  readonly answeredBy?: ReadonlyMap<string, AmiFrame>;
}

/** The capture through parser → translator (knowing its handsets) → dedupe → assembler. */
export function replayCapture(capture: ExpectedCapture): Replay {
  const parser = createAmiParser({ expectBanner: false });
  const frames = parser.push(readFileSync(join(REAL_CAPTURES, capture.file)));
  parser.end();
  const translator = new AmiTranslator({
    source: "ami:corpus",
    knownExtensions: () => new Set(capture.handsets.map(endpointOf)),
  });
  const answeredBy = new Map<string, AmiFrame>();
  const events = frames.flatMap((frame) => {
    const out = translator.translate(frame, 0);
    for (const e of out)
      if (e.kind === "answered" && !answeredBy.has(e.callId)) answeredBy.set(e.callId, frame);
    return out;
  });
  const { finished, rejected, live } = assemble(events);
  return { events, calls: [...finished, ...live], rejected, answeredBy };
}

/** What a call came out as, in expected.json's words (devices named by endpoint). */
export interface CallSummary {
  readonly direction: string;
  readonly caller: string | null;
  readonly callerDevice: string | null;
  readonly called: string | null;
  readonly outcome: string | null;
  readonly answeredBy: string | null;
  readonly legs: readonly string[];
  readonly legEndings: Readonly<Record<string, string | null>>;
  readonly finished: boolean;
}

const firstAnswered = (legs: readonly AssembledLeg[]): AssembledLeg | undefined =>
  legs
    .filter((leg) => !leg.placedCall && leg.answeredAt !== null)
    .sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0))[0];

export function summarize(call: AssembledCall): CallSummary {
  return {
    direction: call.direction,
    caller: call.from.number,
    callerDevice: call.legs.find((leg) => leg.placedCall)?.extension ?? null,
    called: call.direction === "inbound" ? call.did : call.to.number,
    outcome: call.outcome ?? (call.answeredAt === null ? null : "answered"),
    answeredBy: firstAnswered(call.legs)?.extension ?? null,
    legs: call.legs.map((leg) => leg.extension),
    legEndings: Object.fromEntries(call.legs.map((leg) => [leg.extension, leg.ending])),
    finished: call.finished,
  };
}

/** Every way `actual` differs from `expected`; empty when the call is right. */
export function callDifferences(actual: AssembledCall, expected: ExpectedCall, handsets: readonly string[]) {
  const got = summarize(actual);
  const differences: string[] = [];
  const differ = (what: string, want: unknown, have: unknown) => {
    if (JSON.stringify(want) !== JSON.stringify(have))
      differences.push(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(have)}`);
  };
  const ext = (device: string | null) => (device === null ? null : endpointOf(device));
  differ("direction", expected.direction, got.direction);
  differ("outcome", expected.outcome, got.outcome);
  differ("finished", expected.finished ?? true, got.finished);
  differ("caller", expected.caller, got.caller);
  if (got.called !== expected.called && got.called !== (expected.calledNormalized ?? expected.called))
    differ("called", expected.called, got.called);
  if (expected.callerDevice !== null) differ("caller device", ext(expected.callerDevice), got.callerDevice);
  differ("answered by", ext(expected.answeredBy), got.answeredBy);
  const phones = new Set(handsets.map(endpointOf));
  const strangers = got.legs.filter((leg) => !phones.has(leg));
  if (strangers.length > 0) differences.push(`legs that are no handset: ${strangers.join(", ")}`);
  const optional = new Set((expected.optionalLegs ?? []).map(endpointOf));
  const wanted = expected.legs.map(endpointOf).filter((leg) => !optional.has(leg) || got.legs.includes(leg));
  differ("legs", [...wanted].sort(), got.legs.filter((leg) => phones.has(leg)).sort());
  for (const [device, ending] of Object.entries(expected.legEndings ?? {})) {
    const leg = endpointOf(device);
    if (got.legs.includes(leg) || !optional.has(leg)) differ(`ending of ${leg}`, ending, got.legEndings[leg]);
  }
  for (const device of expected.notMissed ?? [])
    if (got.legEndings[endpointOf(device)] === "missed")
      differences.push(`${endpointOf(device)} ended missed`);
  return differences;
}

/** Every way the replay differs from the capture's expected calls (phantoms and refusals included). */
export function captureDifferences(capture: ExpectedCapture, replay: Replay): string[] {
  const differences = replay.rejected.map((r) => `refused by the assembler: ${r}`);
  if (replay.calls.length !== capture.calls.length)
    differences.push(`${capture.calls.length} call(s) expected, ${replay.calls.length} recorded`);
  capture.calls.forEach((expected, i) => {
    const actual = replay.calls[i];
    if (actual === undefined) return;
    const prefix = capture.calls.length > 1 ? `call ${i + 1}: ` : "";
    differences.push(...callDifferences(actual, expected, capture.handsets).map((d) => prefix + d));
    if (expected.answeredOn !== undefined && replay.answeredBy !== undefined) {
      const frame = replay.answeredBy.get(actual.id);
      const names = [frame?.DestChannel, frame?.Channel].filter((n) => n !== undefined);
      if (!names.some((name) => name.startsWith(`${expected.answeredOn}-`)))
        differences.push(
          `${prefix}answered on ${expected.answeredOn}: answered by a frame naming ${names.join(", ") || "nothing"}`,
        );
    }
  });
  return differences;
}
