import type { RawRecord } from "../../store/outbox-store.ts";
import { PROTOCOL_VERSION, type UpStream } from "../protocol.ts";

export type EnvelopeHead = {
  readonly branch: string;
  readonly epoch: number;
  readonly stream: UpStream;
  readonly historical: boolean;
};

export type BuiltEnvelope = {
  readonly payload: string;
  readonly seqFrom: number;
  readonly seqTo: number;
  readonly count: number;
};

/**
 * Serializes the longest run of `records` that is consecutive in seq and fits in `maxBytes`
 * (at least one record, so a single large record still goes). The envelope is assembled as text:
 * each record's data is the JSON text the outbox stored, spliced in as is (never parsed and
 * stringified again), and the text is also what the size limit counts.
 */
export function buildEnvelope(
  head: EnvelopeHead,
  records: readonly RawRecord[],
  maxBytes: number,
): BuiltEnvelope | null {
  const first = records[0];
  if (first === undefined) return null;
  const parts: string[] = [];
  let bytes = 0;
  let last = first.seq - 1;
  for (const record of records) {
    if (record.seq !== last + 1) break;
    const json = `{"id":${JSON.stringify(record.id)},"seq":${record.seq},"ts":${record.ts},"type":${JSON.stringify(record.type)},"data":${record.data}}`;
    if (parts.length > 0 && bytes + json.length > maxBytes) break;
    parts.push(json);
    bytes += json.length + 1;
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
  });
  return {
    payload: `${header.slice(0, -1)},"records":[${parts.join(",")}]}`,
    seqFrom: first.seq,
    seqTo: last,
    count: parts.length,
  };
}
