import { describe, expect, test } from "bun:test";
import { at } from "../../../test/fixtures/domain/roster-fixtures.ts";
import { RUSSIAN_NUMBERS } from "./phone-number.ts";
import {
  decideRoute,
  noAnswerPlans,
  type RoutedClient,
  type RouteInput,
  type RoutingSettings,
  routingSnapshot,
} from "./routing.ts";
import type { Absence, Forwarding, RulesFacts } from "./rules-types.ts";
import type { RosterToday, TodayDesk, TodayEmployee } from "./whereabouts.ts";

// The branch of the example: Анна at the front desk (101), Сергей a manager with his own
// 104 who is at the front desk's second phone today, Ольга a manager on 105, Ирина off today.
const employees: TodayEmployee[] = [
  { id: "anna", name: "Анна", extension: null, onShift: true },
  { id: "sergey", name: "Сергей", extension: "104", onShift: true },
  { id: "olga", name: "Ольга", extension: "105", onShift: true },
  { id: "irina", name: "Ирина", extension: "106", onShift: false },
];
const desks: TodayDesk[] = [
  { id: "front", name: "Ресепшен", extension: "101", holderId: "anna" },
  { id: "front-2", name: "Ресепшен 2", extension: "111", holderId: null },
];
const dedicated = new Map([
  ["104", "sergey"],
  ["105", "olga"],
  ["106", "irina"],
]);

function today(overrides: { desks?: TodayDesk[]; employees?: TodayEmployee[] } = {}): RosterToday {
  return {
    employees: overrides.employees ?? employees,
    desks: overrides.desks ?? desks,
    dedicatedOwner: (ext) => dedicated.get(ext) ?? null,
  };
}

function facts(
  absent: Record<string, Absence> = {},
  forwarding: Record<string, Forwarding> = {},
): RulesFacts {
  return {
    absence: (id) => absent[id] ?? null,
    forwarding: (id) => forwarding[id] ?? null,
    subscribe: () => () => {},
  };
}

const clients: Record<string, RoutedClient> = {
  "+79161234567": { name: "ООО Ромашка", responsibleEmployeeId: "sergey" },
  "+79161112233": { name: "Иванов", responsibleEmployeeId: "olga" },
  "+79160000000": { name: "Без менеджера", responsibleEmployeeId: null },
  "+79165554433": { name: "Клиент Ирины", responsibleEmployeeId: "irina" },
  "+79167778899": { name: "Клиент уволенного", responsibleEmployeeId: "gone" },
};

const settings: RoutingSettings = { ringSeconds: 20, fallback: null };
const NOW = at("11:00");

function input(caller: string | null, over: Partial<RouteInput> = {}): RouteInput {
  return {
    caller,
    at: NOW,
    numbers: RUSSIAN_NUMBERS,
    clientOf: (e164) => clients[e164] ?? null,
    today: today(),
    facts: facts(),
    settings,
    ...over,
  };
}

const forwarding = (
  employeeId: string,
  action: Forwarding["action"],
  extra: Partial<Forwarding> = {},
): Forwarding => ({
  employeeId,
  action,
  notice: { kind: "default" },
  timeoutSeconds: 30,
  setBy: { via: "self", employeeId },
  updatedAt: at("08:00"),
  ...extra,
});

