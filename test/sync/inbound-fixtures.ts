// Down envelopes as headquarters would send them, a box-side inbox on a temp SQLite file, and a
// logger that keeps its lines so tests can look for the coded ones.

import type { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DownStream, Envelope } from "../../src/contract/protocol.ts";
import { createLogger, type Logger } from "../../src/log/logger.ts";
import { openDatabase } from "../../src/store/db.ts";
import { type CommandPort, createInbound, type Inbound } from "../../src/sync/inbound/index.ts";

export const BRANCH = "demo";

/** An envelope of `records` (type, data) numbered from `seqFrom`. */
export function down(
  stream: DownStream,
  seqFrom: number,
  records: readonly { type: string; data: unknown; id?: string }[],
  branch = BRANCH,
): Envelope {
  return {
    v: 1,
    branch,
    epoch: 1,
    stream,
    seqFrom,
    seqTo: seqFrom + records.length - 1,
    historical: false,
    records: records.map((r, i) => ({
      id: r.id ?? `${stream}-${seqFrom + i}`,
      seq: seqFrom + i,
      ts: 1_000,
      type: r.type,
      data: r.data,
    })),
  };
}

export const bytes = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

export type LogLine = { level: string; msg: string; code?: string } & Record<string, unknown>;

export function capturingLogger(): { log: Logger; lines: LogLine[]; codes(): string[] } {
  const lines: LogLine[] = [];
  return {
    log: createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line) as LogLine) }),
    lines,
    codes: () => lines.flatMap((l) => (typeof l.code === "string" ? [l.code] : [])),
  };
}

export type InboxFixture = {
  readonly db: Database;
  readonly inbound: Inbound;
  readonly lines: LogLine[];
  codes(): string[];
  staffReloads: number;
  repliesWoken: number;
  clock: { t: number };
  /** Opens the same database again (a restart), with a new inbound. */
  restart(commands?: CommandPort): InboxFixture;
  close(): void;
};

export function makeInbox(options: { commands?: CommandPort; t?: number; dir?: string } = {}): InboxFixture {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "branchbox-inbound-"));
  const db = openDatabase(dir);
  const { log, lines, codes } = capturingLogger();
  const clock = { t: options.t ?? Date.parse("2026-11-21T10:00:00+03:00") };
  const fixture: InboxFixture = {
    db,
    lines,
    codes,
    staffReloads: 0,
    repliesWoken: 0,
    clock,
    inbound: createInbound({
      db,
      branch: BRANCH,
      log,
      now: () => clock.t,
      ...(options.commands === undefined ? {} : { commands: options.commands }),
      onStaffChanged: () => fixture.staffReloads++,
      onReplies: () => fixture.repliesWoken++,
    }),
    restart(commands) {
      db.close();
      return makeInbox({ dir, t: clock.t, ...(commands === undefined ? {} : { commands }) });
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** The records the box put on `up/replies`, oldest first. */
export function replies(db: Database): { id: string; type: string; data: Record<string, unknown> }[] {
  return db
    .query<{ id: string; type: string; data: string }, []>(
      "SELECT id, type, data FROM outbox WHERE stream = 'replies' ORDER BY seq",
    )
    .all()
    .map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
}

let cachedHash: Promise<string> | undefined;
/** An Argon2id hash of PIN 4321, as HQ would send it (hashed once per test run: it is slow on purpose). */
export const pinHash4321 = () => {
  cachedHash ??= Bun.password.hash("4321", { algorithm: "argon2id" });
  return cachedHash;
};
