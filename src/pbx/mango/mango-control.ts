import type {
  AwaitOriginateRequest,
  CancelTransferRequest,
  HangupRequest,
  OriginateRequest,
  PbxControl,
  PbxControlErrorCode,
  PbxControlResult,
  RedirectRequest,
  TransferRequest,
} from "../../domain/call/pbx-control.ts";
import { fail, ok } from "../../domain/errors.ts";
import type { NumberRules } from "../../domain/rules/phone-number.ts";
import type { Logger } from "../../log/logger.ts";
import type { PbxCommandSink, PbxDownRow, PbxDownStream } from "../pbx-module.ts";
import {
  ALREADY_ENDED,
  callbackCommand,
  describeResult,
  hangupCommand,
  type MangoCommandRequest,
  type MangoResultData,
  mangoLegOf,
  readResult,
  resultDone,
  routeCommand,
  toMangoNumber,
  transferCommand,
} from "./mango-commands.ts";
import { type MangoLegChange, type MangoLegState, MangoLegTable } from "./mango-legs.ts";

export interface MangoControlOptions {
  /** The `pbx` down stream: Mango's events and the commands' `mango.result`s. */
  readonly stream: PbxDownStream | null;
  /** Where commands go up to headquarters; null: no `[mqtt] url`, every action UNAVAILABLE. */
  readonly commands: PbxCommandSink | null;
  readonly log: Logger;
  readonly now: () => number;
  /** How many answers, results and legs are remembered (default 10,000 each; the oldest go first). */
  readonly remember?: number;
  /** How far back the control reads the stream at start to know the calls still open (default 1 h). */
  readonly refeedMs?: number;
  /** Each call event that arrives while the box runs (not the ones read back at start): R2.6's hook. */
  readonly onLiveLeg?: (change: MangoLegChange) => void;
  /** `[numbers]`: how the numbers the box is given are written for Mango (toMangoNumber). */
  readonly numbers?: NumberRules;
}

/** A command sent and not answered yet: what it waits for. Each judge answers a verdict or null (wait). */
interface Watch {
  readonly result: (result: MangoResultData) => PbxControlResult | null;
  readonly event: (change: MangoLegChange) => PbxControlResult | null;
}

