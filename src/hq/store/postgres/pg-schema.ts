import type { SQL } from "bun";
import type { Migration } from "../../../lib/sqlite-migrate.ts";
import { StorageError } from "../../../lib/storage-error.ts";

/**
 * The PostgreSQL adapter's tables (`[hq] database_url`): the SQLite store's tables (hq-schema.ts
 * says what each column means) in PostgreSQL's types. Times, seqs and epochs are
 * `bigint` (ms since 1970 outgrow `integer`); a record's `data` is the JSON text as sent, like
 * SQLite's, so what HQ gives back is what the branch wrote. Mango's stores are all here:
 * `[hq.mango]` runs on either engine.
 *
 * ```
 * records        PRIMARY KEY (branch, stream, seq): a record is stored once, whichever consumer
 *                got it, however often it came
 * streams        one row per (branch, stream) that has records: hwm, duplicates, last times;
 *                the row apply() locks (FOR UPDATE) to read and move the hwm
 * branches       presence: the newest epoch wins
 * forward_queue  records waiting for hq.forward_url; (branch, stream, id) finds each stream's head
 * presence_*     (version 2, R0.3d) the SQLite store's presence tables: sightings, each branch's
 *                roster cursor, the `presence` down stream; written only by pg-presence-store.ts
 * mango_events   (version 3, issue 17) as SQLite's; `n` (identity) is SQLite's rowid: arrival order
 * mango_commands, mango_command_cursor   (version 4) as SQLite's, `n` likewise
 * hq_heartbeat, mango_sweeps   (version 5, issue 17 gaps) as SQLite's; the sweeps' `id` an identity
 * crm_steps, crm_tokens   (version 6, issue 19) as SQLite's; the steps' `id` an identity, the
 *                JSON columns text (what the connector wrote is what it reads)
 * schema_migrations  version, name, applied_at: each migration's one row
 * ```
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "records, streams, branches, forward queue",
    sql: `
      CREATE TABLE records (
        branch text NOT NULL,
        stream text NOT NULL,
        seq bigint NOT NULL,
        id text NOT NULL,
        ts bigint NOT NULL,
        type text NOT NULL,
        data text NOT NULL,
        epoch bigint NOT NULL,
        historical boolean NOT NULL,
        applied_at bigint NOT NULL,
        PRIMARY KEY (branch, stream, seq)
      );
      CREATE TABLE streams (
        branch text NOT NULL,
        stream text NOT NULL,
        hwm bigint NOT NULL,
        duplicates bigint NOT NULL DEFAULT 0,
        last_record_ts bigint,
        last_applied_at bigint,
        PRIMARY KEY (branch, stream)
      );
      CREATE TABLE branches (
        branch text PRIMARY KEY,
        online boolean NOT NULL,
        epoch bigint NOT NULL,
        version text,
        backlog bigint,
        state_at bigint NOT NULL
      );
      CREATE TABLE forward_queue (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        branch text NOT NULL,
        stream text NOT NULL,
        seq bigint NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_at bigint NOT NULL,
        last_error text,
        UNIQUE (branch, stream, seq)
      );
      CREATE INDEX forward_queue_head ON forward_queue (branch, stream, id);
    `,
  },
  {
    version: 2,
    name: "presence across branches (issue 18, R0.3d)",
    sql: `
      CREATE TABLE presence_sightings (
        employee_id text NOT NULL,
        branch text NOT NULL,
        last_at bigint NOT NULL,
        PRIMARY KEY (employee_id, branch)
      );
      CREATE TABLE presence_cursor (
        branch text PRIMARY KEY,
        through bigint NOT NULL
      );
      CREATE TABLE presence_down (
        branch text NOT NULL,
        seq bigint NOT NULL,
        id text NOT NULL,
        data text NOT NULL,
        created_at bigint NOT NULL,
        published_at bigint,
        PRIMARY KEY (branch, seq),
        UNIQUE (branch, id)
      );
      CREATE INDEX presence_down_unpublished ON presence_down (branch, seq) WHERE published_at IS NULL;
    `,
  },
  {
    version: 3,
    name: "mango events (issue 17)",
    sql: `
      CREATE TABLE mango_events (
        n bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        kind text NOT NULL,
        json text NOT NULL,
        received_at bigint NOT NULL,
        entry_id text,
        branch text,
        seq bigint,
        published_at bigint,
        UNIQUE (branch, seq)
      );
      CREATE INDEX mango_events_entry ON mango_events (entry_id);
      CREATE INDEX mango_events_unpublished ON mango_events (branch, seq)
        WHERE branch IS NOT NULL AND published_at IS NULL;
    `,
  },
  {
    version: 4,
    name: "mango commands (issue 17)",
    sql: `
      CREATE TABLE mango_commands (
        n bigint GENERATED ALWAYS AS IDENTITY,
        command_id text PRIMARY KEY,
        branch text NOT NULL,
        command text NOT NULL,
        params text NOT NULL,
        state text NOT NULL,
        claimed_at bigint NOT NULL,
        settled_at bigint,
        result integer,
        late_result integer
      );
      CREATE INDEX mango_commands_sending ON mango_commands (claimed_at) WHERE state = 'sending';
      CREATE TABLE mango_command_cursor (
        branch text PRIMARY KEY,
        through bigint NOT NULL
      );
      CREATE INDEX mango_events_call ON mango_events (((json::jsonb) ->> 'call_id')) WHERE kind = 'call';
    `,
  },
  {
    version: 5,
    name: "hq heartbeat, mango sweeps (issue 17 gaps)",
    sql: `
      CREATE TABLE hq_heartbeat (
        id integer PRIMARY KEY CHECK (id = 1),
        beat_at bigint NOT NULL
      );
      CREATE TABLE mango_sweeps (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        reason text NOT NULL,
        date_from bigint NOT NULL,
        date_to bigint NOT NULL,
        state text NOT NULL,
        stats_key text,
        next_at bigint NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        rows integer,
        new_entries integer,
        bad_lines integer,
        last_code text,
        last_error text,
        created_at bigint NOT NULL,
        finished_at bigint
      );
      CREATE INDEX mango_sweeps_due ON mango_sweeps (next_at) WHERE state IN ('pending', 'requested');
    `,
  },
  {
    version: 6,
    name: "crm steps and tokens (issue 19)",
    sql: `
      CREATE TABLE crm_steps (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        record_key text NOT NULL,
        branch text NOT NULL,
        record_id text NOT NULL,
        name text NOT NULL,
        order_key text NOT NULL,
        input text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'done', 'parked')),
        attempts integer NOT NULL DEFAULT 0,
        next_at bigint NOT NULL,
        last_code text,
        last_error text,
        result text,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        UNIQUE (record_key, name)
      );
      CREATE INDEX crm_steps_open_key ON crm_steps (order_key, id) WHERE state <> 'done';
      CREATE INDEX crm_steps_open_record ON crm_steps (record_key, id) WHERE state <> 'done';
      CREATE INDEX crm_steps_due ON crm_steps (next_at, id) WHERE state = 'pending';
      CREATE TABLE crm_tokens (
        kind text PRIMARY KEY,
        access_token text NOT NULL,
        refresh_token text NOT NULL,
        expires_at bigint NOT NULL
      );
    `,
  },
];

/** The advisory lock key every consumer's migration takes ("bbx-hq" in ASCII): one at a time. */
export const MIGRATION_LOCK = 0x6262_782d_6871n;

