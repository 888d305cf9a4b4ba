import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../domain/error-codes.ts";

/** How the web edge answers with one error code. */
export interface EdgeEntry<K extends string = string> {
  /**
   * The status of an HTTP answer carrying the code; null for a code no request is answered with
   * (it is logged, or printed by the CLI).
   */
  readonly status: ContentfulStatusCode | null;
  /**
   * Where a receptionist can meet the code: the i18n key of the sentence the kiosk shows
   * (src/http/kiosk/error-text.ts checks that each names a sentence), and the kiosk's status when
   * it differs from `status`. The PIN pad words ROSTER.PIN_WRONG and ROSTER.PIN_LOCKED itself,
   * with the tries or minutes left.
   */
  readonly kiosk?: { readonly text: K; readonly status?: ContentfulStatusCode };
}

/** Storage failures other than a full or read-only disk: the API's catch-all, the kiosk's "cannot save". */
const STORAGE_DOWN = { status: 500, kiosk: { text: "errStorageDown", status: 503 } } as const;

/**
 * Every code's status and kiosk sentence, chosen here at the edge and nowhere else (STYLE 8): the
 * compiler insists that every code of the catalogue (src/domain/error-codes.ts) has a row.
 */
const EDGE = {
  "API.BAD_JSON": { status: 400 },
  "API.INVALID_BODY": { status: 400 },
  "API.INVALID_QUERY": { status: 400 },
  "API.NOT_FOUND": { status: 404 },
  "API.TOO_LARGE": { status: 413 },
  "AUTH.UNAUTHORIZED": { status: 401 },
  "BOX.UNCAUGHT": { status: null },
  INTERNAL: { status: 500, kiosk: { text: "errStorage" } },
  "CALL.AFTER_END": { status: null },
  "CALL.DUPLICATE_START": { status: null },
  "CALL.ILLEGAL_TRANSITION": { status: null },
  "CALL.MISSING_FIELD": { status: null },
  "CALL.UNKNOWN_KIND": { status: null },
  "CALL.UNKNOWN_LEG": { status: null },
  "CONFIG.INVALID": { status: null },
  "CRM.NO_CONNECTOR": { status: null },
  "CRM.REAUTHORISE": { status: null },
  "CRM.RECORDING_NOT_AVAILABLE": { status: null },
  "CRM.REJECTED": { status: null },
  "CRM.STEP_FAILED": { status: null },
  "CRM.STEP_RETRY": { status: null },
  "CRM.UNMAPPED_EMPLOYEE": { status: null },
  "CRM.UNREADABLE_RECORD": { status: null },
  "HQ.ACK_FAILED": { status: null },
  "HQ.BAD_ENVELOPE": { status: null },
  "HQ.BAD_PRESENCE": { status: null },
  "HQ.ELSEWHERE_FAILED": { status: null },
  "HQ.BAD_QUERY": { status: 400 },
  "HQ.COMMIT_FAILED": { status: null },
  "HQ.FORWARD_FAILED": { status: null },
  "HQ.HANDLER_FAILED": { status: null },
  "HQ.LOGIN_LOCKED": { status: 429 },
  "HQ.LOGIN_REFUSED": { status: 401 },
  "HQ.MQTT_DISCONNECTED": { status: null },
  "HQ.MQTT_ERROR": { status: null },
  "HQ.REORDER_OVERFLOW": { status: null },
  "HQ.REPLAY_REQUESTED": { status: null },
  "HQ.STALE_PRESENCE": { status: null },
  "HQ.SUBSCRIBE_FAILED": { status: null },
  // 421 Misdirected Request (RFC 9110 §15.5.20): this server does not answer for that authority.
  "HTTP.BAD_HOST": { status: 421 },
  "HTTP.NOT_FOUND": { status: 404 },
  "HTTP.TOO_MANY_STREAMS": { status: 503 },
  "COMMAND.BAD_INPUT": { status: 400, kiosk: { text: "errCommandBadInput" } },
  "COMMAND.ID_REUSED": { status: 409, kiosk: { text: "errCommandIdReused" } },
  "COMMAND.NOT_ON_SHIFT": { status: 409, kiosk: { text: "errCommandNotOnShift" } },
  "COMMAND.UNKNOWN_EMPLOYEE": { status: 404, kiosk: { text: "errCommandUnknownEmployee" } },
  "COMMAND.UNKNOWN_CALL": { status: 404, kiosk: { text: "errCommandUnknownCall" } },
  "COMMAND.NOT_YOUR_CALL": { status: 403, kiosk: { text: "errCommandNotYourCall" } },
  "COMMAND.NO_TRANSFER": { status: 409, kiosk: { text: "errCommandNoTransfer" } },
  "COMMAND.NOT_ANSWERED": { status: 409, kiosk: { text: "errCommandNotAnswered" } },
  "COMMAND.UNSUPPORTED": { status: 501, kiosk: { text: "errCommandUnsupported" } },
  "COMMAND.NO_PBX": { status: 503, kiosk: { text: "errCommandNoPbx" } },
  "COMMAND.NOT_DONE": { status: null },
  "COMMAND.RESUMED": { status: null },
  "COMMAND.CONTROL_FAILED": { status: null },
  "COMMAND.STORE_FAILED": { status: null },
  "KIOSK.NOT_PAIRED": { status: 403, kiosk: { text: "errNotPaired" } },
  "KIOSK.PAIRING_CODE_REFUSED": { status: 403, kiosk: { text: "errPairingCodeRefused" } },
  "LINK.ILLEGAL_TRANSITION": { status: null },
  "MANGO.BAD_FORM": { status: 400 },
  "MANGO.BAD_JSON": { status: 400 },
  "MANGO.BAD_KEY": { status: 403 },
  "MANGO.BAD_SIGN": { status: 403 },
  "MANGO.COMMAND_EXPIRED": { status: null },
  "MANGO.COMMAND_INTERRUPTED": { status: null },
  "MANGO.COMMAND_INVALID": { status: null },
  "MANGO.COMMAND_NOT_OWN": { status: null },
  "MANGO.COMMAND_STORE_FAILED": { status: null },
  "MANGO.COMMAND_UNREACHABLE": { status: null },
  "MANGO.NO_BRANCH": { status: null },
  "MANGO.RELAY_FAILED": { status: null },
  "MANGO.STATS_BAD_ROWS": { status: null },
  "MANGO.STATS_EXPIRED": { status: null },
  "MANGO.STATS_REFUSED": { status: null },
  "MANGO.STATS_UNREACHABLE": { status: null },
  "MANGO.TOO_LARGE": { status: 413 },
  "MANGO.UNKNOWN_RESULT": { status: null },
  "PBX.AGI_LISTEN_FAILED": { status: null },
  "PBX.AMI_ACTION_TIMEOUT": { status: null },
  "PBX.ASTDB_PUSH_FAILED": { status: null },
  "PBX.AMI_CAPTURE_FAILED": { status: null },
  "PBX.AMI_LINK_DOWN": { status: null },
  "PBX.AMI_LIST_TOO_LONG": { status: null },
  "PBX.AMI_NOT_CONNECTED": { status: null },
  "PBX.CONTROL_FAILED": { status: null },
  "PBX.CONTROL_TIMEOUT": { status: null },
  "PBX.CONTROL_UNAVAILABLE": { status: null },
  "PBX.CONTROL_UNSUPPORTED": { status: null },
  "PBX.EVENT_INVALID": { status: null },
  "PBX.NO_HISTORY": { status: 409 },
  "PBX.SIP_BODY_DOCTYPE": { status: null },
  "PBX.SIP_BODY_INVALID": { status: null },
  "PBX.SIP_BODY_MALFORMED": { status: null },
  "PBX.SIP_BODY_NOT_DIALOG_INFO": { status: null },
  "PBX.SIP_BODY_TOO_COMPLEX": { status: null },
  "PBX.SIP_BODY_TOO_LARGE": { status: null },
  "PHONE.RATE_LIMITED": { status: 429 },
  "PHONE.UNKNOWN_EVENT": { status: 404 },
  "PHONE.UNKNOWN_TOKEN": { status: 404 },
  "PHONE.WRONG_ADDRESS": { status: 403 },
  "ROSTER.ALREADY_HOLDS_PHONE": { status: 409, kiosk: { text: "errAlreadyHoldsPhone" } },
  "ROSTER.ALREADY_ON_BREAK": { status: 409, kiosk: { text: "errAlreadyOnBreak" } },
  "ROSTER.ALREADY_ON_SHIFT": { status: 409, kiosk: { text: "errAlreadyOnShift" } },
  "ROSTER.BAD_TIME": { status: 400, kiosk: { text: "errBadTime" } },
  "ROSTER.NOT_A_MANAGER": { status: 403, kiosk: { text: "errNotAManager" } },
  "ROSTER.NOT_ON_BREAK": { status: 409, kiosk: { text: "errNotOnBreak" } },
  "ROSTER.NOT_ON_SHIFT": { status: 409, kiosk: { text: "errNotOnShift" } },
  "ROSTER.PIN_LOCKED": { status: 423 },
  "ROSTER.PIN_WRONG": { status: 401 },
  "ROSTER.UNKNOWN_DESK": { status: 404, kiosk: { text: "errUnknownDesk" } },
  "ROSTER.UNKNOWN_EMPLOYEE": { status: 404, kiosk: { text: "errUnknownEmployee" } },
  "RULES.BAD_ABSENCE": { status: 400, kiosk: { text: "errBadAbsence" } },
  "RULES.BAD_FORWARDING": { status: 400, kiosk: { text: "errBadForwarding" } },
  "RULES.UNKNOWN_ABSENCE": { status: 404, kiosk: { text: "errUnknownAbsence" } },
  "STAFF.INVALID": { status: null },
  "STORAGE.CANNOT_OPEN": STORAGE_DOWN,
  "STORAGE.CORRUPT": STORAGE_DOWN,
  "STORAGE.DISK_FULL": { status: 507, kiosk: { text: "errDiskFull" } },
  "STORAGE.FAILED": { status: null },
  "STORAGE.IO": STORAGE_DOWN,
  "STORAGE.READ_ONLY": { status: 503, kiosk: { text: "errStorageDown" } },
  "STORAGE.RECOVERED": { status: null },
  "STORAGE.SCHEMA_TOO_NEW": STORAGE_DOWN,
  "SYNC.ACK_TIMEOUT": { status: null },
  "SYNC.BAD_ACK": { status: null },
  "SYNC.BAD_HQ_STATE": { status: null },
  "SYNC.BIRTH_FAILED": { status: null },
  "SYNC.CLIENTS_DELTA_IGNORED": { status: null },
  "SYNC.COMMAND_DUPLICATE": { status: null },
  "SYNC.COMMAND_EXPIRED": { status: null },
  "SYNC.COMMAND_FAILED": { status: null },
  "SYNC.COMMAND_INTERRUPTED": { status: null },
  "SYNC.COMMAND_UNSUPPORTED": { status: null },
  "SYNC.CONNECT_FAILED": { status: null },
  "SYNC.DOWN_BAD_JSON": { status: null },
  "SYNC.DOWN_BAD_RECORD": { status: null },
  "SYNC.DOWN_BAD_SCHEMA": { status: null },
  "SYNC.DOWN_DUPLICATE": { status: null },
  "SYNC.DOWN_GAP": { status: null },
  "SYNC.PBX_NO_SOURCE": { status: null },
  "SYNC.DOWN_STORE_FAILED": { status: null },
  "SYNC.DOWN_WRONG_BRANCH": { status: null },
  "SYNC.DOWN_WRONG_STREAM": { status: null },
  "SYNC.LINK_DOWN": { status: null },
  "SYNC.PUBLISH_REFUSED": { status: null },
  "SYNC.STAFF_CLEAR_PIN": { status: null },
  "SYNC.STALE_WILL": { status: null },
  "SYNC.SUBSCRIBE_REFUSED": { status: null },
  "UPGRADE.BAD_CHECKSUM": { status: null },
  "UPGRADE.BAD_PUBLIC_KEY": { status: null },
  "UPGRADE.BAD_SIGNATURE": { status: null },
  "UPGRADE.BAD_SOURCE": { status: null },
  "UPGRADE.BUSY": { status: null },
  "UPGRADE.CHECKSUM_MISMATCH": { status: null },
  "UPGRADE.DOWNLOAD_FAILED": { status: null },
  "UPGRADE.IO": { status: null },
  "UPGRADE.NEW_BINARY_BROKEN": { status: null },
  "UPGRADE.NO_BINARY": { status: null },
  "UPGRADE.NO_CHECKSUM": { status: null },
  "UPGRADE.NO_SIGNATURE": { status: null },
  "UPGRADE.ROLLBACK_FAILED": { status: null },
  "UPGRADE.ROLLED_BACK": { status: null },
} as const satisfies Record<ErrorCode, EdgeEntry>;

/** The i18n keys the kiosk may show for a code. */
export type KioskTextKey = {
  [C in ErrorCode]: (typeof EDGE)[C] extends { readonly kiosk: { readonly text: infer K } } ? K : never;
}[ErrorCode];

export const edgeOf = (code: ErrorCode): EdgeEntry<KioskTextKey> => EDGE[code];

/** The HTTP status of an answer carrying `code`. */
export const statusOf = (code: ErrorCode): ContentfulStatusCode => EDGE[code].status ?? 500;

/**
 * What the kiosk shows for `code` and with which status; a code it has no sentence for is shown
 * as INTERNAL ("could not save, try again", 500).
 */
export function kioskOf(code: ErrorCode): {
  readonly text: KioskTextKey;
  readonly status: ContentfulStatusCode;
} {
  const shown = edgeOf(code).kiosk;
  if (shown === undefined) return { text: EDGE.INTERNAL.kiosk.text, status: EDGE.INTERNAL.status };
  return { text: shown.text, status: shown.status ?? statusOf(code) };
}
