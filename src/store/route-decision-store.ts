import type { Database } from "bun:sqlite";
import type { RouteExplanation } from "../domain/rules/routing-port.ts";

/**
 * Routing decisions the PBX reported carrying out (issue 16: R2.6, R4.7), with their reasons, by
 * call: what /admin/calls/<id> explains. Kept as long as the calls are.
 */
export interface RouteDecisionStore {
  add(explanation: RouteExplanation): void;
  /** The call's decisions, oldest first. */
  of(callId: string): RouteExplanation[];
}

interface Row {
  call_id: string;
  at: number;
  rule: string;
  target: string | null;
  reason: string;
}

export function routeDecisionStore(db: Database): RouteDecisionStore {
  const insert = db.query(
    "INSERT INTO route_decisions (call_id, at, rule, target, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
  );
  const select = db.query<Row, [string]>(
    "SELECT call_id, at, rule, target, reason FROM route_decisions WHERE call_id = ? ORDER BY at, rowid",
  );
  return {
    add: (e) => void insert.run(e.callId, e.at, e.rule, e.target, e.reason),
    of: (callId) =>
      select.all(callId).map((r) => ({
        callId: r.call_id,
        at: r.at,
        rule: r.rule,
        target: r.target,
        reason: r.reason,
      })),
  };
}
