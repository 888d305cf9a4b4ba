import { attribute } from "../../src/domain/attribution/attribute.ts";
import { liveCard } from "../../src/domain/attribution/live-card.ts";
import { CallAssembler } from "../../src/domain/call/call-assembler.ts";
import type { AssembledCall, CallRecord } from "../../src/domain/call/call-types.ts";
import type { CallCard } from "../../src/service/calls-port.ts";
import { fakeCalls } from "../support/fake-calls.ts";
import { ROSTER, runCallsPortSuite, SETTINGS } from "./calls-port.suite.ts";

/** The cards of these calls, as the pipeline shows them: none for a call nobody may see (R1.4). */
function cardsOf(calls: readonly AssembledCall[]): CallCard[] {
  return calls.flatMap((call) => {
    const card = liveCard(call, ROSTER, SETTINGS);
    if (card.targets !== "everyone" && card.targets.length === 0) return [];
    return [
      {
        callId: card.callId,
        state: card.state,
        direction: card.direction,
        number: card.clientNumber,
        clientName: null,
        did: card.did,
        extension: card.extension,
        ownerEmployeeId: card.ownerEmployeeId,
        audience: card.targets,
        since: card.since,
      },
    ];
  });
}

// The fake the HTTP tests use, given at each commit what the domain's assembler and attribution
// make of the events (what the pipeline would have): its own list, live, cards and subscribers are
// what the suite checks.
runCallsPortSuite("the fake (test/support/fake-calls.ts)", async () => {
  const calls = fakeCalls();
  const assembler = new CallAssembler();
  const journal = new Set<string>();
  let records: CallRecord[] = [];
  const missed: AssembledCall[] = [];
  return {
    port: calls,
    async commit(events) {
      const changed = new Map<string, AssembledCall>();
      const recorded: CallRecord[] = [];
      for (const event of events) {
        if (journal.has(event.key)) continue;
        journal.add(event.key);
        const update = assembler.apply(event);
        for (const call of update.changed) changed.set(call.id, call);
        for (const call of update.finished) {
          recorded.push(...attribute(call, ROSTER, SETTINGS));
          if (call.outcome !== "answered") missed.push(call);
        }
      }
      const written = new Set(recorded.map((r) => r.id));
      records = [...records.filter((r) => !written.has(r.id)), ...recorded];
      const live = assembler.live();
      calls.commit({
        records,
        live,
        cards: cardsOf([...live, ...missed]),
        changed: [...changed.values()],
        recorded,
      });
    },
    close() {},
  };
});
