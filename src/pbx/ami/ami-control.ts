import type {
  AwaitOriginateRequest,
  CancelTransferRequest,
  HangupRequest,
  OriginateRequest,
  PbxControl,
  PbxControlAction,
  PbxControlResult,
  RedirectRequest,
  TransferRequest,
} from "../../domain/call/pbx-control.ts";
import { fail } from "../../domain/errors.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { Logger } from "../../log/logger.ts";
import type { AmiError } from "./ami-actions.ts";
import type { ChannelState, ChannelTable } from "./ami-channels.ts";
import type { AmiClient } from "./ami-client-options.ts";
import {
  attendedTransferPlan,
  blindTransferPlan,
  type ControlContexts,
  type ControlPlan,
  callerChannel,
  cancelAttendedTransferPlan,
  DIALABLE,
  hangupPlan,
  legChannel,
  originateJudge,
  originatePlan,
  redirectPlan,
} from "./ami-control-plans.ts";
import { type AmiFrame, field } from "./ami-fields.ts";

export type { ControlContexts } from "./ami-control-plans.ts";

export interface AmiControlOptions {
  /** The source's name, e.g. "ami:pbx.branch.local:5038". */
  readonly name: string;
  /** The source's client: the controller writes on its link and never starts or stops it. */
  readonly client: Pick<AmiClient, "send" | "status">;
  /** The translator's live channels now (the source may replace its translator). */
  readonly channels: () => ChannelTable;
  readonly contexts: ControlContexts;
  readonly log: Logger;
  readonly now?: () => number;
  /** How many answers are kept for repeated commandIds (default 10,000; the oldest go first). */
  readonly remember?: number;
}

/** A command whose action is written (or being written) and whose outcome is not known yet. */
interface Pending {
  readonly judge: ControlPlan["judge"];
  actionId: string | null;
  readonly settle: (result: PbxControlResult) => void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

const ACTIONS: ReadonlySet<PbxControlAction> = new Set([
  "originate",
  "hangup",
  "blindTransfer",
  "attendedTransfer",
  "cancelAttendedTransfer",
  "redirect",
]);

/**
 * Call control over the AMI link the source keeps (issue 15): every action is answered from the
 * event it causes, never from the reply that only says "queued" (see ami-control-plans.ts).
 *
 * ```
 *  request ─► answered before? ── yes ──► the first answer (waiting for it if under way)
 *               │ no
 *               ▼
 *   deadline passed / link not up / leg unknown / bad number ──► TIMEOUT / UNAVAILABLE / FAILED, nothing sent
 *               │
 *               ▼ write (ActionID known as it is written)
 *   reply Error ──► FAILED (Asterisk's message)       event judged ──► ok / FAILED
 *   reply lost (link dropped, no answer) ──► keep waiting for the event, on the next link too
 *   deadline ──► TIMEOUT (the action may still have happened; never written again)
 * ```
 * The adapter passes every event frame to `observe`, after the translator saw it.
 */
export class AmiControl implements PbxControl {
  readonly name: string;
  private readonly answers = new Map<string, Promise<PbxControlResult>>();
  private readonly pending = new Set<Pending>();
  private readonly now: () => number;
  private readonly keep: number;

  constructor(private readonly options: AmiControlOptions) {
    this.name = options.name;
    this.now = options.now ?? Date.now;
    this.keep = options.remember ?? 10_000;
  }

  supports(action: PbxControlAction): boolean {
    return ACTIONS.has(action);
  }

  /** Commands written whose outcome is still awaited. */
  inFlight(): number {
    return this.pending.size;
  }

  originate(request: OriginateRequest): Promise<PbxControlResult> {
    return this.once(request.commandId, request.deadline, () => {
      const bad = undialable(request.fromExtension) ?? undialable(request.to);
      if (bad !== null) return bad;
      const ringMs = Math.max(
        1_000,
        Math.min(this.options.contexts.ringSeconds * 1000, request.deadline - this.now()),
      );
      const plan = originatePlan(
        request.commandId,
        request.fromExtension,
        request.to,
        this.options.contexts,
        ringMs,
      );
      // The call's id is set in advance (ChannelId): the command service follows its events from now.
      if ("callId" in plan) request.onCall?.(plan.callId);
      return plan;
    });
  }

  /**
   * After a restart: the OriginateResponse of an originate the previous process wrote, matched by
   * its Uniqueid (the ChannelId; the ActionID was the old link's). Nothing is written.
   */
  awaitOriginate(request: AwaitOriginateRequest): Promise<PbxControlResult> {
    const known = this.answers.get(request.commandId);
    if (known !== undefined) return known;
    const left = request.deadline - this.now();
    const answer =
      left <= 0
        ? Promise.resolve(fail("PBX.CONTROL_TIMEOUT", "the deadline had passed"))
        : this.waitFor(originateJudge(request.callId, request.fromExtension), left, "Originate").answer;
    this.remember(request.commandId, answer);
    return answer;
  }

  hangup(request: HangupRequest): Promise<PbxControlResult> {
    return this.once(request.commandId, request.deadline, () =>
      this.onLeg(request.callId, request.legId, hangupPlan),
    );
  }

  blindTransfer(request: TransferRequest): Promise<PbxControlResult> {
    return this.once(request.commandId, request.deadline, () =>
      this.onLeg(request.callId, request.legId, (c) =>
        blindTransferPlan(c, request.to, this.options.contexts),
      ),
    );
  }

  attendedTransfer(request: TransferRequest): Promise<PbxControlResult> {
    return this.once(request.commandId, request.deadline, () =>
      this.onLeg(request.callId, request.legId, (c) =>
        attendedTransferPlan(c, request.to, this.options.contexts),
      ),
    );
  }

