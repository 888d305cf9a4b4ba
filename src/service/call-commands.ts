import type { Database } from "bun:sqlite";
import { type CallCommandState, isSettled } from "../domain/call/call-command-state.ts";
import type { AssembledCall, AssembledLeg } from "../domain/call/call-types.ts";
import type { PbxControl, PbxControlResult } from "../domain/call/pbx-control.ts";
import { fail, ok } from "../domain/errors.ts";
import type { Instant } from "../domain/roster/types.ts";
import type { Logger } from "../log/logger.ts";
import { type CallCommandRow, type CallCommandStore, callCommandStore } from "../store/call-command-store.ts";
import type {
  CallCommandInput,
  CallCommandKind,
  CallCommandsPort,
  CallCommandView,
} from "./call-command-port.ts";
import {
  actionOf,
  checkShape,
  type OpenTransfer,
  type ResolvedCommand,
  resolveCommand,
} from "./call-command-target.ts";
import type { CallsPort } from "./calls-port.ts";
import type { RosterPort } from "./roster-port.ts";
import type { CancelTimer, Timer } from "./timer.ts";

/** How long the PBX has to confirm a command, by kind, unless the options say otherwise. */
export const DEFAULT_DEADLINES_MS: Readonly<Record<CallCommandKind, number>> = {
  "click-to-call": 60_000,
  hangup: 15_000,
  transfer: 15_000,
  "cancel-transfer": 15_000,
};

/**
 * An attended transfer is confirmed only when the employee hangs up after talking to the colleague
 * (R2.4): it lives as long as that consultation, which may take minutes, and can be cancelled
 * meanwhile. Its deadline is this, not the blind transfer's.
 */
export const ATTENDED_TRANSFER_DEADLINE_MS = 10 * 60_000;

const DAY_MS = 86_400_000;
/** How long a settled command is kept: its id stays used, its answer readable (`get`). */
export const KEEP_SETTLED_MS = 90 * DAY_MS;

export const REASONS = {
  deadline: "no confirmation by the deadline",
  restart: "not sent before a restart",
  expired: "expired before it could be sent",
  noAnswer: "the employee's phone did not answer",
  clientNoAnswer: "the number called did not answer",
  clientBusy: "the number called was busy",
  unanswered: "the call ended unanswered",
  noTransfer: "the leg ended without the transfer",
  /** An attended transfer a cancel-transfer ended (R2.4): the client is back with the employee. */
  cancelled: "cancelled",
  noCancel: "the leg ended before the cancel was confirmed",
} as const;

export interface CallCommandsOptions {
  readonly db: Database;
  /** The configured PBX's controller; null: every command is refused `COMMAND.NO_PBX`. */
  readonly control: PbxControl | null;
  readonly roster: RosterPort;
  readonly calls: CallsPort;
  readonly timer: Timer;
  readonly log: Logger;
  readonly deadlinesMs?: Partial<Record<CallCommandKind, number>>;
}

