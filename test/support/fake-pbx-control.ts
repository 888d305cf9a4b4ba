import type {
  CancelTransferRequest,
  HangupRequest,
  OriginateRequest,
  PbxControl,
  PbxControlAction,
  PbxControlErrorCode,
  PbxControlResult,
  RedirectRequest,
  TransferRequest,
} from "../../src/domain/call/pbx-control.ts";
import type { Timer } from "../../src/service/timer.ts";

type AnyRequest =
  | OriginateRequest
  | HangupRequest
  | TransferRequest
  | RedirectRequest
  | CancelTransferRequest;

export interface ControlRequestSeen {
  readonly action: PbxControlAction;
  readonly request: AnyRequest;
}

/**
 * How the fake answers a request: a result at once; `hold` (the test answers it with `answer`);
 * `until-deadline` (`PBX.CONTROL_TIMEOUT` when the timer reaches the request's deadline, like a
 * PBX that never confirms); or `throw` (a controller bug: the promise rejects).
 */
export type Scripted = PbxControlResult | "hold" | "until-deadline" | "throw";

/**
 * A PbxControl that records every request and answers as the test scripts it: by default `ok`
 * with the callId `call-<commandId>` (originate) or the request's call (the others), at `now()`.
 * An originate tells its call's id (`call-<commandId>`) through `onCall` before it answers.
 */
export interface FakePbxControl extends PbxControl {
  readonly requests: readonly ControlRequestSeen[];
  /** The next requests of `action` are answered so, in order; then the default again. */
  script(action: PbxControlAction, ...answers: Scripted[]): void;
  /** Answers a held request. */
  answer(commandId: string, result: PbxControlResult): void;
  /** Called with each request before it is answered (observe the store, or throw). */
  onRequest: ((seen: ControlRequestSeen) => void) | null;
  /** Requests held and not answered yet. */
  held(): string[];
}

export const failed = (code: PbxControlErrorCode, message: string): PbxControlResult => ({
  ok: false,
  error: { code, message },
});

export function fakePbxControl(
  timer: Timer,
  supported: readonly PbxControlAction[] = [
    "originate",
    "hangup",
    "blindTransfer",
    "attendedTransfer",
    "cancelAttendedTransfer",
    "redirect",
  ],
): FakePbxControl {
  const requests: ControlRequestSeen[] = [];
  const scripts = new Map<PbxControlAction, Scripted[]>();
  const holds = new Map<string, (r: PbxControlResult) => void>();
  const control: FakePbxControl = {
    name: "fake:control",
    requests,
    onRequest: null,
    supports: (action) => supported.includes(action),
    script: (action, ...answers) => scripts.set(action, [...(scripts.get(action) ?? []), ...answers]),
    answer: (commandId, result) => {
      holds.get(commandId)?.(result);
      holds.delete(commandId);
    },
    held: () => [...holds.keys()],
    originate: (r) => handle("originate", r),
    hangup: (r) => handle("hangup", r),
    blindTransfer: (r) => handle("blindTransfer", r),
    attendedTransfer: (r) => handle("attendedTransfer", r),
    cancelAttendedTransfer: (r) => handle("cancelAttendedTransfer", r),
    redirect: (r) => handle("redirect", r),
  };
  function handle(action: PbxControlAction, request: AnyRequest): Promise<PbxControlResult> {
    const seen = { action, request };
    requests.push(seen);
    control.onRequest?.(seen);
    // As the AMI controller does with the ChannelId it sets in advance: the call's id before the answer.
    if ("onCall" in request) request.onCall?.(`call-${request.commandId}`);
    if (!supported.includes(action))
      return Promise.resolve(failed("PBX.CONTROL_UNSUPPORTED", `${action} is not supported here`));
    const next = scripts.get(action)?.shift();
    if (next === "throw") return Promise.reject(new Error("controller bug"));
    if (next === "hold") return new Promise((resolve) => holds.set(request.commandId, resolve));
    if (next === "until-deadline")
      return new Promise((resolve) =>
        timer.at(request.deadline, () => resolve(failed("PBX.CONTROL_TIMEOUT", "no OriginateResponse"))),
      );
    if (next !== undefined) return Promise.resolve(next);
    const callId = "callId" in request ? request.callId : `call-${request.commandId}`;
    return Promise.resolve({ ok: true, value: { callId, at: timer.now() } });
  }
  return control;
}
