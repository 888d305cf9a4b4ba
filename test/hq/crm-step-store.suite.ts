// The CrmStepStore's and CrmTokenStore's contract (src/hq/crm/crm-step-store-port.ts, issue 19), for
// every adapter: crm-step-store.sqlite.test.ts and crm-step-store.postgres.test.ts run it.
import { afterEach, describe, expect, test } from "bun:test";
import type { CrmStepPlan, CrmTokenStore } from "../../src/hq/crm/crm-port.ts";
import type { CrmStepStore } from "../../src/hq/crm/crm-step-store-port.ts";
import type { ForwardItem, HqStore } from "../../src/hq/store/hq-store-port.ts";
import { envelope } from "./hq-fixtures.ts";

/** One consumer's handle: its HQ store (with the forward queue on), its steps and its tokens. */
export interface CrmHandle {
  readonly hq: HqStore;
  readonly steps: CrmStepStore;
  readonly tokens: CrmTokenStore;
}

export interface CrmStoreUnderTest extends CrmHandle {
  /** Another handle on the same storage, as a second consumer process has. */
  another(): Promise<CrmHandle>;
  close(): Promise<void>;
}

const LEASE = 60_000;
const T0 = 1_800_000_000_000;

const step = (name: string, orderKey: string, input: Record<string, unknown> = {}): CrmStepPlan => ({
  name,
  orderKey,
  input,
});

/** Applies one record of `msk`'s `calls` stream per entry and plans it into that entry's steps. */
async function planned(h: CrmHandle, plans: readonly (readonly CrmStepPlan[])[]): Promise<void> {
  await h.hq.apply([envelope("msk", "calls", 1, plans.length)], () => T0);
  // claimForward gives one head per stream: each is planned before the next becomes the head.
  for (const steps of plans) {
    const [item] = await h.hq.claimForward(T0, LEASE, 1);
    if (item === undefined) throw new Error("no forward row");
    await h.steps.plan(item, steps, T0);
  }
}

