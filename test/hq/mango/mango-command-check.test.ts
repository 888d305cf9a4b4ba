// Issue 17: which branch commands HQ sends to Mango Office. Mango scopes nothing (its key controls
// the whole VPBX, control-rules §3.1), so this check is all that keeps a branch to its own
// extensions, lines and calls.
import { describe, expect, test } from "bun:test";
import { hqConfigSchema } from "../../../src/hq/hq-config.ts";
import { checkMangoCommand } from "../../../src/hq/mango/mango-command-check.ts";
import type { MangoLeg } from "../../../src/hq/store/mango-command-store-port.ts";

const branches = hqConfigSchema.shape.hq.shape.mango.unwrap().parse({
  vpbx_api_key: "k",
  vpbx_api_salt: "s",
  branches: [
    { branch: "msk", lines: ["74951112233"], extensions: ["101", "102", "500"] },
    { branch: "spb", lines: ["78121112233"], extensions: ["201"] },
  ],
}).branches;

const NOW = 1_800_000_000_000;
/** A leg HQ relayed to msk: the client 79161234567 rang 101. */
const MSK_LEG: MangoLeg = { branch: "msk", parties: ["79161234567", "101", "74951112233"] };
const SPB_LEG: MangoLeg = { branch: "spb", parties: ["79997654321", "201"] };

const check = (command: string, params: Record<string, unknown>, leg: MangoLeg | null = null, extra = {}) =>
  checkMangoCommand({
    branch: "msk",
    recordId: "c-1",
    data: { commandId: "c-1", pbx: "mango", command, params, expiresAt: NOW + 10_000, ...extra },
    now: NOW,
    branches,
    leg,
  });

describe("a branch may command only its own (issue 17)", () => {
  const cases: [
    name: string,
    command: string,
    params: Record<string, unknown>,
    leg: MangoLeg | null,
    refusal: string | null,
  ][] = [
    [
      "click-to-call from its extension",
      "callback",
      { from: { extension: "101" }, to_number: "79161234567" },
      null,
      null,
    ],
    [
      "click-to-call on its line, to a colleague",
      "callback",
      { from: { extension: "101", number: "79031112233" }, to_number: "102", line_number: "74951112233" },
      null,
      null,
    ],
    [
      "click-to-call from another branch's extension",
      "callback",
      { from: { extension: "201" }, to_number: "79161234567" },
      null,
      "from.extension 201 is an extension of branch spb",
    ],
    [
      "click-to-call from an extension nobody has",
      "callback",
      { from: { extension: "999" }, to_number: "79161234567" },
      null,
      "from.extension 999 is not an extension of branch msk",
    ],
    [
      "click-to-call on another branch's line",
      "callback",
      { from: { extension: "101" }, to_number: "79161234567", line_number: "78121112233" },
      null,
      "line_number 78121112233 is not a line of branch msk",
    ],
    [
      "click-to-call to another branch's extension",
      "callback",
      { from: { extension: "101" }, to_number: "201" },
      null,
      "to_number 201 is an extension of branch spb",
    ],
    [
      "group callback of its group on its line",
      "callback_group",
      { from: "500", to: "79161234567", line_number: "74951112233" },
      null,
      null,
    ],
    [
      "group callback of no group of its own",
      "callback_group",
      { from: "79161234567", to: "79031112233", line_number: "74951112233" },
      null,
      "neither from 79161234567 nor to 79031112233 is an extension of branch msk",
    ],
    [
      "R2.6: route its call in IVR to its extension",
      "route",
      { call_id: "leg-1", to_number: "102" },
      MSK_LEG,
      null,
    ],
    [
      "route another branch's call",
      "route",
      { call_id: "leg-2", to_number: "102" },
      SPB_LEG,
      "call_id leg-2 is not a call of branch msk",
    ],
    [
      "route a call HQ never saw",
      "route",
      { call_id: "leg-x", to_number: "102" },
      null,
      "call_id leg-x is no call HQ has seen",
    ],
    [
      "route its call to another branch's extension",
      "route",
      { call_id: "leg-1", to_number: "201" },
      MSK_LEG,
      "to_number 201 is an extension of branch spb",
    ],
    [
      "blind transfer on behalf of its employee",
      "transfer",
      { call_id: "leg-1", method: "blind", to_number: "102", initiator: "101" },
      MSK_LEG,
      null,
    ],
    [
      "hold transfer on behalf of the call's client number",
      "transfer",
      { call_id: "leg-1", method: "hold", to_number: "102", initiator: "79161234567" },
      MSK_LEG,
      null,
    ],
    [
      "transfer on behalf of a stranger",
      "transfer",
      { call_id: "leg-1", method: "blind", to_number: "102", initiator: "79990000000" },
      MSK_LEG,
      "initiator 79990000000 is neither an extension of branch msk nor a party of call leg-1",
    ],
    [
      "transfer on behalf of another branch's employee",
      "transfer",
      { call_id: "leg-1", method: "blind", to_number: "102", initiator: "201" },
      MSK_LEG,
      "initiator 201 is an extension of branch spb",
    ],
    ["hang up its call", "call/hangup", { call_id: "leg-1" }, MSK_LEG, null],
    [
      "hang up another branch's call",
      "call/hangup",
      { call_id: "leg-2" },
      SPB_LEG,
      "call_id leg-2 is not a call of branch msk",
    ],
    [
      "record its call for its employee",
      "recording/start",
      { call_id: "leg-1", call_party_number: "101" },
      MSK_LEG,
      null,
    ],
    [
      "record its call for another branch's employee",
      "recording/start",
      { call_id: "leg-1", call_party_number: "201" },
      MSK_LEG,
      "call_party_number 201 is an extension of branch spb",
    ],
  ];
  for (const [name, command, params, leg, refusal] of cases)
    test(`${name}: ${refusal === null ? "sent" : "refused"}`, () => {
      const checked = check(command, params, leg);
      if (refusal === null)
        expect(checked).toMatchObject({ ok: true, command: { commandId: "c-1", command, params } });
      else
        expect(checked).toEqual({
          ok: false,
          code: "MANGO.COMMAND_NOT_OWN",
          reason: refusal,
          commandId: "c-1",
          command: command as never,
        });
    });

  test("a branch with no [[hq.mango.branches]] entry commands nothing", () => {
    const checked = checkMangoCommand({
      branch: "kzn",
      recordId: "c-1",
      data: {
        commandId: "c-1",
        pbx: "mango",
        command: "callback",
        params: { from: { extension: "101" }, to_number: "1" },
        expiresAt: NOW + 1,
      },
      now: NOW,
      branches,
      leg: null,
    });
    expect(checked).toMatchObject({
      ok: false,
      code: "MANGO.COMMAND_NOT_OWN",
      reason: "branch kzn has no [[hq.mango.branches]] entry",
    });
  });
});

