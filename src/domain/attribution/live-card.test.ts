import { describe, expect, test } from "bun:test";
import {
  assembled,
  branchRoster,
  FRONT,
  MAX,
  NOBODY,
  settings,
} from "../../../test/fixtures/domain/attribution-fixtures.ts";
import { CallScript, CLIENT, DID, sec } from "../../../test/fixtures/domain/call-fixtures.ts";
import { liveCard } from "./live-card.ts";

const c = new CallScript("K1");
const card = (events: Parameters<typeof assembled>[0], fallbackEmployeeId: string | null = null) =>
  liveCard(assembled(events), branchRoster(), settings({ fallbackEmployeeId }));

describe("live call cards", () => {
  test("R0.1: a queued call is a waiting card on every screen, owned by nobody", () => {
    expect(card([c.inbound(sec(0)), c.queued(sec(2))])).toEqual({
      callId: "K1",
      state: "waiting",
      direction: "inbound",
      callerNumber: CLIENT,
      clientNumber: CLIENT,
      did: DID,
      extension: null,
      ownerEmployeeId: null,
      targets: "everyone",
      since: sec(2),
    });
  });

  test("R0.1: N waiting calls are N cards, and a ringing call is still waiting", () => {
    const other = new CallScript("K2");
    const cards = [
      card([c.inbound(sec(0)), c.ring("L1", FRONT, sec(1))]),
      card([other.inbound(sec(3), "+70000000002"), other.queued(sec(3))]),
    ];
    expect(cards.map((k) => [k.callId, k.state, k.targets, k.extension])).toEqual([
      ["K1", "waiting", "everyone", FRONT],
      ["K2", "waiting", "everyone", null],
    ]);
  });

  test("R0.2, R0.3: answered at the front desk → the card of the receptionist checked in there", () => {
    const k = card([c.inbound(sec(0)), c.ring("L1", FRONT, sec(1)), c.answer("L1", FRONT, sec(5))]);
    expect(k).toMatchObject({
      state: "answered",
      ownerEmployeeId: "alice",
      targets: ["alice"],
      since: sec(5),
      extension: FRONT,
    });
  });

  test("R1.4, R3.2: answered on an unmapped extension → no employee's card, even the fallback's; the senior manager sees it", () => {
    const k = card([c.inbound(sec(0)), c.ring("L1", NOBODY, sec(1)), c.answer("L1", NOBODY, sec(5))], "fred");
    expect(k).toMatchObject({ state: "answered", ownerEmployeeId: null, targets: ["sara"] });
  });

  test("R0.1: between a blind transfer and the colleague's answer the client waits again", () => {
    const events = [
      c.inbound(sec(0)),
      c.ring("L1", FRONT, sec(1)),
      c.answer("L1", FRONT, sec(5)),
      c.blind("L1", MAX, sec(20)),
      c.ring("L2", MAX, sec(21)),
    ];
    expect(card(events)).toMatchObject({
      state: "waiting",
      targets: "everyone",
      extension: MAX,
      since: sec(20),
    });
    expect(card([...events, c.answer("L2", MAX, sec(24))])).toMatchObject({
      state: "answered",
      targets: ["max"],
    });
  });

  test("R3.3: a missed inbound call is a missed card for the managers", () => {
    const k = card([c.inbound(sec(0)), c.ring("L1", FRONT, sec(1)), c.hangup(sec(30))]);
    expect(k).toMatchObject({
      state: "missed",
      targets: ["max", "sara"],
      ownerEmployeeId: "alice",
      since: sec(30),
    });
  });

  test("an outgoing call waiting for the far end is the caller's card, not a red card for everyone", () => {
    const out = new CallScript("O1");
    const k = card([out.placed(sec(0), "L1", MAX, { number: CLIENT })]);
    expect(k).toMatchObject({
      state: "waiting",
      clientNumber: CLIENT,
      ownerEmployeeId: "max",
      targets: ["max"],
    });
  });
});
