// The MangoCommandStore's contract (src/hq/store/mango-command-store-port.ts, issue 17), for every
// adapter: mango-command-store.sqlite.test.ts and .postgres.test.ts run it with their own `make`.
import { afterEach, describe, expect, test } from "bun:test";
import type { Envelope } from "../../src/contract/protocol.ts";
import type { HqStore } from "../../src/hq/store/hq-store-port.ts";
import type { MangoCommandStore } from "../../src/hq/store/mango-command-store-port.ts";
import type { MangoStore } from "../../src/hq/store/mango-store-port.ts";
import { envelope } from "./hq-fixtures.ts";

export interface MangoCommandStoreUnderTest {
  readonly records: HqStore;
  readonly events: MangoStore;
  readonly store: MangoCommandStore;
  /** Another handle on the same storage, as a second consumer process has. */
  another(): Promise<MangoCommandStore>;
  close(): Promise<void>;
}

/** A branch's `replies` envelope: a `pbx.command` of each commandId, from seq `from`. */
function replies(branch: string, from: number, commandIds: readonly string[]): Envelope {
  const e = envelope(branch, "replies", from, from + commandIds.length - 1);
  return {
    ...e,
    records: e.records.map((r, i) => ({
      ...r,
      id: commandIds[i] as string,
      type: "pbx.command",
      data: { commandId: commandIds[i], command: "callback", params: { to: "101" } },
    })),
  };
}

const command = (commandId: string) => ({ commandId, command: "callback" as const, params: { to: "101" } });

export function runMangoCommandStoreSuite(
  name: string,
  make: () => Promise<MangoCommandStoreUnderTest>,
): void {
  describe(`Mango command store, ${name}`, () => {
    const open: MangoCommandStoreUnderTest[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });
    const fresh = async () => {
      const s = await make();
      open.push(s);
      return s;
    };

    test("pending lists the pbx.commands above each branch's cursor; claim and skip move it", async () => {
      const { records, store } = await fresh();
      await records.apply([replies("b1", 1, ["k1", "k2", "k3"]), replies("b2", 1, ["k4"])], () => 1);
      expect((await store.pending(10)).map((p) => [p.branch, p.seq, p.id])).toEqual([
        ["b1", 1, "k1"],
        ["b1", 2, "k2"],
        ["b1", 3, "k3"],
        ["b2", 1, "k4"],
      ]);
      expect(await store.claim({ branch: "b1", seq: 1 }, command("k1"), 10, null)).toBe("claimed");
      await store.skip({ branch: "b1", seq: 2 });
      expect((await store.pending(10)).map((p) => p.id)).toEqual(["k3", "k4"]);
      expect((await store.pending(10))[0]?.data).toEqual({
        commandId: "k3",
        command: "callback",
        params: { to: "101" },
      });
    });

    test("a command is claimed once across consumers, whoever reads it: the others are told 'duplicate'", async () => {
      const s = await fresh();
      const stores = [s.store, await s.another(), await s.another()];
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (stores[i % 3] as MangoCommandStore).claim(
            { branch: "b1", seq: 1 + (i % 4) },
            command(`k${i % 4}`),
            20 + i,
            null,
          ),
        ),
      );
      expect(claims.filter((c) => c === "claimed")).toHaveLength(4);
      expect((await s.store.recent(10)).map((c) => c.commandId).sort()).toEqual(["k0", "k1", "k2", "k3"]);
      expect(await s.store.stale(1000)).toHaveLength(4);
    });

    test("a refusal, an answer and a callback each write one mango.result in the branch's pbx seqs after its events; the first result wins", async () => {
      const { events, store } = await fresh();
      await events.add(
        { id: "mango:call:1", kind: "call", json: '{"call_id":"c1"}', receivedAt: 1, entryId: "e1" },
        "b1",
      );
      const refusal = {
        commandId: "k1",
        command: "callback" as const,
        result: null,
        by: "hq" as const,
        reason: "MANGO.X: no",
        receivedAt: 5,
      };
      await store.claim({ branch: "b1", seq: 1 }, command("k1"), 5, refusal);
      await store.claim({ branch: "b1", seq: 2 }, command("k2"), 6, null);
      await store.sent("k2", 7);
      await store.claim({ branch: "b1", seq: 3 }, command("k3"), 8, null);
      const mango = (commandId: string, result: number, receivedAt: number) => ({
        commandId,
        command: "callback" as const,
        result,
        by: "mango" as const,
        receivedAt,
      });
      expect(await store.answer(mango("k2", 1000, 9))).toBe(true);
      expect(await store.answer(mango("k2", 3100, 10))).toBe(false);
      expect(
        await store.callback({ name: "callback", raw: "{}", commandId: "k3", result: 3100, receivedAt: 11 }),
      ).toEqual({
        kind: "stored",
        branch: "b1",
        commandId: "k3",
      });
      expect(
        await store.callback({ name: "callback", raw: "{}", commandId: "k3", result: 1000, receivedAt: 12 }),
      ).toEqual({
        kind: "late",
        branch: "b1",
        commandId: "k3",
      });
      const unknown = await store.callback({
        name: "callback",
        raw: '{"x":1}',
        commandId: "zz",
        result: 1000,
        receivedAt: 13,
      });
      expect(unknown).toMatchObject({ kind: "unknown", duplicate: false });
      expect(
        await store.callback({
          name: "callback",
          raw: '{"x":1}',
          commandId: "zz",
          result: 1000,
          receivedAt: 14,
        }),
      ).toMatchObject({ kind: "unknown", duplicate: true });
      expect((await events.unpublished(100)).map((e) => [e.seq, e.id])).toEqual([
        [1, "mango:call:1"],
        [2, "mango:result:k1"],
        [3, "mango:result:k2"],
        [4, "mango:result:k3"],
      ]);
      expect((await events.unrouted(10)).map((e) => e.id)).toEqual([(unknown as { id: string }).id]);
      expect(await store.outcomes()).toEqual({ refused: 1, done: 1, failed: 1 });
      expect((await store.recent(10)).map((c) => [c.commandId, c.state, c.result, c.by, c.reason])).toEqual([
        ["k3", "done", 3100, "mango", null],
        ["k2", "done", 1000, "mango", null],
        ["k1", "done", null, "hq", "MANGO.X: no"],
      ]);
      expect(await store.stale(1000)).toEqual([]);
    });

    test("leg: a call_id's branch and every party its call events named; null for one never seen", async () => {
      const { events, store } = await fresh();
      const leg = (n: number, json: unknown, branch: string | null) =>
        events.add(
          { id: `mango:call:${n}`, kind: "call", json: JSON.stringify(json), receivedAt: n, entryId: "e" },
          branch,
        );
      await leg(1, { call_id: "c1", from: { number: "74950000001" }, to: { extension: "101" } }, "b1");
      await leg(2, { call_id: "c1", to: { extension: 102, number: "" } }, null);
      await leg(3, { call_id: "c2", to: { extension: "201" } }, "b2");
      const c1 = await store.leg("c1");
      expect(c1?.branch).toBe("b1");
      expect([...(c1?.parties ?? [])].sort()).toEqual(["101", "102", "74950000001"]);
      expect(await store.leg("c9")).toBeNull();
    });
  });
}
