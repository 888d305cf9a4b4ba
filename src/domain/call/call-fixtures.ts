import { at } from "../roster/roster-fixtures.ts";
import type { Instant } from "../roster/types.ts";
import { type AssemblerUpdate, CallAssembler } from "./call-assembler.ts";
import type { LegEndCause, PbxEvent, PbxEventKind } from "./pbx-event.ts";

/**
 * Test fixtures for calls: instants on the roster fixtures' fixed day, and a script per call that
 * writes the events a source would deliver. Pure, like the rest of the domain.
 */

export const CLIENT = "+79161234567";
export const DID = "+74951112233";

/** `sec(5)` is 10:00:05 on the fixed test day; `sec(5, at("14:00"))` is 14:00:05. */
export const sec = (seconds: number, from: Instant = at("10:00")): Instant => from + seconds * 1000;

/** The events of one call, keyed like a source keys them: by what the fact is. */
export class CallScript {
  constructor(
    readonly callId: string,
    readonly source = "test:pbx",
  ) {}

  event(kind: PbxEventKind, t: Instant, fields: Partial<PbxEvent> = {}): PbxEvent {
    const legId = fields.legId ?? null;
    const key = `${this.callId}:${legId ?? "-"}:${kind}:${t}`;
    return { source: this.source, key, kind, callId: this.callId, legId, extension: null, at: t, ...fields };
  }

  inbound(t: Instant, from = CLIENT, did = DID): PbxEvent {
    return this.event("call-start", t, {
      from: { number: from, extension: null },
      to: { number: did, extension: null },
      did,
    });
  }

  /** An extension places a call to a number outside (outbound) or to another extension (internal). */
  placed(
    t: Instant,
    legId: string,
    extension: string,
    to: { number?: string; extension?: string },
  ): PbxEvent {
    return this.event("call-start", t, {
      legId,
      extension,
      from: { number: null, extension },
      to: { number: to.number ?? null, extension: to.extension ?? null },
      did: null,
    });
  }

  queued = (t: Instant) => this.event("queued", t);
  ring = (legId: string, extension: string, t: Instant) => this.event("ringing", t, { legId, extension });
  answer = (legId: string, extension: string, t: Instant) => this.event("answered", t, { legId, extension });
  end = (legId: string, extension: string, cause: LegEndCause, t: Instant) =>
    this.event("leg-ended", t, { legId, extension, cause });
  voicemail = (t: Instant, leftMessage: boolean, extension: string | null = null) =>
    this.event("voicemail", t, { extension, leftMessage });
  blind = (fromLegId: string, toExtension: string, t: Instant) =>
    this.event("transfer", t, {
      transfer: { kind: "blind", fromLegId, toExtension, consultCallId: null, toLegId: null },
    });
  attended = (fromLegId: string, consultCallId: string, toLegId: string, t: Instant) =>
    this.event("transfer", t, {
      transfer: { kind: "attended", fromLegId, toExtension: null, consultCallId, toLegId },
    });
  hangup = (t: Instant) => this.event("call-end", t);
}

/** Feeds `events` in order into `assembler` (a fresh one by default) and keeps every update. */
export function feed(events: readonly PbxEvent[], assembler = new CallAssembler()) {
  const updates: AssemblerUpdate[] = events.map((event) => assembler.apply(event));
  const finished = updates.flatMap((u) => u.finished);
  const rejected = updates.flatMap((u) => (u.rejected === null ? [] : [u.rejected.code]));
  return { assembler, updates, finished, rejected };
}
