import type { OutboxStore } from "../../store/outbox-store.ts";
import { PROTOCOL_VERSION, type UpStream } from "../protocol.ts";

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
  const sizes = outbox.recordSizes(head.stream, after, maxRecords);
  const first = sizes[0];
  if (first === undefined) return null;
  let count = 0;
  let bytes = 0; // the records and a comma after each
  let last = first.seq - 1;
  for (const record of sizes) {
    if (record.seq !== last + 1) break;
    if (count > 0 && bytes + record.bytes > maxBytes) break;
    bytes += record.bytes + 1;
    last = record.seq;
    count++;
  }
  const open = `${JSON.stringify({
    v: PROTOCOL_VERSION,
    branch: head.branch,
    epoch: head.epoch,
    stream: head.stream,
    seqFrom: first.seq,
    seqTo: last,
    historical: head.historical,
  }).slice(0, -1)},"records":[`;
  const json = outbox.recordsJson(head.stream, first.seq - 1, count, open, "]}");
  // The last record's comma is the room of "]"; "}" is one more.
  const expected = Buffer.byteLength(open) + bytes + 1;
  if (json.byteLength !== expected)
    throw new Error(`envelope size mismatch: got ${json.byteLength} bytes of ${expected}`);
  return {
    payload: Buffer.from(json.buffer, json.byteOffset, json.byteLength),
    seqFrom: first.seq,
    seqTo: last,
    count,
  };
}
