import type { Database } from "bun:sqlite";
import type { CrmKind, CrmStep, CrmStepPlan, CrmTokenStore, CrmTokens } from "../../crm/crm-port.ts";
import { type CrmStepStore, crmRecordKey } from "../../crm/crm-step-store-port.ts";
import { type ParkedRow, type StepRow, toCounts, toParked, toStep } from "../crm-step-rows.ts";
import type { ForwardItem } from "../hq-store-port.ts";
import { settler } from "./sqlite-mango-store.ts";

/**
 * The CRM steps (`crm_steps`, hq-schema.ts version 6) on HQ's connection. Every write is one
 * `BEGIN IMMEDIATE` transaction, so consumers sharing hq.db take turns: a claim reads the heads and
 * leases them before another consumer can read them.
 */
export function sqliteCrmStepStore(db: Database): CrmStepStore {
  const settle = settler(db);
  const unqueue = db.query("DELETE FROM forward_queue WHERE id = ?");
  const insert = db.query(
    `INSERT INTO crm_steps (record_key, branch, record_id, name, order_key, input, state, next_at,
       created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
  );
  const planTx = db.transaction((item: ForwardItem, steps: readonly CrmStepPlan[], now: number) => {
    if (unqueue.run(item.queueId).changes === 0) return "gone" as const;
    const key = crmRecordKey(item);
    for (const s of steps)
      insert.run(
        key,
        item.branch,
        item.record.id,
        s.name,
        s.orderKey,
        JSON.stringify(s.input),
        now,
        now,
        now,
      );
    return "planned" as const;
  });
  const heads = db.query<StepRow & { id: number }, [number, number]>(
    `SELECT s.id, s.record_key, s.branch, s.record_id, s.name, s.order_key, s.input, s.attempts
     FROM crm_steps s
     WHERE s.state = 'pending' AND s.next_at <= ?1
       AND s.id = (SELECT min(k.id) FROM crm_steps k WHERE k.order_key = s.order_key AND k.state <> 'done')
       AND s.id = (SELECT min(r.id) FROM crm_steps r WHERE r.record_key = s.record_key AND r.state <> 'done')
     ORDER BY s.id LIMIT ?2`,
  );
  const lease = db.query("UPDATE crm_steps SET next_at = ? WHERE id = ?");
  const earlier = db.query<{ name: string; result: string | null }, [string, number]>(
    "SELECT name, result FROM crm_steps WHERE record_key = ? AND state = 'done' AND id < ? ORDER BY id",
  );
  const claimTx = db.transaction((now: number, leaseMs: number, limit: number): CrmStep[] =>
    heads.all(now, limit).map((row) => {
      lease.run(now + leaseMs, row.id);
      return toStep(row, earlier.all(row.record_key, row.id));
    }),
  );
  const done = db.query(
    "UPDATE crm_steps SET state = 'done', result = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
  );
  const retry = db.query(
    `UPDATE crm_steps SET attempts = attempts + 1, next_at = ?, last_error = ?, updated_at = ?
     WHERE id = ? AND state = 'pending'`,
  );
  const park = db.query(
    `UPDATE crm_steps SET state = 'parked', attempts = attempts + 1, last_code = ?, last_error = ?,
       updated_at = ? WHERE id = ? AND state = 'pending'`,
  );
  const parked = db.query<ParkedRow, [number]>(
    "SELECT * FROM crm_steps WHERE state = 'parked' ORDER BY id LIMIT ?",
  );
  const unpark = db.query(
    "UPDATE crm_steps SET state = 'pending', next_at = ?, updated_at = ? WHERE id = ? AND state = 'parked'",
  );
  const counts = db.query<{ state: string; n: number }, []>(
    "SELECT state, count(*) AS n FROM crm_steps GROUP BY state",
  );

  return {
    plan: settle((item: ForwardItem, steps: readonly CrmStepPlan[], now: number) =>
      planTx.immediate(item, steps, now),
    ),
    claim: settle((now: number, leaseMs: number, limit: number) => claimTx.immediate(now, leaseMs, limit)),
    done: settle((id: number, result: Readonly<Record<string, unknown>>, now: number) => {
      done.run(JSON.stringify(result), now, id);
    }),
    retry: settle((id: number, nextAt: number, reason: string, now: number) => {
      retry.run(nextAt, reason.slice(0, 500), now, id);
    }),
    park: settle((id: number, code: string, reason: string, now: number) => {
      park.run(code, reason.slice(0, 500), now, id);
    }),
    parked: settle((limit: number) => parked.all(limit).map(toParked)),
    unpark: settle((id: number, now: number) => unpark.run(now, now, id).changes === 1),
    counts: settle(() => {
      return toCounts(counts.all());
    }),
  };
}

/** The CRM's rotating tokens (`crm_tokens`), replaced by compare-and-set on the refresh token. */
export function sqliteCrmTokenStore(db: Database): CrmTokenStore {
  const settle = settler(db);
  const get = db.query<{ access_token: string; refresh_token: string; expires_at: number }, [string]>(
    "SELECT access_token, refresh_token, expires_at FROM crm_tokens WHERE kind = ?",
  );
  const first = db.query(
    `INSERT INTO crm_tokens (kind, access_token, refresh_token, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (kind) DO NOTHING`,
  );
  const replace = db.query(
    `UPDATE crm_tokens SET access_token = ?, refresh_token = ?, expires_at = ?
     WHERE kind = ? AND refresh_token = ?`,
  );
  return {
    get: settle((kind: CrmKind): CrmTokens | null => {
      const row = get.get(kind);
      return row === null
        ? null
        : { accessToken: row.access_token, refreshToken: row.refresh_token, expiresAt: row.expires_at };
    }),
    put: settle((kind: CrmKind, t: CrmTokens, previous: string | null) =>
      previous === null
        ? first.run(kind, t.accessToken, t.refreshToken, t.expiresAt).changes === 1
        : replace.run(t.accessToken, t.refreshToken, t.expiresAt, kind, previous).changes === 1,
    ),
  };
}