describe("what is not a command HQ can send", () => {
  test("expiresAt at or before HQ's clock: expired, answerable", () => {
    expect(check("call/hangup", { call_id: "leg-1" }, MSK_LEG, { expiresAt: NOW })).toMatchObject({
      ok: false,
      code: "MANGO.COMMAND_EXPIRED",
      commandId: "c-1",
      command: "call/hangup",
    });
  });
  test("a field Mango's document does not list (command_id too: HQ sets it) is refused, answerable", () => {
    expect(check("call/hangup", { call_id: "leg-1", command_id: "other" }, MSK_LEG)).toMatchObject({
      ok: false,
      code: "MANGO.COMMAND_INVALID",
      commandId: "c-1",
      command: "call/hangup",
    });
    expect(
      check(
        "transfer",
        { call_id: "leg-1", method: "attended", to_number: "102", initiator: "101" },
        MSK_LEG,
      ),
    ).toMatchObject({
      ok: false,
      code: "MANGO.COMMAND_INVALID",
    });
    expect(check("callback", { to_number: "79161234567" })).toMatchObject({
      ok: false,
      code: "MANGO.COMMAND_INVALID",
      commandId: "c-1",
    });
  });
  test("no command HQ knows, or a record id that is not its commandId: nothing to answer with", () => {
    expect(check("commands/sms", {})).toMatchObject({
      ok: false,
      code: "MANGO.COMMAND_INVALID",
      commandId: null,
    });
    const other = checkMangoCommand({
      branch: "msk",
      recordId: "r-9",
      data: {
        commandId: "c-1",
        pbx: "mango",
        command: "call/hangup",
        params: { call_id: "leg-1" },
        expiresAt: NOW + 1,
      },
      now: NOW,
      branches,
      leg: MSK_LEG,
    });
    expect(other).toMatchObject({ ok: false, code: "MANGO.COMMAND_INVALID", commandId: null });
  });
});
