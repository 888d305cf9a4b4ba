import type { PbxEvent, PbxEventKind, TransferInfo } from "../domain/call/pbx-event.ts";
import type { Instant } from "../domain/roster/types.ts";

/** A leg as the events about it name it: whatever a source tracks, it knows these three. */
export interface LegRef {
  readonly legId: string;
  readonly callId: string;
  readonly extension: string | null;
}

/**
 * The PbxEvents of one source, for every translator: one place for the keys. A key names the fact
 * (`${callId}:start`, `${legId}:answered`, `${callId}:end`), never the moment it was seen, so that a
 * resync or a replay repeats keys, never facts, and the journal keeps the first.
 */
export class PbxEventFactory {
  constructor(readonly source: string) {}

  event(
    kind: PbxEventKind,
    key: string,
    callId: string,
    at: Instant,
    extra: Partial<PbxEvent> = {},
  ): PbxEvent {
    return { source: this.source, key, kind, callId, legId: null, extension: null, at, ...extra };
  }

  callStart(callId: string, at: Instant, extra: Partial<PbxEvent>): PbxEvent {
    return this.event("call-start", `${callId}:start`, callId, at, extra);
  }

  leg(
    kind: "ringing" | "answered" | "leg-ended",
    leg: LegRef,
    at: Instant,
    extra: Partial<PbxEvent> = {},
  ): PbxEvent {
    const suffix = kind === "leg-ended" ? "ended" : kind;
    return this.event(kind, `${leg.legId}:${suffix}`, leg.callId, at, {
      legId: leg.legId,
      extension: leg.extension,
      ...extra,
    });
  }

  /** `from` handed its call on: one transfer per transferring leg. */
  transfer(from: LegRef, at: Instant, transfer: TransferInfo): PbxEvent {
    return this.event("transfer", `${from.callId}:transfer:${from.legId}`, from.callId, at, {
      legId: from.legId,
      extension: from.extension,
      transfer,
    });
  }

  callEnd(callId: string, at: Instant, extra: Partial<PbxEvent> = {}): PbxEvent {
    return this.event("call-end", `${callId}:end`, callId, at, extra);
  }
}
