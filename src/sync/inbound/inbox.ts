import type { DownRecord, HqSettings } from "../../contract/down-records.ts";
import { DOWN_STREAMS, type DownStream, type Envelope, envelopeSchema } from "../../contract/protocol.ts";
import { normaliseNumber, RUSSIAN_NUMBERS } from "../../domain/rules/phone-number.ts";
import { toStorageError } from "../../lib/storage-error.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import { noCommands } from "../../service/command-port.ts";
import { clientDirectoryStore } from "../../store/client-directory-store.ts";
import { commandStore } from "../../store/command-store.ts";
import { hqSettingsStore } from "../../store/hq-settings-store.ts";
import { inboxStore } from "../../store/inbox-store.ts";
import { outboxStore } from "../../store/outbox-store.ts";
import { rulesStore } from "../../store/rules-store.ts";
import { staffStore } from "../../store/staff-store.ts";
import { storageFaults } from "../../store/storage-faults.ts";
import { type ApplyContext, applyRecord, checkRecord } from "./apply-records.ts";
import { CommandRunner } from "./command-runner.ts";
import {
  type DownOutcome,
  type DownStreamStatus,
  type Inbound,
  type InboundChange,
  type InboundOptions,
  type InboundStatus,
  type PbxDownRecord,
  type PresenceDownRecord,
  REJECT_CODES,
  type RejectCode,
} from "./inbound-types.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The branch's inbox for headquarters' down streams. For each message, in one IMMEDIATE
 * transaction: read the stream's mark, drop records at or below it (duplicates), apply the rest in
 * seq order with their inbox rows, move the mark. Then, after the commit: reload the roster's
 * staff, wake the relay for replies, run pending commands, tell the listeners.
 *
 * Decisions:
 * - A bad message (JSON, envelope schema, another stream's or branch's envelope, a record whose
 *   type or data does not match, a PIN in clear) is rejected WHOLE: none of its records apply,
 *   the mark does not move. It is still PUBACKed — redelivery would not fix it. HQ's fix is a new
 *   record under a new seq.
 * - A gap (the first new seq is past mark + 1) is logged and counted, and the records apply
 *   anyway: every down record stands on its own (an employee whole, settings whole, a command
 *   with its own id and expiry), and the one record that builds on the previous, `clients.delta`,
 *   carries its own version check. Holding a stream for a seq that a broker lost would stop every
 *   later staff change and let every later command expire. A seq that shows up after the mark
 *   passed it is older than what is applied: dropped as a duplicate.
 */
