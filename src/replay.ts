import { constants, Database } from "bun:sqlite";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { DEMO_CONFIG, DEMO_STAFF } from "./demo.ts";
import type { AssembledCall, CallRecord } from "./domain/call/call-types.ts";
import type { PbxEvent } from "./domain/call/pbx-event.ts";
import { RosterTimeline } from "./domain/roster/roster-timeline.ts";
import { ROSTER_FACT_KINDS, type RosterFact, type StaffMember } from "./domain/roster/types.ts";
import { parseIsoInstant } from "./lib/iso-time.ts";
import { migrate } from "./lib/sqlite-migrate.ts";
import { describeIssues } from "./lib/zod-issues.ts";
import { createLogger } from "./log/logger.ts";
import { type CaptureFormat, readAmiCapture } from "./pbx/ami/ami-capture.ts";
import { timestampOf } from "./pbx/ami/ami-fields.ts";
import { type AmiFrame, amiGet } from "./pbx/ami/ami-parser.ts";
import { AmiTranslator } from "./pbx/ami/ami-translate.ts";
import { staleCallEnds } from "./pbx/stale-calls.ts";
import { attributionSettings } from "./service/attribution-settings.ts";
import { CallPipeline } from "./service/call-pipeline.ts";
import { parseStaffProfiles } from "./service/staff-import.ts";
import { DB_FILE } from "./store/db.ts";
import { MIGRATIONS } from "./store/migrations.ts";
import { staffStore } from "./store/staff-store.ts";

/**
 * `branchbox replay FILE`: a capture through the box's own parser, translator, call pipeline
 * (journal dedupe, assembler, attribution, the call store) and nothing else. The pipeline runs on
 * a database in memory: the box's database is at most read, read-only, for its staff, and nothing
 * leaves the process (no broker, no PBX, no HTTP).
 */
export interface ReplayOptions {
  readonly file: string;
  /** The box's config; without it, the demo's. */
  readonly configFile: string | undefined;
  /** A staff list (`branchbox staff import`'s format, PINs not needed); else the box's database. */
  readonly staffFile: string | undefined;
  /** Roster facts (who was on shift); else nobody was. */
  readonly rosterFile: string | undefined;
  readonly env: Record<string, string | undefined>;
}

export interface ReplayCounts {
  readonly frames: number;
  readonly badFrames: number;
  /** Console captures: events printed again for another manager session, dropped. */
  readonly repeated: number;
  /** Event frames the translator read. */
  readonly eventFrames: number;
  /** Event frames of a kind the translator acts on that lacked the fields it needs. */
  readonly malformed: number;
  /** Event frames without a Timestamp header: timed by their channel's creation. */
  readonly untimed: number;
  readonly events: number;
  /** Events the journal already had (the same fact reported again). */
  readonly duplicates: number;
  /** Events the pipeline or the assembler refused. */
  readonly refused: number;
  readonly calls: number;
  /** Events for calls the translator never saw begin (dropped, no call made of them), per kind. */
  readonly orphans: number;
  readonly orphansByKind: Readonly<Record<string, number>>;
  /** Event frames whose SequenceNumber the capture had already delivered (sent twice), dropped. */
  readonly sentTwice: number;
}

export interface ReplayResult {
  readonly format: CaptureFormat;
  readonly timeZone: string;
  /** Where the staff came from, in words. */
  readonly staffFrom: string;
  readonly staff: readonly StaffMember[];
  /** Finished calls as the API serves them, oldest first. */
  readonly records: readonly CallRecord[];
  /** Calls still going on where the capture ends. */
  readonly live: readonly AssembledCall[];
  readonly counts: ReplayCounts;
  /** What the pipeline logged as it went (refused events), one JSON line each. */
  readonly warnings: readonly string[];
}

/** Bad usage or an input that cannot be read: exit 2. */
export class ReplayInputError extends Error {}

