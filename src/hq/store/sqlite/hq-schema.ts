import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Migration, migrate } from "../../../lib/sqlite-migrate.ts";
import { withStorageErrors } from "../../../lib/storage-error.ts";

export const HQ_DB_FILE = "hq.db";

/**
 * The SQLite adapter's storage: one file, `{hq.storage_dir}/hq.db`, synchronous=FULL, with a
 * rollback journal (TRUNCATE) and 8 KiB pages. Several consumers on one host may share it; every
 * write is one `BEGIN IMMEDIATE` transaction, so they take turns and each reads the high-water
 * mark inside its own transaction.
 *
 * Why not WAL (the branch's choice): HQ's writes are appends of ~1.3 KB records, and its disk is
 * what bounds a backlog drain. WAL writes every page twice (the log, then the checkpoint); a
 * rollback journal writes an appended page once and journals only the few pages a commit
 * changes in place (the last leaf, the index, the stream's row). With 4 KiB pages two ~1.3 KB
 * rows often filled a page; 8 KiB pages hold five or six. For 200k call records: 731 MB written
 * (WAL, 4 KiB) against 324 MB (this), and half the CPU. Durability is the same: synchronous=FULL
 * syncs the journal before the database file. Readers of the file (the HTTP API of another
 * consumer) wait out a commit instead of reading beside it, which busy_timeout covers.
 *
 * ```
 * records        one row per applied record; UNIQUE (branch, stream, seq) makes a record count
 *                once however often it arrives, on whichever consumer. A rowid table, not
 *                WITHOUT ROWID: rows of ~1 KB are over SQLite's ~1/20-of-a-page advice for it.
 *   branch, stream, seq   who sent it, which up stream, its seq (1, 2, 3 … without holes)
 *   id, ts, type, data    the record as sent (data: JSON text); ts = branch commit time, ms
 *   epoch, historical     from the envelope that carried it
 *   applied_at            HQ commit time, ms
 * streams        one row per (branch, stream)
 *   hwm                   high-water mark: every seq <= hwm is in `records`, none above it
 *   duplicates            records that arrived again after they were applied (seq <= hwm)
 *   last_record_ts        ts of the newest applied record; last_applied_at: when, at HQ
 * branches       presence, from the retained `branchbox/v1/{branch}/state`
 *   online, epoch         the newest epoch wins; a Last Will of an older epoch is ignored
 *   version, backlog      from the newest birth message; state_at: when HQ saw it
 * forward_queue  records waiting to be POSTed to hq.forward_url, written in the commit that
 *                applies them; a row goes only after the endpoint answered 2xx
 *   branch, stream, seq   points at `records`; UNIQUE, so a record is queued once
 *   attempts, next_at, last_error   retry state (exponential backoff with jitter)
 * mango_events   (issue 17) each verified Mango Office webhook, once per id, written before
 *                Mango is answered 200; a branch's events are its `pbx` down stream
 *   id                    mango:<kind>:<sha256 of json, 32 hex>; PRIMARY KEY: a redelivery is one row
 *   kind, json            call | summary | recording | dtmf | stats (a gap's entry); the json as received
 *   received_at, entry_id HQ's clock; Mango's call group (places a recording by its call)
 *   branch, seq           null: no configured branch; seq: the branch's pbx down seq, UNIQUE
 *   published_at          when the broker took it for the branch; null: still to publish
 *                kind `result` (issue 17, commands): a command's one `mango.result`, id
 *                mango:result:<commandId>, json = the record's data, in the same seq space; with
 *                no branch, a `result/<name>` callback of a command HQ did not send (json as received)
 * hq_heartbeat   (issue 17 gaps) one row: beat_at, HQ's clock every few seconds while it runs;
 *                read at start, it is where the hole HQ could have missed webhooks in begins
 * mango_sweeps   each window HQ asks Mango's statistics for (stats/request → stats/result)
 *   reason                downtime | periodic | unstored (webhooks not stored)
 *   date_from, date_to    Mango's Unix seconds
 *   state, stats_key      pending | requested (key kept for polling) | done | failed
 *   next_at, attempts     not before; tries so far (unreachable, expired key)
 *   rows, new_entries, bad_lines   what the answer held and what it added; last_code, last_error
 * mango_commands (issue 17) each `pbx.command` a branch sent up, claimed once per command_id
 *                BEFORE it is sent (so a restart or a second consumer never sends it twice)
 *   command_id, branch, command, params   as the branch asked (params: JSON text)
 *   state                 sending | sent (Mango answered 200, its callback awaited) | done
 *                         (a mango.result written) ; claimed_at, settled_at: HQ's clock
 *   result                Mango's code once known; late_result: a callback after HQ answered
 * mango_command_cursor   per branch, the last `replies` seq the commander has looked at
 * crm_steps      (issue 19) what HQ must tell the CRM ([hq.crm]), planned from each forward_queue
 *                row in the transaction that deletes that row (src/hq/crm/crm-step-store-port.ts)
 *   record_key, branch, record_id   `branch:stream:seq` of the record, its id; (record_key, name) UNIQUE
 *   name, order_key, input          the step, its client (one at a time, oldest first), its JSON
 *   state                 pending | done | parked; next_at: due (or leased) until; attempts
 *   last_code, last_error why it was parked or last retried; result: done's JSON, for later steps
 *   created_at, updated_at          HQ's clock
 * crm_tokens     (issue 19) a CRM's rotating OAuth tokens, one row per kind, replaced only by
 *                compare-and-set on the refresh token
 * schema_migrations      applied migrations of this file (src/lib/sqlite-migrate.ts, as the box's)
 * ```
 */