  /** Ends an attended transfer's consultation: the employee returns to the client. */
  cancelAttendedTransfer(request: CancelTransferRequest): Promise<PbxControlResult> {
    return this.once(request.commandId, request.deadline, () =>
      this.onLeg(request.callId, request.legId, cancelAttendedTransferPlan),
    );
  }

  redirect(request: RedirectRequest): Promise<PbxControlResult> {
    return this.once(request.commandId, request.deadline, () => {
      const bad = undialable(request.to);
      if (bad !== null) return bad;
      const caller = callerChannel(this.options.channels(), request.callId);
      if (caller === null)
        return fail("PBX.CONTROL_UNAVAILABLE", `call ${request.callId} has no live caller channel`);
      return redirectPlan(caller, request.to, this.options.contexts);
    });
  }

  /** Every event frame of the link, in wire order (the adapter's onFrame). */
  observe(frame: AmiFrame): void {
    if (this.pending.size === 0 || field(frame, "Event") === null) return;
    const at = this.now();
    for (const p of this.pending) {
      const verdict = p.judge(frame, p.actionId, at);
      if (verdict !== null) p.settle(verdict);
    }
  }

  private onLeg(
    callId: string,
    legId: string,
    plan: (channel: ChannelState) => ControlPlan,
  ): ControlPlan | PbxControlResult {
    const channel = legChannel(this.options.channels(), callId, legId);
    if (channel === null)
      return fail("PBX.CONTROL_UNAVAILABLE", `leg ${legId} of call ${callId} is not live on the PBX`);
    return plan(channel);
  }

  /** The one answer of `commandId`: the first request's, whoever asks again. */
  private once(
    commandId: string,
    deadline: Instant,
    plan: () => ControlPlan | PbxControlResult,
  ): Promise<PbxControlResult> {
    const known = this.answers.get(commandId);
    if (known !== undefined) return known;
    const answer = this.run(commandId, deadline, plan);
    this.remember(commandId, answer);
    return answer;
  }

  private remember(commandId: string, answer: Promise<PbxControlResult>): void {
    this.answers.set(commandId, answer);
    while (this.answers.size > this.keep) {
      const oldest = this.answers.keys().next().value;
      if (oldest === undefined) break;
      this.answers.delete(oldest);
    }
  }

  /**
   * Waits for the event `judge` gives a verdict on, at most `leftMs`. Registered before anything
   * is written: an event may come before the action's reply (Asterisk answers an async Originate
   * from another thread than the reply's).
   */
  private waitFor(
    judge: ControlPlan["judge"],
    leftMs: number,
    what: string,
  ): { answer: Promise<PbxControlResult>; pending: Pending } {
    let resolve: (result: PbxControlResult) => void = () => {};
    const answer = new Promise<PbxControlResult>((r) => {
      resolve = r;
    });
    // A timer longer than 2^31-1 ms fires at once; no command waits 24 days anyway. Unref'd:
    // a command waiting for its event never keeps a stopping process alive.
    const timer = setTimeout(
      () => settle(fail("PBX.CONTROL_TIMEOUT", `no confirmation of ${what} by the deadline`)),
      Math.min(leftMs, MAX_TIMER_MS),
    );
    timer.unref?.();
    const pending: Pending = { judge, actionId: null, settle: (r) => settle(r) };
    const settle = (result: PbxControlResult) => {
      if (!this.pending.delete(pending)) return;
      clearTimeout(timer);
      resolve(result);
    };
    this.pending.add(pending);
    return { answer, pending };
  }

  private run(
    commandId: string,
    deadline: Instant,
    build: () => ControlPlan | PbxControlResult,
  ): Promise<PbxControlResult> {
    const left = deadline - this.now();
    if (left <= 0)
      return Promise.resolve(fail("PBX.CONTROL_TIMEOUT", "the deadline had passed; nothing sent"));
    const link = this.options.client.status().state;
    if (link !== "connected")
      return Promise.resolve(fail("PBX.CONTROL_UNAVAILABLE", `the AMI link is ${link}; nothing sent`));
    let plan: ControlPlan | PbxControlResult;
    try {
      plan = build();
    } catch (error) {
      this.options.log.error("AMI control could not prepare an action", { commandId, error });
      return Promise.resolve(fail("PBX.CONTROL_FAILED", "the action could not be prepared"));
    }
    if (!("action" in plan)) return Promise.resolve(plan);
    const ready = plan;
    const { answer, pending } = this.waitFor(ready.judge, left, ready.action.Action ?? "the action");
    const settle = pending.settle;
    let written = false;
    const log = this.options.log;
    this.options.client
      .send(ready.action, (actionId) => {
        written = true;
        pending.actionId = actionId;
        log.info("AMI control action sent", { commandId, action: ready.action.Action, actionId });
      })
      .then(
        (reply) => {
          if (field(reply, "Response")?.toLowerCase() === "error")
            settle(fail("PBX.CONTROL_FAILED", field(reply, "Message") ?? "refused by the PBX"));
        },
        (error: AmiError) => {
          // Never written: nothing happened. Written and the reply lost (the link dropped, no
          // answer in time): the action may have happened, so its event is awaited until the
          // deadline, on the next link too, and the action is never written again.
          if (!written) settle(fail("PBX.CONTROL_UNAVAILABLE", `${error.message}; nothing sent`));
          else log.warn("AMI control reply lost; waiting for the event", { commandId, error: error.message });
        },
      );
    return answer;
  }
}

function undialable(value: string): PbxControlResult | null {
  return DIALABLE.test(value)
    ? null
    : fail("PBX.CONTROL_FAILED", `"${value.slice(0, 40)}" is not dialable; nothing sent`);
}