/**
 * The CallCommandsPort on a PbxControl (issue 15). A command's life:
 *
 * - `submit`: shape, then a known id (the same input: its view; another: `COMMAND.ID_REUSED`),
 *   then the controller's support, then the roster and the live calls; a refusal writes nothing.
 *   Then the row is committed `queued` (or `expired`, past its `expiresAt`) and `submit` resolves.
 * - Right after: `queued → sent` is committed, THEN the controller is asked, with the commandId
 *   and the row's deadline. Its answer settles the command: ok → `done` (with the call's id);
 *   `PBX.CONTROL_UNSUPPORTED` → `refused`; any other error → `failed` with the PBX's reason.
 *   A click-to-call's ok means the employee answered: it is `connected` (the client is dialled,
 *   with a deadline of its own), and `done` only when the client answers, else `failed` (busy,
 *   not answered): R2.1's call happened or it did not.
 * - A timer fails every open command at its deadline; an answer after that changes nothing.
 * - Intermediate states come from the call's own events (CallsPort), once the command's call is
 *   known (hang up, transfer: from the start; click-to-call: from the controller's `onCall`):
 *   the first phone ringing → `ringing-employee`, answered → `connected`.
 * - A restart: a `queued` row was never handed to the controller, but its asker is gone and a phone
 *   ringing minutes later surprises everyone: it is `failed` ("not sent before a restart"). A
 *   `sent` one is never sent again: a click-to-call is settled by the PBX's verdict where the
 *   controller can still hear it (`awaitOriginate`, see `resume`), else by its events like the
 *   others (click-to-call: the client answered → done, or the call ended unanswered → failed;
 *   hang up: its leg ended → done; transfer: its leg ended transferred → done, else failed;
 *   cancel-transfer: its leg ended → failed), or its deadline fails it.
 * - Cancel-transfer (R2.4) is valid only while an attended transfer command on that call is open
 *   and sent (else `COMMAND.NO_TRANSFER`, nothing written); it asks the controller's
 *   `cancelAttendedTransfer` on the transfer's own leg. Once the controller confirms (the employee
 *   is back with the client) it is `done` and the transfer it cancelled settles `failed`, reason
 *   `cancelled`: that transfer did not happen. A failed cancel leaves the transfer as it was.
 */
export class CallCommands implements CallCommandsPort {
  private readonly store: CallCommandStore;
  private readonly listeners = new Set<(view: CallCommandView) => void>();
  private readonly deadlines = new Map<string, CancelTimer>();
  /** Open commands, as last committed: the calls' changes are matched against these. */
  private readonly open = new Map<string, CallCommandRow>();
  /** Commands whose controller answer this process still awaits. */
  private readonly inFlight = new Set<string>();
  /** Click-to-calls sent before a restart whose PBX verdict the controller awaits (`awaitOriginate`). */
  private readonly resumed = new Set<string>();
  /** How a click-to-call's client leg ended, seen while the controller's answer was awaited. */
  private readonly clientEnded = new Map<string, ClientEnd>();
  private readonly deadlineMs: Readonly<Record<CallCommandKind, number>>;
  private stopCalls: (() => void) | null = null;
  private stopPruning: CancelTimer | null = null;
  private stopped = false;

  constructor(private readonly options: CallCommandsOptions) {
    this.store = callCommandStore(options.db);
    this.deadlineMs = { ...DEFAULT_DEADLINES_MS, ...options.deadlinesMs };
  }

  /** Settles what a restart left open (see the class comment) and starts following the calls. */
  start(): void {
    const t = this.options.timer.now();
    this.prune();
    for (const row of this.store.open()) {
      if (row.state === "queued") {
        this.settle(row.commandId, "failed", REASONS.restart);
        continue;
      }
      this.open.set(row.commandId, row);
      this.arm(row);
      this.resume(row);
    }
    if (this.open.size > 0)
      this.options.log.warn("call commands left open by a restart: not sent again", {
        code: "COMMAND.RESUMED",
        commandIds: [...this.open.keys()],
        at: t,
      });
    this.stopCalls = this.options.calls.subscribe((changed) => this.callsChanged(changed));
    this.callsChanged(this.options.calls.live());
  }

  /** Stops the timers and the calls' feed; an answer arriving later is not written. */
  stop(): void {
    this.stopped = true;
    this.stopCalls?.();
    this.stopPruning?.();
    for (const cancel of this.deadlines.values()) cancel();
    this.deadlines.clear();
  }

