import { DOWN_RECORD_SCHEMAS, type DownRecord } from "../../contract/down-records.ts";
import type { DownStream, SyncRecord } from "../../contract/protocol.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import type { Logger } from "../../log/logger.ts";
import type { CommandPort } from "../../service/command-port.ts";
import type { ClientDirectoryStore } from "../../store/client-directory-store.ts";
import type { CommandStore } from "../../store/command-store.ts";
import type { HqSettingsStore } from "../../store/hq-settings-store.ts";
import type { OutboxStore } from "../../store/outbox-store.ts";
import type { RulesStore } from "../../store/rules-store.ts";
import type { StaffStore } from "../../store/staff-store.ts";
import { applyStaffRules } from "./apply-staff-rules.ts";
import { writeReply } from "./command-runner.ts";
import type { InboundChange, RejectCode } from "./inbound-types.ts";

export type RecordCheck = { ok: true; record: DownRecord } | { ok: false; code: RejectCode; reason: string };

/**
 * Checks one record's type and data against its stream's schemas. A staff record carrying a PIN
 * in clear (a `pin` field, or a `pinHash` that is not an Argon2id hash) gets its own code: it is
 * an HQ bug worth an alarm, not a typo. Reasons never repeat the offending value.
 */
export function checkRecord(stream: DownStream, record: SyncRecord): RecordCheck {
  const schemas: Record<
    string,
    {
      safeParse(data: unknown): {
        success: boolean;
        data?: unknown;
        error?: { issues: { path: PropertyKey[]; message: string }[] };
      };
    }
  > = DOWN_RECORD_SCHEMAS[stream];
  const schema = schemas[record.type];
  const where = `record seq ${record.seq}`;
  if (schema === undefined)
    return {
      ok: false,
      code: "SYNC.DOWN_BAD_RECORD",
      reason: `${where}: type ${record.type} is not one of ${Object.keys(schemas).join(", ")}`,
    };
  if (stream === "staff" && hasClearPin(record.data))
    return {
      ok: false,
      code: "SYNC.STAFF_CLEAR_PIN",
      reason: `${where}: a PIN in clear, not an Argon2id hash`,
    };
  const parsed = schema.safeParse(record.data);
  if (!parsed.success)
    return {
      ok: false,
      code: "SYNC.DOWN_BAD_RECORD",
      reason: `${where} (${record.type}): ${describeIssues(parsed.error?.issues ?? [], "data")}`,
    };
  return { ok: true, record: { type: record.type, data: parsed.data } as DownRecord };
}

function hasClearPin(data: unknown): boolean {
  if (typeof data !== "object" || data === null) return false;
  const d = data as Record<string, unknown>;
  if ("pin" in d) return true;
  return typeof d.pinHash === "string" && !d.pinHash.startsWith("$argon2id$");
}

export type ApplyContext = {
  readonly staff: StaffStore;
  /** Absences and forwarding (issue 16) that come with the staff list. */
  readonly rules: RulesStore;
  readonly directory: ClientDirectoryStore;
  readonly settings: HqSettingsStore;
  readonly commands: CommandStore;
  readonly outbox: OutboxStore;
  readonly port: CommandPort;
  readonly log: Logger;
  readonly now: number;
  /** What changed, for the listeners after the commit. */
  readonly changes: Set<InboundChange>;
  readonly counts: {
    ignoredDeltas: number;
    commandDuplicates: number;
    replies: number;
    /** The directory just became stale (a delta skipped a version). */
    staleSince: number | null;
  };
};

/** Applies one checked record. Runs inside the inbox's transaction; throws only on a store failure. */
export function applyRecord(ctx: ApplyContext, record: DownRecord): void {
  switch (record.type) {
    case "staff.upsert": {
      const { id, name, role, extension, pinHash } = record.data;
      ctx.staff.upsert([{ id, name, role, extension, pinHash }], ctx.now);
      applyStaffRules(ctx.rules, record.data, ctx.now);
      ctx.changes.add("staff");
      return;
    }
    case "staff.remove":
      if (ctx.staff.remove(record.data.id)) {
        ctx.rules.removeEmployee(record.data.id);
        ctx.changes.add("staff");
      }
      return;
    case "clients.snapshot":
      ctx.directory.replace(record.data.version, record.data.clients, ctx.now);
      ctx.counts.staleSince = null;
      ctx.changes.add("clients");
      return;
    case "clients.delta":
      applyDelta(ctx, record.data);
      return;
    case "settings.update":
      ctx.settings.set(record.data, ctx.now);
      ctx.changes.add("settings");
      return;
    case "command.run":
      acceptCommand(ctx, record.data);
      return;
    case "mango.event":
    case "mango.result":
      // The inbox hands the `pbx` stream to its PbxEventsPort with each record's seq and id.
      return;
    case "staff.elsewhere":
      // The inbox hands the `presence` stream to its PresencePort (the roster).
      return;
  }
}

function applyDelta(ctx: ApplyContext, delta: Extract<DownRecord, { type: "clients.delta" }>["data"]): void {
  const have = ctx.directory.version();
  if (delta.version === have + 1) {
    ctx.directory.patch(delta.version, delta.upsert, delta.remove, ctx.now);
    ctx.counts.staleSince = null;
    ctx.changes.add("clients");
    return;
  }
  ctx.counts.ignoredDeltas++;
  const stale = delta.version > have + 1;
  ctx.log.warn("client directory delta does not follow our version: ignored until the next snapshot", {
    code: "SYNC.CLIENTS_DELTA_IGNORED",
    have,
    got: delta.version,
  });
  if (stale && ctx.counts.staleSince === null) {
    // Ask once per stale spell: HQ answers with a snapshot.
    ctx.counts.staleSince = have;
    ctx.outbox.add(
      "replies",
      [
        {
          id: `clients-resync-${have}`,
          type: "clients.resync",
          data: { haveVersion: have, gotVersion: delta.version },
        },
      ],
      ctx.now,
    );
    ctx.counts.replies++;
  }
}

function acceptCommand(ctx: ApplyContext, c: Extract<DownRecord, { type: "command.run" }>["data"]): void {
  if (ctx.commands.get(c.commandId) !== null) {
    ctx.counts.commandDuplicates++;
    ctx.log.warn("command seen before: not run again", {
      code: "SYNC.COMMAND_DUPLICATE",
      commandId: c.commandId,
    });
    return;
  }
  if (c.expiresAt <= ctx.now) {
    ctx.commands.insert(c, "expired", ctx.now, "expired in transit");
    writeReply(ctx.outbox, c.commandId, "expired", ctx.now);
    ctx.counts.replies++;
    ctx.log.warn("command arrived after its expiry: not run", {
      code: "SYNC.COMMAND_EXPIRED",
      commandId: c.commandId,
      kind: c.kind,
      expiresAt: c.expiresAt,
      lateMs: ctx.now - c.expiresAt,
    });
    return;
  }
  if (!ctx.port.supports(c.kind)) {
    ctx.commands.insert(c, "unsupported", ctx.now, `this box cannot run ${c.kind}`);
    writeReply(ctx.outbox, c.commandId, "unsupported", ctx.now);
    ctx.counts.replies++;
    ctx.log.warn("command of a kind this box cannot run", {
      code: "SYNC.COMMAND_UNSUPPORTED",
      commandId: c.commandId,
      kind: c.kind,
    });
    return;
  }
  ctx.commands.insert(c, "pending", ctx.now);
  ctx.changes.add("commands");
}
