import type {
  OriginateRequest,
  PbxControl,
  PbxControlAction,
  PbxControlErrorCode,
  PbxControlResult,
} from "../../domain/call/pbx-control.ts";
import { fail } from "../../domain/errors.ts";
import { clickToCall, timeout } from "./sip-click-to-call.ts";
import type { SipControlOptions } from "./sip-control-options.ts";

export type { SipControlLink, SipControlOptions } from "./sip-control-options.ts";

const UNSUPPORTED = "SIP dialog servers: the box does not hold these calls";

/**
 * The PbxControl of a SIP dialog server (Kamailio and other RFC 4235 servers): only click-to-call,
 * by third-party call control (RFC 3725 / RFC 5359 §2.17 click-to-dial with REFER, RFC 3515). The
 * box's user agent calls the employee's phone, and once it answers refers it to the number; the
 * phone places that call itself and the box leaves (BYE). Everything else (hang up, transfers,
 * redirect) needs the call's own legs, which a watcher of dialog states does not hold: those are
 * `PBX.CONTROL_UNSUPPORTED` at once, nothing sent.
 *
 * Each commandId acts once: its answer (any answer, UNAVAILABLE included) is remembered, and a
 * repeat, even while the first is still under way, gets the same promise.
 */
export function createSipControl(options: SipControlOptions): PbxControl {
  const remember = options.rememberCommands ?? 10_000;
  const answers = new Map<string, Promise<PbxControlResult>>();
  const unsupported = (): Promise<PbxControlResult> =>
    Promise.resolve(fail<PbxControlErrorCode>("PBX.CONTROL_UNSUPPORTED", UNSUPPORTED));

  const originate = (request: OriginateRequest): Promise<PbxControlResult> => {
    const known = answers.get(request.commandId);
    if (known !== undefined) return known;
    const answer = clickToCall(request, options).catch((error: unknown) => {
      // A bug here must still be an answer (the port's contract), and a loud one in the log.
      options.log.error("click-to-call failed unexpectedly", { commandId: request.commandId, error });
      return timeout(`the click-to-call broke: ${(error as Error).message}`);
    });
    answers.set(request.commandId, answer);
    while (answers.size > remember) answers.delete(answers.keys().next().value as string);
    return answer;
  };

  return {
    name: options.name,
    supports: (action: PbxControlAction) => action === "originate",
    originate,
    hangup: unsupported,
    blindTransfer: unsupported,
    attendedTransfer: unsupported,
    cancelAttendedTransfer: unsupported,
    redirect: unsupported,
  };
}