const HOUR = 3_600_000;
/** Frames per delivery: one commit each, as the live source batches a burst. */
const BATCH = 500;

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const capture = readAmiCapture(readCapture(options.file));
  const config = replayConfig(options);
  const { staff, from: staffFrom } = replayStaff(options, config);
  const facts = options.rosterFile === undefined ? [] : readRoster(options.rosterFile, staff, config);
  const roster = new RosterTimeline(
    { desks: config.desks, staff, maxShiftMs: config.roster.max_shift_hours * HOUR },
    facts,
  );
  const settings = attributionSettings(
    config,
    staff.map((member) => ({ ...member, onShift: null })),
  );
  const warnings: string[] = [];
  const db = new Database(":memory:", { strict: true });
  migrate(db, MIGRATIONS);
  const now = Date.now();
  const pipeline = new CallPipeline(db, {
    roster,
    settings: () => settings,
    log: createLogger({ level: "warn", write: (line) => warnings.push(line) }),
    now: () => now,
    commitWindowMs: 0,
  });
  const translator = boxTranslator(config, staff);
  let untimed = 0;
  let events = 0;
  let batch: PbxEvent[] = [];
  let snapshot: AmiFrame[] = [];
  let lastTime = 0;
  let done = 0;
  for (const { from, order } of boxOrder(capture.frames, capture.links)) {
    // A new login, as the box's source sees it (createAmiAdapter's onState).
    if (capture.links.includes(from)) translator.newLink();
    for (const i of order) {
      const frame = capture.frames[i] as AmiFrame;
      const event = amiGet(frame, "Event");
      const time = timestampOf(frame);
      if (time !== null) lastTime = Math.max(lastTime, time);
      let out: PbxEvent[];
      if (event === "CoreShowChannel" && isBoxAction(frame)) {
        snapshot.push(frame);
        out = [];
      } else if (event === "CoreShowChannelsComplete" && isBoxAction(frame)) {
        await pipeline.deliver(batch);
        batch = [];
        out = resyncAsTheBox(translator, pipeline.live(), snapshot, lastTime || now);
        snapshot = [];
      } else {
        const fallback = event !== undefined && amiGet(frame, "Timestamp") === undefined;
        if (fallback) untimed++;
        out = translator.translate(frame, fallback ? (channelCreatedAt(frame) ?? undefined) : undefined);
      }
      events += out.length;
      batch.push(...out);
      if (++done % BATCH === 0) {
        await pipeline.deliver(batch);
        batch = [];
      }
    }
  }
  await pipeline.deliver(batch);
  const records = pipeline.list({ limit: Number.MAX_SAFE_INTEGER }).reverse();
  const live = pipeline.live();
  const status = pipeline.status();
  pipeline.stop();
  db.close();
  const stats = translator.stats();
  return {
    format: capture.format,
    timeZone: config.branch.timezone,
    staffFrom,
    staff,
    records,
    live,
    counts: {
      frames: capture.frames.length,
      badFrames: capture.badFrames,
      repeated: capture.repeated,
      eventFrames: stats.frames,
      malformed: stats.malformed,
      untimed,
      events,
      duplicates: status.duplicates,
      refused: status.rejected,
      calls: records.length,
      orphans: stats.orphans,
      orphansByKind: stats.orphansByKind,
      sentTwice: stats.duplicates,
    },
    warnings,
  };
}

/**
 * The translator this box's AMI source would build (createAmiAdapter in src/pbx/ami/index.ts, with
 * the roster's knownExtensions of src/service/roster-service.ts): the desks', the staff's and
 * `[pbx.ami] handsets`' extensions are handsets, with the section's pattern, profile and trunk
 * contexts; without a `[pbx.ami]` section, the defaults.
 */
function boxTranslator(config: Config, staff: readonly StaffMember[]): AmiTranslator {
  const ami = config.pbx.ami;
  const known: ReadonlySet<string> = new Set([
    ...config.desks.map((desk) => desk.extension),
    ...staff.flatMap((member) => (member.extension === null ? [] : [member.extension])),
    ...(ami?.handsets ?? []),
  ]);
  return new AmiTranslator({
    source: ami === undefined ? "ami:replay" : `ami:${ami.host}:${ami.port}`,
    knownExtensions: () => known,
    handsetPattern: ami?.handset_pattern ? new RegExp(ami.handset_pattern) : null,
    profile: ami?.profile ?? "auto",
    trunkContexts: ami?.trunk_contexts ?? [],
  });
}