describe("R2.6 the responsible manager, where they are today", () => {
  test("R2.6: a client's call rings the responsible at their dedicated extension for [rules] responsible_ring_seconds", () => {
    const d = decideRoute(input("89161112233"));
    expect(d).toMatchObject({
      kind: "ring",
      rule: "R2.6",
      target: "105",
      employeeId: "olga",
      timeoutSeconds: 20,
    });
    expect(d.reason).toBe(
      "Ольга is the responsible manager of Иванов (+79161112233), at their own extension 105 today: ring 105 for 20 s, then the PBX's own route",
    );
  });

  test("R2.6: the responsible who holds a desk's phone today is rung at the desk, not at their own extension", () => {
    const atFront2 = today({
      desks: [
        desks[0] as TodayDesk,
        { id: "front-2", name: "Ресепшен 2", extension: "111", holderId: "sergey" },
      ],
    });
    const d = decideRoute(input("+79161234567", { today: atFront2 }));
    expect(d).toMatchObject({ kind: "ring", target: "111", employeeId: "sergey" });
    expect(d.reason).toContain("at Ресепшен 2 (111) today");
  });

  test("R2.6: the PBX's number forms are read by [numbers] before the directory is asked", () => {
    for (const caller of ["+79161234567", "79161234567", "89161234567", "9161234567", "8 (916) 123-45-67"])
      expect(decideRoute(input(caller))).toMatchObject({ kind: "ring", target: "104" });
  });

  const none: [string, string | null, string][] = [
    ["a withheld number", "unknown", 'caller id "unknown" is no outside number'],
    ["no caller id", null, 'caller id "" is no outside number'],
    ["an extension", "101", 'caller id "101" is no outside number'],
    ["a number not in the directory", "+79990001122", "+79990001122 is not a client in the directory"],
    [
      "a client without a responsible",
      "+79160000000",
      "client Без менеджера (+79160000000) has no responsible manager",
    ],
    ["a responsible not on the staff", "+79167778899", "gone, is not on this branch's staff"],
  ];
  for (const [what, caller, reason] of none)
    test(`R2.6: ${what} takes the PBX's own route at once`, () => {
      const d = decideRoute(input(caller));
      expect(d).toMatchObject({ kind: "pbx-route", rule: "R2.6" });
      expect(d.reason).toContain(reason);
    });
});

describe("R4.7 absent employees are not rung at all", () => {
  const cases: [string, Absence, string][] = [
    [
      "vacation",
      { reason: "vacation", until: Date.parse("2025-03-20T21:00:00Z") },
      "is on vacation until 2025-03-20T21:00:00.000Z",
    ],
    ["sick leave", { reason: "sick", until: null }, "is on sick leave"],
    [
      "their personal schedule",
      { reason: "schedule", until: at("14:00") },
      "is off by their schedule until 2025-03-14T14:00:00.000Z",
    ],
  ];
  for (const [what, absence, words] of cases)
    test(`R4.7: a responsible away on ${what} is skipped: the PBX's own route at once`, () => {
      const d = decideRoute(input("+79161112233", { facts: facts({ olga: absence }) }));
      expect(d).toMatchObject({ kind: "pbx-route", rule: "R4.7" });
      expect(d.reason).toContain(
        `Ольга, the responsible manager of Иванов (+79161112233), ${words}: skipped (R4.7)`,
      );
    });

  test("R4.7: a responsible not on shift today (the roster's word) is skipped", () => {
    const d = decideRoute(input("+79165554433"));
    expect(d).toMatchObject({ kind: "pbx-route", rule: "R4.7" });
    expect(d.reason).toContain(
      "Ирина, the responsible manager of Клиент Ирины (+79165554433), is not on shift",
    );
  });

  test("R4.7: an absence never moves a desk: the snapshot lists only the away employee's own extension", () => {
    const s = routingSnapshot(
      [{ number: "+79161112233", responsibleEmployeeId: "olga" }],
      today(),
      facts({ olga: { reason: "vacation", until: null }, anna: { reason: "sick", until: null } }),
      settings,
      NOW,
    );
    expect(s.absent).toEqual(["105"]);
    expect(s.responsible.size).toBe(0);
  });
});

describe("R4.6 the CRM's rule beats the employee's own forwarding", () => {
  test("R4.6: with [rules] responsible_fallback the call goes there after the ring, not where the responsible forwards", () => {
    const own = facts({}, { olga: forwarding("olga", { kind: "forward", to: { employeeId: "anna" } }) });
    const d = decideRoute(
      input("+79161112233", { facts: own, settings: { ringSeconds: 25, fallback: "600" } }),
    );
    expect(d).toMatchObject({
      kind: "ring",
      target: "105",
      timeoutSeconds: 25,
      next: { kind: "forward", extension: "600" },
    });
    expect(d.reason).toContain("then 600 (R4.6, over Ольга's own forwarding)");
  });

  test("R4.6: without a fallback the PBX's own route goes on, and the responsible's own forwarding is not used either", () => {
    const own = facts({}, { olga: forwarding("olga", { kind: "voicemail" }) });
    expect(decideRoute(input("+79161112233", { facts: own }))).toMatchObject({ next: { kind: "pbx-route" } });
  });
});

