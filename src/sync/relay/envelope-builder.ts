import { PROTOCOL_VERSION, type UpStream } from "../../contract/protocol.ts";
import type { OutboxStore } from "../../store/outbox-store.ts";

/** Record sizes read per query while an envelope fills. */
const SIZES_PAGE = 64;

export type EnvelopeHead = {
  readonly branch: string;
  readonly epoch: number;
  readonly stream: UpStream;
  readonly historical: boolean;
};

export type BuiltEnvelope = {
  /** The envelope's JSON, UTF-8: handed to mqtt.js as is (a string payload would be copied). */
  readonly payload: Buffer;
  readonly seqFrom: number;
  readonly seqTo: number;
  readonly count: number;
};

/**
 * The next envelope of `head.stream` after seq `after`: the longest run of its next records (at
 * most `maxRecords`) that is consecutive in seq and whose JSON fits in `maxBytes` (at least one
 * record, so a single large record still goes). The sizes are read first; then SQLite writes the
 * whole envelope into one buffer, each record's data its stored text, never decoded, parsed or
 * stringified again. Null when nothing waits.
 */
export function buildEnvelope(
  outbox: OutboxStore,
  head: EnvelopeHead,
  after: number,
  maxRecords: number,
  maxBytes: number,
): BuiltEnvelope | null {
  let first: number | undefined;
  let last = after;
  let count = 0;
  let bytes = 0; // the records and a comma after each
  // Sizes a page at a time: ~200 records of ~1.2 KB fill 256 KiB, and reading all `maxRecords`
  // sizes every time cost more than building the envelope.
  for (let more = true; more && count < maxRecords; ) {
    const want = Math.min(SIZES_PAGE, maxRecords - count);
    const page = outbox.recordSizes(head.stream, last, want);
    more = page.length === want;
    for (const record of page) {
      const fits = count === 0 || (record.seq === last + 1 && bytes + record.bytes <= maxBytes);
      if (!fits) {
        more = false;
        break;
      }
      first ??= record.seq;
      bytes += record.bytes + 1;
      last = record.seq;
      count++;
    }
  }
  if (first === undefined) return null;
  const open = `${JSON.stringify({
    v: PROTOCOL_VERSION,
    branch: head.branch,
    epoch: head.epoch,
    stream: head.stream,
    seqFrom: first,
    seqTo: last,
    historical: head.historical,
  }).slice(0, -1)},"records":[`;
  const json = outbox.recordsJson(head.stream, first - 1, count, open, "]}");
  // The last record's comma is the room of "]"; "}" is one more.
  const expected = Buffer.byteLength(open) + bytes + 1;
  if (json.byteLength !== expected)
    throw new Error(`envelope size mismatch: got ${json.byteLength} bytes of ${expected}`);
  return {
    payload: Buffer.from(json.buffer, json.byteOffset, json.byteLength),
    seqFrom: first,
    seqTo: last,
    count,
  };
}