/** An answer to an action of the box's own AMI client (its ActionIDs are `bb-1`, `bb-2`…). */
const isBoxAction = (frame: AmiFrame): boolean => /^bb-\d+$/.test(amiGet(frame, "ActionID") ?? "");

/**
 * The frames' indices in the order the box handled them, link by link (`from`: the link's first
 * frame). After a login the box's client asks
 * CoreShowChannels and holds the events that arrive meanwhile until the answer is complete
 * (src/pbx/ami/ami-client.ts): in a capture of the box's own link those events come before the
 * answer's end, and are taken after it, as the box took them. Each link (from `links`) on its own.
 */
function boxOrder(
  frames: readonly AmiFrame[],
  links: readonly number[],
): { from: number; order: number[] }[] {
  const out: { from: number; order: number[] }[] = [];
  const bounds = [...new Set([0, ...links, frames.length])].sort((a, b) => a - b);
  for (let b = 0; b + 1 < bounds.length; b++) {
    const from = bounds[b] as number;
    const to = bounds[b + 1] as number;
    let complete = -1;
    for (let i = from; i < to && complete < 0; i++) {
      const frame = frames[i] as AmiFrame;
      if (amiGet(frame, "Event") === "CoreShowChannelsComplete" && isBoxAction(frame)) complete = i;
    }
    const held: number[] = [];
    const order: number[] = [];
    for (let i = from; i < to; i++) {
      const frame = frames[i] as AmiFrame;
      const answer = amiGet(frame, "Event") === undefined || isBoxAction(frame);
      if (i < complete && !answer) held.push(i);
      else order.push(i);
      if (i === complete) order.push(...held);
    }
    out.push({ from, order });
  }
  return out;
}

/**
 * The box's resync (createAmiAdapter's `resync` in src/pbx/ami/index.ts) from a capture's
 * CoreShowChannels answer, at the capture's latest time: the box took it at its own clock.
 */
function resyncAsTheBox(
  translator: AmiTranslator,
  live: readonly AssembledCall[],
  channels: readonly AmiFrame[],
  at: number,
): PbxEvent[] {
  const events = translator.resync(channels, at);
  const present = new Set(events.map((e) => e.callId));
  for (const channel of channels) {
    const linkedid = amiGet(channel, "Linkedid");
    if (linkedid !== undefined) present.add(linkedid);
  }
  const held = live.flatMap((call) => (call.source === translator.source ? [call.id] : []));
  events.push(...staleCallEnds(translator.source, held, present, at));
  return events;
}

/**
 * A capture file, or a box's `[pbx.ami] capture_dir`: its `.ami` files in name order (the order
 * they were written), one after the other.
 */