/**
 * Brings the database to this build's schema, ONCE however many consumers start together: one
 * transaction takes `pg_advisory_xact_lock(MIGRATION_LOCK)` before it even creates
 * `schema_migrations`, so a second consumer waits at the lock, then reads the version the first
 * committed and applies nothing. PostgreSQL's DDL is transactional: the lock, the tables and their
 * `schema_migrations` rows commit together or not at all, and the lock goes with the transaction
 * (a consumer killed mid-migration leaves nothing half-made and no lock held). A database of a
 * newer build (a version this one does not know) is left untouched: STORAGE.SCHEMA_TOO_NEW.
 * Returns the versions this call applied.
 */
export async function migratePostgres(
  sql: SQL,
  migrations: readonly Migration[] = PG_MIGRATIONS,
): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK.toString()}::bigint)`;
    await tx.unsafe(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    );
    const [row] = await tx`SELECT coalesce(max(version), 0) AS v FROM schema_migrations`;
    const current = Number(row?.v ?? 0);
    const known = migrations.at(-1)?.version ?? 0;
    if (current > known)
      throw new StorageError(
        "STORAGE.SCHEMA_TOO_NEW",
        `HQ's PostgreSQL database is at schema ${current}, newer than this build's ${known}: left untouched. Run the newer branchbox.`,
      );
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (version, name, applied_at)
               VALUES (${migration.version}, ${migration.name}, ${Date.now()})`;
      applied.push(migration.version);
    }
    return applied;
  });
}
