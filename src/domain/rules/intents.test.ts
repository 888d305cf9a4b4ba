import { describe, expect, test } from "bun:test";
import {
  assembled,
  settings as attributionSettings,
  branchRoster,
  FRONT,
  MAX,
  NOBODY,
} from "../../../test/fixtures/domain/attribution-fixtures.ts";
import { CallScript, CLIENT, DID, sec } from "../../../test/fixtures/domain/call-fixtures.ts";
import { attribute } from "../attribution/attribute.ts";
import type { CallRecord } from "../call/call-types.ts";
import type { PbxEvent } from "../call/pbx-event.ts";
import {
  type CrmSettings,
  decideIntents,
  decideStartIntents,
  type Intent,
  type KnownClient,
} from "./intents.ts";
import { toE164 } from "./phone-number.ts";

// The branch of the attribution fixtures: alice holds the front desk 101, max has 102, sara (103) is
// the senior manager, 109 maps to nobody. The client's number is CLIENT (+79161234567).
const REC = "rec/2025-03-14/call.wav";
const OUT = "84951112233"; // as FreePBX's outbound route dials it: +74951112233

const crm = (overrides: Partial<CrmSettings> = {}): CrmSettings => ({
  seniorManagerId: "sara",
  mode: "create-after-call",
  unknownNumbers: "create-client",
  unsortedPipelines: {},
  defaultPipeline: null,
  ...overrides,
});

const known = (overrides: Partial<KnownClient> = {}): KnownClient => ({
  clientId: "c-77",
  responsibleEmployeeId: "max",
  openOrder: true,
  lastOrderClosed: false,
  ...overrides,
});

let n = 0;
const record = (events: (c: CallScript) => PbxEvent[]): CallRecord => {
  const c = new CallScript(`I${++n}`);
  const [first] = attribute(assembled(events(c)), branchRoster(), attributionSettings());
  if (first === undefined) throw new Error("no record");
  return first;
};

/** Inbound from `from`, answered on `extension` with a recording. */
const answeredOn = (extension: string, from = CLIENT) =>
  record((c) => [
    c.inbound(sec(0), from),
    c.ring("L1", extension, sec(1)),
    c.event("answered", sec(5), { legId: "L1", extension, recordingUrl: REC }),
    c.hangup(sec(60)),
  ]);
const missed = (outcome: "missed" | "busy" = "missed") =>
  record((c) => [
    c.inbound(sec(0)),
    c.ring("L1", FRONT, sec(1)),
    c.end("L1", FRONT, outcome === "busy" ? "busy" : "no-answer", sec(20)),
    c.hangup(sec(21)),
  ]);
const voicemail = () =>
  record((c) => [
    c.inbound(sec(0)),
    c.ring("L1", MAX, sec(1)),
    c.end("L1", MAX, "no-answer", sec(20)),
    c.event("voicemail", sec(21), { extension: MAX, leftMessage: true, recordingUrl: REC }),
    c.hangup(sec(50)),
  ]);
const outgoingFrom = (extension: string, answered = true) =>
  record((c) => [
    c.placed(sec(0), "O1", extension, { number: OUT }),
    ...(answered
      ? [c.event("answered", sec(9), { legId: "O1", extension, recordingUrl: REC }), c.hangup(sec(90))]
      : [c.end("O1", extension, "normal", sec(30)), c.hangup(sec(30))]),
  ]);

/** One line per intent: what a reader of the matrix checks. */
function summary(intent: Intent): string {
  const { data } = intent;
  switch (intent.type) {
    case "crm.client.create":
      return `client.create on ${intent.data.responsibleEmployeeId} (${data.rule})`;
    case "crm.order.create":
      return `order.create on ${intent.data.responsibleEmployeeId} for ${intent.data.clientId ?? "the new client"} (${data.rule})`;
    case "crm.task.create":
      return `task ${intent.data.status} ${intent.data.purpose} for ${intent.data.assigneeEmployeeId} (${data.rule})`;
    case "crm.client.reopen":
      return `client.reopen ${intent.data.clientId} (${data.rule})`;
    case "crm.client.reassign":
      return `client.reassign ${intent.data.from} -> ${intent.data.to} (${data.rule})`;
    case "crm.unsorted.create":
      return `unsorted did ${intent.data.did} pipeline ${intent.data.pipeline} (${data.rule})`;
  }
}

