import type { AttributionRule, LegEnding } from "../../src/domain/call/call-types.ts";
import {
  type CallScenario,
  day,
  type ExpectedLeg,
  type ExpectedRecord,
  MANAGERS,
} from "./scenario-branch.ts";

/**
 * The call scenarios every PBX source must pass (STYLE 5): for each, the branch as it stood (roster
 * facts, settings; the desks and staff are scenario-branch.ts's) and the call records a correct box
 * produces, whatever the PBX. A source supplies its own input per scenario name (AMI: a transcript
 * in test/fixtures/ami; SIP and cloud PBX later) and runs source → CallAssembler → attribute.
 *
 * Branch: desk front = 101 (shared), desk hall = 104 (shared), Sergey 102, Maria 103 (managers),
 * Oleg 105 (senior manager), 106 the corridor phone (nobody). Usual morning: Bella at front and
 * Anna at hall from 09:00.
 */

const leg = (
  extension: string,
  employeeId: string | null,
  rule: AttributionRule,
  ending: LegEnding,
  transferredFrom: string | null = null,
): ExpectedLeg => ({ extension, employeeId, rule, ending, transferredFrom });

const CLIENT = "+79161234567";
const DID = "74957654321";
const missedPops = MANAGERS.map((employeeId) => ({ employeeId, rule: "R3.3" as const }));
const answeredBy = (employeeId: string) => ({ employeeId, rule: "R3.1" as const });

const frontDeskAnswered = (employeeId: string | null, rule: AttributionRule): ExpectedRecord => ({
  direction: "inbound",
  outcome: "answered",
  from: CLIENT,
  did: DID,
  legs: [leg("101", employeeId, rule, "completed")],
  owner: { employeeId, rule },
  pops:
    employeeId !== null && rule === "desk-checkin"
      ? [answeredBy(employeeId)]
      : [{ employeeId: "oleg", rule: "R3.2" }],
});

/** Ring group 600 rings 101–106 at once; each leg is owned by who held it at ring time. */
const groupLegs = (
  answered: string | null,
  ending: LegEnding,
  unmapped: { employeeId: string | null; rule: AttributionRule },
) => {
  const owners: Record<string, [string | null, AttributionRule]> = {
    "101": ["bella", "desk-checkin"],
    "102": ["sergey", "dedicated"],
    "103": ["maria", "dedicated"],
    "104": ["anna", "desk-checkin"],
    "105": ["oleg", "dedicated"],
    "106": [unmapped.employeeId, unmapped.rule],
  };
  return Object.entries(owners).map(([ext, [employeeId, rule]]) =>
    leg(ext, employeeId, rule, ext === answered ? "completed" : ending),
  );
};
const NOBODY = { employeeId: null, rule: "unmapped" as const };

