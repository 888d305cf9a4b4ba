import type { AttributedLeg, CallRecord } from "./domain/call/call-types.ts";
import { formatDateTime } from "./http/ui/branch-time.ts";
import type { ReplayResult } from "./replay.ts";

/**
 * What `branchbox replay` prints: a table of the calls (one row each, then its legs with their
 * owner, rule and reason), and the counts that say how much of the capture was understood.
 */
export function replayTable(result: ReplayResult): string {
  const names = new Map(result.staff.map((s) => [s.id, s.name]));
  const who = (id: string | null) => (id === null ? "nobody" : `${names.get(id) ?? "?"} (${id})`);
  const at = (t: number | null) => (t === null ? "—" : formatDateTime(t, result.timeZone).slice(11));
  const rows = result.records.map((record) => [
    formatDateTime(record.startedAt, result.timeZone),
    record.from.number ?? record.from.extension ?? "hidden",
    record.did ?? record.to.number ?? record.to.extension ?? "—",
    record.outcome,
    answeredBy(record, who),
    String(record.legs.length),
    duration(record),
  ]);
  const header = ["start", "caller", "called/DID", "outcome", "answered by", "legs", "duration"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const out = [`calls (times in ${result.timeZone}; staff: ${result.staffFrom})`, line(header)];
  result.records.forEach((record, i) => {
    out.push(line(rows[i] ?? []));
    if (record.partOf !== null) out.push(`    part of ${record.partOf} (R1.3)`);
    for (const leg of record.legs) out.push(`    ${legLine(leg, who, at)}`);
    out.push(`    owner: ${who(record.owner.employeeId)} [${record.owner.rule}]: ${record.owner.reason}`);
  });
  if (result.records.length === 0) out.push("(no finished calls)");
  if (result.live.length > 0) {
    out.push("", "still going on where the capture ends (no call record yet):");
    for (const call of result.live)
      out.push(
        `  ${call.id}  from ${formatDateTime(call.startedAt, result.timeZone)}  ${call.from.number ?? call.from.extension ?? "hidden"}  legs ${call.legs.map((l) => l.extension).join(", ") || "none"}`,
      );
  }
  return `${out.join("\n")}\n\n${replaySummary(result)}`;
}

/** The counts, one line each; the pipeline's complaints after them. */
export function replaySummary(result: ReplayResult): string {
  const c = result.counts;
  const lines = [
    `read: ${result.format === "console" ? "Asterisk console log (manager debug)" : "AMI text"}`,
    `frames: ${c.frames} (bad ${c.badFrames}${result.format === "console" ? `, repeated for another session ${c.repeated}` : ""})`,
    `event frames: ${c.eventFrames} (malformed ${c.malformed}, sent twice ${c.sentTwice})${c.untimed > 0 ? `; ${c.untimed} without a Timestamp header: timed by their channel's creation, so durations are not real (set timestampevents = yes in manager.conf)` : ""}`,
    `events: ${c.events} (already reported ${c.duplicates}, refused ${c.refused})`,
    `calls: ${c.calls}, orphans: ${c.orphans}${orphanKinds(c.orphansByKind)}, still going on: ${result.live.length}`,
  ];
  return [...lines, ...result.warnings].join("\n");
}

/** ` (Hangup 3, Newstate 1)`: which events named a call the capture never showed begin. */
function orphanKinds(byKind: Readonly<Record<string, number>>): string {
  const kinds = Object.entries(byKind).map(([kind, n]) => `${kind} ${n}`);
  return kinds.length === 0 ? "" : ` (${kinds.join(", ")})`;
}

function answeredBy(record: CallRecord, who: (id: string | null) => string): string {
  if (record.outcome !== "answered") return "—";
  const answered = record.legs.filter((leg) => leg.answeredAt !== null && !leg.placedCall).at(-1);
  if (answered === undefined) return record.direction === "inbound" ? "—" : "far end";
  return answered.employeeId === null
    ? `ext ${answered.extension}`
    : `${who(answered.employeeId)} ext ${answered.extension}`;
}

function legLine(
  leg: AttributedLeg,
  who: (id: string | null) => string,
  at: (t: number | null) => string,
): string {
  const times = `rang ${at(leg.ringingAt)} answered ${at(leg.answeredAt)} ended ${at(leg.endedAt)}`;
  const from = leg.transferredFrom === null ? "" : ` (transferred from ${leg.transferredFrom})`;
  const placed = leg.placedCall ? " placed the call" : "";
  return `ext ${leg.extension}${placed}: ${leg.ending ?? leg.state}${from}, ${times}; ${who(leg.employeeId)} [${leg.rule}]: ${leg.reason}`;
}

function duration(record: CallRecord): string {
  if (record.endedAt === null) return "—";
  const seconds = Math.max(0, Math.round((record.endedAt - record.startedAt) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
