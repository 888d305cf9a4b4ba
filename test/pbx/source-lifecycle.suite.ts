// The PbxEventSource contract (src/domain/call/pbx-event.ts), one test per line of it, run against
// every source through a harness that puts a PBX at the wire (STYLE 5, after MQTT.js's abstract_store).
import { afterEach, describe, expect, test } from "bun:test";
import type { PbxEvent, PbxEventKind, PbxEventSource } from "../../src/domain/call/pbx-event.ts";
import type { BackoffOptions } from "../../src/lib/backoff.ts";
import { createLogger, type Logger } from "../../src/log/logger.ts";
import { waitUntil } from "../support/ami-peer.ts";

/** Where a call stands at the PBX: a client calls extension 101; it rings, is answered, ends. */
export type CallStep = "ringing" | "answered" | "ended";

export interface LifecycleSourceOptions {
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  /** The calls of a source the box holds live (the journal's view), for its resync. */
  readonly liveCalls: (source: string) => readonly string[];
  /** At debug level: every line the source writes. */
  readonly log: Logger;
}

/** A PBX at the wire and one source linked to it. */
export interface LifecyclePbx {
  /** Not started: the suite starts it with its sink. */
  readonly source: PbxEventSource;
  /** The secret the source was given (AMI secret, SIP digest password). */
  readonly secret: string;
  /** Whether the wire acknowledges a report at all (SIP answers each NOTIFY; AMI has no such thing). */
  readonly acknowledges: boolean;
  /** The source's callId for the suite's call `name`. */
  callId(name: string): string;
  /** The PBX moves call `name` on; a linked source is told at once, one that is not learns nothing. */
  step(name: string, step: CallStep): void;
  /** How the source answered the reports answered so far, in order (never any on AMI). */
  acks(): readonly ("ok" | "refused")[];
  /** A round trip on the link: whatever the source sent before it has reached the PBX. */
  roundTrip(): Promise<void>;
  /** Links the PBX accepted so far. */
  links(): number;
  /** Links open now, as the PBX sees them. */
  open(): number;
  /** When each link attempt reached the PBX while it was offline (performance.now()). */
  refused(): readonly number[];
  /** Resolves once the source linked anew (since start or the last `synced`) and the PBX showed it its state. */
  synced(): Promise<void>;
  /** The PBX goes down: links cut, and every new one refused until `online`. */
  offline(): Promise<void>;
  online(): Promise<void>;
  close(): Promise<void>;
}

export interface LifecycleHarness {
  /** An online PBX with no calls, and a source for it. */
  make(options: LifecycleSourceOptions): Promise<LifecyclePbx>;
}

/** What the source hands over; a delivery may be stored (the journal, deduplicated by key), refused or held. */
class Sink {
  /** Every batch handed over, in the order `deliver` was called. */
  readonly batches: (readonly PbxEvent[])[] = [];
  /** The journal: the first event of each key, in the order they were stored. */
  readonly stored: PbxEvent[] = [];
  /** Batches refused so far. */
  readonly refusedBatches: (readonly PbxEvent[])[] = [];
  /** Decides each batch's fate; by default it is stored. */
  fate: (batch: readonly PbxEvent[]) => "store" | "refuse" | "hold" = () => "store";
  private readonly held: (() => void)[] = [];

  readonly deliver = (batch: readonly PbxEvent[]): Promise<void> => {
    this.batches.push(batch);
    const fate = this.fate(batch);
    if (fate === "refuse") {
      this.refusedBatches.push(batch);
      return Promise.reject(new Error("SQLITE_FULL: database or disk is full"));
    }
    const store = () => {
      for (const event of batch) if (!this.stored.some((e) => e.key === event.key)) this.stored.push(event);
    };
    if (fate === "store") {
      store();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.held.push(() => {
        store();
        resolve();
      }),
    );
  };