interface Case {
  readonly rule: string;
  readonly what: string;
  readonly call: () => CallRecord;
  readonly client: KnownClient | null;
  readonly settings?: Partial<CrmSettings>;
  readonly createdAtStart?: boolean;
  readonly intents: readonly string[];
}

/** The matrix of seed 003 (R3.4; R3.5, R3.6, R3.7, R3.8, R3.9 by their lettered cells; R3.10) and R2.7. */
const MATRIX: readonly Case[] = [
  {
    rule: "R3.4",
    what: "inbound answered from a new number: client and order on the answerer, a completed task",
    call: () => answeredOn(FRONT),
    client: null,
    intents: [
      "client.create on alice (R3.4)",
      "order.create on alice for the new client (R3.4)",
      "task completed call-logged for alice (R3.4)",
    ],
  },
  {
    rule: "R3.4",
    what: "a new number answered on an extension nobody maps: on the senior manager, who checks the settings",
    call: () => answeredOn(NOBODY),
    client: null,
    intents: [
      "client.create on sara (R3.4)",
      "order.create on sara for the new client (R3.4)",
      "task open check-settings for sara (R3.5c)",
    ],
  },
  {
    rule: "R3.5a",
    what: "an existing client answered by the responsible: a completed task",
    call: () => answeredOn(MAX),
    client: known(),
    intents: ["task completed call-logged for max (R3.5a)"],
  },
  {
    rule: "R3.5b",
    what: "an existing client answered by someone else: completed for the answerer, open review for the responsible",
    call: () => answeredOn(FRONT),
    client: known(),
    intents: ["task completed call-logged for alice (R3.5b)", "task open review-call for max (R3.5b)"],
  },
  {
    rule: "R3.5b",
    what: "a client with no responsible: only the answerer's completed task",
    call: () => answeredOn(FRONT),
    client: known({ responsibleEmployeeId: null }),
    intents: ["task completed call-logged for alice (R3.5b)"],
  },
  {
    rule: "R3.5c",
    what: "an existing client answered on an unmapped extension: the senior manager checks the settings",
    call: () => answeredOn(NOBODY),
    client: known(),
    intents: ["task open check-settings for sara (R3.5c)"],
  },
  {
    rule: "R3.6a",
    what: "a client whose last order is closed, answered by the responsible: reopened, completed task, new order",
    call: () => answeredOn(MAX),
    client: known({ openOrder: false, lastOrderClosed: true }),
    intents: [
      "client.reopen c-77 (R3.6a)",
      "task completed call-logged for max (R3.6a)",
      "order.create on max for c-77 (R3.6a)",
    ],
  },
  {
    rule: "R3.6b",
    what: "a closed client answered by someone else: the answerer takes the client, the former responsible gets a task",
    call: () => answeredOn(FRONT),
    client: known({ openOrder: false, lastOrderClosed: true }),
    intents: [
      "task completed call-logged for alice (R3.6b)",
      "client.reassign max -> alice (R3.6b)",
      "task open review-call for max (R3.6b)",
      "order.create on alice for c-77 (R3.6b)",
    ],
  },
  {
    rule: "R3.7a",
    what: "missed from an existing client: the senior manager hands it out",
    call: () => missed(),
    client: known(),
    intents: ["task open distribute for sara (R3.7a)"],
  },
  {
    rule: "R3.7a",
    what: "busy is missed too (R3.3's reading): the senior manager hands it out",
    call: () => missed("busy"),
    client: known(),
    intents: ["task open distribute for sara (R3.7a)"],
  },
  {
    rule: "R3.7b",
    what: "missed from a new number: client, order and task, all on the senior manager",
    call: () => missed(),
    client: null,
    intents: [
      "client.create on sara (R3.7b)",
      "order.create on sara for the new client (R3.7b)",
      "task open distribute for sara (R3.7b)",
    ],
  },
  {
    rule: "R3.8a",
    what: "outgoing answered, placed by the responsible: a completed task",
    call: () => outgoingFrom(MAX),
    client: known(),
    intents: ["task completed call-logged for max (R3.8a)"],
  },
  {
    rule: "R3.8b",
    what: "outgoing answered, placed by someone else: completed task and an open review for the responsible",
    call: () => outgoingFrom(FRONT),
    client: known(),
    intents: ["task completed call-logged for alice (R3.8b)", "task open review-call for max (R3.8b)"],
  },
  {
    rule: "R3.8c",
    what: "outgoing answered to a number not in the CRM: nothing",
    call: () => outgoingFrom(MAX),
    client: null,
    intents: [],
  },
  {
    rule: "R3.9a",
    what: "voicemail from a new number: client and order on the senior manager, a call-back task",
    call: () => voicemail(),
    client: null,
    intents: [
      "client.create on sara (R3.9a)",
      "order.create on sara for the new client (R3.9a)",
      "task open call-back for sara (R3.9a)",
    ],
  },
  {
    rule: "R3.9b",
    what: "voicemail from an existing client: a call-back task for the responsible",
    call: () => voicemail(),
    client: known({ responsibleEmployeeId: "alice" }),
    intents: ["task open call-back for alice (R3.9b)"],
  },
  {
    rule: "R3.10",
    what: '"create before pickup", the client and order not sent at the start: made now, on the senior manager',
    call: () => answeredOn(FRONT),
    client: null,
    settings: { mode: "create-before-pickup" },
    intents: [
      "client.create on sara (R3.10)",
      "order.create on sara for the new client (R3.10)",
      "task completed call-logged for alice (R3.4)",
    ],
  },
  {
    rule: "R3.10",
    what: '"create before pickup", sent at the start: never created twice, only the answerer\'s task',
    call: () => answeredOn(FRONT),
    client: null,
    settings: { mode: "create-before-pickup" },
    createdAtStart: true,
    intents: ["task completed call-logged for alice (R3.4)"],
  },
  {
    rule: "R2.7",
    what: '"unsorted": a new number\'s answered call goes to unsorted, in the pipeline of the DID dialled',
    call: () => answeredOn(FRONT),
    client: null,
    settings: { unknownNumbers: "unsorted", unsortedPipelines: { "84951112233": "Продажи" } },
    intents: [`unsorted did ${DID} pipeline Продажи (R2.7)`],
  },
  {
    rule: "R2.7",
    what: '"unsorted": a missed call from a new number to another DID takes the default pipeline',
    call: () => missed(),
    client: null,
    settings: {
      unknownNumbers: "unsorted",
      unsortedPipelines: { "+74959990000": "Сервис" },
      defaultPipeline: "Основная",
    },
    intents: [`unsorted did ${DID} pipeline Основная (R2.7)`],
  },
  {
    rule: "R2.7",
    what: '"unsorted" changes nothing for a client the CRM knows',
    call: () => answeredOn(FRONT),
    client: known(),
    settings: { unknownNumbers: "unsorted" },
    intents: ["task completed call-logged for alice (R3.5b)", "task open review-call for max (R3.5b)"],
  },
];

