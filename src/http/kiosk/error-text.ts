import type { Messages } from "../../i18n/index.ts";
import type { RecordErrorCode } from "../../service/roster-port.ts";

/** What a receptionist reads for each coded roster error: what happened and what to do next. */
export function recordErrorText(code: RecordErrorCode | string, t: Messages): string {
  switch (code as RecordErrorCode) {
    case "ROSTER.UNKNOWN_EMPLOYEE":
      return t.errUnknownEmployee;
    case "ROSTER.UNKNOWN_DESK":
      return t.errUnknownDesk;
    case "ROSTER.ALREADY_ON_SHIFT":
      return t.errAlreadyOnShift;
    case "ROSTER.NOT_ON_SHIFT":
      return t.errNotOnShift;
    case "ROSTER.ALREADY_ON_BREAK":
      return t.errAlreadyOnBreak;
    case "ROSTER.NOT_ON_BREAK":
      return t.errNotOnBreak;
    case "ROSTER.ALREADY_HOLDS_PHONE":
      return t.errAlreadyHoldsPhone;
    case "ROSTER.BAD_TIME":
      return t.errBadTime;
    case "ROSTER.NOT_A_MANAGER":
      return t.errNotAManager;
    default:
      return t.errStorage;
  }
}

/** The HTTP status for a coded roster error, chosen here at the edge. */
export function recordErrorStatus(code: RecordErrorCode | string): 400 | 403 | 404 | 409 | 500 {
  switch (code as RecordErrorCode) {
    case "ROSTER.UNKNOWN_EMPLOYEE":
    case "ROSTER.UNKNOWN_DESK":
      return 404;
    case "ROSTER.NOT_A_MANAGER":
      return 403;
    case "ROSTER.BAD_TIME":
      return 400;
    case "ROSTER.ALREADY_ON_SHIFT":
    case "ROSTER.NOT_ON_SHIFT":
    case "ROSTER.ALREADY_ON_BREAK":
    case "ROSTER.NOT_ON_BREAK":
    case "ROSTER.ALREADY_HOLDS_PHONE":
      return 409;
    default:
      return 500;
  }
}
