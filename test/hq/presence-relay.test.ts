// Issue 18, R0.3d at headquarters: the branches' committed roster facts in, `staff.elsewhere`
// records out on each other branch's `presence` down stream (which branches get it), on a real
// hq.db shared by two consumers.
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { type Envelope, envelopeSchema } from "../../src/contract/protocol.ts";
import type { DownRelay } from "../../src/hq/down-relay.ts";
import { startPresenceRelay } from "../../src/hq/presence-relay.ts";
import type { HqStore } from "../../src/hq/store/hq-store-port.ts";
import { openHqDatabase, sqliteHqStore, sqlitePresenceStore } from "../../src/hq/store/sqlite/index.ts";
import { eventually } from "../support/sync-system.ts";
import { capturingLogger, tempDir } from "./hq-fixtures.ts";

const t = (hhmm: string) => Date.parse(`2026-11-21T${hhmm}:00+03:00`);
type Fact = {
  kind: "check-in" | "check-out" | "handover" | "closed-elsewhere";
  employeeId: string;
  at: number;
};

/** A branch's roster envelope of `facts`, numbered from `seqFrom`, as its relay sends it. */
function roster(branch: string, seqFrom: number, facts: readonly Fact[]): Envelope {
  return {
    v: 1,
    branch,
    epoch: 1,
    stream: "roster",
    seqFrom,
    seqTo: seqFrom + facts.length - 1,
    historical: false,
    records: facts.map((f, i) => ({
      id: `fact-${seqFrom + i}`,
      seq: seqFrom + i,
      ts: f.at,
      type: "roster.fact",
      data: {
        seq: seqFrom + i,
        kind: f.kind,
        employeeId: f.employeeId,
        deskId: f.kind === "check-in" || f.kind === "handover" ? "front" : null,
        at: f.at,
        recordedAt: f.at,
        source: f.kind === "closed-elsewhere" ? "hq" : "kiosk",
        actorId: null,
      },
    })),
  };
}

interface Rig {
  readonly store: HqStore;
  /** Every staff.elsewhere published, per receiving branch, as [seq, employeeId, branch seen, at]. */
  readonly sent: Map<string, [number, string, string, number][]>;
  relay(): DownRelay;
  close(): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
});