  /** Calls started and not ended in the journal. */
  readonly liveCalls = (): string[] => {
    const ended = new Set(this.stored.filter((e) => e.kind === "call-end").map((e) => e.callId));
    return this.stored.filter((e) => e.kind === "call-start" && !ended.has(e.callId)).map((e) => e.callId);
  };

  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  storedOf = (callId: string): PbxEvent[] => this.stored.filter((e) => e.callId === callId);
  has = (callId: string, kind: PbxEventKind): boolean =>
    this.stored.some((e) => e.callId === callId && e.kind === kind);
  /** Everything handed over about `callId`, duplicates included, in hand-over order. */
  handedOver = (callId: string): PbxEvent[] => this.batches.flat().filter((e) => e.callId === callId);
}

const kinds = (events: readonly PbxEvent[]) => events.map((e) => e.kind);
/** A fact: what happened to which leg of which call; its key must be the same every time. */
const factOf = (e: PbxEvent) => `${e.callId} ${e.kind} ${e.legId ?? "-"}`;
const A_CALL: PbxEventKind[] = ["call-start", "ringing", "answered", "leg-ended", "call-end"];

/** One test per line of PbxEventSource's ALWAYS and NEVER, against `harness`'s source. */
export function runPbxSourceLifecycleSuite(name: string, harness: LifecycleHarness): void {
  describe(`PbxEventSource contract: ${name}`, () => {
    const made: LifecyclePbx[] = [];
    let lines: string[] = [];
    afterEach(async () => {
      for (const pbx of made.splice(0)) {
        await pbx.source.stop();
        await pbx.close();
      }
      lines = [];
    });

    async function make(
      sink: Sink,
      more: { backoff?: BackoffOptions; random?: () => number } = {},
    ): Promise<LifecyclePbx> {
      const pbx = await harness.make({
        backoff: more.backoff ?? { baseMs: 20, capMs: 100 },
        random: more.random ?? (() => 0.5),
        liveCalls: sink.liveCalls,
        log: createLogger({ level: "debug", write: (line) => void lines.push(line) }),
      });
      made.push(pbx);
      return pbx;
    }

    async function linked(sink = new Sink()) {
      const pbx = await make(sink);
      pbx.source.start(sink.deliver);
      await pbx.synced();
      return { pbx, sink };
    }

    test("ALWAYS delivers every fact at least once: after a reconnect it resyncs and reports what it may have missed, with the same key for a fact already reported", async () => {
      const { pbx, sink } = await linked();
      const call = pbx.callId("a");
      pbx.step("a", "ringing");
      await waitUntil(() => sink.has(call, "ringing"), 5_000, "the ringing");
      await pbx.offline();
      pbx.step("a", "answered"); // while the link is down: the source cannot hear it
      await pbx.online();
      await pbx.synced();
      await waitUntil(
        () => sink.has(call, "answered"),
        10_000,
        "the answer missed while down, from the resync",
      );
      pbx.step("a", "ended");
      await waitUntil(() => sink.has(call, "call-end"), 5_000, "the end");
      expect(kinds(sink.storedOf(call))).toEqual(A_CALL);
      const keys = new Map<string, Set<string>>();
      for (const event of sink.batches.flat()) {
        keys.set(factOf(event), (keys.get(factOf(event)) ?? new Set()).add(event.key));
      }
      expect([...keys].filter(([, k]) => k.size > 1)).toEqual([]);
    });

    test("ALWAYS delivers the events of one call in the order the PBX produced them", async () => {
      const sink = new Sink();
      // Slow commits: the source must not wait for one to hand over the next, nor reorder them.
      sink.fate = () => "hold";
      const { pbx } = await linked(sink);
      const committer = setInterval(() => sink.release(), 1);
      try {
        const call = pbx.callId("b");
        for (const step of ["ringing", "answered", "ended"] as const) pbx.step("b", step);
        await waitUntil(() => sink.has(call, "call-end"), 5_000, "the end");
        const firsts = [...new Map(sink.handedOver(call).map((e) => [e.key, e])).values()];
        expect(kinds(firsts)).toEqual(A_CALL);
      } finally {
        clearInterval(committer);
      }

      // A delivery that fails does not let what follows it go first: the journal keeps the PBX's order.
      const next = pbx.callId("b2");
      let failures = 1;
      sink.fate = (batch) => (batch.some((e) => e.callId === next) && failures-- > 0 ? "refuse" : "store");
      pbx.step("b2", "ringing");
      await waitUntil(() => sink.refusedBatches.length === 1, 5_000, "the delivery that fails");
      pbx.step("b2", "answered");
      await pbx.synced();
      await waitUntil(() => sink.has(next, "answered"), 20_000, "the answer");
      // What the resync can no longer see (a ring before the answer) may be gone; the order may not.
      const stored = kinds(sink.storedOf(next));
      expect(stored[0]).toBe("call-start");
      expect(stored).toEqual(A_CALL.filter((kind) => stored.includes(kind)));
    }, 30_000);

    test("ALWAYS waits for deliver to resolve before it treats events as handled: a delivery that fails is not handled, the source resyncs and the facts come again under the same keys", async () => {
      const { pbx, sink } = await linked();
      const call = pbx.callId("c");
      let failures = 1;
      sink.fate = (batch) => (batch.some((e) => e.callId === call) && failures-- > 0 ? "refuse" : "store");
      const links = pbx.links();
      const acked = pbx.acks().length;
      pbx.step("c", "ringing");
      await waitUntil(() => sink.refusedBatches.length === 1, 5_000, "the delivery that fails");
      await pbx.synced();
      const refusedKeys = (sink.refusedBatches[0] ?? []).map((e) => e.key);
      expect(refusedKeys.length).toBeGreaterThan(0);
      const lost = () => refusedKeys.filter((key) => !sink.stored.some((e) => e.key === key));
      await waitUntil(() => lost().length === 0, 20_000, `the refused facts (${refusedKeys}) again`);
      expect(pbx.links()).toBeGreaterThan(links);
      if (pbx.acknowledges) expect(pbx.acks()[acked]).toBe("refused");
    }, 30_000);

    test("NEVER acknowledges an event before it is durable", async () => {
      const sink = new Sink();
      const { pbx } = await linked(sink);
      const call = pbx.callId("d");
      sink.fate = () => "hold";
      const acked = pbx.acks().length;
      pbx.step("d", "ringing");
      await waitUntil(() => sink.batches.flat().some((e) => e.callId === call), 5_000, "the hand-over");
      await pbx.roundTrip();
      expect(pbx.acks().slice(acked)).toEqual([]);
      sink.release();
      if (pbx.acknowledges) {
        await waitUntil(() => pbx.acks().length > acked, 5_000, "the acknowledgement once durable");
        expect(pbx.acks().slice(acked)).toEqual(["ok"]);
      }
    });

    test("ALWAYS reconnects by itself, with exponential backoff and jitter", async () => {
      // Largest delays (random = 1): each gap is at least its ceiling, base × 2^n up to the cap.
      let draws = 0;
      const slow = await make(new Sink(), {
        backoff: { baseMs: 20, capMs: 80 },
        random: () => {
          draws++;
          return 1;
        },
      });
      await slow.offline();
      const sink = new Sink();
      slow.source.start(sink.deliver);
      await waitUntil(() => slow.refused().length >= 6, 10_000, "six refused attempts");
      expect(slow.source.status().state).toBe("backing-off");
      const at = slow.refused();
      const gaps = at.slice(1, 6).map((t, i) => t - (at[i] ?? 0));
      // A timer never fires early; 2 ms for the clocks' rounding.
      expect(gaps.map((gap, i) => gap >= Math.min(80, 20 * 2 ** i) - 2)).toEqual([
        true,
        true,
        true,
        true,
        true,
      ]);
      expect(draws).toBeGreaterThanOrEqual(5);
      await slow.online();
      await slow.synced();
      await waitUntil(() => slow.source.status().state === "connected", 5_000, "connected again");

      // Jitter: the delay is drawn, not the ceiling. With random = 0 and a 4 s ceiling, the
      // attempts come back to back; a source that waited its ceiling would need 4 s per gap.
      const drawn = await make(new Sink(), { backoff: { baseMs: 4_000, capMs: 4_000 }, random: () => 0 });
      await drawn.offline();
      drawn.source.start(new Sink().deliver);
      await waitUntil(() => drawn.refused().length >= 3, 10_000, "three refused attempts");
      const times = drawn.refused();
      expect(times.slice(1, 3).map((t, i) => t - (times[i] ?? 0) < 3_000)).toEqual([true, true]);
    }, 30_000);

    test("ALWAYS reconnects until stopped: stop() ends the link; no link, attempt or event follows", async () => {
      const { pbx, sink } = await linked();
      await pbx.source.stop();
      expect(pbx.source.status().state).toBe("stopped");
      await waitUntil(() => pbx.open() === 0, 5_000, "the link closed");
      const links = pbx.links();
      const handed = sink.batches.length;
      pbx.step("e", "ringing");

      // Stopped while backing off: the retry is cancelled.
      const away = await make(new Sink(), { backoff: { baseMs: 20, capMs: 20 }, random: () => 1 });
      await away.offline();
      away.source.start(new Sink().deliver);
      await waitUntil(() => away.refused().length >= 2, 5_000, "retries while the PBX is down");
      await away.source.stop();
      expect(away.source.status().state).toBe("stopped");
      const refused = away.refused().length;

      // An absence has no event to wait for: a control source with the same backoff retries
      // meanwhile; once it has retried five times, the stopped ones would have too.
      const control = await make(new Sink(), { backoff: { baseMs: 20, capMs: 20 }, random: () => 1 });
      await control.offline();
      control.source.start(new Sink().deliver);
      await waitUntil(() => control.refused().length >= 5, 5_000, "the control's retries");
      expect(away.refused().length).toBe(refused);
      expect(pbx.links()).toBe(links);
      expect(sink.batches.length).toBe(handed);
      expect(pbx.source.status().state).toBe("stopped");
    });

    test("NEVER invents a fact: a call that ended while the link was down ends with the resync's view of it", async () => {
      const { pbx, sink } = await linked();
      const call = pbx.callId("f");
      const unseen = pbx.callId("g");
      pbx.step("f", "ringing");
      await waitUntil(() => sink.has(call, "ringing"), 5_000, "the ringing");
      await pbx.offline();
      const handed = sink.batches.length;
      // While the link is down: f is answered and hung up, g comes and goes.
      pbx.step("f", "answered");
      pbx.step("f", "ended");
      pbx.step("g", "ringing");
      pbx.step("g", "ended");
      const back = Date.now();
      await pbx.online();
      await pbx.synced();
      await waitUntil(() => sink.has(call, "call-end"), 10_000, "f's end, from the resync");
      const after = sink.batches.slice(handed).flat();
      const ofCall = [...new Map(after.filter((e) => e.callId === call).map((e) => [e.key, e])).values()];
      expect(kinds(ofCall)).toEqual(["leg-ended", "call-end"]);
      expect(ofCall.filter((e) => e.at < back)).toEqual([]);
      expect(sink.batches.flat().filter((e) => e.callId === unseen)).toEqual([]);
    });

    test("NEVER logs a secret", async () => {
      const { pbx, sink } = await linked();
      const call = pbx.callId("h");
      let failures = 1;
      sink.fate = (batch) => (batch.some((e) => e.callId === call) && failures-- > 0 ? "refuse" : "store");
      pbx.step("h", "ringing");
      await pbx.synced();
      await waitUntil(() => sink.has(call, "ringing"), 20_000, "the ringing, after a failed delivery");
      await pbx.offline();
      await waitUntil(() => pbx.source.status().state === "backing-off", 5_000, "backing off");
      await pbx.online();
      await pbx.synced();
      await pbx.source.stop();
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((line) => line.includes(pbx.secret))).toEqual([]);
    }, 30_000);
  });
}
