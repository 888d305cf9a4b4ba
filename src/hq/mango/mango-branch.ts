import type { MangoConfig } from "../hq-config.ts";

type Branches = MangoConfig["branches"];

/**
 * Which configured branch one Mango event belongs to, by the fields the VPBX API document gives
 * each event (control-rules §3.2–3.4): first a company line — `to.line_number` (events/call),
 * `line_number` (summary, dtmf), or `from.number`/`to.number` when a branch lists a SIP line id
 * or a number there — then an employee's extension: `from.extension`, `to.extension` (call,
 * summary), `extension` (recording). null: none of a configured branch's. A recording or DTMF
 * event that names neither is placed by its `entry_id` at the store (the call's earlier events).
 */
export function branchOfMangoEvent(json: Record<string, unknown>, branches: Branches): string | null {
  const from = objectAt(json, "from");
  const to = objectAt(json, "to");
  const lines = [to.line_number, json.line_number, from.number, to.number];
  const extensions = [from.extension, to.extension, json.extension];
  for (const value of lines.map(text)) {
    if (value === null) continue;
    const found = branches.find((b) => b.lines.includes(value));
    if (found !== undefined) return found.branch;
  }
  for (const value of extensions.map(text)) {
    if (value === null) continue;
    const found = branches.find((b) => b.extensions.includes(value));
    if (found !== undefined) return found.branch;
  }
  return null;
}

/** The call group an event belongs to (every Mango event but a ping has one). */
export function entryIdOf(json: Record<string, unknown>): string | null {
  return text(json.entry_id);
}

function objectAt(json: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = json[key];
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** Mango writes numbers as strings or numbers alike (§3.1). */
function text(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}