function rig(options: { failPublish?: () => boolean } = {}): Rig {
  const dir = tempDir("hq-presence");
  const db = openHqDatabase(dir);
  const store = sqliteHqStore(db, { forward: false });
  const sent = new Map<string, [number, string, string, number][]>();
  const relays: DownRelay[] = [];
  const relay = () => {
    // Each consumer has its own connection to the same file.
    const own = openHqDatabase(dir);
    const r = startPresenceRelay({
      records: sqliteHqStore(own, { forward: false }),
      store: sqlitePresenceStore(own),
      log: capturingLogger().log,
      epoch: 1,
      retryMs: 20,
      publish: async (topic, payload) => {
        if (options.failPublish?.()) throw new Error("broker out of reach");
        const envelope = envelopeSchema.parse(JSON.parse(payload));
        expect(topic).toBe(`branchbox/v1/${envelope.branch}/down/presence`);
        const list = sent.get(envelope.branch) ?? [];
        for (const r of envelope.records) {
          const d = r.data as { employeeId: string; branch: string; at: number };
          expect(r.type).toBe("staff.elsewhere");
          expect(r.id).toBe(`elsewhere:${d.branch}:${d.employeeId}:${d.at}`);
          list.push([r.seq, d.employeeId, d.branch, d.at]);
        }
        sent.set(envelope.branch, list);
      },
    });
    relays.push(r);
    return r;
  };
  const r: Rig = {
    store,
    sent,
    relay,
    async close() {
      for (const x of relays) await x.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  rigs.push(r);
  return r;
}

const settle = async (relay: DownRelay, rigUnderTest: Rig, expected: number) => {
  const count = () => [...rigUnderTest.sent.values()].reduce((n, l) => n + l.length, 0);
  await eventually(`${expected} staff.elsewhere published`, () => count() >= expected, 5_000);
  // One more full round: nothing else comes.
  relay.kick();
  await relay.stop();
  expect(count()).toBe(expected);
};

describe("R0.3d headquarters relays a check-in to the employee's other branches", () => {
  test("R0.3d: carla opens b1 at 08:00, checks in at b2 at 10:00: b1 hears of it with b2's instant; b2 and b3 hear nothing", async () => {
    const h = rig();
    await h.store.apply(
      [roster("b1", 1, [{ kind: "check-in", employeeId: "carla", at: t("08:00") }])],
      () => 1,
    );
    await h.store.apply(
      [roster("b3", 1, [{ kind: "check-in", employeeId: "zoe", at: t("08:30") }])],
      () => 2,
    );
    await h.store.apply(
      [roster("b2", 1, [{ kind: "check-in", employeeId: "carla", at: t("10:00") }])],
      () => 3,
    );
    await settle(h.relay(), h, 1);
    expect(Object.fromEntries(h.sent)).toEqual({ b1: [[1, "carla", "b2", t("10:00")]] });
  });

  test("R0.3d: b1 was offline; its backlog (the 08:00 check-in) arrives after b2's 10:00 check-in: b1 still gets b2's instant", async () => {
    const h = rig();
    await h.store.apply(
      [roster("b2", 1, [{ kind: "check-in", employeeId: "carla", at: t("10:00") }])],
      () => 1,
    );
    // HQ reads b2's fact (a first round) before b1's backlog comes in.
    await h.relay().stop();
    await h.store.apply(
      [
        roster("b1", 1, [
          { kind: "check-in", employeeId: "carla", at: t("08:00") },
          { kind: "check-out", employeeId: "anna", at: t("09:00") },
        ]),
      ],
      () => 2,
    );
    const relay = h.relay();
    await settle(relay, h, 2);
    // b2 hears of b1's older check-in too: its box closes nothing (its shift began after 08:00).
    expect(h.sent.get("b1")).toEqual([[1, "carla", "b2", t("10:00")]]);
    expect(h.sent.get("b2")).toEqual([[1, "carla", "b1", t("08:00")]]);
  });

  test("R0.3d: back at b1 at 15:00 (a handover counts as a check-in): b2 hears of it; a closed-elsewhere is no sighting", async () => {
    const h = rig();
    await h.store.apply(
      [roster("b1", 1, [{ kind: "check-in", employeeId: "carla", at: t("08:00") }])],
      () => 1,
    );
    await h.store.apply(
      [roster("b2", 1, [{ kind: "check-in", employeeId: "carla", at: t("10:00") }])],
      () => 2,
    );
    await h.store.apply(
      [
        roster("b1", 2, [
          { kind: "closed-elsewhere", employeeId: "carla", at: t("10:00") },
          { kind: "handover", employeeId: "carla", at: t("15:00") },
        ]),
      ],
      () => 3,
    );
    await settle(h.relay(), h, 2);
    expect(h.sent.get("b1")).toEqual([[1, "carla", "b2", t("10:00")]]);
    expect(h.sent.get("b2")).toEqual([[1, "carla", "b1", t("15:00")]]);
  });

  test("R0.3d: two consumers on one hq.db read every fact once: each record queued and sent once, seqs without holes", async () => {
    const h = rig();
    const facts = Array.from({ length: 40 }, (_, i) => ({
      kind: "check-in" as const,
      employeeId: `e${i}`,
      at: t("08:00") + i,
    }));
    await h.store.apply([roster("b1", 1, facts)], () => 1);
    const a = h.relay();
    const b = h.relay();
    await h.store.apply(
      [
        roster(
          "b2",
          1,
          facts.map((f) => ({ ...f, at: f.at + 3_600_000 })),
        ),
      ],
      () => 2,
    );
    a.kick();
    b.kick();
    await eventually("40 sent to b1", () => (h.sent.get("b1")?.length ?? 0) >= 40, 5_000);
    await a.stop();
    await b.stop();
    // Sent at least once each; a seq the other consumer also published is dropped by the box.
    const seqs = [...new Set((h.sent.get("b1") ?? []).map(([seq]) => seq))].sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const ids = new Map((h.sent.get("b1") ?? []).map(([seq, e]) => [seq, e]));
    expect(new Set(ids.values()).size).toBe(40);
    expect(h.sent.get("b2")).toBeUndefined();
  });

  test("R0.3d: a broker out of reach loses nothing: the records wait in hq.db and go out in order when it is back", async () => {
    let down = true;
    const h = rig({ failPublish: () => down });
    await h.store.apply(
      [roster("b1", 1, [{ kind: "check-in", employeeId: "carla", at: t("08:00") }])],
      () => 1,
    );
    await h.store.apply(
      [roster("b2", 1, [{ kind: "check-in", employeeId: "carla", at: t("10:00") }])],
      () => 2,
    );
    await h.store.apply(
      [roster("b3", 1, [{ kind: "check-in", employeeId: "carla", at: t("12:00") }])],
      () => 3,
    );
    const relay = h.relay();
    await eventually("a failed publish", () => relay.failures > 0, 5_000);
    down = false;
    await settle(relay, h, 3);
    expect(h.sent.get("b1")).toEqual([
      [1, "carla", "b2", t("10:00")],
      [2, "carla", "b3", t("12:00")],
    ]);
    expect(h.sent.get("b2")).toEqual([[1, "carla", "b3", t("12:00")]]);
  });
});
