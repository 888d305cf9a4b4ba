import type { RawRecord } from "../../store/outbox-store.ts";
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

const RECORDS_OPEN = ',"records":[';
const CLOSE = "]}";

/**
 * Serializes the longest run of `records` that is consecutive in seq and fits in `maxBytes`
 * (at least one record, so a single large record still goes). The envelope is assembled as bytes
 * in ONE Buffer: each record's data is the JSON text the outbox stored, its UTF-8 bytes copied in
 * as they are (never decoded, parsed or stringified again), and the size limit counts those bytes.
 */
export function buildEnvelope(
  head: EnvelopeHead,
  records: readonly RawRecord[],
  maxBytes: number,
): BuiltEnvelope | null {
  const first = records[0];
  if (first === undefined) return null;
  const prefixes: string[] = [];
  let bytes = 0;
  let last = first.seq - 1;
  for (const record of records) {
    if (record.seq !== last + 1) break;
    const prefix = `{"id":${JSON.stringify(record.id)},"seq":${record.seq},"ts":${record.ts},"type":${JSON.stringify(record.type)},"data":`;
    const size = Buffer.byteLength(prefix) + record.data.byteLength + 1;
    if (prefixes.length > 0 && bytes + size > maxBytes) break;
    prefixes.push(prefix);
    bytes += size + 1;
    last = record.seq;
  }
  const header = JSON.stringify({
    v: PROTOCOL_VERSION,
    branch: head.branch,
    epoch: head.epoch,
    stream: head.stream,
    seqFrom: first.seq,
    seqTo: last,
    historical: head.historical,
  }).slice(0, -1);
  // `bytes` counted a comma after every record: the last one's room holds the closing "]".
  const payload = Buffer.allocUnsafe(Buffer.byteLength(header) + RECORDS_OPEN.length + bytes + 1);
  let at = payload.write(header, 0);
  at += payload.write(RECORDS_OPEN, at, "latin1");
  for (let i = 0; i < prefixes.length; i++) {
    if (i > 0) at += payload.write(",", at, "latin1");
    at += payload.write(prefixes[i] as string, at);
    const data = (records[i] as RawRecord).data;
    payload.set(data, at);
    at += data.byteLength;
    at += payload.write("}", at, "latin1");
  }
  at += payload.write(CLOSE, at, "latin1");
  if (at !== payload.length) throw new Error(`envelope size mismatch: wrote ${at} of ${payload.length}`);
  return { payload, seqFrom: first.seq, seqTo: last, count: prefixes.length };
}
