// Envelopes and a store for the HQ consumer's tests, built the way a branch's relay builds them.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Ack, type Envelope, PROTOCOL_VERSION } from "../../src/contract/protocol.ts";
import { createLogger, type Logger } from "../../src/log/logger.ts";

export function envelope(
  branch: string,
  stream: string,
  seqFrom: number,
  seqTo: number,
  options: { epoch?: number; historical?: boolean } = {},
): Envelope {
  const records = [];
  for (let seq = seqFrom; seq <= seqTo; seq++) {
    records.push({
      id: `${stream}-${seq}`,
      seq,
      ts: 1_700_000_000_000 + seq,
      type: "test.record",
      data: { n: seq },
    });
  }
  return {
    v: PROTOCOL_VERSION,
    branch,
    epoch: options.epoch ?? 1,
    stream,
    seqFrom,
    seqTo,
    historical: options.historical ?? false,
    records,
  };
}

/** Envelopes of `size` records covering 1..total. */
export function batches(branch: string, stream: string, total: number, size: number): Envelope[] {
  const out: Envelope[] = [];
  for (let from = 1; from <= total; from += size)
    out.push(envelope(branch, stream, from, Math.min(total, from + size - 1)));
  return out;
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `branchbox-${prefix}-`));

/** A logger whose lines the test can read (parsed). */
export function capturingLogger(): { log: Logger; lines: Record<string, unknown>[]; codes: () => string[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "debug",
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { log, lines, codes: () => lines.map((l) => String(l.code ?? "")).filter((c) => c !== "") };
}

export type SentAck = { branch: string } & Ack;
