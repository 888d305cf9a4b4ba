import { z } from "zod";

/**
 * The branch ↔ headquarters sync protocol, v1. Every message on the wire is one of these shapes;
 * the JSON Schemas for integrators are generated from them (docs/contract.md).
 *
 * Topics (`{branch}` is the branch id):
 * - `branchbox/v1/{branch}/up/{stream}`    branch → HQ, an Envelope (streams: UP_STREAMS)
 * - `branchbox/v1/{branch}/down/{stream}`  HQ → branch, an Envelope (streams: DOWN_STREAMS)
 * - `branchbox/v1/{branch}/down/ack`       HQ → branch, an Ack: cumulative, per up stream
 * - `branchbox/v1/{branch}/state`          retained Presence; also the branch's Last Will
 * - `branchbox/v1/hq/state`                retained HqPresence: a branch drains its backlog only while HQ is online
 */
export const PROTOCOL_VERSION = 1;

export const UP_STREAMS = ["roster", "calls", "intents", "replies"] as const;
export const DOWN_STREAMS = ["staff", "clients", "settings", "commands", "pbx", "presence"] as const;
export type UpStream = (typeof UP_STREAMS)[number];
export type DownStream = (typeof DOWN_STREAMS)[number];

/** A branch id; "hq" is reserved: `branchbox/v1/hq/state` is headquarters' own presence topic. */
const branchId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
  .refine((id) => id !== "hq", 'the branch id "hq" is reserved');
/** A 64-bit counter per (branch, stream) that never repeats; JSON carries it as a number (< 2^53). */
const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const recordSchema = z.strictObject({
  /** Stable id of what the record is about (a call record id, a roster fact seq): HQ upserts by it. */
  id: z.string().min(1).max(200),
  seq,
  /** When the branch committed it, ms since the epoch. */
  ts: z.number().int().min(0),
  /** e.g. `roster.fact`, `call.record`. */
  type: z.string().regex(/^[a-z]+(\.[a-z-]+)+$/),
  data: z.unknown(),
});

export const envelopeSchema = z
  .strictObject({
    v: z.literal(PROTOCOL_VERSION),
    branch: branchId,
    /** Grows on every connect of the sender: tells a stale message (or Last Will) from a fresh one. */
    epoch: z.number().int().min(1),
    stream: z.string().regex(/^[a-z]+$/),
    seqFrom: seq,
    seqTo: seq,
    /** Backlog (drained after an outage) rather than live. */
    historical: z.boolean(),
    records: z.array(recordSchema).min(1).max(10_000),
  })
  .superRefine((e, ctx) => {
    const first = e.records[0]?.seq;
    const last = e.records.at(-1)?.seq;
    if (first !== e.seqFrom || last !== e.seqTo) {
      ctx.addIssue({ code: "custom", message: "seqFrom/seqTo must be the first and last record's seq" });
    }
    for (let i = 1; i < e.records.length; i++) {
      if ((e.records[i]?.seq ?? 0) !== (e.records[i - 1]?.seq ?? 0) + 1) {
        ctx.addIssue({
          code: "custom",
          path: ["records", i, "seq"],
          message: "records must be consecutive in seq",
        });
        break;
      }
    }
  });

/**
 * Headquarters' cumulative acknowledgement: every record of `stream` up to `through` is committed
 * at HQ; the branch may delete them. `replay: true` asks the branch to send again from `through + 1`
 * (HQ saw a gap that did not fill within its reorder timeout).
 */
export const ackSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  stream: z.enum(UP_STREAMS),
  through: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  replay: z.boolean().optional(),
});

export const presenceSchema = z.strictObject({
  online: z.boolean(),
  epoch: z.number().int().min(1),
  version: z.string().optional(),
  /** Records waiting for HQ's ack, all streams. */
  backlog: z.number().int().min(0).optional(),
});

export const hqPresenceSchema = z.strictObject({ online: z.boolean() });

export type SyncRecord = z.infer<typeof recordSchema>;
export type Envelope = z.infer<typeof envelopeSchema>;
export type Ack = z.infer<typeof ackSchema>;
export type Presence = z.infer<typeof presenceSchema>;

export const topics = {
  up: (branch: string, stream: string) => `branchbox/v1/${branch}/up/${stream}`,
  down: (branch: string, stream: string) => `branchbox/v1/${branch}/down/${stream}`,
  ack: (branch: string) => `branchbox/v1/${branch}/down/ack`,
  state: (branch: string) => `branchbox/v1/${branch}/state`,
  hqState: "branchbox/v1/hq/state",
  /** Several HQ consumers share the up streams (MQTT 5 shared subscription). */
  hqSubscription: "$share/hq/branchbox/v1/+/up/#",
} as const;
