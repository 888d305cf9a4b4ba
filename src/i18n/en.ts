import type { CaptureStatus } from "../domain/call/pbx-event.ts";
import { describeWhy } from "../domain/roster/roster-timeline.ts";
import { alternatives, lateText } from "./list.ts";
import type { Messages } from "./ru.ts";

/** Bytes as megabytes with one decimal. */
const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);

/** English; typed by the Russian messages, so a key missing here is a compile error. */
export const en: Messages = {
  htmlLang: "en",
  languageName: "English",

  free: "free",
  desks: "Phones",
  extension: (ext) => `ext. ${ext}`,
  holdsPhone: "holds the phone",
  onBreak: "on a break",
  onShiftTitle: "On shift now",
  nobodyOnShift: "Nobody is on shift yet.",
  onShiftAt: (desk, since) => `${desk}, since ${since}`,
  sinceTime: (time) => `since ${time}`,
  pickYourName: "Tap your name",
  clockLabel: "Time",

  enterPin: (name) => `${name}, enter your PIN`,
  pinLabel: "PIN",
  pinClear: "Clear",
  pinOk: "OK",
  back: "Back",
  cancel: "Cancel",
  pinWrong: (left) => `Wrong PIN. ${left === 1 ? "1 try left" : `${left} tries left`}.`,
  pinLocked: (minutes, until) =>
    `Too many wrong PINs. The PIN works again at ${until} (in ${minutes} ${minutes === 1 ? "minute" : "minutes"}), or a manager can lift the lock now.`,
  unlockByManager: "A manager lifts the lock",
  unlockTitle: (name) => `Lift the PIN lock: ${name}`,
  unlockChooseManager: "Manager: tap your name and type your own PIN.",
  unlockNoManager: "There is no manager on the staff list. Branch IT can lift the lock on /admin.",
  unlockManagerPin: (manager, locked) => `${manager}: your PIN to lift ${locked}'s lock`,
  unlockNotManager: "Only a manager can lift a lock.",
  unlockDone: (manager) => `The lock is lifted (${manager}). Type your PIN.`,
  pinBack: "Delete the last digit",
  pinUnknownEmployee: "This employee is not on the list. Go back and tap your name.",
  pinEmpty: "Type your PIN with the digits and tap OK.",
  pinRateLimited: "Too many tries from this screen. Wait a minute and try again.",

  hello: (name) => `${name}, what would you like to do?`,
  stateOffShift: "You are not on shift.",
  stateOnShift: (desk, since) => `You are on shift: ${desk}, since ${since}.`,
  stateHoldsPhone: "You have the phone.",
  stateOnBreak: "You are on a break.",
  checkInAt: (desk) => `Start shift: ${desk}`,
  checkOut: "End shift",
  breakStart: "Start a break",
  breakEnd: "End the break",
  handoverAt: (desk, ext) => `Take the phone: ${desk} (${ext})`,
  done: "Done, back to the home screen",
  managerTitle: "Staff shifts",
  managerHint:
    "Close a shift someone forgot to end, or correct when a shift of yesterday or today ended, including those the box closed by itself.",
  closeShift: (name) => `Close shift: ${name}`,
  endedAt: "Shift ended at (optional)",
  nobodyElseOnShift: "Nobody else is on shift.",

  flashCheckIn: (name, desk, time) => `${name}: shift started at ${time} (${desk}).`,
  flashCheckOut: (name, time, worked) =>
    `${name}: shift ended at ${time}. Worked today: ${worked}. Have a good evening!`,
  flashBreakStart: (name, time) => `${name}: on a break since ${time}.`,
  flashBreakEnd: (name, time) => `${name}: welcome back, break ended at ${time}.`,
  flashHandover: (name, desk, time) => `${name}: the ${desk} phone is yours since ${time}.`,
  flashCloseShift: (name, time) => `${name}'s shift is closed: ended at ${time}.`,

  ticketExpired: "Time is up for this screen. Tap your name and enter your PIN again.",
  badRequest: "Something went wrong. Go back to the home screen and try again.",
  badEndedAt: "Write the time as HH:MM, e.g. 18:30.",
  endedBeforeStart: "That time is before the shift started. Check the time.",
  errUnknownEmployee: "Employee not found. Ask a manager to check the staff list.",
  errUnknownDesk: "There is no such desk. Pick one from the list.",
  errAlreadyOnShift: "You are already on shift at this desk.",
  errNotOnShift: "Your shift has not started. Start your shift first.",
  errAlreadyOnBreak: "You are already on a break.",
  errNotOnBreak: "You are not on a break.",
  errAlreadyHoldsPhone: "You already have the phone.",
  errBadTime: "Wrong time: it cannot be in the future or too long ago.",
  errNotAManager: "Only a manager can close someone else's shift.",
  errStorage: "Could not save. Try again; if it still fails, call IT.",
  errDiskFull: "The box's disk is full: nothing can be saved and no PIN is accepted now. Call branch IT.",
  errStorageDown: "The box cannot save anything now, so no PIN is accepted. Call branch IT.",
  notFound: "There is no such page.",
  toHome: "Home screen",

  callsNowTitle: "Calls now",
  noCallsNow: "No calls right now.",
  noPbx: "No phone system is connected to the box: calls will not show here. Tell branch IT.",
  pbxDown:
    "The box has lost its link to the phone system: new calls do not show now. Branch IT sees it on /admin.",
  cardWaiting: "Waiting",
  cardDialling: "Dialling",
  cardAnswered: "Talking",
  cardMissed: "Missed",
  hiddenNumber: "number withheld",
  waitingFor: "waiting",
  ringingAt: (ext) => `ringing ext. ${ext}`,
  talkingSince: (time) => `since ${time}`,
  cardOwner: (name, ext) => `${name}, ext. ${ext}`,
  cardUnmappedAnswer: (ext, names) =>
    `Answered on ext. ${ext}, which is assigned to nobody. Card for the senior manager: ${names}`,
  missedTitle: "Missed — for managers",
  missedMore: (n: number): string => `and ${n} more — the full list is on the admin calls page`,
  noMissed: "No missed calls.",
  missedAt: (time) => `at ${time}`,
  missedOn: (ext) => `on ext. ${ext}`,

  deskScreenTitle: (desk, ext) => `${desk}, ext. ${ext}`,
  deskPhoneWith: (name, since) => `Phone with: ${name}, since ${since}`,
  deskPhoneNobody: "Nobody has this phone now: start a shift at the kiosk.",
  deskCardsTitle: "Calls on this phone",
  deskUnknown: (id) => `There is no desk "${id}" in this branch's settings. Check the screen's address.`,
  deskKnownList: "Desk screens:",

  adminTitle: "Who owns each extension — now",
  adminOwnersHint: "For every extension: who gets its calls now, and why.",
  adminExtension: "Extension",
  adminDesk: "Desk",
  adminOwner: "Owner",
  adminRule: "Rule",
  adminReason: "Why",
  adminSince: "Since",
  adminNobody: "nobody",
  adminDedicated: "dedicated",
  adminChangesTitle: "Roster changes today",
  adminNoChanges: "No changes today.",
  adminTime: "Time",
  adminWhat: "What",
  adminEmployee: "Employee",
  adminSource: "Source",
  adminActor: "Entered by",
  adminRecordedAt: "Recorded",
  adminAuditTitle: "Audit log",
  adminPinsTitle: "Kiosk PINs",
  adminPinsNoneLocked: "Nobody is locked out now.",
  adminPinsLockedUntil: "Locked until",
  adminPinsUnlock: "Unlock",
  adminPinsWrongToday: "Wrong PINs today",
  adminPinsNoneWrong: "No wrong PINs today.",
  adminNoAudit: "No entries.",
  adminAction: "Action",
  adminDetail: "Detail",
  adminVersion: (v) => `branchbox ${v}`,
  adminRefresh: "Refresh",
  adminCallsLink: "Calls",
  callPageTitle: (at: string, direction: string, from: string) => `Call ${at}: ${direction}, ${from}`,
  callStoryTitle: "How the call went",
  callRangFor: (s: number) => `rang ${s} s`,
  callAnsweredAfter: (s: number) => `answered after ${s} s`,
  callPopsTitle: "Who got a call card",
  callPopsNone: "Nobody got a call card.",
  popReasonText: (reason: "answered" | "answered-unmapped" | "missed") =>
    reason === "answered"
      ? "answered the call"
      : reason === "answered-unmapped"
        ? "senior manager: answered on an extension mapped to nobody"
        : "missed call — every manager",
  callBackToCalls: "All calls",
  callNotFound: (id: string) =>
    `Call ${id} is not among the finished calls. Open the calls list and pick it there.`,
  adminBackToOwners: "Who owns each extension",
  callsTitle: (day) => `Calls on ${day}`,
  callsHint: "Finished calls, newest first. Times are in the branch's time zone.",
  filterDay: "Day",
  filterEmployee: "Employee",
  filterOutcome: "Outcome",
  filterAny: "any",
  filterApply: "Show",
  csvDownload: "Download CSV",
  callsNone: "No calls match.",
  callsLimited: (n) => `Showing the latest ${n}. Narrow the filter or download the CSV.`,
  callsBadFilter: (what) => `Invalid filter (${what}). Fix it and press "Show".`,
  colTime: "Time",
  colDirection: "Direction",
  colFrom: "From",
  colTo: "To",
  colOutcome: "Outcome",
  colOwner: "Owner",
  colRule: "Rule",
  colLegs: "Legs",
  colTransfer: "Transfer",
  colDuration: "Talk",
  dirInbound: "inbound",
  dirOutbound: "outbound",
  dirInternal: "internal",
  outcomeAnswered: "answered",
  outcomeMissed: "missed",
  outcomeVoicemail: "voicemail",
  outcomeBusy: "busy",
  outcomeFailed: "failed",
  ruleFallback: "fallback employee",
  ruleResponsible: "the client's responsible",
  endingCompleted: "talked",
  endingTransferred: "transferred",
  endingMissed: "no answer",
  endingBusy: "busy",
  endingFailed: "failed",
  endingVoicemail: "voicemail",
  endingCancelled: "cancelled",
  endingLive: "live",
  transferMark: "transfer",
  transferFrom: (ext) => `transferred from ext. ${ext}`,
  partOfMark: (id) => `part of call ${id}`,
  csvCallId: "Call ID",
  csvPartOf: "Part of call",
  csvStarted: (tz) => `Started (${tz})`,
  csvAnswered: (tz) => `Answered (${tz})`,
  csvEnded: (tz) => `Ended (${tz})`,
  csvTalkSeconds: "Talk, s",
  csvFromNumber: "From: number",
  csvFromExt: "From: ext.",
  csvToNumber: "To: number",
  csvToExt: "To: ext.",
  csvDid: "Dialled number (DID)",
  csvOwnerId: "Owner: ID",
  csvRecording: "Recording",
  csvBadFilter: (what) => `Invalid filter: ${what}`,
  ruleDedicated: "dedicated extension",
  ruleDeskCheckin: "checked in at the desk",
  ruleUnmapped: "unmapped",
  adminSyncTitle: "Headquarters",
  adminSyncOff:
    "No link to headquarters ([mqtt] url is empty): everything is kept here and goes once it is set.",
  adminSyncLink: (state: string, hqOnline: boolean): string =>
    state === "connected"
      ? hqOnline
        ? "connected"
        : "broker connected, headquarters not answering — records wait"
      : state === "backing-off"
        ? "broker unreachable, retrying"
        : state === "connecting"
          ? "connecting"
          : "stopped",
  adminSyncEpoch: (epoch: number, reconnects: number): string => `epoch ${epoch}, ${reconnects} reconnects`,
  adminSyncStream: "Stream",
  adminSyncBacklog: "Awaiting ack",
  adminSyncAcked: "Acked through seq",
  adminSyncProgress: "Sending",
  adminSyncDone: "all sent",
  adminDownTitle: "From headquarters",
  adminDownStream: (stream: string, through: number, applied: number): string =>
    `${stream}: through seq ${through} (${applied} since start)`,
  adminDownClients: (version: number, count: number, stale: boolean): string =>
    `client directory: version ${version}, ${count} numbers${stale ? ", waiting for a full snapshot" : ""}`,
  adminDownRejected: "Rejected",
  adminPbxTitle: "PBX",
  adminPbxNone: (sections) =>
    `No PBX connected: shifts work, calls are not seen. Add a ${alternatives(
      sections.map((s) => `[${s}]`),
      "or",
    )} section to the config.`,
  adminPbxSource: "Source",
  adminPbxState: "Link",
  adminPbxEvents: "Events",
  adminPbxBadFrames: "Bad frames",
  adminPbxStateText: (state: string): string =>
    ({
      connecting: "connecting",
      connected: "connected",
      "backing-off": "down, retrying",
      stopped: "stopped",
      "auth-failed": "AMI login refused (user or secret)",
    })[state] ?? state,
  adminPbxSubscriptionText: (target: string, state: string): string =>
    `${target}: ${({ subscribing: "subscribing", active: "watched", retrying: "not watched, retrying", stopped: "stopped" })[state] ?? state}`,
  adminPbxPipeline: (received: number, duplicates: number, rejected: number, recorded: number): string =>
    `Since start: ${received} events received, ${duplicates} duplicates, ${rejected} rejected, ${recorded} calls recorded.`,
  adminPbxLastRejection: "Last rejected",
  adminGapsTitle: "Gaps in the PBX link",
  callRecovered: (via: string, lateMs: number): string =>
    `read back from the PBX's ${via === "cdr" ? "CDR" : "CEL"} ${lateText(lateMs, "min", "h")} late: the box was not linked`,
  adminGapsNone: "No gaps: the box saw every call.",
  adminGapBackfill: "backfill asked for",
  adminGapLost: "link lost",
  adminGapBack: "back",
  adminGapLength: "length",
  adminGapResult: "calls in the gap",
  adminGapText: (
    state: string,
    calls: number,
    via: string | null,
    detail: string | null,
    skipped = 0,
  ): string => {
    switch (state) {
      case "recovered":
        return `read back from the PBX's ${via === "cdr" ? "CDR (less detail)" : "CEL"}: ${calls} calls${skipped > 0 ? `; ${skipped} rows could not be read` : ""}`;
      case "unread":
        return `not read (${detail ?? "no answer"}); the box will try again. Check access to the PBX's call log.`;
      case "no-history":
        return "calls in this window may be missing: this PBX link keeps no call log";
      default:
        return "reading…";
    }
  },
  adminPbxDropped: (source: string, orphans: number, kinds: string, sentTwice: number): string =>
    `${source}: dropped ${orphans} events about calls never seen beginning${kinds === "" ? "" : ` (${kinds})`} and ${sentTwice} sent twice by the PBX. No call was made of them.`,
  adminPbxCapture: (source: string, capture: CaptureStatus): string =>
    capture.on
      ? `${source}: raw PBX capture for support is on: ${capture.dir}, keeping ${mb(capture.keptBytes)} of ${mb(capture.maxBytes)} MB (${capture.files} files), the oldest removed first.`
      : `${source}: raw PBX capture stopped: ${capture.reason ?? "no reason given"}. The PBX link goes on; capture starts again after a restart.`,
  adminPbxUnplacedTitle: "Channels the box could not place",
  adminPbxUnplacedNone: "Every channel the box saw is placed as a phone or a trunk.",
  adminPbxUnplaced: (endpoint: string): string =>
    `${endpoint}: not a known extension: add it to a desk or an employee, or to \`[pbx.ami] handsets\``,
  adminPbxUnplacedSeen: (
    seen: number,
    last: string,
    context: string | null,
    callerId: string | null,
  ): string =>
    `${seen} channel(s), last ${last}${context === null ? "" : `, context ${context}`}${callerId === null ? "" : `, caller id ${callerId}`}`,
  adminPbxUnplacedTrunk: (context: string): string =>
    `If it is a trunk, add its context \`${context}\` to \`[pbx.ami] trunk_contexts\`.`,
  adminPbxEndpointsTitle: "The PBX's endpoints (its own list)",
  adminPbxEndpointsNone: "Not read yet: the list is asked for after the AMI login.",
  adminPbxEndpointsQuery: (action: string, outcome: string, detail: string): string =>
    `${action}: ${({ listed: `${detail} endpoint(s)`, absent: `not on this PBX (${detail})`, denied: `the AMI user may not ask: it needs the system class (${detail})`, failed: `not read: ${detail}` } as Record<string, string>)[outcome] ?? outcome}`,
  adminPbxEndpointsCounts: (mapped: number, guessed: number, trunk: number, unmapped: number): string =>
    `${mapped} mapped, ${guessed} by FreePBX's conventions, ${trunk} look like trunks, ${unmapped} not mapped`,
  adminPbxEndpointKind: (kind: string, why: string | null, mappedTo: string | null): string =>
    ({
      mapped: `mapped: ${mappedTo ?? "a known extension"}`,
      guessed: "taken for a phone by FreePBX's conventions (profile)",
      trunk: `looks like a trunk (${why ?? ""})`,
      unmapped: "not mapped: its calls will not show as an employee's",
    })[kind] ?? kind,
  adminPbxMappedHandsets: "[pbx.ami] handsets",
  adminPbxMappedDesk: (name: string): string => `desk "${name}"`,
  ownerWhy: describeWhy,
  kindCheckIn: "shift start",
  kindCheckOut: "shift end",
  kindHandover: "took the phone",
  kindBreakStart: "break",
  kindBreakEnd: "break end",
  kindClosedElsewhere: "checked in at another branch",
  kindCrmLogin: "CRM login",
  kindAutoClose: "shift closed automatically",
  kindPhonePassed: "phone passed on",
  sourceKiosk: "kiosk",
  sourceApi: "API",
  sourceManager: "manager correction",
  sourceHq: "headquarters",
  sourceAutomatic: "automatic",

  // Issue 14 (5, 6): what leaving does to the phone, confirmations, the manager's corrections
  worked: (hours, minutes) => (hours === 0 ? `${minutes} min` : `${hours} h ${minutes} min`),
  yesterdayAt: (time) => `yesterday at ${time}`,
  phoneGoesTo: (ext, desk, name) => `${name} will take the calls to ${ext} (${desk}).`,
  phoneToNobody: (ext, desk) =>
    `Nobody will be left on ${ext} (${desk}): its calls will have nobody to take them. Ask a colleague to take the phone.`,
  phoneWentTo: (ext, name) => `${name} now takes the calls to ${ext}.`,
  phoneNowNobody: (ext) => `Nobody is on ${ext} now: its calls have nobody to take them.`,
  confirmCheckOutTitle: "End your shift?",
  confirmCheckOutState: (desk, since, worked) =>
    `On shift: ${desk}, since ${since}. Worked today: ${worked}.`,
  confirmCheckOutYes: "Yes, end my shift",
  notNow: "No, go back",
  shiftsTitle: "Shifts of yesterday and today",
  shiftOpen: (desk, since) => `${desk}, since ${since} — on shift`,
  shiftClosed: (desk, from, to, how) => `${desk}, ${from} — ${to} (${how})`,
  endedByCheckOut: "ended by themselves",
  endedByAuto: "closed automatically",
  endedByElsewhere: "another shift started",
  endedByOtherBranch: "a shift started at another branch",
  correctShift: (name) => `Correct: ${name}`,
  correctionTitle: (name) => `End of shift: ${name}`,
  correctionShift: (desk, from) => `${desk}, shift since ${from}.`,
  correctionEndedNow: (to, how) => `Recorded end now: ${to} (${how}).`,
  correctionStillOpen: "The shift is still open.",
  correctionDay: "Day",
  today: "Today",
  yesterday: "Yesterday",
  correctionTime: "Shift ended at",
  hourBack: "−1 h",
  hourForward: "+1 h",
  minutesBack: "−5 min",
  minutesForward: "+5 min",
  correctionReason: "Reason",
  reasonForgot: "Forgot to end the shift",
  reasonLeftEarly: "Left earlier",
  reasonAutoClosed: "The box closed the shift",
  reasonOther: "Other",
  reasonNote: "Comment (optional)",
  correctionSave: "Save the end of shift",
  correctionRow: (name, desk, from) => `${name} (${desk}, shift since ${from}): `,
  endedAfterEnd: (to) => `the shift already ended ${to}; a correction can only move the end earlier.`,
  endedInFuture: "that time has not come yet. Check the day and the time.",
  pickReason: "pick the reason for the correction.",
  shiftNotFound: "This shift is no longer listed. Enter your PIN again.",

  // Issue 14 (7): /admin in words — the audit log as sentences, the day picker, the CSV for Excel
  auditRoster: (kind, employee, desk, when, by, lateMs) =>
    `${kind}: ${employee}${desk === null ? "" : ` at ${desk}`}, ${when}. Entered by ${by}${lateMs === null ? "" : `, ${lateText(lateMs, "min", "h")} late`}.`,
  auditPinUnlock: (employee, lockedUntil, by) =>
    `PIN lock lifted: ${employee}${lockedUntil === null ? " (no lock was in force)" : ` (locked until ${lockedUntil})`}. Lifted by ${by}.`,
  auditUnknown: (action, detail, by) => `Entry "${action}": ${detail}${by === null ? "" : `. By ${by}`}.`,
  auditBy: (name, via) => {
    const way =
      (
        {
          kiosk: "the kiosk",
          manager: "a manager",
          api: "the API",
          hq: "headquarters",
          admin: "/admin",
        } as Record<string, string>
      )[via] ?? via;
    if (name !== null) return `${name} (${way.replace(/^(the|a) /, "")})`;
    return via === "admin" ? "branch IT" : way;
  },
  auditReason: (reason, note) => `Reason: ${reason}${note === null ? "" : ` — “${note}”`}.`,
  auditRaw: "as recorded",
  adminChangesOn: (day) => `Roster changes on ${day}`,
  adminNoChangesOn: (day) => `No roster changes on ${day}.`,
  adminAuditOn: (day) => `Audit log for ${day}`,
  adminNoAuditOn: (day) => `No audit entries on ${day}.`,
  adminDayPrevious: "← Previous day",
  adminDayNext: "Next day →",
  adminDayToday: "Today",
  adminBadDay: (day) =>
    `"${day}" is not a date. Give the day as YYYY-MM-DD (e.g. 2026-11-21); today is shown.`,
  csvForExcel: "for Excel",
  csvDownloadComma: "CSV with commas (other programs)",

  // Home screen on a small kiosk (issue 14, items 3 and 10)
  nameSearchLabel: "Find your name",
  nameSearchLetters: "First letter of the name",
  nameSearchAll: "All",
  nameSearchNone: "Nobody found. Tap “All” to see everyone.",
  onShiftMark: "on shift",

  // Issue 14 (8): screens paired with the box.
  errNotPaired:
    "This screen is not paired with the box: nothing was saved. Ask branch IT for a pairing code from /admin and type it here.",
  errPairingCodeRefused:
    "That code did not work: it is wrong, used or expired. Ask branch IT for a new code on /admin.",
  pairTitle: "This screen is not paired with the box",
  pairHint:
    "Ask branch IT to open /admin and press “Pair a screen”. Type the 6-digit code shown there: it works for 10 minutes.",
  pairCodeLabel: "Pairing code",
  pairOk: "Pair",
  adminDevicesTitle: "Paired screens",
  adminDevicesRule: (loopbackPaired) =>
    `The kiosk and the desk screens work on paired screens only.${loopbackPaired ? " The box's own screen (localhost) is always paired." : ""}`,
  adminDevicesOpen:
    "Pairing is off ([kiosk] require_pairing = false): any device on the network can use the kiosk.",
  adminDevicesCode: (name, until) => `Code for “${name}”, valid until ${until}:`,
  adminDeviceName: "Screen name",
  adminDeviceNameExample: "Reception, kiosk by the door",
  adminDeviceNameNeeded: "Name the screen (up to 80 characters) so that you know it in the list later.",
  adminDevicesNewCode: "Pair a screen",
  adminDevicesNone: "No screen is paired yet.",
  adminDevicePaired: "Paired",
  adminDeviceLastSeen: "Last seen",
  adminDeviceRevoke: "Revoke",
  adminDeviceUnknown: "There is no such screen: perhaps it was revoked already.",

  // Issue 14, item 4: the kiosk when the box does not answer (rendered hidden by layout.tsx,
  // shown by web/kiosk.js, which has no messages of its own)
  offlineTitle: "No connection to the box.",
  offlineBody: "The screen shows the last known state. Reconnecting…",
  offlineNotRecorded:
    "No connection to the box — your check-in was not recorded. Try again when the box is back.",
  offlineNoAnswer:
    "The box did not answer — your check-in may not have been recorded. When the box is back, check the board and try again if needed.",

  // Issue 15: the desk screen's call panel (seed 002, R2.1–R2.4) and the COMMAND.* sentences.
  panelTitle: "Call panel",
  panelTakeHint: (name) =>
    `${name} — who holds this desk's phone — can call, hang up and transfer calls from here, after their PIN.`,
  panelTake: (name) => `Open the panel: ${name}`,
  panelTakeNobody:
    "The call panel opens for whoever holds this desk's phone. Nobody holds it now: start a shift at the kiosk.",
  panelFor: (name) => `Call panel: ${name}`,
  panelClose: "Close the panel",
  panelInputLabel: "Number or a colleague's name",
  panelHintEmpty: "Type a number or the start of a colleague's name.",
  panelHintNumber: (number) => `Enter — call ${number}`,
  panelHintOne: (name, phone) => `Enter — call ${name} (ext. ${phone})`,
  panelHintOneNoPhone: (name) => `${name} is not on shift: Enter does nothing.`,
  panelHintMany: (count) => `${count} match — type more: Enter does nothing.`,
  panelHintNone: "Nobody found. Type the whole number.",
  panelHintTransferNumber: (number) => `Enter — transfer to ${number}`,
  panelHintTransferOne: (name, phone) => `Enter — transfer to ${name} (ext. ${phone})`,
  panelArmed: (name) => `Tap again to transfer the call to ${name}`,
  panelEnter: "Enter",
  panelKeypadShow: "Digits",
  panelKeypadLabel: "Digits for a number",
  panelBack: "Delete",
  panelClear: "Clear",
  panelStaffTitle: "Colleagues",
  panelStaffNone: "Nobody found.",
  panelWhereDesk: (desk, ext) => `${desk}, ext. ${ext}`,
  panelWhereOnBreak: (ext) => `on a break, ext. ${ext}`,
  panelWhereNoPhone: (desk) => `${desk}, no phone`,
  panelWhereOnBreakNoPhone: "on a break, no phone",
  panelWhereOff: "not on shift",
  cardHangup: "Hang up",
  cardDecline: "Decline",
  panelRingingBlind: "The call is not answered yet: it goes straight to the colleague, without consulting.",
  cardTransfer: "Transfer",
  panelTransferTitle: (number) => `Transfer the call ${number}: pick a colleague or type a number.`,
  panelModeBlind: "Straight away (blind)",
  panelModeAttended: "Talk first (attended)",
  panelModeLabel: "How to transfer",
  panelModeAttendedHint:
    "Attended: talk to the colleague first while the client waits; hang up and they are joined. If the colleague declines, the client comes back to you.",
  panelCancel: "Cancel",
  panelCancelTransfer: "Cancel the transfer",
  panelNoLiveCall: "This desk has no call in progress to transfer. Nothing was sent.",
  panelManyLiveCalls:
    "There are several calls: press “Transfer” on the card of the one you mean. Nothing was sent.",
  panelAmbiguous: (count) => `${count} match — type more of the name or the whole number. Nothing was sent.`,
  panelNothing: "Nobody found, and it is not a phone number. Nothing was sent.",
  panelColleagueNoPhone: (name) => `${name} is not on shift — nobody would take the call. Nothing was sent.`,
  panelClosedIdle:
    "The panel closed after a while without a tap. Nothing was sent — open it again and type your PIN.",
  cmdCall: (target) => `Call: ${target}`,
  cmdHangup: (number) => `Hang up: ${number}`,
  cmdCancelTransfer: (number) => `Cancel the transfer of ${number}`,
  cmdTransfer: (number, target, attended) => `Transfer ${number} → ${target}${attended ? " (attended)" : ""}`,
  cmdQueued: "accepted, sending to the phone system…",
  cmdSent: "sent to the phone system…",
  cmdRinging: (ext) => `your phone (ext. ${ext}) is ringing — pick it up.`,
  cmdConnected: "connected.",
  cmdDone: "done.",
  cmdFailed: (reason) => `it did not work: ${reason}. Try again, or do it on the phone.`,
  cmdExpired: "too late: the command expired and nothing was done. Try again.",
  cmdRefused: (reason) => `the phone system refused: ${reason}. Nothing was done.`,
  cmdNoReason: "no reason given",
  cmdUnknown: "the command's state is unknown (did the box restart?). Look at the phone.",
  errCommandBadInput: "That does not look like a phone number: check the digits. Nothing was sent.",
  errCommandIdReused: "This command was already sent with different details: nothing was done. Press again.",
  errCommandNotOnShift: "The colleague is not on shift — nobody would take the call. Nothing was sent.",
  errCommandUnknownEmployee: "There is no such employee at the branch. Nothing was sent: reload the screen.",
  errCommandUnknownCall: "That call is gone: it ended or went to someone else. Nothing was done.",
  errCommandNotYourCall:
    "The panel is for whoever holds this desk's phone: nothing was done. Take the phone at the kiosk, then type your PIN here.",
  errCommandNoTransfer:
    "Nothing to cancel: the attended transfer is over (joined, declined or cancelled). Nothing was sent.",
  errCommandNotAnswered:
    "The call is still ringing: there is no one to consult with yet. Answer it, or send it on without consulting.",
  errCommandUnsupported:
    "The branch's phone system cannot do this: nothing was done. Do it on the phone itself.",
  errCommandNoPbx:
    "The box cannot control calls yet: nothing was sent. Dial or transfer on the phone itself, and tell branch IT.",
};