function readCapture(path: string): string {
  let names: string[] | null = null;
  try {
    if (statSync(path).isDirectory())
      names = readdirSync(path)
        .filter((name) => name.endsWith(".ami"))
        .sort();
  } catch {
    // Not there: readText says so.
  }
  if (names === null) return readText(path, "capture");
  if (names.length === 0) throw new ReplayInputError(`${path}: no .ami capture files in this folder`);
  return names.map((name) => readText(join(path, name), "capture")).join("\n");
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new ReplayInputError(
      `${file}: cannot read the ${what} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

function readJson(file: string, what: string): unknown {
  const text = readText(file, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ReplayInputError(`${file}: the ${what} is not JSON (${(error as Error).message})`);
  }
}

/**
 * The box's config, or the demo's. Replay serves nothing, so the demo needs no admin token: the
 * schema's required one is filled with a placeholder nothing reads.
 */
function replayConfig(options: ReplayOptions): Config {
  if (options.configFile !== undefined) return loadConfig({ file: options.configFile, env: options.env });
  const base = { ...DEMO_CONFIG, http: { admin_token: "replay-serves-nothing" } };
  return loadConfig({ env: options.env, base });
}

function replayStaff(options: ReplayOptions, config: Config): { staff: StaffMember[]; from: string } {
  if (options.staffFile !== undefined) {
    const staff = parseStaffProfiles(readJson(options.staffFile, "staff list"));
    return { staff, from: options.staffFile };
  }
  if (options.configFile === undefined) {
    const staff = DEMO_STAFF.map(({ id, name, role, extension }) => ({ id, name, role, extension }));
    return { staff, from: "the demo's staff" };
  }
  const path = join(config.storage.dir, DB_FILE);
  if (!existsSync(path)) return { staff: [], from: `nobody (no ${path}; pass --staff FILE)` };
  return { staff: readBoxStaff(path), from: `${path} (read-only)` };
}

/**
 * The staff of a box's database, read without writing a byte beside it. A box that is running (or
 * stopped uncleanly) has its `-wal` and `-shm` files: a read-only connection reads through them.
 * Without them the file alone is the database, and it is opened immutable, because even a
 * read-only connection to a WAL database creates `-wal` and `-shm` files, which, left behind by
 * another user (root), would stop the box from opening its own database.
 */
function readBoxStaff(path: string): StaffMember[] {
  let db: Database | undefined;
  try {
    db = existsSync(`${path}-wal`)
      ? new Database(path, { readonly: true })
      : new Database(
          `file:${path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?immutable=1`,
          constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI,
        );
    return staffStore(db)
      .list()
      .map(({ id, name, role, extension }) => ({ id, name, role, extension }));
  } catch (error) {
    throw new ReplayInputError(`${path}: cannot read the staff (${(error as Error).message})`);
  } finally {
    db?.close();
  }
}

const rosterFileSchema = z.array(
  z.strictObject({
    kind: z.enum(ROSTER_FACT_KINDS),
    employeeId: z.string().min(1),
    deskId: z.string().min(1).nullish(),
    at: z.string(),
  }),
);

/**
 * Roster facts as JSON: `[{"kind": "check-in", "employeeId": "anna", "deskId": "front",
 * "at": "2024-11-21T09:00:00+03:00"}]`, in the order they were recorded. Unknown employees and
 * desks are refused: a typo would silently leave a desk to nobody.
 */
function readRoster(file: string, staff: readonly StaffMember[], config: Config): RosterFact[] {
  const parsed = rosterFileSchema.safeParse(readJson(file, "roster"));
  if (!parsed.success)
    throw new ReplayInputError(
      `${file}: the roster is not valid: ${describeIssues(parsed.error.issues, "file")}`,
    );
  const employees = new Set(staff.map((s) => s.id));
  const desks = new Set(config.desks.map((d) => d.id));
  return parsed.data.map((fact, i) => {
    const where = `${file}: fact ${i + 1}`;
    const at = parseIsoInstant(fact.at);
    if (at === null)
      throw new ReplayInputError(
        `${where}: at = ${JSON.stringify(fact.at)}: expected an ISO-8601 time with a zone`,
      );
    if (!employees.has(fact.employeeId))
      throw new ReplayInputError(
        `${where}: no employee "${fact.employeeId}" in the staff (${[...employees].join(", ") || "none"})`,
      );
    const deskId = fact.deskId ?? null;
    if ((fact.kind === "check-in" || fact.kind === "handover") && (deskId === null || !desks.has(deskId)))
      throw new ReplayInputError(
        `${where}: ${fact.kind} needs a desk of the config (${[...desks].join(", ") || "none"})`,
      );
    return {
      seq: i + 1,
      kind: fact.kind,
      employeeId: fact.employeeId,
      deskId,
      at,
      recordedAt: at,
      source: "manager",
      actorId: null,
    };
  });
}

/**
 * The creation time in a channel's Uniqueid (`1514295827.372`, or `host-1514295827.372` with a
 * system name): the only clock an event without a Timestamp header (`timestampevents = no`)
 * carries. A start time to the second; a duration it cannot give.
 */
function channelCreatedAt(frame: Record<string, string>): number | null {
  const uniqueid = amiGet(frame, "Uniqueid") ?? amiGet(frame, "DestUniqueid") ?? "";
  const match = /(\d{9,11})\.\d+$/.exec(uniqueid);
  return match === null ? null : Number(match[1]) * 1000;
}
