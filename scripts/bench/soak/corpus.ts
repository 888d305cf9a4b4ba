import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type AmiFrame, createAmiParser, formatAmiFrame } from "../../../src/pbx/ami/ami-parser.ts";
import { AmiTranslator } from "../../../src/pbx/ami/ami-translate.ts";
import {
  type ExpectedCapture,
  endpointOf,
  expectedCaptures,
  REAL_CAPTURES,
} from "../../../test/support/real-captures.ts";

/**
 * The real third-party captures (test/fixtures/ami/real/) as templates a month of calls is made
 * from: each capture's frames, read by the product's parser and written back as Asterisk writes
 * them (CRLF, every repeated header kept), with a slot for a fresh `Timestamp` and a slot for every
 * name that must be new in each copy: Uniqueids and Linkedids (the `epoch.sequence` part, system
 * name prefixes kept), bridge UUIDs, channel suffixes (`-0000002a`), and outside numbers (a long
 * number that is not one of the branch's handsets and not the DID the call came in on). A copy
 * fills the slots from counters shared by the whole month, so no two calls share a name.
 * `FullyBooted` (the recorder's login) is left out: mid-stream it would say Asterisk restarted.
 */

export interface Template {
  readonly file: string;
  /** Per frame: the literal pieces around the slots (`parts.length === slots.length + 1`). */
  readonly frames: readonly { readonly parts: readonly string[]; readonly slots: readonly string[] }[];
  /** PbxEvents one copy yields, with the branch's handsets known (the product's own translator). */
  readonly events: number;
  /** Its calls as expected.json concludes them: `direction/outcome`. */
  readonly calls: readonly string[];
}

// One pass finds every slot: a bridge UUID, an `epoch.sequence` id, a channel suffix, a number.
const SLOT =
  /\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b|\b(\d{10}\.\d+)\b|-([0-9a-f]{8})\b|(?<![\w.+/-])(\+?\d{7,})(?![\w.])/g;

/** Every handset of the corpus, by device name: the branch's phones. */
export function corpusHandsets(): string[] {
  return [...new Set(expectedCaptures().flatMap((c) => c.handsets.map(endpointOf)))].sort();
}

/** The captures whose calls all end (the documentation's abridged example stops mid-call). */
export function loadTemplates(known: ReadonlySet<string>): Template[] {
  return expectedCaptures()
    .filter((c) => c.calls.every((call) => call.finished !== false))
    .map((capture) => template(capture, known));
}

function template(capture: ExpectedCapture, known: ReadonlySet<string>): Template {
  const parser = createAmiParser({ expectBanner: false });
  const frames = parser
    .push(readFileSync(join(REAL_CAPTURES, capture.file)))
    .filter((f) => f.Event !== undefined && f.Event !== "FullyBooted");
  parser.end();
  const translator = new AmiTranslator({ source: "soak", knownExtensions: () => known });
  const events = frames.reduce((n, frame) => n + translator.translate(frame, 0).length, 0);
  const keep = new Set([...known, ...didsOf(frames, capture.trunks)]);
  return {
    file: capture.file,
    frames: frames.map((frame) => split(frame, keep)),
    events,
    calls: capture.calls.map((call) => `${call.direction}/${call.outcome}`),
  };
}

/** The numbers an inbound call came in on: the Exten of a trunk channel that opened a call. */
function didsOf(frames: readonly AmiFrame[], trunks: readonly string[]): string[] {
  return frames
    .filter(
      (f) =>
        f.Event === "Newchannel" &&
        f.Uniqueid === f.Linkedid &&
        trunks.some((trunk) => f.Channel?.startsWith(`${trunk}-`)),
    )
    .flatMap((f) => (f.Exten === undefined ? [] : [f.Exten]));
}

function split(frame: AmiFrame, keep: ReadonlySet<string>) {
  const { Event: event, Timestamp: _t, SequenceNumber: _s, ...rest } = frame;
  const text = formatAmiFrame({ Event: event ?? "", Timestamp: "\u0000", ...rest });
  const parts: string[] = [];
  const slots: string[] = [];
  let from = 0;
  const cut = (at: number, slot: string, after: number) => {
    parts.push(text.slice(from, at));
    slots.push(slot);
    from = after;
  };
  const stamp = text.indexOf("\u0000");
  cut(stamp, "t:", stamp + 1);
  for (const m of text.matchAll(SLOT)) {
    const at = m.index ?? 0;
    if (at < stamp) continue;
    const [whole, uuid, id, suffix, number] = m;
    if (uuid !== undefined) cut(at, `u:${uuid}`, at + whole.length);
    else if (id !== undefined) cut(at, `i:${id}`, at + whole.length);
    else if (suffix !== undefined) cut(at + 1, `s:${suffix}`, at + whole.length);
    else if (number !== undefined && !keep.has(number)) cut(at, `n:${number}`, at + whole.length);
  }
  parts.push(text.slice(from));
  return { parts, slots };
}

/** Counters shared by a whole month: every copy's names are new. */
export interface Names {
  id: number;
  uuid: number;
  channel: number;
  number: number;
}

/**
 * One copy of `template` starting at `startMs`, its frames `stepMs` apart: wire frames (CRLF) with
 * their PBX instants, in the capture's order.
 */
export function copyOf(
  template: Template,
  names: Names,
  startMs: number,
  stepMs: number,
): { at: number; text: string }[] {
  const epoch = Math.floor(startMs / 1000);
  const fresh = new Map<string, string>();
  const value = (slot: string): string => {
    let v = fresh.get(slot);
    if (v === undefined) {
      const kind = slot[0];
      if (kind === "u") v = `50a4b000-0000-4000-8000-${(++names.uuid).toString(16).padStart(12, "0")}`;
      else if (kind === "i") v = `${epoch}.${++names.id}`;
      else if (kind === "s") v = (++names.channel % 2 ** 32).toString(16).padStart(8, "0");
      else v = `+7999${String(++names.number % 10 ** 7).padStart(7, "0")}`;
      fresh.set(slot, v);
    }
    return v;
  };
  return template.frames.map(({ parts, slots }, i) => {
    const at = startMs + i * stepMs;
    let text = parts[0] ?? "";
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k] as string;
      text += (slot === "t:" ? (at / 1000).toFixed(6) : value(slot)) + (parts[k + 1] ?? "");
    }
    return { at, text };
  });
}
