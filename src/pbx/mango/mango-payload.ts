/**
 * Mango Office VPBX webhooks (`events/call`, `events/summary`, `events/recording`), read from the
 * JSON object HQ relays as it arrived (a `mango.event` record). Pure. Mango's own examples write
 * `seq`, `timestamp`, `disconnect_reason` and codes both as strings and as numbers, so every
 * number here is read from either; anything missing or of another type is null, never guessed.
 */

export interface MangoParty {
  readonly extension: string | null;
  readonly number: string | null;
  /** `from` only: the leg this party came from before a transfer or a route. */
  readonly takenFromCallId: string | null;
  /** `to` only: the company number (DID or SIP line) the call came in on. */
  readonly lineNumber: string | null;
}

export type MangoCallState = "Appeared" | "Connected" | "OnHold" | "Disconnected";

export interface MangoCallEvent {
  readonly entryId: string;
  readonly callId: string;
  readonly seq: number;
  /** Ms since epoch (Mango sends Unix seconds, UTC). */
  readonly at: number;
  readonly state: MangoCallState;
  /** `ivr` | `queue` | `abonent`; null when absent (the API's older examples omit it). */
  readonly location: string | null;
  readonly from: MangoParty;
  readonly to: MangoParty;
  readonly disconnectReason: number | null;
  /** The API command that created this leg (`command_id`): a callback's, a route's, a transfer's. */
  readonly commandId: string | null;
}

export interface MangoSummary {
  readonly entryId: string;
  readonly endAt: number | null;
  /** 1: talked, 0: missed. */
  readonly entryResult: number | null;
  readonly disconnectReason: number | null;
}

export interface MangoRecording {
  readonly entryId: string;
  readonly callId: string | null;
  readonly recordingId: string;
  readonly state: "Started" | "Continued" | "Completed";
  readonly completionCode: number | null;
  readonly at: number | null;
}

type Json = Readonly<Record<string, unknown>>;

const STATES: ReadonlySet<string> = new Set(["Appeared", "Connected", "OnHold", "Disconnected"]);
const RECORDING_STATES: ReadonlySet<string> = new Set(["Started", "Continued", "Completed"]);

/** A non-empty string, or a number written as one (Mango's ids and numbers are opaque text). */
export function text(value: unknown): string | null {
  if (typeof value === "string") return value.trim() === "" ? null : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/** An integer sent as a number or as a string of digits. */
export function integer(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : null;
  if (typeof value === "string" && /^\s*-?\d{1,15}\s*$/.test(value)) return Number(value);
  return null;
}

const object = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};

function party(value: unknown): MangoParty {
  const o = object(value);
  return {
    extension: text(o.extension),
    number: text(o.number),
    takenFromCallId: text(o.taken_from_call_id),
    lineNumber: text(o.line_number),
  };
}

const seconds = (value: unknown): number | null => {
  const s = integer(value);
  return s === null || s <= 0 ? null : s * 1000;
};

/** An `events/call` body, or null when it lacks what places it (entry, leg, seq, time, state). */
export function readCallEvent(json: Json): MangoCallEvent | null {
  const entryId = text(json.entry_id);
  const callId = text(json.call_id);
  const seq = integer(json.seq);
  const at = seconds(json.timestamp);
  const state = text(json.call_state);
  if (entryId === null || callId === null || seq === null || at === null) return null;
  if (state === null || !STATES.has(state)) return null;
  return {
    entryId,
    callId,
    seq,
    at,
    state: state as MangoCallState,
    location: text(json.location),
    from: party(json.from),
    to: party(json.to),
    disconnectReason: integer(json.disconnect_reason),
    commandId: text(json.command_id),
  };
}

export function readSummary(json: Json): MangoSummary | null {
  const entryId = text(json.entry_id);
  if (entryId === null) return null;
  return {
    entryId,
    endAt: seconds(json.end_time),
    entryResult: integer(json.entry_result),
    disconnectReason: integer(json.disconnect_reason),
  };
}

export function readRecording(json: Json): MangoRecording | null {
  const entryId = text(json.entry_id);
  const recordingId = text(json.recording_id);
  const state = text(json.recording_state);
  if (entryId === null || recordingId === null || state === null || !RECORDING_STATES.has(state)) return null;
  return {
    entryId,
    callId: text(json.call_id),
    recordingId,
    state: state as MangoRecording["state"],
    completionCode: integer(json.completion_code),
    at: seconds(json.timestamp),
  };
}

/** One row of Mango's call statistics, as HQ relays it in a `stats` record (all values text). */
export interface MangoStatsLeg {
  readonly start: number;
  readonly finish: number;
  /** null: never answered (Mango writes 0). */
  readonly answer: number | null;
  readonly from: MangoParty;
  readonly to: MangoParty;
  readonly disconnectReason: number | null;
  readonly recordingIds: readonly string[];
}

export interface MangoStatsEntry {
  readonly entryId: string;
  /** Oldest first; never empty. */
  readonly rows: readonly MangoStatsLeg[];
}

/**
 * The recording ids of a statistics row's `records`: the API document writes `[rec1,rec2,rec3]`
 * (a live answer: `[]` for none), its example `547658365,547658366` without brackets. Both read.
 */
export function mangoStatsRecordings(records: unknown): string[] {
  const inner = (text(records) ?? "").trim().replace(/^\[/, "").replace(/\]$/, "");
  return inner
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
}

/**
 * A `stats` record's json (`{entry_id, rows}`, docs/contract.md): the rows that have a start and
 * a finish, oldest first; null when it has no entry or no such row.
 */
export function readStatsEntry(json: Json): MangoStatsEntry | null {
  const entryId = text(json.entry_id);
  const rows = Array.isArray(json.rows) ? json.rows.map(object) : [];
  const legs: MangoStatsLeg[] = [];
  for (const row of rows) {
    const start = seconds(row.start);
    const finish = seconds(row.finish);
    if (start === null || finish === null) continue;
    const party = (extension: unknown, number: unknown): MangoParty => ({
      extension: text(extension),
      number: text(number),
      takenFromCallId: null,
      lineNumber: text(row.line_number),
    });
    legs.push({
      start,
      finish,
      answer: seconds(row.answer),
      from: party(row.from_extension, row.from_number),
      to: party(row.to_extension, row.to_number),
      disconnectReason: integer(row.disconnect_reason),
      recordingIds: mangoStatsRecordings(row.records),
    });
  }
  if (entryId === null || legs.length === 0) return null;
  return { entryId, rows: legs.sort((a, b) => a.start - b.start) };
}