  async submit(input: CallCommandInput, now: Instant) {
    const shape = checkShape(input);
    if (shape !== null) return { ok: false as const, error: shape };
    const canonical = canonicalInput(input);
    const known = this.store.get(input.commandId);
    if (known !== null) return this.repeat(known, canonical);
    const { control } = this.options;
    if (control === null) return fail("COMMAND.NO_PBX", "this box cannot act on its phone system");
    const action = actionOf(input);
    if (!control.supports(action) || (action === "cancelAttendedTransfer" && !control.cancelAttendedTransfer))
      return fail(
        "COMMAND.UNSUPPORTED",
        `the phone system (${control.name}) cannot do ${action} from the box`,
      );
    const transfers = input.kind === "cancel-transfer" ? this.openAttendedTransfers() : [];
    const resolved = resolveCommand(input, this.options.roster, this.options.calls, transfers, now);
    if (!resolved.ok) return resolved;
    if (!control.supports(resolved.value.action))
      return fail(
        "COMMAND.UNSUPPORTED",
        `the phone system (${control.name}) cannot do ${resolved.value.action} from the box`,
      );
    const expired = input.expiresAt !== undefined && input.expiresAt <= now;
    const row: CallCommandRow = {
      commandId: input.commandId,
      kind: input.kind,
      input: canonical,
      target: resolved.value.target,
      legId: resolved.value.legId,
      state: expired ? "expired" : "queued",
      callId: resolved.value.callId,
      reason: expired ? REASONS.expired : null,
      origin: input.origin,
      deadline: now + deadlineOf(input, this.deadlineMs),
      expiresAt: input.expiresAt ?? null,
      createdAt: now,
      updatedAt: now,
    };
    // Nothing awaited since the lookup above: in this process no other submit ran in between.
    if (!this.store.insert(row)) return this.repeat(this.store.get(row.commandId) ?? row, canonical);
    this.notify(row);
    if (!expired) {
      this.open.set(row.commandId, row);
      this.arm(row);
      queueMicrotask(() => void this.send(row, resolved.value));
    }
    return ok(view(row));
  }

  get(commandId: string): CallCommandView | null {
    const row = this.store.get(commandId);
    return row === null ? null : view(row);
  }

