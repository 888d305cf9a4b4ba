import type { UserAgent } from "sip.js";
import type {
  OriginateRequest,
  PbxControl,
  PbxControlAction,
  PbxControlErrorCode,
  PbxControlResult,
} from "../../domain/call/pbx-control.ts";
import { fail } from "../../domain/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { DialogInfo } from "./dialog-info.ts";
import { clickToCall, timeout } from "./sip-click-to-call.ts";

/** What the controller borrows from the SIP source's link (index.ts): it opens no link of its own. */
export interface SipControlLink {
  /** The link's user agent while it is up (connected, subscriptions under way), else null. */
  ua(): UserAgent | null;
  /** Every dialog-info document of a watched extension as it arrives; returns the unsubscribe. */
  watch(listener: (extension: string, info: DialogInfo) => void): () => void;
}

export interface SipControlOptions {
  /** The source's name, e.g. "sip:127.0.0.1:8080". */
  readonly name: string;
  /** The SIP domain of the extensions' and numbers' URIs (the source's). */
  readonly domain: string;
  readonly link: SipControlLink;
  readonly log: Logger;
  readonly now: () => number;
  /** How many commands' answers are remembered for repeats (the oldest go first). */
  readonly rememberCommands?: number;
}

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
    redirect: unsupported,
  };
}
