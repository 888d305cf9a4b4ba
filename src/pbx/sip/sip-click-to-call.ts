import { Inviter, SessionState, UserAgent } from "sip.js";
import type {
  OriginateRequest,
  PbxControlErrorCode,
  PbxControlResult,
} from "../../domain/call/pbx-control.ts";
import { fail, ok } from "../../domain/errors.ts";
import type { SipControlOptions } from "./sip-control-options.ts";
import { identityUser } from "./sip-party.ts";

/** A user part that needs no escaping in a SIP URI (RFC 3261 §25.1 `unreserved` and `+`, `*`). */
const DIALABLE = /^[0-9A-Za-z+*._-]{1,64}$/;

const failed = (message: string) => fail<PbxControlErrorCode>("PBX.CONTROL_FAILED", message);
export const timeout = (message: string) => fail<PbxControlErrorCode>("PBX.CONTROL_TIMEOUT", message);

/**
 * One click-to-call (RFC 5359 §2.17, by REFER):
 * ```
 *  box ── INVITE (From: "<to>" <sip:box@domain>) ──► employee's phone     rings, shows <to>
 *      ◄──────────────── 200 OK ──────────────────  (the employee picks up)
 *      ── REFER (Refer-To: sip:<to>@domain) ──────►
 *      ◄──────────────── 202 Accepted ────────────  the phone INVITEs <to> itself
 *      ◄── NOTIFY (message/sipfrag 100…200) ───────  and reports on it
 *      ── BYE ────────────────────────────────────►  once the phone's new call is seen
 * ```
 * `ok` once the REFER is accepted and the phone's new call is seen: in the dialog subscription of
 * `fromExtension` (a new dialog it placed to `to`, whose Call-ID is then the callId the SIP
 * translator gives the call), or else in a sipfrag of 180 or more below 300 (then the callId is
 * the box's own leg's, `bbcmd-<commandId>-…`: the phone's Call-ID is not known to the box; it is
 * the case only when `fromExtension` is not watched). The box's leg carries the commandId in its
 * Call-ID, which dialog-info servers report. The phone refusing the call or the REFER, or its call
 * to `to` failing before it was seen, is `PBX.CONTROL_FAILED` with the SIP status; the deadline
 * cancels a phone still ringing and answers `PBX.CONTROL_TIMEOUT`.
 */
