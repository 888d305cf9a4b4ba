import type { AssembledCall, AttributedLeg, CallRecord } from "../../src/domain/call/call-types.ts";
import type { CallCard, CallsPort } from "../../src/service/calls-port.ts";
import type { CallIntents } from "../../src/store/call-intents-store.ts";
import type { CallQuery } from "../../src/store/call-store.ts";

/**
 * A CallsPort holding the cards, records and live calls a test puts in it. `list` filters like the
 * call store (started in [since, until), owner or any leg's employee, outcome, newest first, limit);
 * changing the cards calls every subscriber, as a commit of the real pipeline does. The suite in
 * test/service/calls-port.suite.ts runs against it and against the pipeline.
 */
export interface FakeCalls extends CallsPort {
  setCards(cards: readonly CallCard[]): void;
  setRecords(records: readonly CallRecord[]): void;
  /** What `intentsOf` answers for a call. */
  setIntents(callId: string, sent: CallIntents): void;
  /**
   * A commit: replaces what it gives (the cards, the records, the live calls), then calls every
   * subscriber once with the live calls it changed and the records it wrote.
   */
  commit(update: {
    readonly cards?: readonly CallCard[];
    readonly records?: readonly CallRecord[];
    readonly live?: readonly AssembledCall[];
    readonly changed?: readonly AssembledCall[];
    readonly recorded?: readonly CallRecord[];
  }): void;
  /** Subscribers now. */
  readonly subscribers: number;
  readonly queries: readonly CallQuery[];
}

export function fakeCalls(
  init: { cards?: readonly CallCard[]; records?: readonly CallRecord[] } = {},
): FakeCalls {
  let cards = [...(init.cards ?? [])];
  let records = [...(init.records ?? [])];
  let live: AssembledCall[] = [];
  const listeners = new Set<(changed: readonly AssembledCall[], recorded: readonly CallRecord[]) => void>();
  const queries: CallQuery[] = [];
  const intents = new Map<string, CallIntents>();
  const commit: FakeCalls["commit"] = (update) => {
    if (update.cards !== undefined) cards = [...update.cards];
    if (update.records !== undefined) records = [...update.records];
    if (update.live !== undefined) live = [...update.live];
    for (const listener of listeners) listener(update.changed ?? [], update.recorded ?? []);
  };
  return {
    get: (id) => records.find((r) => r.id === id) ?? null,
    intentsOf: (callId) => intents.get(callId) ?? null,
    setIntents: (callId, sent) => {
      intents.set(callId, sent);
    },
    list(query) {
      queries.push(query);
      // Ties by id byte by byte, as SQLite's BINARY collation sorts them (not by locale).
      return records
        .filter((r) => query.since === undefined || r.startedAt >= query.since)
        .filter((r) => query.until === undefined || r.startedAt < query.until)
        .filter(
          (r) =>
            query.employeeId === undefined ||
            r.owner.employeeId === query.employeeId ||
            r.legs.some((l) => l.employeeId === query.employeeId),
        )
        .filter((r) => query.outcome === undefined || r.outcome === query.outcome)
        .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, query.limit);
    },
    live: () => live,
    cards: () => cards,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setCards: (next) => commit({ cards: next }),
    commit,
    setRecords(next) {
      records = [...next];
    },
    get subscribers() {
      return listeners.size;
    },
    queries,
  };
}

/** A card with readable defaults: a caller from Moscow waiting in the queue since `since`. */
export function card(callId: string, fields: Partial<CallCard> = {}): CallCard {
  return {
    callId,
    state: "waiting",
    direction: "inbound",
    number: "+79991234567",
    clientName: null,
    did: "+74951234567",
    extension: null,
    ownerEmployeeId: null,
    audience: "everyone",
    since: Date.parse("2026-11-21T08:59:18+03:00"),
    ...fields,
  };
}

/** A finished leg on `extension`, answered and completed unless `fields` say otherwise. */
export function leg(id: string, extension: string, fields: Partial<AttributedLeg> = {}): AttributedLeg {
  return {
    id,
    extension,
    state: "ended",
    ending: "completed",
    ringingAt: null,
    answeredAt: null,
    endedAt: null,
    endCause: null,
    transferredFrom: null,
    placedCall: false,
    employeeId: null,
    rule: "unmapped",
    reason: "",
    decidedAt: null,
    ...fields,
  };
}

/** A finished inbound call answered on 101 by anna at `startedIso`, two minutes long. */
export function record(id: string, startedIso: string, fields: Partial<CallRecord> = {}): CallRecord {
  const startedAt = Date.parse(startedIso);
  return {
    id,
    source: "fake",
    direction: "inbound",
    from: { number: "+79991234567", extension: null },
    to: { number: "+74951234567", extension: "101" },
    did: "+74951234567",
    startedAt,
    answeredAt: startedAt + 10_000,
    endedAt: startedAt + 130_000,
    outcome: "answered",
    legs: [leg(`${id}-1`, "101", { employeeId: "anna", rule: "desk-checkin", reason: "anna holds 101" })],
    owner: { employeeId: "anna", rule: "desk-checkin", reason: "anna holds 101" },
    pops: [{ employeeId: "anna", reason: "answered", rule: "R3.1" }],
    recordingUrl: null,
    partOf: null,
    recovered: null,
    ...fields,
  };
}
