import type { CrmStep } from "../crm/crm-port.ts";
import type { CrmStepCounts, ParkedCrmStep } from "../crm/crm-step-store-port.ts";

/** A `crm_steps` row as either engine returns it (PostgreSQL's bigints come back as strings). */
export type StepRow = {
  id: number | string;
  record_key: string;
  branch: string;
  record_id: string;
  name: string;
  order_key: string;
  input: string;
  attempts: number | string;
};
export type ParkedRow = StepRow & {
  last_code: string | null;
  last_error: string | null;
  updated_at: number | string;
};

/** The step `run` is given: its row, and what its record's done steps returned. */
export function toStep(row: StepRow, earlier: readonly { name: string; result: string | null }[]): CrmStep {
  return {
    id: Number(row.id),
    recordKey: String(row.record_key),
    branch: String(row.branch),
    recordId: String(row.record_id),
    name: String(row.name),
    orderKey: String(row.order_key),
    input: JSON.parse(String(row.input)),
    attempts: Number(row.attempts),
    earlier: Object.fromEntries(earlier.map((e) => [e.name, JSON.parse(e.result ?? "{}")])),
  };
}

export function toParked(row: ParkedRow): ParkedCrmStep {
  return {
    id: Number(row.id),
    recordKey: String(row.record_key),
    branch: String(row.branch),
    recordId: String(row.record_id),
    name: String(row.name),
    attempts: Number(row.attempts),
    code: row.last_code ?? "",
    reason: row.last_error ?? "",
    parkedAt: Number(row.updated_at),
  };
}

/** `SELECT state, count(*) AS n … GROUP BY state` as the port's counts (every state, 0 if none). */
export function toCounts(rows: readonly { state: string; n: number | string }[]): CrmStepCounts {
  const n = { pending: 0, done: 0, parked: 0 };
  for (const row of rows) if (row.state in n) n[row.state as keyof typeof n] = Number(row.n);
  return n;
}