export function clickToCall(request: OriginateRequest, o: SipControlOptions): Promise<PbxControlResult> {
  const { commandId, fromExtension, to } = request;
  if (!DIALABLE.test(fromExtension) || !DIALABLE.test(to))
    return Promise.resolve(
      failed(`not a dialable extension and number: ${fromExtension} → ${to}; nothing sent`),
    );
  const ua = o.link.ua();
  if (ua === null || !ua.isConnected())
    return Promise.resolve(
      fail<PbxControlErrorCode>("PBX.CONTROL_UNAVAILABLE", `no link to ${o.name}; nothing sent`),
    );
  const left = request.deadline - o.now();
  if (left <= 0) return Promise.resolve(timeout("the deadline had passed; nothing sent"));
  const phone = UserAgent.makeURI(`sip:${fromExtension}@${o.domain}`);
  const referTo = UserAgent.makeURI(`sip:${to}@${o.domain}`);
  if (phone === undefined || referTo === undefined)
    return Promise.resolve(failed(`not a SIP URI with domain ${o.domain}; nothing sent`));
  const callId = `bbcmd-${commandId.replace(/[^0-9A-Za-z.-]/g, "").slice(0, 64)}-${crypto.randomUUID().slice(0, 8)}`;
  const log = o.log.child({ commandId, fromExtension, to });

  return new Promise((resolve) => {
    let done = false;
    let answered = false;
    let referSent = false;
    let referAccepted = false;
    let sipfragProgress = false;
    /** The Call-ID of the phone's new call to `to`, once its dialog is seen. */
    let placed: string | null = null;
    /** Dialogs the phone had before the REFER: not the new call. */
    const before = new Set<string>();

    // sip.js hands `params` to the request it builds; `callId` is one of those fields.
    const params = { fromDisplayName: to, callId };
    const inviter = new Inviter(ua, phone, { params });

    const finish = (result: PbxControlResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unwatch();
      // CANCEL while it rings, BYE once answered: the box's leg never outlives the command.
      void inviter.dispose().catch(() => {});
      log.info("click-to-call answered", result.ok ? { callId: result.value.callId } : { ...result.error });
      resolve(result);
    };

    const check = () => {
      if (done || !referAccepted) return;
      if (placed !== null) finish(ok({ callId: placed, at: o.now() }));
      else if (sipfragProgress) finish(ok({ callId, at: o.now() }));
    };

    const unwatch = o.link.watch((extension, info) => {
      if (extension !== fromExtension || done) return;
      for (const dialog of info.dialogs) {
        if (dialog.callId === null || dialog.callId === callId) continue;
        if (!referSent) before.add(dialog.callId);
        else if (placed === null && !before.has(dialog.callId) && isNewCallTo(dialog, to)) {
          placed = dialog.callId;
          check();
        }
      }
    });

    const timer = setTimeout(() => {
      finish(
        timeout(
          !answered
            ? `${fromExtension} did not answer by the deadline (the box cancelled its call)`
            : `${fromExtension}'s call to ${to} was not seen by the deadline; it may still have happened`,
        ),
      );
    }, left);

    const refer = () => {
      referSent = true;
      inviter
        .refer(referTo, {
          requestDelegate: {
            onAccept: () => {
              referAccepted = true;
              check();
            },
            onReject: (response) =>
              finish(failed(`${fromExtension} refused to dial ${to}: ${statusOf(response.message)}`)),
          },
          onNotify: (notification) => {
            notification.accept();
            const status = sipfragStatus(notification.request.body);
            if (status === null) return;
            // A NOTIFY of the refer subscription means the REFER was accepted (RFC 3515 §2.4.4).
            referAccepted = true;
            if (status.code >= 300) finish(failed(`${fromExtension}'s call to ${to} failed: ${status.line}`));
            else if (status.code >= 180) sipfragProgress = true;
            check();
          },
        })
        .catch((error: unknown) => finish(timeout(`REFER not sent: ${(error as Error).message}`)));
    };

    inviter.stateChange.addListener((state) => {
      if (state === SessionState.Established && !answered) {
        answered = true;
        refer();
      } else if (state === SessionState.Terminated) {
        // sip.js ends the session before it hands a rejection to onReject: let that answer first.
        setTimeout(() => {
          if (done) return;
          if (!ua.isConnected())
            finish(timeout(`the link to ${o.name} dropped mid-command; the phone may still call ${to}`));
          else if (answered) finish(failed(`${fromExtension} hung up before it called ${to}`));
          else finish(failed(`${fromExtension}'s call ended before it was answered`));
        }, 0);
      }
    });

    inviter
      .invite({
        requestDelegate: {
          onReject: (response) =>
            finish(failed(`${fromExtension} refused the call: ${statusOf(response.message)}`)),
        },
      })
      .catch((error: unknown) =>
        finish(
          fail<PbxControlErrorCode>(
            "PBX.CONTROL_UNAVAILABLE",
            `INVITE not sent: ${(error as Error).message}`,
          ),
        ),
      );
  });
}

function statusOf(message: { statusCode?: number; reasonPhrase?: string }): string {
  return `${message.statusCode ?? "?"} ${message.reasonPhrase ?? ""}`.trim();
}

/** The status line of a `message/sipfrag` body (RFC 3420), e.g. `SIP/2.0 486 Busy Here`. */
export function sipfragStatus(body: string | undefined): { code: number; line: string } | null {
  const match = /^SIP\/2\.0 ([1-6]\d\d)(?: ([^\r\n]*))?/.exec((body ?? "").trimStart());
  if (match === null) return null;
  return { code: Number(match[1]), line: `${match[1]} ${match[2] ?? ""}`.trim() };
}

function isNewCallTo(
  dialog: { direction: string | null; state: string; remote: { identity: string | null } | null },
  to: string,
): boolean {
  return (
    dialog.direction !== "recipient" &&
    dialog.state !== "terminated" &&
    identityUser(dialog.remote?.identity) === to
  );
}
