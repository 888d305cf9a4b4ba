import { describe, expect, test } from "bun:test";
import { type EndpointAnswer, readEndpointLists } from "../../../src/pbx/ami/ami-endpoints.ts";
import type { AmiFrame } from "../../../src/pbx/ami/ami-fields.ts";
import { amiclientPjsipEndpoints, damiSipPeers } from "../../support/real-endpoint-lists.ts";

/** A recorded answer (Response, items, …Complete) as the client hands it over. */
const answered = (frames: readonly AmiFrame[]): EndpointAnswer => ({
  ok: true,
  value: { response: frames[0] ?? {}, items: frames.slice(1, -1), complete: frames.at(-1) ?? null },
});
const refused = (message: string): EndpointAnswer => ({
  ok: true,
  value: { response: { Response: "Error", Message: message }, items: [], complete: null },
});
const known =
  (...names: string[]) =>
  (name: string) =>
    names.includes(name) ? ("mapped" as const) : null;
const kinds = (list: ReturnType<typeof readEndpointLists>) =>
  Object.fromEntries(list.endpoints.map((e) => [e.endpoint, e.kind]));

describe("the PBX's endpoint list, read from real recordings", () => {
  test("AmiClient's Asterisk 13 (16 PJSIP endpoints): desks' 1101 and 1102 mapped, dcs-endpoint a trunk by its outbound auth, the other 13 phones not mapped", () => {
    const list = readEndpointLists(
      [{ action: "PJSIPShowEndpoints", answer: answered(amiclientPjsipEndpoints()) }],
      known("1101", "1102"),
      0,
    );
    expect(list.queries).toEqual([
      { action: "PJSIPShowEndpoints", outcome: "listed", detail: "16", count: 16 },
    ]);
    expect(list.counts).toEqual({ mapped: 2, guessed: 0, trunk: 1, unmapped: 13 });
    const byName = kinds(list);
    expect(byName["PJSIP/1101"]).toBe("mapped");
    expect(byName["PJSIP/1102"]).toBe("mapped");
    expect(byName["PJSIP/1107"]).toBe("unmapped");
    expect(list.endpoints.find((e) => e.endpoint === "PJSIP/dcs-endpoint")).toEqual({
      endpoint: "PJSIP/dcs-endpoint",
      kind: "trunk",
      why: "outbound auth dcs-auth",
      state: "Not in use",
    });
    // Phones nobody mapped come first: they are what branch IT has to act on.
    expect(list.endpoints[0]?.kind).toBe("unmapped");
  });

  test("under FreePBX's conventions with no extension known, the 4-digit endpoints are guessed phones, the trunk stays a trunk", () => {
    const guess = (name: string) => (/^\d{2,6}$/.test(name) ? ("guessed" as const) : null);
    const list = readEndpointLists(
      [{ action: "PJSIPShowEndpoints", answer: answered(amiclientPjsipEndpoints()) }],
      guess,
      0,
    );
    expect(list.counts).toEqual({ mapped: 0, guessed: 15, trunk: 1, unmapped: 0 });
  });

  test("DAMI's chan_sip answer: two registered (dynamic) phones, 6001 mapped, 6002 not", () => {
    const list = readEndpointLists(
      [{ action: "SIPpeers", answer: answered(damiSipPeers()) }],
      known("6001"),
      0,
    );
    expect(kinds(list)).toEqual({ "SIP/6001": "mapped", "SIP/6002": "unmapped" });
    expect(list.endpoints.map((e) => e.state)).toEqual(["Unmonitored", "Unmonitored"]);
  });

  test("hand-written (no recording shows one): a chan_sip peer with a fixed host (Dynamic: no) is a trunk", () => {
    const peers: AmiFrame[] = [
      { Response: "Success", EventList: "start", Message: "Peer status list will follow" },
      {
        Event: "PeerEntry",
        Channeltype: "SIP",
        ObjectName: "provider",
        Dynamic: "no",
        IPaddress: "192.0.2.7",
        Status: "OK (12 ms)",
      },
      { Event: "PeerlistComplete", EventList: "Complete", ListItems: "1" },
    ];
    const list = readEndpointLists([{ action: "SIPpeers", answer: answered(peers) }], known(), 0);
    expect(list.endpoints).toEqual([
      { endpoint: "SIP/provider", kind: "trunk", why: "static host 192.0.2.7", state: "OK (12 ms)" },
    ]);
  });

  test("Asterisk's refusals are said as such: Permission denied (the user's class), Invalid/unknown command (no chan_sip), no answer", () => {
    const list = readEndpointLists(
      [
        { action: "PJSIPShowEndpoints", answer: refused("Permission denied") },
        {
          action: "SIPpeers",
          answer: refused(
            "Invalid/unknown command: SIPpeers. Use Action: ListCommands to show available commands.",
          ),
        },
        {
          action: "PJSIPShowEndpoints",
          answer: { ok: false, error: { message: "no answer to PJSIPShowEndpoints within 10000 ms" } },
        },
      ],
      known(),
      0,
    );
    expect(list.queries.map((q) => q.outcome)).toEqual(["denied", "absent", "failed"]);
    expect(list.endpoints).toEqual([]);
  });

  test("bounded: a PBX with 5,000 endpoints keeps 500 for display, the counts cover all 5,000", () => {
    const many: AmiFrame[] = [
      { Response: "Success", EventList: "start" },
      ...Array.from({ length: 5_000 }, (_, i) => ({ Event: "EndpointList", ObjectName: `${10_000 + i}` })),
      { Event: "EndpointListComplete", EventList: "Complete", ListItems: "5000" },
    ];
    const list = readEndpointLists(
      [{ action: "PJSIPShowEndpoints", answer: answered(many) }],
      known("10000"),
      0,
    );
    expect(list.endpoints).toHaveLength(500);
    expect(list.counts).toEqual({ mapped: 1, guessed: 0, trunk: 0, unmapped: 4_999 });
  });
});