export interface MangoControl extends Required<PbxControl> {
  /** The routing hook's own command: `route` of the entry's waiting leg (R2.6). */
  route(request: RedirectRequest): Promise<PbxControlResult>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const UNAVAILABLE_NO_HQ =
  "no [mqtt] url: Mango's commands go through headquarters, and the box has no link to it";

/**
 * Mango Office's PbxControl (issue 17), through headquarters: the box holds no Mango key, so each
 * action is a `pbx.command` written to the durable outbox (up/replies, `expiresAt` = the request's
 * deadline), which HQ checks, signs and sends; the outcome comes back on the `pbx` down stream as
 * the command's `mango.result` and the `events/call` legs carrying its `command_id`.
 *
 * ```
 *  request ─► answered before? ── yes ──► the first answer (waiting for it if under way)
 *    │ no
 *    ├─ no [mqtt] url / leg unknown ──► UNAVAILABLE, nothing written
 *    ├─ deadline passed ──► TIMEOUT, nothing written
 *    ▼ pbx.command in the outbox
 *  mango.result by hq ──► FAILED, HQ's reason (TIMEOUT when it may have run: UNREACHABLE, INTERRUPTED)
 *  mango.result by mango, not 10xx ──► FAILED (the code read by class, control-rules §3.7)
 *  the confirming event (below) ──► ok          the deadline ──► TIMEOUT
 * ```
 *
 * What confirms each action (NEVER the result alone where Mango's events say more):
 * - originate (`callback`): the employee's leg that the command created (its `to.extension` is the
 *   employee) is Connected; Disconnected before that is FAILED. `onCall(entry_id)` at its first
 *   event. A result 10xx only says Mango started ringing.
 * - hangup (`call/hangup`): the leg's Disconnected, or a result 10xx (Mango's result callback comes
 *   after it ended the leg), or 4101 "already ended": the leg is gone either way.
 * - blind / attended transfer (`transfer` blind / hold) and redirect (`route`): the new leg carrying
 *   the command's `command_id` (the API's route example: it appears before the result), or a
 *   result 10xx, whichever comes first. A hold transfer's new leg is remembered as the
 *   consultation that cancelAttendedTransfer hangs up.
 * - cancelAttendedTransfer (`call/hangup` of the consultation leg, control-rules §3.5): the held
 *   leg Connected again (the employee is back with the client).
 */
export function createMangoControl(options: MangoControlOptions): MangoControl {
  const remember = options.remember ?? 10_000;
  const refeedMs = options.refeedMs ?? 60 * 60_000;
  const { now, stream, commands } = options;
  const log = options.log.child({ component: "mango-control" });
  const table = new MangoLegTable(remember);
  const answers = new Map<string, Promise<PbxControlResult>>();
  const watches = new Map<string, Watch>();
  const results = new Map<string, MangoResultData>();
  /** Hold transfers sent: commandId → the employee's box leg, until their consultation leg shows. */
  const holds = new Map<string, string>();
  /** The employee's box leg → the consultation leg (Mango call_id) its hold transfer created. */
  const consultations = new Map<string, string>();
  let cursor = 0;

  const bounded = <K, V>(map: Map<K, V>, key: K, value: V) => {
    map.set(key, value);
    while (map.size > remember) map.delete(map.keys().next().value as K);
  };

  const resolvers = new Map<string, (result: PbxControlResult) => void>();
  const settle = (commandId: string, verdict: PbxControlResult | null): void => {
    if (verdict === null || !watches.delete(commandId)) return;
    resolvers.get(commandId)?.(verdict);
  };

  const read = (rows: readonly PbxDownRow[], live: boolean): void => {
    for (const row of rows) {
      cursor = Math.max(cursor, row.n);
      if (row.type === "mango.result") {
        const result = readResult(row.data);
        if (result === null) continue;
        bounded(results, result.commandId, result);
        const watch = watches.get(result.commandId);
        if (watch !== undefined) settle(result.commandId, watch.result(result));
        continue;
      }
      const data = row.data as { kind?: unknown; json?: unknown } | null;
      if (data?.kind !== "call" || typeof data.json !== "object" || data.json === null) continue;
      const change = table.accept(data.json as Record<string, unknown>);
      if (change === null) continue;
      const employeeLeg = change.commandId === null ? undefined : holds.get(change.commandId);
      if (employeeLeg !== undefined && change.first) bounded(consultations, employeeLeg, change.leg.callId);
      for (const [commandId, watch] of [...watches]) settle(commandId, watch.event(change));
      if (live) options.onLiveLeg?.(change);
    }
  };

  if (stream !== null) {
    read(stream.since(now() - refeedMs), false);
    const since = now() - refeedMs;
    stream.subscribe(() => {
      try {
        read(
          stream.after(cursor).filter((row) => row.receivedAt >= since),
          true,
        );
      } catch (error) {
        log.error("Mango control: the pbx down stream could not be read", { error });
      }
    });
  }

  /** HQ's or Mango's refusal; null when the result says the command was done (10xx). */
  const refusal = (result: MangoResultData): PbxControlResult | null => {
    if (result.by === "hq") {
      const reason = result.reason ?? "headquarters did not send the command";
      // HQ's reason starts with its code (docs/contract.md): Mango gave no answer, or HQ stopped
      // mid-send — the command may have run, which is a timeout, not a refusal.
      const code: PbxControlErrorCode = /^MANGO\.COMMAND_(UNREACHABLE|INTERRUPTED)\b/.test(reason)
        ? "PBX.CONTROL_TIMEOUT"
        : "PBX.CONTROL_FAILED";
      return fail(code, `headquarters: ${reason}`);
    }
    if (result.result === null) return fail("PBX.CONTROL_FAILED", "Mango answered without a result code");
    return resultDone(result.result) ? null : fail("PBX.CONTROL_FAILED", describeResult(result.result));
  };

  /** Sends `mango` (unless `send` is false: awaitOriginate) and waits for `watch`'s verdict or the deadline. */
  const act = (
    request: { readonly commandId: string; readonly deadline: number },
    mango: MangoCommandRequest | null,
    watch: (() => Watch | PbxControlResult) | PbxControlResult,
  ): Promise<PbxControlResult> => {
    const known = answers.get(request.commandId);
    if (known !== undefined) return known;
    const answer = start(request, mango, watch);
    bounded(answers, request.commandId, answer);
    return answer;
  };

  const start = (
    request: { readonly commandId: string; readonly deadline: number },
    mango: MangoCommandRequest | null,
    prepare: (() => Watch | PbxControlResult) | PbxControlResult,
  ): Promise<PbxControlResult> => {
    if (mango !== null && commands === null)
      return Promise.resolve(fail("PBX.CONTROL_UNAVAILABLE", UNAVAILABLE_NO_HQ));
    const prepared = typeof prepare === "function" ? prepare() : prepare;
    if ("ok" in prepared) return Promise.resolve(prepared);
    if (request.deadline <= now())
      return Promise.resolve(fail("PBX.CONTROL_TIMEOUT", "the deadline passed before the command was sent"));
    if (mango !== null && commands !== null) {
      try {
        commands.send({ commandId: request.commandId, pbx: "mango", ...mango, expiresAt: request.deadline });
      } catch (error) {
        log.error("Mango command not stored: not sent", { commandId: request.commandId, error });
        return Promise.resolve(fail("PBX.CONTROL_UNAVAILABLE", "the box could not store the command"));
      }
    }
    return new Promise<PbxControlResult>((resolve) => {
      const timer = setTimeout(
        () => settle(request.commandId, fail("PBX.CONTROL_TIMEOUT", "no word from Mango by the deadline")),
        Math.min(Math.max(0, request.deadline - now()), MAX_TIMER_MS),
      );
      resolvers.set(request.commandId, (result) => {
        clearTimeout(timer);
        resolvers.delete(request.commandId);
        resolve(result);
      });
      watches.set(request.commandId, prepared);
      // A result already read (awaitOriginate after a restart) answers at once.
      const early = results.get(request.commandId);
      if (early !== undefined) settle(request.commandId, prepared.result(early));
    });
  };

  /** The originate's verdict from a leg its command created: the employee's (`to.extension`). */
  const originateVerdict = (leg: MangoLegState, extension: string): PbxControlResult | null => {
    if (leg.toExtension !== extension) return null;
    if (leg.state === "Connected") return ok({ callId: leg.entryId, at: leg.at });
    if (leg.state === "Disconnected" && !leg.connected)
      return fail("PBX.CONTROL_FAILED", `${extension} did not answer (Mango ${leg.disconnectReason ?? "?"})`);
    return null;
  };

  const originateWatch = (
    commandId: string,
    extension: string,
    onCall: ((callId: string) => void) | undefined,
  ): Watch => {
    let told = false;
    return {
      result: (result) => refusal(result),
      event: ({ leg, commandId: made }) => {
        if (made !== commandId) return null;
        if (!told) {
          told = true;
          onCall?.(leg.entryId);
        }
        return originateVerdict(leg, extension);
      },
    };
  };

  /** Transfers and routes: confirmed by the new leg with the command's id, or a result 10xx. */
  const newLegWatch = (commandId: string, callId: string): Watch => ({
    result: (result) => refusal(result) ?? ok({ callId, at: now() }),
    event: ({ event, commandId: made, first }) =>
      made === commandId && first ? ok({ callId, at: event.at }) : null,
  });

  const employeeLeg = (legId: string): { callId: string; extension: string } | PbxControlResult => {
    const leg = mangoLegOf(legId);
    if (leg === null) return fail("PBX.CONTROL_UNAVAILABLE", `${legId} is no leg of a Mango call`);
    if (table.leg(leg.callId)?.state === "Disconnected")
      return fail("PBX.CONTROL_UNAVAILABLE", `the leg ${legId} has ended`);
    return leg;
  };

  const dialled = (to: string) => toMangoNumber(to, options.numbers ?? null);

  const transfer = (request: TransferRequest, method: "blind" | "hold"): Promise<PbxControlResult> => {
    const leg = employeeLeg(request.legId);
    if ("ok" in leg) return act(request, null, leg);
    if (method === "hold") bounded(holds, request.commandId, request.legId);
    return act(request, transferCommand(leg.callId, method, dialled(request.to), leg.extension), () =>
      newLegWatch(request.commandId, request.callId),
    );
  };

  const route = (request: RedirectRequest): Promise<PbxControlResult> => {
    const leg = table.routable(request.callId);
    if (leg === null)
      return act(
        request,
        null,
        fail("PBX.CONTROL_UNAVAILABLE", `no leg of ${request.callId} waits to be routed`),
      );
    return act(request, routeCommand(leg.callId, dialled(request.to)), () =>
      newLegWatch(request.commandId, request.callId),
    );
  };

  return {
    name: "mango",
    supports: () => true,
    originate: (request: OriginateRequest) =>
      act(request, callbackCommand(request.fromExtension, dialled(request.to)), () =>
        originateWatch(request.commandId, request.fromExtension, request.onCall),
      ),
    awaitOriginate: (request: AwaitOriginateRequest) =>
      act(request, null, () => {
        const watch = originateWatch(request.commandId, request.fromExtension, undefined);
        // The legs read back at start: the verdict may already be in them.
        for (const leg of table.madeBy(request.commandId)) {
          const verdict = originateVerdict(leg, request.fromExtension);
          if (verdict !== null) return verdict;
        }
        return watch;
      }),
    hangup: (request: HangupRequest) => {
      const leg = mangoLegOf(request.legId);
      if (leg === null)
        return act(
          request,
          null,
          fail("PBX.CONTROL_UNAVAILABLE", `${request.legId} is no leg of a Mango call`),
        );
      const done = ok({ callId: request.callId, at: now() });
      return act(request, hangupCommand(leg.callId), () => ({
        result: (result) => (result.result === ALREADY_ENDED ? done : (refusal(result) ?? done)),
        event: ({ leg: changed, event }) =>
          changed.callId === leg.callId && event.state === "Disconnected"
            ? ok({ callId: request.callId, at: event.at })
            : null,
      }));
    },
    blindTransfer: (request) => transfer(request, "blind"),
    attendedTransfer: (request) => transfer(request, "hold"),
    cancelAttendedTransfer: (request: CancelTransferRequest) => {
      const held = mangoLegOf(request.legId);
      const consultation = consultations.get(request.legId);
      if (held === null || consultation === undefined)
        return act(
          request,
          null,
          fail("PBX.CONTROL_UNAVAILABLE", `no consultation of ${request.legId} is known to the box`),
        );
      const back = (at: number) => ok({ callId: request.callId, at });
      return act(request, hangupCommand(consultation), () => ({
        result: (result) => {
          const refused = result.result === ALREADY_ENDED ? null : refusal(result);
          if (refused !== null) return refused;
          return table.leg(held.callId)?.state === "Connected" ? back(now()) : null;
        },
        event: ({ leg, event }) =>
          leg.callId === held.callId && event.state === "Connected" ? back(event.at) : null,
      }));
    },
    redirect: route,
    route,
  };
}
