import type { MangoResult } from "../../contract/down-records.ts";
import { startRounds } from "../../lib/rounds.ts";
import type { Logger } from "../../log/logger.ts";
import type { MangoConfig } from "../hq-config.ts";
import type { MangoCommandStore } from "../store/mango-command-store-port.ts";
import type { MangoApi } from "./mango-api.ts";
import { callIdOf, checkMangoCommand } from "./mango-command-check.ts";

/** What the commander did since start. */
export interface MangoCommanderCounters {
  sent: number;
  /** Mango refused at once (HTTP 420 with its code, or another 4xx). */
  refusedByMango: number;
  /** HQ refused, by code (nothing sent). */
  readonly refused: Record<string, number>;
  /** Sent, but Mango gave no answer: it may or may not have run. */
  unreachable: number;
  /** Claimed before a stop or a crash and never answered: answered as such, never sent again. */
  interrupted: number;
  /** A commandId claimed before (a branch wrote it twice): not sent again. */
  duplicates: number;
}

export interface MangoCommander {
  /** Looks for new `pbx.command` records now (after an up commit; a timer looks too). */
  kick(): void;
  readonly counters: MangoCommanderCounters;
  stop(): Promise<void>;
}

/** A command claimed this long ago and still `sending` was cut off (the API client times out at 10 s). */
const STALE_MS = 30_000;
const BATCH = 50;

/**
 * Carries out the branches' `pbx.command` records (issue 17): reads them from HQ's store where the
 * up applier committed them, checks each (mango-command-check.ts), claims it in hq.db, and only
 * then POSTs `commands/<command>` with `command_id` = commandId, signed. Every command gets ONE
 * `mango.result` on its branch's `pbx` stream: HQ's refusal (`by: "hq"`), Mango's 420 code at once,
 * "unreachable" (the command may or may not have run; never retried here, the box decides), or
 * Mango's `result/<name>` callback later (mango-result-route.ts). A command claimed and never
 * answered (HQ stopped mid-send) is answered as interrupted after STALE_MS, NEVER sent again; a
 * command still unread at a restart is read then (or answered as expired).
 */
export function startMangoCommander(options: {
  readonly store: MangoCommandStore;
  readonly api: MangoApi;
  readonly config: MangoConfig;
  readonly log: Logger;
  /** Publishes what waits on the `pbx` down streams (the relay's kick). */
  readonly relay: () => void;
  readonly now?: () => number;
  readonly pollMs?: number;
}): MangoCommander {
  const { store, api, config, relay } = options;
  const log = options.log.child({ part: "mango-commands" });
  const now = options.now ?? Date.now;
  const counters: MangoCommanderCounters = {
    sent: 0,
    refusedByMango: 0,
    refused: {},
    unreachable: 0,
    interrupted: 0,
    duplicates: 0,
  };
  const answer = async (result: MangoResult) => {
    if (await store.answer(result)) relay();
  };

  const round = async (): Promise<void> => {
    for (const cut of await store.stale(now() - STALE_MS)) {
      counters.interrupted++;
      log.warn("Mango command cut off before Mango answered: not sent again", {
        code: "MANGO.COMMAND_INTERRUPTED",
        ...cut,
      });
      await answer({
        commandId: cut.commandId,
        command: cut.command,
        result: null,
        by: "hq",
        reason: "MANGO.COMMAND_INTERRUPTED: HQ stopped while sending it; it may or may not have run",
        receivedAt: now(),
      });
    }
    for (;;) {
      const pending = await store.pending(BATCH);
      if (pending.length === 0) return;
      for (const p of pending) {
        const callId = callIdOf(p.data);
        const leg = callId === null ? null : await store.leg(callId);
        const at = now();
        const checked = checkMangoCommand({
          branch: p.branch,
          recordId: p.id,
          data: p.data,
          now: at,
          branches: config.branches,
          leg,
        });
        if (!checked.ok) {
          counters.refused[checked.code] = (counters.refused[checked.code] ?? 0) + 1;
          log.warn("Mango command refused: nothing sent", {
            code: checked.code,
            branch: p.branch,
            seq: p.seq,
            commandId: checked.commandId,
            reason: checked.reason,
          });
          if (checked.commandId === null) {
            await store.skip(p);
            continue;
          }
          const claimed = await store.claim(
            p,
            {
              commandId: checked.commandId,
              command: checked.command,
              params: (p.data as { params?: unknown }).params,
            },
            at,
            {
              commandId: checked.commandId,
              command: checked.command,
              result: null,
              by: "hq",
              reason: `${checked.code}: ${checked.reason}`,
              receivedAt: at,
            },
          );
          if (claimed === "duplicate") counters.duplicates++;
          else relay();
          continue;
        }
        const { command } = checked;
        if ((await store.claim(p, command, at, null)) === "duplicate") {
          counters.duplicates++;
          log.info("Mango command asked for again: sent once", {
            branch: p.branch,
            commandId: command.commandId,
          });
          continue;
        }
        const reply = await api.post(`commands/${command.command}`, {
          command_id: command.commandId,
          ...command.params,
        });
        const base = { commandId: command.commandId, command: command.command, receivedAt: now() };
        if (reply.kind === "answered") {
          counters.sent++;
          await store.sent(command.commandId, now());
        } else if (reply.kind === "refused") {
          counters.refusedByMango++;
          log.info("Mango refused a command", {
            branch: p.branch,
            commandId: command.commandId,
            code: reply.code,
          });
          await answer({
            ...base,
            result: reply.code,
            by: "mango",
            ...(reply.code === null ? { reason: `HTTP ${reply.status}: ${reply.text.slice(0, 200)}` } : {}),
          });
        } else {
          counters.unreachable++;
          log.warn("Mango did not answer a command: it may or may not have run", {
            code: "MANGO.COMMAND_UNREACHABLE",
            branch: p.branch,
            commandId: command.commandId,
            reason: reply.reason,
          });
          await answer({
            ...base,
            result: null,
            by: "hq",
            reason: `MANGO.COMMAND_UNREACHABLE: it may or may not have run (${reply.reason})`.slice(0, 500),
          });
        }
      }
    }
  };

  const rounds = startRounds(round, {
    everyMs: options.pollMs ?? 1000,
    failed: (error, streak) => {
      // The store failed: nothing was claimed that is not also answered or retried next round.
      if (streak % 60 === 1)
        log.error("Mango commands not read; retrying", { code: "MANGO.COMMAND_STORE_FAILED", error });
    },
  });
  return {
    kick: rounds.kick,
    counters,
    stop: rounds.stop,
  };
}