export const SCENARIOS: readonly CallScenario[] = [
  {
    name: "inbound-front-desk-answered",
    rules: ["R0.2", "R0.3", "R3.1"],
    what: "a client calls; the front desk 101 answers: the receptionist checked in there owns it",
    expected: [frontDeskAnswered("bella", "desk-checkin")],
  },
  {
    name: "front-desk-off-shift-crm-login",
    rules: ["R0.3a"],
    what: "Vera, off today, logs into the CRM at 09:10 with 101 in her profile: the call stays Bella's",
    roster: (log) => {
      log.checkIn("bella", "front", day("09:00"));
      log.crmLogin("vera", day("09:10"));
    },
    expected: [frontDeskAnswered("bella", "desk-checkin")],
  },
  {
    name: "front-desk-visitor-from-branch-2",
    rules: ["R0.3b"],
    what: "Kira from branch 2 (profile extension 201) checked in at the front desk: 101's call is hers",
    roster: (log) => log.checkIn("kira", "front", day("08:55")),
    expected: [frontDeskAnswered("kira", "desk-checkin")],
  },
  {
    name: "front-desk-after-handover",
    rules: ["R0.3"],
    what: "Anna took the front desk's phone from Bella at 09:10 (handover): the 09:12 call is Anna's",
    roster: (log) => {
      log.checkIn("bella", "front", day("09:00"));
      log.handover("anna", "front", day("09:10"));
    },
    expected: [frontDeskAnswered("anna", "desk-checkin")],
  },
  {
    name: "front-desk-nobody-on-shift-fallback",
    rules: ["R1.1", "R1.4", "R3.2"],
    what: "nobody checked in at the front desk; Maria is the fallback: she owns the leg, the senior manager gets the pop",
    roster: () => {},
    settings: { fallbackEmployeeId: "maria" },
    expected: [frontDeskAnswered("maria", "fallback")],
  },
  {
    name: "ring-group-answered",
    rules: ["R0.2", "R0.3", "R3.1"],
    what: "ring group of six (101–106); Maria's 103 answers; the other five are cancelled, not missed",
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        from: CLIENT,
        did: DID,
        legs: groupLegs("103", "cancelled", NOBODY),
        owner: { employeeId: "maria", rule: "dedicated" },
        pops: [answeredBy("maria")],
      },
    ],
  },
  {
    name: "ring-group-missed",
    rules: ["R3.3"],
    what: "ring group of six, nobody answers: ONE missed call (six missed legs), the managers are told",
    expected: [
      {
        direction: "inbound",
        outcome: "missed",
        from: "+79267770011",
        legs: groupLegs(null, "missed", NOBODY),
        // A ringall group "ends" on the handset Dial rang last: 106, which maps to nobody (R1.2).
        owner: NOBODY,
        pops: missedPops,
      },
    ],
  },
  {
    name: "ring-group-missed-fallback",
    rules: ["R1.2", "R3.3"],
    what: "the same missed group call with a fallback employee: it ended on unmapped 106, so the fallback owns it",
    settings: { fallbackEmployeeId: "maria" },
    expected: [
      {
        direction: "inbound",
        outcome: "missed",
        legs: groupLegs(null, "missed", { employeeId: "maria", rule: "fallback" }),
        owner: { employeeId: "maria", rule: "fallback" },
        pops: missedPops,
      },
    ],
  },
  {
    name: "ring-group-answered-unmapped",
    rules: ["R3.2", "R1.4"],
    what: "the corridor phone 106 (nobody's) answers the group call: no owner, the senior manager gets the pop",
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        legs: groupLegs("106", "cancelled", NOBODY),
        owner: NOBODY,
        pops: [{ employeeId: "oleg", rule: "R3.2" }],
      },
    ],
  },
  {
    name: "ring-group-answered-unmapped-fallback",
    rules: ["R1.1", "R1.4", "R3.2"],
    what: "as above with Maria as fallback: she owns it, but gets no card (R1.4); the senior manager does",
    settings: { fallbackEmployeeId: "maria" },
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        legs: groupLegs("106", "cancelled", { employeeId: "maria", rule: "fallback" }),
        owner: { employeeId: "maria", rule: "fallback" },
        pops: [{ employeeId: "oleg", rule: "R3.2" }],
      },
    ],
  },
  {
    name: "queue-answered",
    rules: ["R0.1", "R0.2", "R0.3", "R3.1"],
    what: "queue 400: Sergey's 102 rings out, then the front desk 101 answers: Bella owns it",
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        from: "+79035550142",
        legs: [leg("102", "sergey", "dedicated", "missed"), leg("101", "bella", "desk-checkin", "completed")],
        owner: { employeeId: "bella", rule: "desk-checkin" },
        pops: [answeredBy("bella")],
      },
    ],
  },
  {
    name: "caller-cancels",
    rules: ["R3.3"],
    what: "the client hangs up while 101 rings: a missed call, owned by the desk's receptionist",
    expected: [
      {
        direction: "inbound",
        outcome: "missed",
        from: "+79167003344",
        legs: [leg("101", "bella", "desk-checkin", "cancelled")],
        owner: { employeeId: "bella", rule: "desk-checkin" },
        pops: missedPops,
      },
    ],
  },
  {
    name: "busy",
    rules: ["R4.1", "R3.3"],
    what: "Sergey's 102 is busy: outcome busy, his call, the managers hear nobody answered",
    expected: [
      {
        direction: "inbound",
        outcome: "busy",
        legs: [leg("102", "sergey", "dedicated", "busy")],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: missedPops,
      },
    ],
  },
  {
    name: "voicemail-message",
    rules: ["R4.5", "R3.3"],
    what: "no answer on 102, the client leaves a message: missed, labelled voicemail",
    expected: [
      {
        direction: "inbound",
        outcome: "voicemail",
        legs: [leg("102", "sergey", "dedicated", "missed")],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: missedPops,
      },
    ],
  },
  {
    name: "voicemail-no-message",
    rules: ["R4.5", "R3.3"],
    what: "no answer on 102, voicemail, but no message: just missed",
    expected: [
      {
        direction: "inbound",
        outcome: "missed",
        legs: [leg("102", "sergey", "dedicated", "missed")],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: missedPops,
      },
    ],
  },
  {
    name: "blind-transfer",
    rules: ["R1.3", "R2.3"],
    what: "101 answers and blind-transfers to 102: two legs, each its owner's; the call is Sergey's",
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        from: CLIENT,
        legs: [
          leg("101", "bella", "desk-checkin", "transferred"),
          leg("102", "sergey", "dedicated", "completed", "101"),
        ],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: [answeredBy("bella"), answeredBy("sergey")],
      },
    ],
  },
  {
    name: "blind-transfer-from-unmapped",
    rules: ["R1.3", "R1.1", "R3.2"],
    what: "unmapped 106 answers and transfers to 102: the first part goes to the fallback, the second is Sergey's, as a separate call",
    settings: { fallbackEmployeeId: "maria" },
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        from: "+79998887766",
        legs: [leg("106", "maria", "fallback", "transferred")],
        owner: { employeeId: "maria", rule: "fallback" },
        pops: [{ employeeId: "oleg", rule: "R3.2" }],
      },
      {
        direction: "inbound",
        outcome: "answered",
        from: "+79998887766",
        legs: [leg("102", "sergey", "dedicated", "completed", "106")],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: [answeredBy("sergey")],
        splitPart: true,
      },
    ],
  },
  {
    name: "attended-transfer",
    rules: ["R1.3", "R2.4"],
    what: "101 consults 102 (its own call) and completes: one call, 101's leg transferred, 102's leg joins it",
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        from: "+79101234455",
        legs: [
          leg("101", "bella", "desk-checkin", "transferred"),
          leg("102", "sergey", "dedicated", "completed", "101"),
        ],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: [answeredBy("bella"), answeredBy("sergey")],
      },
    ],
  },
  {
    name: "attended-transfer-declined",
    rules: ["R2.4"],
    what: "102 declines the consultation: the client stays with 101; the consultation is an internal call of its own",
    expected: [
      {
        direction: "internal",
        outcome: "answered",
        legs: [
          leg("101", "bella", "desk-checkin", "completed"),
          leg("102", "sergey", "dedicated", "completed"),
        ],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: [answeredBy("sergey")],
      },
      {
        direction: "inbound",
        outcome: "answered",
        from: "+79101234455",
        legs: [leg("101", "bella", "desk-checkin", "completed")],
        owner: { employeeId: "bella", rule: "desk-checkin" },
        pops: [answeredBy("bella")],
      },
    ],
  },
  {
    name: "outbound-answered",
    rules: ["R0.2", "R3.1"],
    what: "Sergey dials a client from 102; the client answers",
    expected: [
      {
        direction: "outbound",
        outcome: "answered",
        did: null,
        legs: [leg("102", "sergey", "dedicated", "completed")],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: [answeredBy("sergey")],
      },
    ],
  },
  {
    name: "internal-call",
    rules: ["R0.2", "R0.3", "R3.1"],
    what: "the front desk calls Sergey: both legs owned, the answering one owns the call",
    expected: [
      {
        direction: "internal",
        outcome: "answered",
        legs: [
          leg("101", "bella", "desk-checkin", "completed"),
          leg("102", "sergey", "dedicated", "completed"),
        ],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: [answeredBy("sergey")],
      },
    ],
  },
  {
    name: "two-inbound-interleaved",
    rules: ["R0.1", "R0.3", "R3.1", "R3.3"],
    what: "two clients at once: the second (to 102) is missed and ends first, the first is Bella's",
    expected: [
      {
        direction: "inbound",
        outcome: "missed",
        from: "+79035550142",
        did: "74957654322",
        legs: [leg("102", "sergey", "dedicated", "missed")],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: missedPops,
      },
      frontDeskAnswered("bella", "desk-checkin"),
    ],
  },
  {
    name: "mid-call-resync",
    rules: ["R0.2", "R0.3", "R3.1"],
    what: "the box starts while the front desk talks to a client: the call is still recorded, Bella's",
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        from: "+79169990011",
        legs: [leg("101", "bella", "desk-checkin", "completed")],
        owner: { employeeId: "bella", rule: "desk-checkin" },
        pops: [answeredBy("bella")],
      },
    ],
  },
  {
    name: "no-answer-dropped",
    rules: ["R4.1", "R4.5"],
    what: "nobody answers 102 in its time and the PBX drops it with busy: a call missed by Sergey",
    expected: [
      {
        direction: "inbound",
        outcome: "missed",
        from: "+79167771122",
        legs: [leg("102", "sergey", "dedicated", "missed")],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: missedPops,
      },
    ],
  },
  {
    name: "no-answer-forwarded-answered",
    rules: ["R4.2", "R4.5"],
    what: "102 does not answer, the call is forwarded to the front desk and Bella answers: a call to Bella",
    expected: [
      {
        direction: "inbound",
        outcome: "answered",
        from: "+79167771133",
        legs: [leg("102", "sergey", "dedicated", "missed"), leg("101", "bella", "desk-checkin", "completed")],
        owner: { employeeId: "bella", rule: "desk-checkin" },
        pops: [answeredBy("bella")],
      },
    ],
  },
  {
    name: "no-answer-forwarded-missed",
    rules: ["R4.2", "R4.5"],
    what: "102 does not answer, the forward to the front desk is not answered either: missed by Sergey",
    expected: [
      {
        direction: "inbound",
        outcome: "missed",
        from: "+79167771144",
        legs: [leg("102", "sergey", "dedicated", "missed"), leg("101", "bella", "desk-checkin", "cancelled")],
        owner: { employeeId: "sergey", rule: "dedicated" },
        pops: missedPops,
      },
    ],
  },
];