const facts = (client: KnownClient | null, overrides: Partial<CrmSettings> = {}) => ({
  normalise: toE164,
  client: (e164: string) => (e164 === toE164(CLIENT) || e164 === toE164(OUT) ? client : null),
  settings: crm(overrides),
});

describe("the CRM's intents after a call: the matrix (R3.4–R3.10, R2.7)", () => {
  for (const c of MATRIX) {
    test(`${c.rule}: ${c.what}`, () => {
      const call = c.call();
      const decision = decideIntents(call, facts(c.client, c.settings), c.createdAtStart ?? false);
      expect(decision.intents.map(summary)).toEqual([...c.intents]);
      expect(decision.unnumbered).toBe(false);
      // Every intent names its call, its rule and why; ids are the call's, numbered, and stable.
      decision.intents.forEach((intent, i) => {
        expect(intent.id).toBe(`${call.id}:${i + 1}`);
        expect(intent.data.callId).toBe(call.id);
        expect(intent.data.reason.length).toBeGreaterThan(10);
        expect(intent.data.number).toBe(call.direction === "inbound" ? CLIENT : "+74951112233");
      });
      expect(decideIntents(call, facts(c.client, c.settings), c.createdAtStart ?? false)).toEqual(decision);
      if (c.intents.length === 0) expect(decision.none).toStartWith(c.rule);
    });
  }

  test("R3.5a, R3.8a, R3.9a: tasks carry the recording (the call's, or the voicemail's)", () => {
    for (const [call, client] of [
      [answeredOn(MAX), known()],
      [outgoingFrom(MAX), known()],
      [voicemail(), null],
    ] as const) {
      const tasks = decideIntents(call, facts(client), false).intents.filter(
        (i) => i.type === "crm.task.create",
      );
      expect(tasks.map((t) => t.data.recordingUrl)).toEqual([REC]);
    }
  });

  test("R3.7a, R3.5c: no senior manager configured: the task is still sent, to nobody named, and says so", () => {
    const [task] = decideIntents(missed(), facts(known(), { seniorManagerId: null }), false).intents;
    expect(task?.type).toBe("crm.task.create");
    expect(task?.type === "crm.task.create" && task.data.assigneeEmployeeId).toBeNull();
    expect(task?.data.reason).toContain("(none configured)");
  });

  test("R3.4: the reason names who and why", () => {
    const intents = decideIntents(answeredOn(FRONT), facts(null), false).intents;
    expect(intents[0]?.data.reason).toBe("a call from a new number: a new client and order, alice answered");
  });

  test("an internal call creates nothing", () => {
    const call = record((c) => [
      c.placed(sec(0), "O1", FRONT, { extension: MAX }),
      c.ring("L2", MAX, sec(1)),
      c.answer("L2", MAX, sec(3)),
      c.hangup(sec(30)),
    ]);
    expect(call.direction).toBe("internal");
    expect(decideIntents(call, facts(null), false)).toEqual({
      intents: [],
      none: "an internal call concerns no client",
      unnumbered: false,
    });
  });

  test("an outgoing call nobody answered creates nothing (the matrix has no cell for it)", () => {
    expect(decideIntents(outgoingFrom(MAX, false), facts(known()), false).intents).toEqual([]);
  });

  test("a caller id with no E.164 form (withheld, 'unknown') creates nothing and is flagged to be counted", () => {
    for (const from of ["unknown", "anonymous", "105"]) {
      const decision = decideIntents(answeredOn(FRONT, from), facts(null), false);
      expect(decision.intents).toEqual([]);
      expect(decision.unnumbered).toBe(true);
      expect(decision.none).toContain(from);
    }
  });

  test("numbers as the PBX gives them (79…, 89…, +7…) find the same client", () => {
    for (const from of ["79161234567", "89161234567", "+7 916 123-45-67"]) {
      const intents = decideIntents(answeredOn(MAX, from), facts(known()), false).intents;
      expect(intents.map(summary)).toEqual(["task completed call-logged for max (R3.5a)"]);
      expect(intents[0]?.data.number).toBe(CLIENT);
    }
  });
});

describe('R3.10: "create before pickup" at the start of a call', () => {
  const starting = (from = CLIENT) => ({
    id: "S1",
    direction: "inbound" as const,
    from: { number: from, extension: null },
    did: DID,
  });

  test("R3.10: a new number's call starting: client and order at once, on the senior manager", () => {
    const intents = decideStartIntents(starting(), facts(null, { mode: "create-before-pickup" }));
    expect(intents.map(summary)).toEqual([
      "client.create on sara (R3.10)",
      "order.create on sara for the new client (R3.10)",
    ]);
    expect(intents.map((i) => i.id)).toEqual(["S1:start:1", "S1:start:2"]);
  });

  test("R3.10: nothing at the start for a known number, another mode, unsorted, or no E.164 number", () => {
    expect(decideStartIntents(starting(), facts(known(), { mode: "create-before-pickup" }))).toEqual([]);
    expect(decideStartIntents(starting(), facts(null))).toEqual([]);
    expect(
      decideStartIntents(
        starting(),
        facts(null, { mode: "create-before-pickup", unknownNumbers: "unsorted" }),
      ),
    ).toEqual([]);
    expect(decideStartIntents(starting("unknown"), facts(null, { mode: "create-before-pickup" }))).toEqual(
      [],
    );
  });
});