describe("R4.1–R4.3 a direct call nobody answers", () => {
  const planOf = (ext: string, f: RulesFacts, t = today()) =>
    noAnswerPlans(t, f, NOW).find((p) => p.extension === ext);

  test("R4.1: nobody set anything: busy after 120 s, for each dedicated extension and each held desk phone", () => {
    const plans = noAnswerPlans(today(), facts(), NOW);
    expect(plans.map((p) => [p.extension, p.employeeId])).toEqual([
      ["101", "anna"],
      ["104", "sergey"],
      ["105", "olga"],
      ["106", "irina"],
    ]);
    for (const p of plans)
      expect(p).toMatchObject({ rule: "R4.1", timeoutSeconds: 120, step: { kind: "busy" } });
    expect(plans[0]?.reason).toBe("Анна: after 120 s the caller hears busy (R4.1)");
  });

  test("R4.2: drop with a message that they cannot answer", () => {
    const p = planOf("104", facts({}, { sergey: forwarding("sergey", { kind: "drop", tone: "message" }) }));
    expect(p).toMatchObject({ rule: "R4.2", timeoutSeconds: 30, step: { kind: "message" } });
    expect(p?.reason).toBe("Сергей: after 30 s the caller hears that Сергей cannot answer (R4.2)");
  });

  test("R4.2: forward to a colleague rings the colleague where they are today (Анна at the front desk)", () => {
    const p = planOf(
      "104",
      facts({}, { sergey: forwarding("sergey", { kind: "forward", to: { employeeId: "anna" } }) }),
    );
    expect(p).toMatchObject({ step: { kind: "forward", extension: "101" } });
    expect(p?.reason).toContain(
      "forward to Анна, at Ресепшен (101) today, after the default notice (R4.2, R4.3)",
    );
  });

  test("R4.2 with R4.7: a forward to a colleague who is away today is a busy tone, said so", () => {
    const f = facts(
      { anna: { reason: "sick", until: null } },
      { sergey: forwarding("sergey", { kind: "forward", to: { employeeId: "anna" } }) },
    );
    const p = planOf("104", f);
    expect(p).toMatchObject({ step: { kind: "busy" }, notice: { kind: "none" } });
    expect(p?.reason).toContain("who is on sick leave: busy instead");
    const offToday = planOf(
      "104",
      facts({}, { sergey: forwarding("sergey", { kind: "forward", to: { employeeId: "irina" } }) }),
    );
    expect(offToday?.reason).toContain("who is at no phone today: busy instead");
  });

  test("R4.2: forward to a department's extension, and to voicemail (the called extension's box)", () => {
    const f = facts(
      {},
      {
        sergey: forwarding("sergey", { kind: "forward", to: { extension: "600" } }),
        olga: forwarding("olga", { kind: "voicemail" }),
      },
    );
    expect(planOf("104", f)?.step).toEqual({ kind: "forward", extension: "600" });
    expect(planOf("105", f)?.step).toEqual({ kind: "voicemail", mailbox: "105" });
  });

  test("R4.3: the notice the employee chose goes with the plan", () => {
    const f = facts(
      {},
      {
        sergey: forwarding(
          "sergey",
          { kind: "forward", to: { extension: "600" } },
          { notice: { kind: "custom", recording: "custom/sergey-away" } },
        ),
        olga: forwarding("olga", { kind: "forward", to: { extension: "600" } }, { notice: { kind: "none" } }),
      },
    );
    expect(planOf("104", f)).toMatchObject({ notice: { kind: "custom", recording: "custom/sergey-away" } });
    expect(planOf("104", f)?.reason).toContain("after the recording custom/sergey-away");
    expect(planOf("105", f)?.reason).toContain("no notice");
  });
});

describe("the snapshot the PBX's database holds", () => {
  test("R2.6: one entry per client whose responsible rings now; each responsible decided once", () => {
    let asked = 0;
    const counting: RulesFacts = {
      ...facts(),
      absence: () => {
        asked++;
        return null;
      },
    };
    const list = [
      { number: "+79161234567", responsibleEmployeeId: "sergey" },
      { number: "+79161234568", responsibleEmployeeId: "sergey" },
      { number: "+79161112233", responsibleEmployeeId: "olga" },
      { number: "+79165554433", responsibleEmployeeId: "irina" },
      { number: "+79160000000", responsibleEmployeeId: null },
    ];
    const s = routingSnapshot(list, today(), counting, settings, NOW);
    expect([...s.responsible]).toEqual([
      ["+79161234567", "104"],
      ["+79161234568", "104"],
      ["+79161112233", "105"],
    ]);
    // three responsibles for the routes, then one question per dedicated extension for `absent`
    expect(asked).toBe(3 + 3);
  });
});