  subscribe(listener: (view: CallCommandView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Attended transfers sent and not settled, oldest first: what a cancel-transfer may cancel. */
  private openAttendedTransfers(): OpenTransfer[] {
    const open: OpenTransfer[] = [];
    for (const row of this.store.open()) {
      if (row.kind !== "transfer" || row.state === "queued" || row.callId === null || row.legId === null)
        continue;
      if ((JSON.parse(row.input) as { mode?: string }).mode !== "attended") continue;
      open.push({ commandId: row.commandId, callId: row.callId, legId: row.legId });
    }
    return open;
  }

  /**
   * Settled commands are kept `KEEP_SETTLED_MS` (an id repeated within that never acts twice, as
   * HQ's inbox keeps its own); older ones are deleted at start and once a day. A failed delete (a
   * full disk) is logged and tried again the next day.
   */
  private prune(): void {
    const { timer, log } = this.options;
    try {
      const pruned = this.store.prune(timer.now() - KEEP_SETTLED_MS);
      if (pruned > 0) log.info("old call commands pruned", { pruned });
    } catch (error) {
      log.error("call commands: cannot prune old ones", {
        code: "COMMAND.STORE_FAILED",
        error: String(error),
      });
    }
    if (!this.stopped) this.stopPruning = timer.after(DAY_MS, () => this.prune());
  }

  private repeat(known: CallCommandRow, canonical: string) {
    return known.input === canonical
      ? ok(view(known))
      : fail("COMMAND.ID_REUSED", `commandId ${known.commandId} was used for another command`);
  }

  private async send(row: CallCommandRow, resolved: ResolvedCommand): Promise<void> {
    const { commandId } = row;
    let result: PbxControlResult;
    try {
      if (this.stopped) return;
      const t = this.options.timer.now();
      if (row.expiresAt !== null && row.expiresAt <= t) {
        this.settle(commandId, "expired", REASONS.expired);
        return;
      }
      if (!this.move(commandId, "sent")) return;
      this.inFlight.add(commandId);
      result = await this.ask(row, resolved);
    } catch (error) {
      // A controller must answer with a value: a rejection is its bug. A store that refused to
      // mark the row `sent` (a full disk) means nothing was asked; the deadline settles it.
      this.options.log.error("call command: the controller or the store failed", {
        code: "COMMAND.CONTROL_FAILED",
        commandId,
        error: String(error),
      });
      result = {
        ok: false,
        error: { code: "PBX.CONTROL_FAILED", message: `the controller failed: ${error}` },
      };
    } finally {
      this.inFlight.delete(commandId);
    }
    if (!this.stopped) this.answered(row, result);
  }

  /** The controller's answer settles the command (see the class comment). */
  private answered(row: CallCommandRow, result: PbxControlResult): void {
    const { commandId } = row;
    if (result.ok && row.kind === "click-to-call") {
      this.callKnown(commandId, result.value.callId);
      this.connected(commandId);
      const ended = this.clientEnded.get(commandId);
      if (ended !== undefined) this.clientCallEnded(commandId, ended);
    } else if (result.ok) {
      this.settle(commandId, "done", null, result.value.callId);
      // The target is the cancelled transfer's commandId (see resolveCommand).
      if (row.kind === "cancel-transfer") this.settle(row.target, "failed", REASONS.cancelled);
    } else if (result.error.code === "PBX.CONTROL_UNSUPPORTED")
      this.settle(commandId, "refused", result.error.message);
    else
      this.settle(
        commandId,
        "failed",
        result.error.code === "PBX.CONTROL_TIMEOUT" ? REASONS.deadline : result.error.message,
      );
  }

  /**
   * A click-to-call sent before a restart: the PBX's verdict where the controller still hears it
   * (Asterisk's OriginateResponse says the employee answered the moment she does, before the
   * client is dialled: `connected`), and the call's events either way (the verdict may have come
   * while the box was down): the client answered → done, the call over unanswered → failed.
   */
  private resume(row: CallCommandRow): void {
    const control = this.options.control;
    if (row.kind !== "click-to-call" || row.callId === null || control?.awaitOriginate === undefined) return;
    const { commandId } = row;
    this.inFlight.add(commandId);
    this.resumed.add(commandId);
    const request = { commandId, deadline: row.deadline, callId: row.callId, fromExtension: row.target };
    control.awaitOriginate(request).then(
      (result) => {
        this.inFlight.delete(commandId);
        this.resumed.delete(commandId);
        // A timeout is the deadline's own failure, which the timer writes.
        if (!this.stopped && !(!result.ok && result.error.code === "PBX.CONTROL_TIMEOUT"))
          this.answered(row, result);
      },
      (error) =>
        this.options.log.error("call command: the controller failed", {
          code: "COMMAND.CONTROL_FAILED",
          commandId,
          error: String(error),
        }),
    );
  }

  private ask(row: CallCommandRow, r: ResolvedCommand): Promise<PbxControlResult> {
    const control = this.options.control as PbxControl;
    const base = { commandId: row.commandId, deadline: row.deadline };
    const callId = r.callId ?? "";
    const legId = r.legId ?? "";
    switch (r.action) {
      case "originate":
        return control.originate({
          ...base,
          fromExtension: r.target,
          to: r.dial ?? "",
          onCall: (id) => this.callKnown(row.commandId, id),
        });
      case "hangup":
        return control.hangup({ ...base, callId, legId });
      case "blindTransfer":
        return control.blindTransfer({ ...base, callId, legId, to: r.target });
      case "redirect":
        return control.redirect({ ...base, callId, to: r.target });
      case "cancelAttendedTransfer":
        return control.cancelAttendedTransfer === undefined
          ? Promise.resolve(fail("PBX.CONTROL_UNSUPPORTED", `${control.name} cannot cancel a transfer`))
          : control.cancelAttendedTransfer({ ...base, callId, legId });
      default:
        return control.attendedTransfer({ ...base, callId, legId, to: r.target });
    }
  }

  private callKnown(commandId: string, callId: string): void {
    if (this.stopped || !this.store.attachCall(commandId, callId, this.options.timer.now())) return;
    this.refreshed(commandId);
    this.callsChanged(this.options.calls.live().filter((c) => c.id === callId));
  }

  /** The calls' events move the open commands on them (see the class comment). */
  private callsChanged(changed: readonly AssembledCall[]): void {
    if (this.stopped || this.open.size === 0) return;
    for (const call of changed)
      for (const row of [...this.open.values()])
        if (row.callId === call.id) this.progress(row, call, !this.inFlight.has(row.commandId));
  }

  private progress(row: CallCommandRow, call: AssembledCall, settleFromEvents: boolean): void {
    if (row.kind === "click-to-call") {
      const leg = call.legs.findLast((l) => l.extension === row.target);
      const employeeAnswered = leg?.answeredAt !== null && leg?.answeredAt !== undefined;
      if (leg?.state === "ringing") this.move(row.commandId, "ringing-employee");
      if (employeeAnswered) this.connected(row.commandId);
      const ended = clientEnd(call, leg);
      if (ended === null) return;
      // While the controller's answer is awaited, its verdict comes first (a PBX refusal has the
      // better reason); after a restart the verdict may have come while the box was down.
      if (settleFromEvents || this.resumed.has(row.commandId)) this.clientCallEnded(row.commandId, ended);
      else this.clientEnded.set(row.commandId, ended);
      return;
    }
    if (!settleFromEvents) return;
    const leg = call.legs.find((l) => l.id === row.legId);
    const ended = call.finished || leg?.state === "ended";
    if (!ended) return;
    if (row.kind === "hangup") this.settle(row.commandId, "done", null);
    else if (row.kind === "cancel-transfer") this.settle(row.commandId, "failed", REASONS.noCancel);
    else if (leg?.ending === "transferred" || rungElsewhere(call, leg, row.target))
      this.settle(row.commandId, "done", null);
    else this.settle(row.commandId, "failed", REASONS.noTransfer);
  }

  /**
   * The employee answered a click-to-call, so the client is being dialled: `connected`, and the
   * client gets a ring of its own from now (the kind's deadline again), not what the employee
   * left of the first one.
   */
  private connected(commandId: string): void {
    const t = this.options.timer.now();
    if (!this.store.move(commandId, "connected", t)) return;
    this.store.extendDeadline(commandId, t + this.deadlineMs["click-to-call"], t);
    const row = this.refreshed(commandId);
    if (row !== null && !isSettled(row.state)) this.arm(row);
  }

  /** A click-to-call's call ended for its client (see `clientEnd`): done, or failed with why. */
  private clientCallEnded(commandId: string, ended: ClientEnd): void {
    if (ended === "answered") {
      this.settle(commandId, "done", null);
      return;
    }
    const connected = this.store.get(commandId)?.state === "connected";
    const reason = connected
      ? ended === "busy"
        ? REASONS.clientBusy
        : REASONS.clientNoAnswer
      : this.resumed.has(commandId)
        ? REASONS.unanswered
        : REASONS.noAnswer;
    this.settle(commandId, "failed", reason);
  }

  private arm(row: CallCommandRow): void {
    this.deadlines.get(row.commandId)?.();
    this.deadlines.set(
      row.commandId,
      this.options.timer.at(row.deadline, () => {
        this.deadlines.delete(row.commandId);
        try {
          if (!this.stopped) this.settle(row.commandId, "failed", REASONS.deadline);
        } catch (error) {
          this.options.log.error("call command: its deadline could not be written", {
            code: "COMMAND.STORE_FAILED",
            commandId: row.commandId,
            error: String(error),
          });
        }
      }),
    );
  }

  /** An open move (sent, ringing-employee, connected); false when the state may not move there. */
  private move(commandId: string, to: CallCommandState): boolean {
    if (!this.store.move(commandId, to, this.options.timer.now())) return false;
    this.refreshed(commandId);
    return true;
  }

  private settle(commandId: string, to: CallCommandState, reason: string | null, callId?: string): void {
    const detail = { ...(reason === null ? {} : { reason }), ...(callId === undefined ? {} : { callId }) };
    if (!this.store.move(commandId, to, this.options.timer.now(), detail)) return;
    const row = this.refreshed(commandId);
    if (row !== null && to !== "done")
      this.options.log.warn("call command not done", {
        code: "COMMAND.NOT_DONE",
        commandId,
        kind: row.kind,
        state: to,
        reason,
      });
  }

  /** Reads the committed row back, keeps the open ones, and tells the listeners. */
  private refreshed(commandId: string): CallCommandRow | null {
    const row = this.store.get(commandId);
    if (row === null) return null;
    if (isSettled(row.state)) {
      this.open.delete(commandId);
      this.clientEnded.delete(commandId);
      this.deadlines.get(commandId)?.();
      this.deadlines.delete(commandId);
    } else this.open.set(commandId, row);
    this.notify(row);
    return row;
  }

  private notify(row: CallCommandRow): void {
    const v = view(row);
    for (const listener of this.listeners) {
      try {
        listener(v);
      } catch (error) {
        this.options.log.error("call command listener failed", {
          commandId: row.commandId,
          error: String(error),
        });
      }
    }
  }
}

const view = (row: CallCommandRow): CallCommandView => ({
  commandId: row.commandId,
  kind: row.kind,
  state: row.state,
  callId: row.callId,
  reason: row.reason,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/**
 * A transfer's leg ended and the call goes on at its target: what a redirected ringing call shows
 * (its leg was never answered, so it ends without a "transferred").
 */
function rungElsewhere(call: AssembledCall, leg: AssembledLeg | undefined, target: string): boolean {
  return !call.finished && call.legs.some((l) => l !== leg && l.extension === target && l.state !== "ended");
}

type ClientEnd = "answered" | "busy" | "unanswered";

/**
 * How a click-to-call's call has ended for its client, or null while it is open: answered (R2.1:
 * the call's answer is the client's, its duration counts from there), busy, or unanswered.
 * (The translators mark the employee's leg answered only at the client's answer: her own pick-up
 * is the dialling. That she picked up is the controller's verdict, `connected`.)
 */
function clientEnd(call: AssembledCall, employee: AssembledLeg | undefined): ClientEnd | null {
  if (call.answeredAt !== null) return "answered";
  if (!call.finished && employee?.state !== "ended") return null;
  return call.outcome === "busy" || employee?.ending === "busy" ? "busy" : "unanswered";
}

/** The command as asked, minus its id and expiry, in one key order: a repeat must give the same text. */
function canonicalInput(input: CallCommandInput): string {
  const o = input.origin;
  const origin =
    o.via === "desk" ? { via: o.via, deskId: o.deskId, employeeId: o.employeeId } : { via: o.via };
  switch (input.kind) {
    case "click-to-call":
      return JSON.stringify({
        kind: input.kind,
        employeeId: input.employeeId ?? null,
        extension: input.extension ?? null,
        number: input.number,
        origin,
      });
    case "hangup":
    case "cancel-transfer":
      return JSON.stringify({ kind: input.kind, callId: input.callId, origin });
    default:
      return JSON.stringify({
        kind: input.kind,
        callId: input.callId,
        to: input.to,
        mode: input.mode,
        origin,
      });
  }
}

/** The deadline's length for one command: its kind's, an attended transfer's own (see above). */
function deadlineOf(input: CallCommandInput, byKind: Readonly<Record<CallCommandKind, number>>): number {
  if (input.kind === "transfer" && input.mode === "attended")
    return Math.max(byKind.transfer, ATTENDED_TRANSFER_DEADLINE_MS);
  return byKind[input.kind];
}
