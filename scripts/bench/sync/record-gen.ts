import { callRecordDataSchema, rosterFactDataSchema } from "../../../src/contract/up-records.ts";
import { mulberry32 } from "../lib/prng.ts";

/**
 * The up records the benchmark moves: nine call records (`call.record` on `calls`, about 1 KB of
 * JSON each: two legs, owner, pops, a recording URL) for every roster fact (`roster.fact` on
 * `roster`, about 230 B), as a branch writes them. Deterministic for a seed.
 *
 * Rendering must be cheap, because the bare mqtt.js loop renders each payload inside its timed
 * loop (1,000,000 of them do not fit in memory beside it): 64 call and 16 roster templates are
 * built once from objects checked against the product's own record schemas, serialized, and cut
 * at their placeholders; a record is its template's pieces joined with its id and instants.
 */

export type BenchStream = "calls" | "roster";

export interface BenchRecord {
  readonly stream: BenchStream;
  /** The stream's seq: 1, 2, 3 … per stream, as a fresh outbox numbers them. */
  readonly seq: number;
  readonly id: string;
  readonly type: "call.record" | "roster.fact";
  /** `data` as JSON text, byte for byte what the relay's envelope and the bare payload carry. */
  readonly dataJson: string;
}

/** One in ten records is a roster fact. */
export const ROSTER_EVERY = 10;

/** How many records of each stream the first `count` records hold. */
export function streamCounts(count: number): Record<BenchStream, number> {
  const roster = Math.floor(count / ROSTER_EVERY);
  return { calls: count - roster, roster };
}

type Template = { readonly pieces: readonly string[]; readonly tokens: readonly string[] };

const TOKEN = /(@ID@|"#[A-Z][A-Z0-9]*#")/;

/** Serializes `value` and cuts it at `@ID@` (inside strings) and `"#T0#"`-style number slots. */
function template(value: unknown): Template {
  const parts = JSON.stringify(value).split(TOKEN);
  return {
    pieces: parts.filter((_, i) => i % 2 === 0),
    tokens: parts.filter((_, i) => i % 2 === 1).map((t) => t.replace(/["#@]/g, "")),
  };
}

function render(t: Template, values: Readonly<Record<string, string>>): string {
  let out = t.pieces[0] as string;
  for (let i = 0; i < t.tokens.length; i++) out += (values[t.tokens[i] as string] ?? "") + t.pieces[i + 1];
  return out;
}

const STAFF = [
  ["anna", "Anna Petrova", "front", "101"],
  ["olga", "Olga Smirnova", "hall", "103"],
  ["irina", "Irina Volkova", "back", "105"],
  ["sergey", "Sergey Ivanov", "office", "102"],
] as const;

function callTemplate(random: () => number): unknown {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const [employeeId, name, desk, extension] = pick(STAFF);
  const [otherId, otherName, , otherExt] = pick(STAFF);
  const answered = random() < 0.7;
  const caller = `+7${9000000000 + Math.floor(random() * 999999999)}`;
  const leg = (n: number, ext: string, id: string, who: string, wins: boolean) => ({
    id: `@ID@-leg-${n}`,
    extension: ext,
    state: "ended",
    ending: answered ? (wins ? "completed" : "cancelled") : "missed",
    ringingAt: "#T0#",
    answeredAt: answered && wins ? "#T1#" : null,
    endedAt: "#T2#",
    endCause: answered ? (wins ? "normal" : "answered-elsewhere") : "no-answer",
    transferredFrom: null,
    placedCall: false,
    employeeId: id,
    rule: "desk-checkin",
    reason: `${who} was checked in at the desk of extension ${ext} when the call ${wins && answered ? "was answered" : "rang"}.`,
    decidedAt: answered && wins ? "#T1#" : "#T0#",
  });
  const reason = `${name} was checked in at desk ${desk} (ext. ${extension}) when the call ${answered ? "was answered" : "rang"}.`;
  return {
    id: "@ID@",
    source: "ami:pbx.branch.local",
    direction: "inbound",
    from: { number: caller, extension: null },
    to: { number: "+74951234567", extension: null },
    did: "+74951234567",
    startedAt: "#T0#",
    answeredAt: answered ? "#T1#" : null,
    endedAt: "#T2#",
    outcome: answered ? "answered" : "missed",
    legs: [leg(1, extension, employeeId, name, true), leg(2, otherExt, otherId, otherName, false)],
    owner: { employeeId, rule: "desk-checkin", reason },
    pops: [{ employeeId, reason: answered ? "answered" : "missed", rule: answered ? "R3.1" : "R3.3" }],
    recordingUrl: answered ? "https://pbx.branch.local/monitor/2026/03/@ID@.wav" : null,
    partOf: null,
    recovered: null,
  };
}

function rosterTemplate(random: () => number): unknown {
  const [employeeId, , desk] = STAFF[Math.floor(random() * STAFF.length)] as (typeof STAFF)[number];
  const kind = (["check-in", "check-out", "break-start", "break-end"] as const)[Math.floor(random() * 4)];
  return {
    seq: "#N#",
    kind,
    employeeId,
    deskId: kind === "check-in" ? desk : null,
    at: "#T0#",
    recordedAt: "#T0#",
    source: "kiosk",
    actorId: null,
  };
}

const CALL_TEMPLATES = 64;
const ROSTER_TEMPLATES = 16;

/** Builds the templates for `seed`, each checked once against the product's schema of its type. */
export function recordFactory(seed: number) {
  const random = mulberry32(seed);
  const calls = Array.from({ length: CALL_TEMPLATES }, () => template(callTemplate(random)));
  const roster = Array.from({ length: ROSTER_TEMPLATES }, () => template(rosterTemplate(random)));
  const values = (id: string, n: number, at: number) => ({
    ID: id,
    N: String(n),
    T0: String(at - 95_000),
    T1: String(at - 80_000),
    T2: String(at),
  });
  for (const t of calls) callRecordDataSchema.parse(JSON.parse(render(t, values("call-x", 1, 1e12))));
  for (const t of roster) rosterFactDataSchema.parse(JSON.parse(render(t, values("fact-1", 1, 1e12))));

  /** Record `index` (0-based, over both streams) with seq `seq` of its stream, ending at `at`. */
  return (index: number, at: number): BenchRecord => {
    if (index % ROSTER_EVERY === ROSTER_EVERY - 1) {
      const seq = (index + 1) / ROSTER_EVERY;
      const id = `fact-${seq}`;
      const dataJson = render(roster[index % ROSTER_TEMPLATES] as Template, values(id, seq, at));
      return { stream: "roster", seq, id, type: "roster.fact", dataJson };
    }
    const seq = index + 1 - Math.floor((index + 1) / ROSTER_EVERY);
    const id = `call-${seed}-${seq}`;
    const dataJson = render(calls[index % CALL_TEMPLATES] as Template, values(id, seq, at));
    return { stream: "calls", seq, id, type: "call.record", dataJson };
  };
}

/** A record as one message of the bare loop: the very JSON the relay puts in an envelope. */
export function recordJson(r: BenchRecord, ts: number): string {
  return `{"id":"${r.id}","seq":${r.seq},"ts":${ts},"type":"${r.type}","data":${r.dataJson}}`;
}
