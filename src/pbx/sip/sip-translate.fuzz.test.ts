import { expect, test } from "bun:test";
import fc from "fast-check";
import { CallAssembler } from "../../domain/call/call-assembler.ts";
import type { PbxEvent } from "../../domain/call/pbx-event.ts";
import { DIALOG_STATES, type Dialog, type DialogState } from "./dialog-info.ts";
import { SipTranslator } from "./sip-translate.ts";

const EXTS = ["101", "102", "103"];
const PARTIES = ["101", "102", "103", "+74950000001", "+74950000002"];

/** One dialog's life on one extension: its states in order, some skipped, as a server reports them. */
const life = fc.record({
  ext: fc.constantFrom(...EXTS),
  call: fc.constantFrom("a", "b", "c", "d"),
  remote: fc.constantFrom(...PARTIES),
  direction: fc.constantFrom("initiator" as const, "recipient" as const),
  states: fc.subarray([...DIALOG_STATES], { minLength: 1 }),
});

/** NOTIFYs: each life's states interleaved with the others', with repeats and reorders mixed in. */
const notifies = fc
  .tuple(
    fc.array(life, { minLength: 1, maxLength: 6 }),
    fc.array(fc.nat(), { maxLength: 60 }),
    fc.array(fc.nat(), { maxLength: 8 }),
  )
  .map(([lives, picks, noise]) => {
    const queues = lives.map((l) => l.states.map((state) => ({ ...l, state })));
    const out: {
      ext: string;
      call: string;
      remote: string;
      direction: "initiator" | "recipient";
      state: DialogState;
    }[] = [];
    for (const pick of picks) {
      const queue = queues[pick % queues.length];
      const next = queue?.shift();
      if (next !== undefined) out.push(next);
    }
    for (const queue of queues) out.push(...queue);
    for (const n of noise) {
      const old = out[n % out.length];
      if (old !== undefined) out.splice((n * 7) % (out.length + 1), 0, old);
    }
    return out;
  });

test("property: any interleaving, repeat or reorder of dialog states: events the assembler takes, keys that never change meaning; a full resync ends every call once and holds nothing", () => {
  fc.assert(
    fc.property(notifies, (steps) => {
      const translator = new SipTranslator({ source: "sip:fuzz", extensions: EXTS });
      const assembler = new CallAssembler();
      const byKey = new Map<string, string>();
      const ends = new Map<string, number>();
      const transfers: PbxEvent[] = [];
      let at = 0;
      for (const s of steps) {
        const dialog: Dialog = {
          id: `${s.ext}-${s.call}`,
          callId: s.call,
          localTag: null,
          remoteTag: null,
          direction: s.direction,
          state: s.state,
          stateEvent: null,
          local: null,
          remote: { identity: `sip:${s.remote === s.ext ? "999" : s.remote}@x`, display: null, target: null },
        };
        const events: PbxEvent[] = translator.notify(
          s.ext,
          { version: null, state: "partial", entity: null, dialogs: [dialog] },
          ++at,
        );
        for (const e of events) {
          const meaning = `${e.kind} ${e.callId} ${e.legId}`;
          expect(byKey.get(e.key) ?? meaning).toBe(meaning);
          if (byKey.has(e.key)) continue;
          byKey.set(e.key, meaning);
          if (e.kind === "call-end") ends.set(e.callId, (ends.get(e.callId) ?? 0) + 1);
          if (e.kind === "transfer") transfers.push(e);
          const update = assembler.apply(e);
          expect(update.rejected?.code ?? null).toBeNull();
        }
      }
      // Every extension's full state, empty now: every call started ends, once, and nothing is held.
      for (const ext of EXTS) {
        for (const e of translator.notify(
          ext,
          { version: null, state: "full", entity: null, dialogs: [] },
          ++at,
        )) {
          expect(byKey.has(e.key)).toBe(false);
          byKey.set(e.key, e.kind);
          if (e.kind === "call-end") ends.set(e.callId, (ends.get(e.callId) ?? 0) + 1);
          expect(assembler.apply(e).rejected?.code ?? null).toBeNull();
        }
      }
      // A consultation joined into its main call by an attended transfer never ends on its own.
      const absorbed = new Set(transfers.flatMap((t) => t.transfer?.consultCallId ?? []));
      const started = [...byKey.entries()]
        .filter(([key]) => key.endsWith(":start"))
        .map(([key]) => key.slice(0, -6))
        .filter((id) => !absorbed.has(id));
      expect([...ends.keys()].sort()).toEqual([...new Set(started)].sort());
      for (const count of ends.values()) expect(count).toBe(1);
      expect(assembler.live()).toEqual([]);
      expect(translator.liveCalls()).toEqual([]);
      expect(translator.stats().trackedLegs).toBe(0);
    }),
    { numRuns: 1000 },
  );
});
