import type { Migration } from "../lib/sqlite-migrate.ts";

export { type Migration, schemaVersion } from "../lib/sqlite-migrate.ts";

/** Append only: a released migration is never edited; a change is a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "staff, roster facts, PIN attempts, audit",
    sql: `
      CREATE TABLE staff (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('reception', 'manager', 'senior_manager')),
        extension TEXT,
        pin_hash TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      -- Facts are appended, never updated or deleted: a correction is a new fact with an earlier at.
      CREATE TABLE roster_facts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        employee_id TEXT NOT NULL,
        desk_id TEXT,
        at INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        actor_id TEXT
      ) STRICT;

      CREATE TABLE pin_attempts (
        employee_id TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        locked_until INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "PBX event journal and call records",
    sql: `
      -- Every PBX event, durable before anything acts on it; a fact reported twice is kept once.
      CREATE TABLE pbx_journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        call_id TEXT NOT NULL,
        event TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        UNIQUE (source, key)
      ) STRICT;
      CREATE INDEX pbx_journal_received ON pbx_journal (received_at);

      -- One row per finished call (or split-off part, R1.3): the attributed record and the facts
      -- it was attributed from, so a roster correction can attribute it again.
      CREATE TABLE calls (
        id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        direction TEXT NOT NULL,
        outcome TEXT NOT NULL,
        owner_employee_id TEXT,
        record TEXT NOT NULL,
        assembled TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX calls_call ON calls (call_id);
      CREATE INDEX calls_started ON calls (started_at);
      CREATE INDEX calls_ended ON calls (ended_at);
      CREATE INDEX calls_owner ON calls (owner_employee_id, started_at);
    `,
  },
  {
    version: 3,
    name: "outbox to headquarters",
    sql: `
      -- Each up stream's seq comes from here, not from max(seq): rows are deleted on HQ's ack and
      -- a seq must never be handed out twice.
      CREATE TABLE outbox_seq (
        stream TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL,
        acked_through INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      -- Written in the same transaction as the fact it reports; deleted only on HQ's ack.
      -- A rowid table with UNIQUE (stream, seq), not WITHOUT ROWID: rows carry ~1 KB of data, and
      -- SQLite advises WITHOUT ROWID only for rows under ~1/20 of a page (measured: inserting
      -- 200k rows 1.8 s vs 5.1 s, reading them 500 at a time 0.43 s vs 1.5 s).
      CREATE TABLE outbox (
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (stream, seq)
      ) STRICT;

      -- The sync epoch grows on every connect to the broker.
      CREATE TABLE sync_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
    `,
  },
  {
    version: 4,
    name: "inbox from headquarters: staff, client directory, settings, commands",
    sql: `
      -- One row per applied down record; dedupe is by inbox_hwm (seq <= through is a duplicate).
      CREATE TABLE inbox (
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        UNIQUE (stream, seq)
      ) STRICT;
      CREATE INDEX inbox_received ON inbox (received_at);

      CREATE TABLE inbox_hwm (
        stream TEXT PRIMARY KEY,
        through INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      -- HQ's client directory, keyed by E.164 number; its version is in hq_state.
      CREATE TABLE client_directory (
        number TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        name TEXT NOT NULL,
        responsible_employee_id TEXT,
        open_order INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Small documents from HQ: 'settings' (JSON), 'clients.version'.
      CREATE TABLE hq_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL) STRICT;

      -- Each command once: the row is the dedupe and the at-most-once guard (running is never re-run).
      CREATE TABLE commands (
        command_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        args TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'expired', 'unsupported')),
        received_at INTEGER NOT NULL,
        finished_at INTEGER,
        reason TEXT
      ) STRICT;
      CREATE INDEX commands_open ON commands (state, received_at) WHERE state IN ('pending', 'running');
    `,
  },
  {
    version: 5,
    name: "wrong PINs per employee and day",
    sql: `
      -- What /admin and /metrics report as "wrong PINs today" (the branch's day); the lock itself
      -- lives in pin_attempts. Rows older than a month are pruned as new ones are written.
      CREATE TABLE pin_wrong_days (
        employee_id TEXT NOT NULL,
        day TEXT NOT NULL,
        wrong INTEGER NOT NULL,
        PRIMARY KEY (employee_id, day)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: "PBX link watermarks and the gaps read back from the PBX's records",
    sql: `
      -- The last instant each PBX source's link was known up, stamped every few seconds while it
      -- is: a crash or a power cut gives no warning, so this is where the next gap begins.
      CREATE TABLE pbx_links (
        source TEXT PRIMARY KEY,
        up_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Each time a link came back after being down: the window the box did not see live, and
      -- what reading it back from the PBX's own records (CEL, CDR) gave.
      CREATE TABLE pbx_gaps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        lost_at INTEGER NOT NULL,
        back_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('reading', 'recovered', 'unread', 'no-history')),
        via TEXT CHECK (via IN ('cel', 'cdr')),
        calls INTEGER NOT NULL DEFAULT 0,
        events INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        detail TEXT,
        read_at INTEGER
      ) STRICT;
      CREATE INDEX pbx_gaps_recent ON pbx_gaps (back_at);
    `,
  },
  {
    version: 7,
    name: "PBX endpoints the box could not place",
    sql: `
      -- Written by the PBX source off the event path (on change, throttled), read back at start and
      -- by \`branchbox doctor\`. At most 100 rows per source: the most recently seen.
      CREATE TABLE pbx_unplaced (
        source TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        context TEXT,
        caller_id TEXT,
        seen INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (source, endpoint)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    name: "kiosk and desk screens paired with the box",
    sql: `
      -- Issue 14 (8): one row per paired screen. Only the SHA-256 of its cookie's token is kept, so
      -- a copy of the database pairs nothing; revoking deletes the row (the audit keeps the story).
      CREATE TABLE kiosk_devices (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        paired_at INTEGER NOT NULL,
        paired_from TEXT NOT NULL,
        last_seen_at INTEGER NOT NULL,
        last_seen_from TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 9,
    name: "call commands (issue 15); HQ's command replies may say refused",
    sql: `
      -- One row per command acting on a call (click-to-call, hang up, transfer), from a desk screen,
      -- the API or HQ, written before anything is sent to the PBX. The primary key is the
      -- idempotency key; \`input\` is kept to tell a repeat from a reused id. States only move
      -- forward (src/domain/call/call-command-state.ts). Not \`commands\`: that is HQ's inbox.
      CREATE TABLE call_commands (
        command_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('click-to-call', 'hangup', 'transfer')),
        input TEXT NOT NULL,
        target TEXT NOT NULL,
        leg_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'ringing-employee', 'connected', 'done', 'failed', 'expired', 'refused')),
        call_id TEXT,
        reason TEXT,
        origin TEXT NOT NULL,
        deadline INTEGER NOT NULL,
        expires_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX call_commands_open ON call_commands (state)
        WHERE state IN ('queued', 'sent', 'ringing-employee', 'connected');

      -- HQ's inbox rows may now end 'refused' (the box would not run it: not on shift, no such
      -- call). SQLite cannot change a CHECK in place: the table is copied.
      CREATE TABLE commands_v9 (
        command_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        args TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'expired', 'unsupported', 'refused')),
        received_at INTEGER NOT NULL,
        finished_at INTEGER,
        reason TEXT
      ) STRICT;
      INSERT INTO commands_v9 SELECT command_id, kind, expires_at, args, state, received_at, finished_at, reason FROM commands;
      DROP TABLE commands;
      ALTER TABLE commands_v9 RENAME TO commands;
      CREATE INDEX commands_open ON commands (state, received_at) WHERE state IN ('pending', 'running');
    `,
  },
  {
    version: 10,
    name: "call commands may cancel an attended transfer (issue 15, R2.4)",
    sql: `
      -- A new kind, 'cancel-transfer'. SQLite cannot change a CHECK in place: the table is copied.
      CREATE TABLE call_commands_v10 (
        command_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('click-to-call', 'hangup', 'transfer', 'cancel-transfer')),
        input TEXT NOT NULL,
        target TEXT NOT NULL,
        leg_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'ringing-employee', 'connected', 'done', 'failed', 'expired', 'refused')),
        call_id TEXT,
        reason TEXT,
        origin TEXT NOT NULL,
        deadline INTEGER NOT NULL,
        expires_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO call_commands_v10 SELECT command_id, kind, input, target, leg_id, state, call_id, reason, origin, deadline, expires_at, created_at, updated_at FROM call_commands ORDER BY rowid;
      DROP TABLE call_commands;
      ALTER TABLE call_commands_v10 RENAME TO call_commands;
      CREATE INDEX call_commands_open ON call_commands (state)
        WHERE state IN ('queued', 'sent', 'ringing-employee', 'connected');
    `,
  },
  {
    version: 11,
    name: "CRM intents (issue 16): the directory's closed last order, the intents sent per call",
    sql: `
      -- R3.6: the client's last order is closed (no open one). HQs that do not send it mean false.
      ALTER TABLE client_directory ADD COLUMN last_order_closed INTEGER NOT NULL DEFAULT 0;

      -- What went to HQ on up/intents for each call (its first part's id), written in the commit
      -- that sent it: R3.10's client and order when the call started, the rest once it was recorded.
      -- A call is decided once: a re-attribution sends the call record again, never its intents.
      CREATE TABLE call_intents (
        call_id TEXT PRIMARY KEY,
        started INTEGER NOT NULL CHECK (started IN (0, 1)),
        decided INTEGER NOT NULL CHECK (decided IN (0, 1)),
        intents TEXT NOT NULL,
        none TEXT,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 12,
    name: "absences and no-answer forwarding per employee (issue 16, R4.1–R4.7)",
    sql: `
      -- R4.7: a personal schedule, whole (JSON [{day, from, to}], minutes of the branch's day).
      CREATE TABLE work_schedules (
        employee_id TEXT PRIMARY KEY,
        hours TEXT NOT NULL,
        set_via TEXT NOT NULL CHECK (set_via IN ('manager', 'hq')),
        set_by TEXT,
        updated_at INTEGER NOT NULL
      ) STRICT;

      -- R4.7: vacations and sick leave, whole days of the branch's calendar, both ends included.
      -- HQ's and the box's own (kiosk, API) are kept apart: each side replaces only its own.
      CREATE TABLE absence_ranges (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        employee_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('vacation', 'sick')),
        first_day TEXT NOT NULL,
        last_day TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('hq', 'box')),
        set_by TEXT,
        created_at INTEGER NOT NULL,
        CHECK (first_day <= last_day)
      ) STRICT;
      CREATE INDEX absence_ranges_employee ON absence_ranges (employee_id, first_day);

      -- R4.1–R4.4: one row per employee who has their own; none is the default (busy after 120 s).
      CREATE TABLE forwarding (
        employee_id TEXT PRIMARY KEY,
        action TEXT NOT NULL,
        notice TEXT NOT NULL,
        timeout_seconds INTEGER NOT NULL CHECK (timeout_seconds BETWEEN 5 AND 600),
        set_via TEXT NOT NULL CHECK (set_via IN ('self', 'manager', 'hq')),
        set_by TEXT,
        updated_at INTEGER NOT NULL
      ) STRICT;

      -- What HQ's staff.upsert last said of a schedule or forwarding (JSON): HQ's value takes effect
      -- when it changes, so the staff list sent again does not undo a later change on the box.
      CREATE TABLE hq_rules_sent (
        employee_id TEXT NOT NULL,
        field TEXT NOT NULL CHECK (field IN ('schedule', 'forwarding')),
        value TEXT NOT NULL,
        PRIMARY KEY (employee_id, field)
      ) STRICT;
    `,
  },
  {
    version: 13,
    name: "routing decisions the PBX carried out, with their reasons (issue 16)",
    sql: `
      -- The shipped dialplan's UserEvent BranchboxRoute: the call routed by a rule of the box.
      CREATE TABLE route_decisions (
        call_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        rule TEXT NOT NULL,
        target TEXT,
        reason TEXT NOT NULL
      ) STRICT;
      CREATE INDEX route_decisions_call ON route_decisions (call_id, at);
    `,
  },
  {
    version: 14,
    name: "the pbx down stream's records for the cloud PBX source (issue 17)",
    sql: `
      -- Mango Office's events as HQ relays them (mango.event), written by the inbox's commit; the
      -- [pbx.mango] source feeds them to its translator in order and marks them consumed once
      -- their PbxEvents are in the journal. n: arrival order (seq may start again with a new epoch).
      CREATE TABLE pbx_down (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        data TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        consumed_at INTEGER
      ) STRICT;
      CREATE INDEX pbx_down_pending ON pbx_down (n) WHERE consumed_at IS NULL;
      CREATE INDEX pbx_down_received ON pbx_down (received_at);
    `,
  },
  {
    version: 15,
    name: "the pbx down stream keeps each record's type: Mango's command results beside its events (issue 17)",
    sql: `
      -- mango.result (how a pbx.command the box sent up ended) is read by the Mango control, never
      -- by the translator; every row before this migration was a mango.event.
      ALTER TABLE pbx_down ADD COLUMN type TEXT NOT NULL DEFAULT 'mango.event';
    `,
  },
  {
    version: 16,
    name: "desk phones' action-URL events (issue 17)",
    sql: `
      -- What [[phones]] reported (enrichment only: never a call). The phones' states are rebuilt
      -- from these at a start; /admin/calls/<id> joins 'answered' to a leg by extension and time.
      CREATE TABLE phone_events (
        phone_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        remote TEXT,
        remote_name TEXT
      ) STRICT;
      CREATE INDEX phone_events_at ON phone_events (at);
      CREATE INDEX phone_events_phone ON phone_events (phone_id, kind, at);
    `,
  },
  {
    version: 17,
    name: "headquarters' word that an employee checked in at another branch (issue 18, R0.3d)",
    sql: `
      -- One row per staff.elsewhere record of the presence down stream (id: its record id). The
      -- board and the routing read the day's; the shift it closed is a roster fact of its own.
      CREATE TABLE roster_elsewhere (
        id TEXT PRIMARY KEY,
        employee_id TEXT NOT NULL,
        branch TEXT NOT NULL,
        branch_name TEXT,
        at INTEGER NOT NULL,
        received_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX roster_elsewhere_at ON roster_elsewhere (at);
    `,
  },
];
