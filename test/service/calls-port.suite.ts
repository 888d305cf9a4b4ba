// The CallsPort (src/service/calls-port.ts) as the API, the admin page and the call cards use it,
// run against the call pipeline and against the fake the HTTP tests use, so that the fake cannot
// drift from the real thing (STYLE 5, after MQTT.js's abstract_store).
import { afterEach, describe, expect, test } from "bun:test";
import type { AttributionSettings, OwnershipLookup } from "../../src/domain/attribution/attribution-types.ts";
import type { AssembledCall, CallRecord } from "../../src/domain/call/call-types.ts";
import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import type { Owner } from "../../src/domain/roster/types.ts";
import type { CallsPort } from "../../src/service/calls-port.ts";
import { CallScript } from "../fixtures/domain/call-fixtures.ts";

export interface CallsPortHarness {
  readonly port: CallsPort;
  /**
   * One commit of the box: these PBX events made durable (the pipeline: delivered; a fake: given
   * what they come to, by the domain's own assembler and attribution, with ROSTER and SETTINGS).
   */
  commit(events: readonly PbxEvent[]): Promise<void>;
  close(): Promise<void> | void;
}

/** 101 is Anna's, 102 Sergey's; any other extension is nobody's. */
export const ROSTER: OwnershipLookup = {
  ownerOf(extension, at): Owner {
    const employeeId = ({ "101": "anna", "102": "sergey" } as Record<string, string>)[extension] ?? null;
    return employeeId === null
      ? {
          extension,
          at,
          employeeId,
          rule: "unmapped",
          reason: "nobody's",
          why: { kind: "unknown-extension" },
          deskId: null,
          since: null,
        }
      : {
          extension,
          at,
          employeeId,
          rule: "dedicated",
          reason: `${employeeId}'s`,
          why: { kind: "dedicated", holderName: employeeId },
          deskId: null,
          since: null,
        };
  },
};

export const SETTINGS: AttributionSettings = {
  fallbackEmployeeId: null,
  seniorManagerId: "oleg",
  managerIds: ["sergey", "oleg"],
  assignResponsibleForMissedGroupCalls: false,
  responsibleFor: () => null,
};

/** The box's day: 2026-11-21, Moscow time. */
export const T = (hhmm: string): number => Date.parse(`2026-11-21T${hhmm}:00+03:00`);
const S = 1000;

const ringing = (id: string, ext: string, t: number) => {
  const c = new CallScript(id);
  return [c.inbound(t), c.ring(`${id}-${ext}`, ext, t + S)];
};
const answered = (id: string, ext: string, t: number) => {
  const c = new CallScript(id);
  return [
    ...ringing(id, ext, t),
    c.answer(`${id}-${ext}`, ext, t + 5 * S),
    c.end(`${id}-${ext}`, ext, "normal", t + 60 * S),
    c.hangup(t + 60 * S),
  ];
};
const missed = (id: string, ext: string, t: number) => {
  const c = new CallScript(id);
  return [...ringing(id, ext, t), c.end(`${id}-${ext}`, ext, "no-answer", t + 30 * S), c.hangup(t + 30 * S)];
};
/** 101 answers and blind-transfers to 102, who talks to the client. */
const transferred = (id: string, t: number) => {
  const c = new CallScript(id);
  return [
    ...ringing(id, "101", t),
    c.answer(`${id}-101`, "101", t + 3 * S),
    c.blind(`${id}-101`, "102", t + 30 * S),
    c.end(`${id}-101`, "101", "normal", t + 30 * S),
    c.ring(`${id}-102`, "102", t + 31 * S),
    c.answer(`${id}-102`, "102", t + 35 * S),
    c.hangup(t + 90 * S),
  ];
};

const idsOf = (records: readonly CallRecord[]) => records.map((r) => r.id);
const callIds = (calls: readonly AssembledCall[]) => calls.map((c) => c.id);

