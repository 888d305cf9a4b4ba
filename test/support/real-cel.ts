import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CelRow, celRowOf } from "../../src/pbx/ami/cel-rows.ts";
import { translateCel } from "../../src/pbx/ami/cel-translate.ts";
import { assemble } from "../scenarios/scenario-branch.ts";
import { captureDifferences, type ExpectedCapture, endpointOf, type Replay } from "./real-captures.ts";

/**
 * The real CEL recordings (test/fixtures/cel/real/, README.md there) read as the box reads a
 * PBX's records after a gap: rows → CEL translator (the capture's handsets known as the branch's
 * extensions) → dedupe → assembler, compared with expected.json like the AMI corpus.
 */
export const REAL_CEL = join(import.meta.dir, "../fixtures/cel/real");

export interface ExpectedCelCapture extends ExpectedCapture {
  readonly eventtime: { readonly kind: string; readonly zone: string | null };
  readonly parserOnly?: boolean;
}

export function expectedCel(): ExpectedCelCapture[] {
  return JSON.parse(readFileSync(join(REAL_CEL, "expected.json"), "utf8")).captures;
}

/** Wazo's `psql` output: a header of column names, a rule (or a blank line), rows; cells stripped. */
export function psqlCells(text: string): Record<string, string>[] {
  const lines = text.split("\n").filter((line) => line.includes("|"));
  const header = (lines.shift() ?? "").split("|").map((cell) => cell.trim());
  return lines
    .filter((line) => !/^[\s\-+]+$/.test(line))
    .map((line) => {
      const cells = line.split("|").map((cell) => cell.trim());
      return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
    });
}

/** The same rows as CelRows, local times read in `timeZone`. */
export function psqlRows(text: string, timeZone: string): CelRow[] {
  return psqlCells(text).map(
    (cells) => celRowOf((name) => cells[name] ?? "", timeZone) ?? { ...EMPTY, eventtime: Number.NaN },
  );
}

/** A row whose time did not read: kept (as NaN) so a test sees it, never dropped silently. */
const EMPTY: CelRow = {
  eventtype: "",
  eventtime: Number.NaN,
  cidName: "",
  cidNum: "",
  cidDnid: "",
  exten: "",
  context: "",
  channame: "",
  appname: "",
  appdata: "",
  uniqueid: "",
  linkedid: "",
  peer: "",
  extra: "",
  id: null,
};

/** The authors' PBX: local times without an offset are Quebec's (README, "Time zones"). */
export const WAZO_ZONE = "America/Montreal";

export function replayCel(capture: ExpectedCelCapture): Replay & { readonly rows: readonly CelRow[] } {
  const rows = psqlRows(
    readFileSync(join(REAL_CEL, capture.file), "utf8"),
    capture.eventtime.zone ?? WAZO_ZONE,
  );
  const { events } = translateCel(rows, {
    source: "ami:cel-corpus",
    knownExtensions: () => new Set(capture.handsets.map(endpointOf)),
    recovered: { via: "cel", at: 0 },
  });
  const { finished, rejected, live } = assemble(events);
  return { events, calls: [...finished, ...live], rejected, rows };
}

/**
 * expected.json of the CEL corpus says `null` where the rows cannot tell (README, "uncertain"):
 * an outcome null is "anything but answered"; a caller null on a call a phone placed accepts the
 * phone's own extension (the box's rule for a phone that presents no number); a called null is
 * not checked. Everything else is compared as for the AMI corpus.
 */
export function celDifferences(capture: ExpectedCelCapture, replay: Replay): string[] {
  const calls = capture.calls.map((call, i) => {
    const got = replay.calls[i];
    const placer = got?.legs.find((leg) => leg.placedCall)?.extension ?? null;
    return {
      ...call,
      callerDevice: call.callerDevice ?? null,
      outcome: call.outcome ?? (got?.outcome === "answered" ? "not answered" : (got?.outcome ?? null)),
      caller: call.caller ?? (got?.from.number === placer ? placer : null),
      called: call.called ?? (got?.direction === "inbound" ? got.did : (got?.to.number ?? null)),
    };
  });
  return captureDifferences({ ...capture, calls } as ExpectedCapture, replay);
}