export function createInbound(options: InboundOptions): Inbound {
  const { db, branch, now } = options;
  const numbers = options.numbers ?? RUSSIAN_NUMBERS;
  const log = options.log.child({ part: "sync-inbound", branch });
  const port = options.commands ?? noCommands;
  const inbox = inboxStore(db);
  const staff = staffStore(db);
  const rules = rulesStore(db);
  const directory = clientDirectoryStore(db);
  const settingsStore = hqSettingsStore(db);
  const commands = commandStore(db);
  const outbox = outboxStore(db);
  const onReplies = options.onReplies ?? (() => {});
  const faults = options.storageFaults ?? storageFaults;
  const runner = new CommandRunner(db, commands, outbox, port, log, now, onReplies, faults);
  const listeners = new Set<(change: InboundChange) => void>();

  const streams = new Map<DownStream, { applied: number; duplicates: number; gaps: number }>(
    DOWN_STREAMS.map((s) => [s, { applied: 0, duplicates: 0, gaps: 0 }]),
  );
  const rejected = Object.fromEntries(REJECT_CODES.map((c) => [c, 0])) as Record<RejectCode, number>;
  let lastRejection: InboundStatus["lastRejection"] = null;
  let storeFailures = 0;
  const pbx = { handed: 0, withoutSource: 0 };
  const counts: ApplyContext["counts"] = {
    ignoredDeltas: 0,
    commandDuplicates: 0,
    replies: 0,
    staleSince: null,
  };
  let settings: HqSettings | null = settingsStore.get();
  let pruneTimer: ReturnType<typeof setInterval> | undefined;

  const reject = (stream: DownStream, code: RejectCode, reason: string, e?: Envelope): DownOutcome => {
    rejected[code]++;
    lastRejection = { code, reason, at: now() };
    log.warn("down message rejected: nothing applied", {
      code,
      stream,
      reason,
      ...(e === undefined ? {} : { seqFrom: e.seqFrom, seqTo: e.seqTo, epoch: e.epoch }),
      rejected: rejected[code],
    });
    return { kind: "rejected", code, reason };
  };

  const parse = (
    stream: DownStream,
    payload: Uint8Array,
  ): { ok: true; envelope: Envelope; records: DownRecord[] } | { ok: false; outcome: DownOutcome } => {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(payload).toString("utf8"));
    } catch {
      return {
        ok: false,
        outcome: reject(stream, "SYNC.DOWN_BAD_JSON", `not JSON (${payload.length} bytes)`),
      };
    }
    const result = envelopeSchema.safeParse(json);
    if (!result.success) {
      const reason = describeIssues(result.error.issues, "envelope", 5);
      return { ok: false, outcome: reject(stream, "SYNC.DOWN_BAD_SCHEMA", reason) };
    }
    const envelope = result.data;
    if (envelope.stream !== stream)
      return {
        ok: false,
        outcome: reject(
          stream,
          "SYNC.DOWN_WRONG_STREAM",
          `an envelope of ${envelope.stream} on the ${stream} topic`,
          envelope,
        ),
      };
    if (envelope.branch !== branch)
      return {
        ok: false,
        outcome: reject(
          stream,
          "SYNC.DOWN_WRONG_BRANCH",
          `an envelope for branch ${envelope.branch}`,
          envelope,
        ),
      };
    const records: DownRecord[] = [];
    for (const record of envelope.records) {
      const checked = checkRecord(stream, record);
      if (!checked.ok) return { ok: false, outcome: reject(stream, checked.code, checked.reason, envelope) };
      records.push(checked.record);
    }
    return { ok: true, envelope, records };
  };

  const handle = (stream: DownStream, payload: Uint8Array): DownOutcome => {
    const parsed = parse(stream, payload);
    if (!parsed.ok) return parsed.outcome;
    const { envelope, records } = parsed;
    const t = now();
    const counters = streams.get(stream) ?? { applied: 0, duplicates: 0, gaps: 0 };
    const changes = new Set<InboundChange>();
    const repliesBefore = counts.replies;
    let result: { applied: number; duplicates: number; gapFrom: number | null; pbx: number };
    let presenceApplied = false;
    try {
      result = db
        .transaction(() => {
          const mark = inbox.through(stream);
          const ctx: ApplyContext = {
            staff,
            rules,
            directory,
            settings: settingsStore,
            commands,
            outbox,
            port,
            log,
            now: t,
            changes,
            counts,
          };
          let applied = 0;
          let duplicates = 0;
          let gapFrom: number | null = null;
          const pbxRecords: PbxDownRecord[] = [];
          const presenceRecords: PresenceDownRecord[] = [];
          envelope.records.forEach((record, i) => {
            if (record.seq <= mark) {
              duplicates++;
              return;
            }
            if (applied === 0 && record.seq > mark + 1) gapFrom = mark + 1;
            const checked = records[i];
            if (checked?.type === "mango.event")
              pbxRecords.push({ seq: record.seq, id: record.id, type: checked.type, event: checked.data });
            else if (checked?.type === "mango.result")
              pbxRecords.push({ seq: record.seq, id: record.id, type: checked.type, event: checked.data });
            else if (checked?.type === "staff.elsewhere")
              presenceRecords.push({
                seq: record.seq,
                id: record.id,
                elsewhere: {
                  employeeId: checked.data.employeeId,
                  branchId: checked.data.branch,
                  branchName: checked.data.branchName,
                  at: checked.data.at,
                },
              });
            else if (checked !== undefined) applyRecord(ctx, checked);
            inbox.add(stream, record, t);
            applied++;
          });
          if (pbxRecords.length > 0) options.onPbxEvents?.(pbxRecords, t);
          if (presenceRecords.length > 0 && options.presence !== undefined) {
            presenceApplied = true;
            options.presence.applyElsewhere(presenceRecords, t);
          }
          if (applied > 0) inbox.advance(stream, envelope.seqTo, t);
          return { applied, duplicates, gapFrom, pbx: pbxRecords.length };
        })
        .immediate();
    } catch (error) {
      if (presenceApplied) options.presence?.elsewhereSettled(false);
      counts.replies = repliesBefore;
      storeFailures++;
      const reason = String((toStorageError("inbox", error) as Error).message ?? error);
      log.error("down message not committed: the store failed; not acknowledged", {
        code: "SYNC.DOWN_STORE_FAILED",
        stream,
        seqFrom: envelope.seqFrom,
        seqTo: envelope.seqTo,
        reason,
      });
      return { kind: "failed", reason };
    }
    if (presenceApplied) options.presence?.elsewhereSettled(true);
    counters.applied += result.applied;
    counters.duplicates += result.duplicates;
    if (result.pbx > 0 && options.onPbxEvents !== undefined) pbx.handed += result.pbx;
    else if (result.pbx > 0) {
      pbx.withoutSource += result.pbx;
      log.warn("PBX events from HQ, and no PBX source here reads them: kept as inbox rows only", {
        code: "SYNC.PBX_NO_SOURCE",
        stream,
        seqFrom: envelope.seqFrom,
        seqTo: envelope.seqTo,
        records: result.pbx,
        withoutSource: pbx.withoutSource,
      });
    }
    if (result.duplicates > 0)
      log.info("down records seen before: dropped", {
        code: "SYNC.DOWN_DUPLICATE",
        stream,
        seqFrom: envelope.seqFrom,
        seqTo: envelope.seqTo,
        duplicates: result.duplicates,
        duplicatesTotal: counters.duplicates,
      });
    if (result.gapFrom !== null) {
      counters.gaps++;
      log.warn("down stream skipped seqs: applying what arrived", {
        code: "SYNC.DOWN_GAP",
        stream,
        missingFrom: result.gapFrom,
        missingTo: envelope.seqFrom - 1,
      });
    }
    afterCommit(changes, counts.replies > repliesBefore);
    return result.applied === 0
      ? { kind: "duplicate", duplicates: result.duplicates }
      : { kind: "applied", applied: result.applied, duplicates: result.duplicates };
  };

  const afterCommit = (changes: ReadonlySet<InboundChange>, replied: boolean) => {
    if (changes.has("settings")) settings = settingsStore.get();
    if (changes.has("staff")) options.onStaffChanged?.();
    if (replied) onReplies();
    if (changes.has("commands")) runner.kick();
    for (const change of changes) for (const listener of listeners) listener(change);
  };

  // Daily, on a timer: a full disk only postpones it to the next day (or the next start).
  const prune = () => {
    const before = now() - (options.keepMs ?? 90 * DAY_MS);
    let rows: number;
    try {
      rows = inbox.prune(before) + commands.prune(before);
    } catch (error) {
      if (faults.failed("sync.inbox-prune", error, log) === null) throw error;
      return;
    }
    faults.worked("sync.inbox-prune", log);
    if (rows > 0) log.info("old inbox rows pruned", { rows });
  };

  const streamStatus = (stream: DownStream): DownStreamStatus => {
    const c = streams.get(stream) ?? { applied: 0, duplicates: 0, gaps: 0 };
    return { through: inbox.through(stream), ...c };
  };

  return {
    handle,
    directory: {
      byNumber(number) {
        const e164 = normaliseNumber(number, numbers);
        return e164 === null ? null : directory.byNumber(e164);
      },
    },
    settings: () => settings,
    status() {
      const byState = commands.counts();
      return {
        streams: Object.fromEntries(DOWN_STREAMS.map((s) => [s, streamStatus(s)])) as Record<
          DownStream,
          DownStreamStatus
        >,
        rejected: { ...rejected },
        lastRejection,
        storeFailures,
        clients: {
          version: directory.version(),
          count: directory.count(),
          stale: counts.staleSince !== null,
          ignoredDeltas: counts.ignoredDeltas,
        },
        commands: {
          pending: (byState.pending ?? 0) + (byState.running ?? 0),
          done: byState.done ?? 0,
          failed: byState.failed ?? 0,
          expired: byState.expired ?? 0,
          unsupported: byState.unsupported ?? 0,
          refused: byState.refused ?? 0,
          duplicates: counts.commandDuplicates,
        },
        settings,
        pbx: { ...pbx },
      };
    },
    start() {
      runner.recoverInterrupted();
      prune();
      pruneTimer = setInterval(prune, DAY_MS);
      runner.kick();
    },
    async stop() {
      clearInterval(pruneTimer);
      runner.stop();
      await runner.idle();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
