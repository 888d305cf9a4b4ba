import type { SQL } from "bun";
import type { CrmKind, CrmStep, CrmStepPlan, CrmTokenStore, CrmTokens } from "../../crm/crm-port.ts";
import { type CrmStepStore, crmRecordKey } from "../../crm/crm-step-store-port.ts";
import { type ParkedRow, type StepRow, toCounts, toParked, toStep } from "../crm-step-rows.ts";
import type { ForwardItem } from "../hq-store-port.ts";
import { pgSettler } from "./pg-errors.ts";

/**
 * The CRM steps (`crm_steps`, pg-schema.ts version 6) on HQ's pool. `plan` deletes the forward row
 * and inserts the steps in one transaction; the delete's row count says whether this consumer got
 * there first. `claim` locks the heads it takes (FOR UPDATE SKIP LOCKED) and leases them in the
 * same statement, re-checking `next_at` on the locked row: a head another consumer is leasing this
 * instant, or has just leased, is skipped.
 */
export function postgresCrmStepStore(sql: SQL, where: string): CrmStepStore {
  const settle = pgSettler(where);
  return {
    plan: settle((item: ForwardItem, steps: readonly CrmStepPlan[], now: number) =>
      sql.begin(async (tx) => {
        const gone = await tx`DELETE FROM forward_queue WHERE id = ${item.queueId} RETURNING 1`;
        if (gone.length === 0) return "gone" as const;
        const key = crmRecordKey(item);
        for (const s of steps)
          await tx`INSERT INTO crm_steps (record_key, branch, record_id, name, order_key, input, state,
                     next_at, created_at, updated_at)
                   VALUES (${key}, ${item.branch}, ${item.record.id}, ${s.name}, ${s.orderKey},
                     ${JSON.stringify(s.input)}, 'pending', ${now}, ${now}, ${now})`;
        return "planned" as const;
      }),
    ),
    claim: settle(async (now: number, leaseMs: number, limit: number): Promise<CrmStep[]> => {
      const rows = (await sql`
        WITH heads AS (
          SELECT s.id FROM crm_steps s
          WHERE s.state = 'pending' AND s.next_at <= ${now}
            AND s.id = (SELECT min(k.id) FROM crm_steps k WHERE k.order_key = s.order_key AND k.state <> 'done')
            AND s.id = (SELECT min(r.id) FROM crm_steps r WHERE r.record_key = s.record_key AND r.state <> 'done')
          ORDER BY s.id LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        )
        UPDATE crm_steps c SET next_at = ${now + leaseMs}
        FROM heads WHERE c.id = heads.id AND c.state = 'pending' AND c.next_at <= ${now}
        RETURNING c.id, c.record_key, c.branch, c.record_id, c.name, c.order_key, c.input, c.attempts`) as StepRow[];
      const steps: CrmStep[] = [];
      for (const row of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
        const earlier = (await sql`
          SELECT name, result FROM crm_steps
          WHERE record_key = ${row.record_key} AND state = 'done' AND id < ${row.id} ORDER BY id`) as {
          name: string;
          result: string | null;
        }[];
        steps.push(toStep(row, earlier));
      }
      return steps;
    }),
    done: settle(async (id: number, result: Readonly<Record<string, unknown>>, now: number) => {
      await sql`UPDATE crm_steps SET state = 'done', result = ${JSON.stringify(result)}, updated_at = ${now}
                WHERE id = ${id} AND state = 'pending'`;
    }),
    retry: settle(async (id: number, nextAt: number, reason: string, now: number) => {
      await sql`UPDATE crm_steps SET attempts = attempts + 1, next_at = ${nextAt},
                  last_error = ${reason.slice(0, 500)}, updated_at = ${now}
                WHERE id = ${id} AND state = 'pending'`;
    }),
    park: settle(async (id: number, code: string, reason: string, now: number) => {
      await sql`UPDATE crm_steps SET state = 'parked', attempts = attempts + 1, last_code = ${code},
                  last_error = ${reason.slice(0, 500)}, updated_at = ${now}
                WHERE id = ${id} AND state = 'pending'`;
    }),
    parked: settle(async (limit: number) =>
      (
        (await sql`SELECT * FROM crm_steps WHERE state = 'parked' ORDER BY id LIMIT ${limit}`) as ParkedRow[]
      ).map(toParked),
    ),
    unpark: settle(async (id: number, now: number) => {
      const moved = await sql`UPDATE crm_steps SET state = 'pending', next_at = ${now}, updated_at = ${now}
                              WHERE id = ${id} AND state = 'parked' RETURNING 1`;
      return moved.length === 1;
    }),
    counts: settle(async () =>
      toCounts(
        (await sql`SELECT state, count(*) AS n FROM crm_steps GROUP BY state`) as {
          state: string;
          n: string;
        }[],
      ),
    ),
  };
}

/** The CRM's rotating tokens (`crm_tokens`), replaced by compare-and-set on the refresh token. */
export function postgresCrmTokenStore(sql: SQL, where: string): CrmTokenStore {
  const settle = pgSettler(where);
  return {
    get: settle(async (kind: CrmKind): Promise<CrmTokens | null> => {
      const [row] =
        await sql`SELECT access_token, refresh_token, expires_at FROM crm_tokens WHERE kind = ${kind}`;
      return row === undefined
        ? null
        : {
            accessToken: row.access_token,
            refreshToken: row.refresh_token,
            expiresAt: Number(row.expires_at),
          };
    }),
    put: settle(async (kind: CrmKind, t: CrmTokens, previous: string | null) => {
      const written =
        previous === null
          ? await sql`INSERT INTO crm_tokens (kind, access_token, refresh_token, expires_at)
                      VALUES (${kind}, ${t.accessToken}, ${t.refreshToken}, ${t.expiresAt})
                      ON CONFLICT (kind) DO NOTHING RETURNING 1`
          : await sql`UPDATE crm_tokens SET access_token = ${t.accessToken}, refresh_token = ${t.refreshToken},
                        expires_at = ${t.expiresAt}
                      WHERE kind = ${kind} AND refresh_token = ${previous} RETURNING 1`;
      return written.length === 1;
    }),
  };
}