export function runCrmStepStoreSuite(name: string, make: () => Promise<CrmStoreUnderTest>): void {
  describe(`CRM step store, ${name}`, () => {
    const open: CrmStoreUnderTest[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });
    const fresh = async () => {
      const s = await make();
      open.push(s);
      return s;
    };

    test("plan writes the steps and takes the record off the forward queue in one go; a second plan of it writes nothing", async () => {
      const s = await fresh();
      await s.hq.apply([envelope("msk", "calls", 1, 2)], () => T0);
      const [item] = await s.hq.claimForward(T0, LEASE, 10);
      if (item === undefined) throw new Error("no forward row");
      expect(await s.steps.plan(item, [step("call.upload", "+74950000001", { a: 1 })], T0)).toBe("planned");
      const other = await s.another();
      expect(await other.steps.plan(item, [step("call.upload", "+74950000001")], T0)).toBe("gone");
      expect(await s.hq.forwardDepth()).toBe(1);
      expect(await s.steps.counts()).toEqual({ pending: 1, done: 0, parked: 0 });
      const [next] = await s.hq.claimForward(T0, LEASE, 10);
      expect(next?.record.seq).toBe(2);
      // A record the CRM needs nothing of only leaves the queue.
      expect(await s.steps.plan(next as ForwardItem, [], T0)).toBe("planned");
      expect(await s.hq.forwardDepth()).toBe(0);
      const [claimed] = await s.steps.claim(T0, LEASE, 10);
      expect(claimed).toMatchObject({
        recordKey: "msk:calls:1",
        branch: "msk",
        recordId: "calls-1",
        name: "call.upload",
        orderKey: "+74950000001",
        input: { a: 1 },
        attempts: 0,
        earlier: {},
      });
    });

    test("claim: one step per order key, oldest first; a record's steps in plan order, each given what the earlier returned", async () => {
      const s = await fresh();
      await planned(s, [
        [step("call.register", "+7A"), step("call.finish", "+7A")],
        [step("call.upload", "+7A")],
        [step("call.upload", "+7B")],
      ]);
      const first = await s.steps.claim(T0, LEASE, 10);
      expect(first.map((x) => `${x.recordKey} ${x.name}`)).toEqual([
        "msk:calls:1 call.register",
        "msk:calls:3 call.upload",
      ]);
      // Leased: not claimed again meanwhile, and the next of +7A waits for it.
      expect(await s.steps.claim(T0 + 1, LEASE, 10)).toEqual([]);
      await s.steps.done(first[0]?.id as number, { CALL_ID: "ext-1" }, T0 + 2);
      const second = await s.steps.claim(T0 + 3, LEASE, 10);
      expect(second.map((x) => x.name)).toEqual(["call.finish"]);
      expect(second[0]?.earlier).toEqual({ "call.register": { CALL_ID: "ext-1" } });
      await s.steps.done(second[0]?.id as number, {}, T0 + 4);
      expect((await s.steps.claim(T0 + 5, LEASE, 10)).map((x) => x.recordKey)).toEqual(["msk:calls:2"]);
    });

    test("two consumers claiming at once never get the same step", async () => {
      const s = await fresh();
      await planned(
        s,
        Array.from({ length: 20 }, (_, i) => [step("call.upload", `+7${i}`)]),
      );
      const other = await s.another();
      const [mine, theirs] = await Promise.all([
        s.steps.claim(T0, LEASE, 20),
        other.steps.claim(T0, LEASE, 20),
      ]);
      const ids = [...mine, ...theirs].map((x) => x.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(20);
    });

    test("a consumer that dies between run and done: the step is claimed again when its lease ends", async () => {
      const s = await fresh();
      await planned(s, [[step("call.upload", "+7A")]]);
      const [once] = await s.steps.claim(T0, LEASE, 10);
      const other = await s.another();
      expect(await other.steps.claim(T0 + LEASE - 1, LEASE, 10)).toEqual([]);
      const [again] = await other.steps.claim(T0 + LEASE, LEASE, 10);
      expect(again?.id).toBe(once?.id as number);
      expect(again?.attempts).toBe(0);
    });

    test("retry counts an attempt and waits; park holds back its order key until unparked", async () => {
      const s = await fresh();
      await planned(s, [[step("call.upload", "+7A")], [step("task.create", "+7A")]]);
      const [x] = await s.steps.claim(T0, LEASE, 10);
      await s.steps.retry(x?.id as number, T0 + 5000, "HTTP 503", T0);
      expect(await s.steps.claim(T0 + 4999, LEASE, 10)).toEqual([]);
      const [y] = await s.steps.claim(T0 + 5000, LEASE, 10);
      expect(y).toMatchObject({ id: x?.id, attempts: 1 });
      await s.steps.park(y?.id as number, "CRM.UNMAPPED_EMPLOYEE", "employee 7 has no CRM user", T0 + 6000);
      expect(await s.steps.counts()).toEqual({ pending: 1, done: 0, parked: 1 });
      expect(await s.steps.claim(T0 + 10 * LEASE, LEASE, 10)).toEqual([]);
      expect(await s.steps.parked(10)).toEqual([
        {
          id: y?.id as number,
          recordKey: "msk:calls:1",
          branch: "msk",
          recordId: "calls-1",
          name: "call.upload",
          attempts: 2,
          code: "CRM.UNMAPPED_EMPLOYEE",
          reason: "employee 7 has no CRM user",
          parkedAt: T0 + 6000,
        },
      ]);
      // A late `done` of a parked step (a lease that ran out) changes nothing.
      await s.steps.done(y?.id as number, {}, T0 + 6001);
      expect(await s.steps.unpark(y?.id as number, T0 + 7000)).toBe(true);
      expect(await s.steps.unpark(y?.id as number, T0 + 7000)).toBe(false);
      const [z] = await s.steps.claim(T0 + 7000, LEASE, 10);
      expect(z).toMatchObject({ id: y?.id, name: "call.upload" });
      await s.steps.done(z?.id as number, {}, T0 + 7001);
      expect((await s.steps.claim(T0 + 7002, LEASE, 10)).map((w) => w.name)).toEqual(["task.create"]);
      expect(await s.steps.parked(10)).toEqual([]);
    });

    test("tokens: compare-and-set on the previous refresh token; the first put only when none is stored", async () => {
      const s = await fresh();
      const other = await s.another();
      expect(await s.tokens.get("amocrm")).toBeNull();
      const t1 = { accessToken: "a1", refreshToken: "r1", expiresAt: T0 + 86_400_000 };
      expect(await s.tokens.put("amocrm", t1, null)).toBe(true);
      expect(await other.tokens.put("amocrm", { ...t1, refreshToken: "rX" }, null)).toBe(false);
      const t2 = { accessToken: "a2", refreshToken: "r2", expiresAt: T0 + 2 * 86_400_000 };
      const t3 = { accessToken: "a3", refreshToken: "r3", expiresAt: T0 + 3 * 86_400_000 };
      // Two consumers refresh from r1 at once: one wins, the loser reads the winner's tokens.
      const won = await Promise.all([s.tokens.put("amocrm", t2, "r1"), other.tokens.put("amocrm", t3, "r1")]);
      expect(won.filter(Boolean).length).toBe(1);
      expect(await other.tokens.get("amocrm")).toEqual(won[0] ? t2 : t3);
      expect(await s.tokens.get("bitrix24")).toBeNull();
    });
  });
}