const HQ_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "records, streams, branches, forward queue",
    sql: `
      CREATE TABLE records (
        branch TEXT NOT NULL,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        historical INTEGER NOT NULL,
        applied_at INTEGER NOT NULL,
        UNIQUE (branch, stream, seq)
      ) STRICT;

      CREATE TABLE streams (
        branch TEXT NOT NULL,
        stream TEXT NOT NULL,
        hwm INTEGER NOT NULL,
        duplicates INTEGER NOT NULL DEFAULT 0,
        last_record_ts INTEGER,
        last_applied_at INTEGER,
        PRIMARY KEY (branch, stream)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE branches (
        branch TEXT PRIMARY KEY,
        online INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        version TEXT,
        backlog INTEGER,
        state_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE forward_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        branch TEXT NOT NULL,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT,
        UNIQUE (branch, stream, seq)
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "mango events (issue 17)",
    sql: `
      CREATE TABLE mango_events (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        json TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        entry_id TEXT,
        branch TEXT,
        seq INTEGER,
        published_at INTEGER,
        UNIQUE (branch, seq)
      ) STRICT;
      CREATE INDEX mango_events_entry ON mango_events (entry_id);
      CREATE INDEX mango_events_unpublished ON mango_events (branch, seq)
        WHERE branch IS NOT NULL AND published_at IS NULL;
    `,
  },
  {
    version: 3,
    name: "hq heartbeat, mango sweeps (issue 17 gaps)",
    sql: `
      CREATE TABLE hq_heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        beat_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE mango_sweeps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        reason TEXT NOT NULL,
        date_from INTEGER NOT NULL,
        date_to INTEGER NOT NULL,
        state TEXT NOT NULL,
        stats_key TEXT,
        next_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        rows INTEGER,
        new_entries INTEGER,
        bad_lines INTEGER,
        last_code TEXT,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
      ) STRICT;
      CREATE INDEX mango_sweeps_due ON mango_sweeps (next_at) WHERE state IN ('pending', 'requested');
    `,
  },
  {
    version: 4,
    name: "mango commands (issue 17)",
    sql: `
      CREATE TABLE mango_commands (
        command_id TEXT PRIMARY KEY,
        branch TEXT NOT NULL,
        command TEXT NOT NULL,
        params TEXT NOT NULL,
        state TEXT NOT NULL,
        claimed_at INTEGER NOT NULL,
        settled_at INTEGER,
        result INTEGER,
        late_result INTEGER
      ) STRICT;
      CREATE INDEX mango_commands_sending ON mango_commands (claimed_at) WHERE state = 'sending';
      CREATE TABLE mango_command_cursor (
        branch TEXT PRIMARY KEY,
        through INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX mango_events_call ON mango_events (json_extract(json, '$.call_id')) WHERE kind = 'call';
    `,
  },
  {
    version: 5,
    name: "presence across branches (issue 18, R0.3d)",
    sql: `
      -- The newest check-in (or handover) of each employee at each branch, from its roster facts.
      CREATE TABLE presence_sightings (
        employee_id TEXT NOT NULL,
        branch TEXT NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (employee_id, branch)
      ) STRICT, WITHOUT ROWID;
      -- How far each branch's roster stream has been read for sightings.
      CREATE TABLE presence_cursor (
        branch TEXT PRIMARY KEY,
        through INTEGER NOT NULL
      ) STRICT;
      -- The presence down stream: one staff.elsewhere per (receiving branch, id), numbered per branch.
      CREATE TABLE presence_down (
        branch TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        published_at INTEGER,
        PRIMARY KEY (branch, seq),
        UNIQUE (branch, id)
      ) STRICT;
      CREATE INDEX presence_down_unpublished ON presence_down (branch, seq) WHERE published_at IS NULL;
    `,
  },
  {
    version: 6,
    name: "crm steps and tokens (issue 19)",
    sql: `
      CREATE TABLE crm_steps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        record_key TEXT NOT NULL,
        branch TEXT NOT NULL,
        record_id TEXT NOT NULL,
        name TEXT NOT NULL,
        order_key TEXT NOT NULL,
        input TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'parked')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_code TEXT,
        last_error TEXT,
        result TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (record_key, name)
      ) STRICT;
      CREATE INDEX crm_steps_open_key ON crm_steps (order_key, id) WHERE state <> 'done';
      CREATE INDEX crm_steps_open_record ON crm_steps (record_key, id) WHERE state <> 'done';
      CREATE INDEX crm_steps_due ON crm_steps (next_at, id) WHERE state = 'pending';
      CREATE TABLE crm_tokens (
        kind TEXT PRIMARY KEY,
        access_token TEXT NOT NULL,
        refresh_token TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

/** Opens (creating if needed) hq.db under `dir` and applies pending migrations. */
export function openHqDatabase(dir: string): Database {
  const path = join(dir, HQ_DB_FILE);
  return withStorageErrors(path, () => {
    mkdirSync(dir, { recursive: true });
    const db = new Database(path, { create: true, strict: true });
    db.run("PRAGMA busy_timeout = 5000");
    db.run(`PRAGMA page_size = ${PAGE_SIZE}`); // takes effect on a new, empty file only
    leaveWal(db);
    db.run("PRAGMA synchronous = FULL");
    migrate(db, HQ_MIGRATIONS);
    return db;
  });
}

const PAGE_SIZE = 8192;

/**
 * A file made before this choice is in WAL mode, which persists in the file: switch it to the
 * rollback journal. While another consumer still has it open in WAL the switch cannot happen
 * (SQLITE_BUSY) and every connection simply goes on in WAL, a mode that works as well; the
 * last consumer restarted switches it.
 */
function leaveWal(db: Database): void {
  try {
    db.run("PRAGMA journal_mode = TRUNCATE");
  } catch (error) {
    if (!/locked|busy/i.test(String(error))) throw error;
  }
}