export function runCallsPortSuite(name: string, make: () => Promise<CallsPortHarness>): void {
  describe(`CallsPort: ${name}`, () => {
    let harness: CallsPortHarness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });
    const start = async () => {
      harness = await make();
      return harness;
    };

    test("list: finished calls newest first, at most `limit`; a tie on the start goes by id, byte by byte (as SQLite sorts)", async () => {
      const { port, commit } = await start();
      // SIP Call-IDs mix cases: "Call-B" sorts before "call-a" byte by byte, after it by locale.
      await commit([
        ...answered("c-1", "101", T("10:00")),
        ...answered("c-2", "101", T("10:05")),
        ...answered("call-a", "101", T("10:10")),
        ...answered("Call-B", "102", T("10:10")),
      ]);
      expect(idsOf(port.list({ limit: 10 }))).toEqual(["Call-B", "call-a", "c-2", "c-1"]);
      expect(idsOf(port.list({ limit: 2 }))).toEqual(["Call-B", "call-a"]);
      expect(port.list({ limit: 1 })[0]).toMatchObject({
        id: "Call-B",
        outcome: "answered",
        startedAt: T("10:10"),
        owner: { employeeId: "sergey", rule: "dedicated" },
      });
    });

    test("list: `since` includes its instant, `until` excludes its instant", async () => {
      const { port, commit } = await start();
      await commit([
        ...answered("c-1", "101", T("10:00")),
        ...answered("c-2", "101", T("10:05")),
        ...answered("c-3", "101", T("10:10")),
      ]);
      expect(idsOf(port.list({ since: T("10:05"), limit: 10 }))).toEqual(["c-3", "c-2"]);
      expect(idsOf(port.list({ until: T("10:05"), limit: 10 }))).toEqual(["c-1"]);
      expect(idsOf(port.list({ since: T("10:05"), until: T("10:10"), limit: 10 }))).toEqual(["c-2"]);
    });

    test("list: `employeeId` is the owner or the employee of any leg; `outcome` is the call's", async () => {
      const { port, commit } = await start();
      await commit([
        ...answered("anna-own", "101", T("10:00")),
        ...transferred("handed-on", T("10:05")),
        ...missed("rang-out", "102", T("10:10")),
        ...answered("nobodys", "106", T("10:15")),
      ]);
      expect(port.list({ limit: 1, since: T("10:05"), until: T("10:06") })[0]?.owner.employeeId).toBe(
        "sergey",
      );
      expect(idsOf(port.list({ employeeId: "anna", limit: 10 }))).toEqual(["handed-on", "anna-own"]);
      expect(idsOf(port.list({ employeeId: "sergey", limit: 10 }))).toEqual(["rang-out", "handed-on"]);
      expect(idsOf(port.list({ outcome: "missed", limit: 10 }))).toEqual(["rang-out"]);
      expect(idsOf(port.list({ employeeId: "anna", outcome: "missed", limit: 10 }))).toEqual([]);
    });

    test("live: the calls going on now; a call leaves it when it ends, for the list", async () => {
      const { port, commit } = await start();
      const events = answered("l-1", "101", T("10:00"));
      await commit(events.slice(0, 3));
      expect(callIds(port.live())).toEqual(["l-1"]);
      expect(port.live()[0]).toMatchObject({ answeredAt: T("10:00") + 5 * S, finished: false });
      expect(port.list({ limit: 10 })).toEqual([]);
      await commit(events.slice(3));
      expect(port.live()).toEqual([]);
      expect(idsOf(port.list({ limit: 10 }))).toEqual(["l-1"]);
    });

    test("cards: a call nobody answered yet waits on every screen; answered, it is its owner's; over, it has none", async () => {
      const { port, commit } = await start();
      const events = answered("k-1", "101", T("10:00"));
      await commit(events.slice(0, 2));
      expect(port.cards(T("10:00") + 2 * S)).toEqual([
        {
          callId: "k-1",
          state: "waiting",
          direction: "inbound",
          number: "+79161234567",
          clientName: null,
          did: "+74951112233",
          extension: "101",
          ownerEmployeeId: null,
          audience: "everyone",
          since: T("10:00"),
        },
      ]);
      await commit(events.slice(2, 3));
      expect(port.cards(T("10:00") + 6 * S)).toMatchObject([
        { callId: "k-1", state: "answered", extension: "101", ownerEmployeeId: "anna", audience: ["anna"] },
      ]);
      await commit(events.slice(3));
      expect(port.cards(T("10:01") + S)).toEqual([]);
    });

    test("cards: a call nobody answered is, once over, a missed card for the managers", async () => {
      const { port, commit } = await start();
      await commit(missed("m-1", "102", T("10:00")));
      expect(port.cards(T("10:00") + 31 * S)).toMatchObject([
        { callId: "m-1", state: "missed", ownerEmployeeId: "sergey", audience: ["sergey", "oleg"] },
      ]);
    });

    test("subscribe: every listener hears each commit once, with the live calls it changed and the records it wrote; unsubscribed, nothing more", async () => {
      const { port, commit } = await start();
      const heard: { who: string; changed: string[]; recorded: string[] }[] = [];
      const listen = (who: string) =>
        port.subscribe((changed, recorded) =>
          heard.push({ who, changed: callIds(changed), recorded: idsOf(recorded) }),
        );
      const first = listen("first");
      listen("second");
      const events = answered("s-1", "101", T("10:00"));
      await commit(events.slice(0, 2));
      expect(heard.splice(0)).toEqual([
        { who: "first", changed: ["s-1"], recorded: [] },
        { who: "second", changed: ["s-1"], recorded: [] },
      ]);
      await commit(events.slice(2));
      expect(heard.splice(0)).toEqual([
        { who: "first", changed: ["s-1"], recorded: ["s-1"] },
        { who: "second", changed: ["s-1"], recorded: ["s-1"] },
      ]);
      first();
      await commit(ringing("s-2", "102", T("10:05")));
      expect(heard.splice(0)).toEqual([{ who: "second", changed: ["s-2"], recorded: [] }]);
    });
  });
}
