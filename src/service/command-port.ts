import type { Command } from "../contract/down-records.ts";

/**
 * How a run ended. Not ok: `failed` unless `status` says the command was `expired` (its expiry
 * passed before anything was sent) or `refused` (bad or impossible input: nothing was sent).
 */
export type CommandResult =
  | { ok: true }
  | { ok: false; reason: string; status?: "failed" | "expired" | "refused" };

/**
 * Where headquarters' commands are carried out: sync delivers them (inbox, dedupe, expiry, the one
 * reply), the service behind this port executes them (click-to-call on a PbxControl).
 * ALWAYS: `supports` answers synchronously and does not change while the box runs; `run` is called
 * at most once per commandId, only for a supported kind, only before `expiresAt`, and never inside
 * a database transaction. A `run` that throws counts as `failed`. NEVER: retries by itself — a
 * command that failed is answered `failed`, and HQ decides whether to send a new one.
 */
export interface CommandPort {
  supports(kind: string): boolean;
  run(command: Command): Promise<CommandResult>;
  /**
   * A command whose `run` the box stopped under (found `running` at start): how it ended, from
   * what the port kept of it — never by running it again. Absent: such a command is `failed`.
   */
  resume?(command: Command): Promise<CommandResult>;
}

/** The box today: no PBX control port yet, every kind is answered `unsupported`. */
export const noCommands: CommandPort = {
  supports: () => false,
  run: async () => ({ ok: false, reason: "no command port" }),
};
