/**
 * Every stable error code of the box and of headquarters, what it means and what the person who
 * meets it should do. A code is the contract: it goes into logs, JSON answers and the CLI's
 * messages, and never changes meaning. The HTTP status and the kiosk wording of a code are the
 * edge's (src/http/error-catalogue.ts); docs/errors.md is generated from both
 * (`npm run errors`), and test/docs/errors.test.ts fails when a code used in src/ is missing here.
 */

/** The areas a code's prefix names, and what each covers. */
export const ERROR_AREAS = {
  API: "The box's JSON API (`/api/v1`) refused a request before it reached the roster.",
  AUTH: "A request to the admin pages, the API, `/metrics` or headquarters' API without the right token.",
  BOX: "The box itself: a failure nobody expected.",
  COMMAND:
    "An action on a call (click-to-call, hang up, transfer) from a desk screen, the API or headquarters was refused before anything was sent to the PBX (issue 15).",
  CALL: "The call assembler refused a PBX event; the event changed nothing and was counted (`/metrics`, `/admin`) and logged.",
  CRM: "Headquarters' CRM steps (`[hq.crm]`, issue 19): a step the CRM refused for good is parked on the fleet page (`/fleet/crm`) with its code until retried; others are retried by themselves. Logged, never with a key or a token.",
  CONFIG: "The configuration file or a `BRANCHBOX_*` variable; the box does not start.",
  HQ: "Headquarters' consumer (`branchbox hq`); logged at headquarters.",
  HTTP: "The web server refused a request before any page or API route saw it.",
  KIOSK: "The kiosk or a desk screen refused a device that is not paired with the box (issue 14).",
  LINK: "The state machine of a link to a peer (AMI, SIP, the HQ broker, from the box or from headquarters).",
  MANGO:
    "Headquarters' Mango Office webhook endpoint (`POST /mango/events/…`, `/mango/result/…`, issue 17), its relay to the branches and the commands it sends for them. Logged and counted, never with the key, the salt or the signature.",
  PBX: "A PBX adapter (AMI, SIP) refused what the PBX sent or could not reach it; logged.",
  PHONE:
    "A desk phone's action URL (`GET /phone/<token>/<event>`, issue 17) was refused; nothing was stored. Counted on `/admin` (Phones) and logged, never with the token.",
  ROSTER: "The roster refused a shift action (kiosk, API) or a PIN.",
  RULES:
    "An employee's no-answer forwarding (R4.1–R4.4) or absences (R4.7), as entered on the kiosk or the API, were refused; nothing was changed.",
  STAFF: "`branchbox staff import` refused the staff list.",
  STORAGE: "The box's database (SQLite under `storage.dir`) or its disk.",
  SYNC: "The branch's link to headquarters (MQTT), seen from the branch; logged.",
  UPGRADE: "`branchbox upgrade` stopped; before the swap nothing on the box was changed.",
} as const;

export type ErrorArea = keyof typeof ERROR_AREAS;

export interface ErrorCodeInfo {
  /** What happened, in the words of the person who meets it. */
  readonly meaning: string;
  /** What the receptionist, branch IT or headquarters should do about it. */
  readonly action: string;
}

/** Codes are `AREA.NAME`; `INTERNAL`, the API's catch-all since v1, is kept as it is on the wire. */
type CodeShape = `${ErrorArea}.${string}` | "INTERNAL";

export const ERROR_CODES = {
  "API.BAD_JSON": {
    meaning: "The request body is not valid JSON.",
    action: "Fix the integration: send a JSON body with `Content-Type: application/json`.",
  },
  "API.INVALID_BODY": {
    meaning: "The JSON body lacks a field or has one of the wrong type; the message names each.",
    action: "Fix the fields the message names (README's HTTP section lists each endpoint's body).",
  },
  "API.INVALID_QUERY": {
    meaning: "A query parameter is missing or not valid; the message names it.",
    action: "Fix the parameter the message names.",
  },
  "API.NOT_FOUND": {
    meaning: "No API endpoint at that method and path.",
    action: "Check the path and method against README's HTTP section.",
  },
  "API.TOO_LARGE": {
    meaning: "The request body is over 16 KiB.",
    action: "Send one action per request; no API body needs more.",
  },
  "AUTH.UNAUTHORIZED": {
    meaning: "No bearer token, or the wrong one (or the wrong basic-auth password on /admin).",
    action:
      "Send `Authorization: Bearer <token>` with `http.admin_token` (the box) or `hq.token` (headquarters).",
  },
  "BOX.UNCAUGHT": {
    meaning:
      "An exception or promise rejection nobody handled: a bug. The box stops so that it starts again from what is on disk.",
    action:
      "Nothing to do at once (systemd restarts it). Send the log line with its stack to the developers.",
  },
  INTERNAL: {
    meaning: "A request failed in a way the box did not expect; nothing was recorded.",
    action: "Try again. If it keeps failing, send the box's log around that time to the developers.",
  },
  "CRM.NO_CONNECTOR": {
    meaning:
      "`[hq.crm] kind` names a CRM this build of `branchbox hq` has no connector for; HQ does not start.",
    action: "Set kind to a CRM the message lists, or run a build that has the connector.",
  },
  "CRM.STEP_FAILED": {
    meaning:
      "A round of HQ's CRM steps failed (its database, or a connector that broke its contract); nothing was lost: the round is tried again and a step whose end was not stored runs again (the CRM's dedupe key keeps it once).",
    action: "Check HQ's database (disk, PostgreSQL); the log says what failed.",
  },
  "CRM.STEP_RETRY": {
    meaning:
      "The CRM did not take a step this time (network, 5xx, 429, a token being refreshed); it is retried with a backoff, for as long as it takes.",
    action: "Nothing, unless it goes on: then check the CRM's status and HQ's network.",
  },
  "CRM.REAUTHORISE": {
    meaning:
      "The CRM refused the integration's OAuth refresh token (amoCRM: 400 invalid_grant; Bitrix24: revoked, unused 180 days, or the application removed): HQ can no longer sign in.",
    action:
      "Re-authorise the integration in the CRM, put the new refresh token in `[hq.crm] refresh_token`, restart HQ and press retry.",
  },
  "CRM.RECORDING_NOT_AVAILABLE": {
    meaning:
      "The CRM must be given the recording's bytes (Bitrix24 blocks a private RECORD_URL), and HQ has only a private URL; the call itself is in the CRM.",
    action: "Give the recordings a public URL (or wait for HQ to upload recordings), then press retry.",
  },
  "CRM.REJECTED": {
    meaning:
      "The CRM refused a step with an error it will give again (HTTP 400, 401, 403, 404…); the reason carries the CRM's own message.",
    action:
      "Fix what the message names (the key, the site, a user or a field in the CRM), then press retry on the fleet page.",
  },
  "CRM.UNREADABLE_RECORD": {
    meaning:
      "A record HQ holds cannot be put into the CRM as it is: it does not match its type's schema, or lacks what the CRM needs (a client number, a pipeline the CRM has an id for).",
    action:
      "Read the reason: fix the branch's settings (e.g. the unsorted pipelines) and press retry; a record that does not match its schema goes to the developers.",
  },
  "CRM.UNMAPPED_EMPLOYEE": {
    meaning:
      "A call or a task names an employee with no CRM user in `[[hq.crm.users]]`; the step is parked, never dropped.",
    action:
      "Add the employee to `[[hq.crm.users]]`, restart HQ, then press Retry on the fleet page's CRM part.",
  },
  "CALL.AFTER_END": {
    meaning: "An event for a call that already ended: a late or repeated event from the PBX.",
    action: "Nothing, if rare. Many of them: check the PBX adapter's settings and send a capture.",
  },
  "CALL.DUPLICATE_START": {
    meaning: "A second start for a call that already had one: the PBX sent it twice.",
    action: "Nothing, if rare. Many of them: send a capture of the PBX's events to the developers.",
  },
  "CALL.ILLEGAL_TRANSITION": {
    meaning:
      "A phone's leg cannot move there from where it is (ringing after answered, anything after it ended): a duplicate or out-of-order event.",
    action: "Nothing, if rare. Many of them: send a capture of the PBX's events to the developers.",
  },
  "CALL.MISSING_FIELD": {
    meaning: "The event lacks what its kind needs (a leg id, a transfer's details).",
    action: "Send a capture of the PBX's events to the developers: the adapter mistranslated one.",
  },
  "CALL.UNKNOWN_KIND": {
    meaning: "An event kind this version does not know (a journal written by a newer box).",
    action: "Run the newer version again, or accept that those events are skipped.",
  },
  "CALL.UNKNOWN_LEG": {
    meaning: "The event names a phone's leg the call never had and carries no extension to create it from.",
    action: "Nothing, if rare. Many of them: send a capture of the PBX's events to the developers.",
  },
  "CONFIG.INVALID": {
    meaning: "The configuration is not valid: each problem names its key, the value and what was expected.",
    action: "Fix each key named (or the `BRANCHBOX_*` variable) and start again; exit status 2.",
  },
  "HQ.ACK_FAILED": {
    meaning: "An ack to a branch could not be published.",
    action: "Nothing: acks are cumulative, and the branch sends again. Many of them: check the broker.",
  },
  "HQ.BAD_ENVELOPE": {
    meaning:
      "A branch sent an envelope that fails the protocol's schema or does not match its topic; it was dropped.",
    action: "Check that branch's version; the log names the branch, the stream and the problem.",
  },
  "HQ.BAD_PRESENCE": {
    meaning: "A branch's presence message (its state topic) is not valid; it was ignored.",
    action: "Check that branch's version, and that nothing else publishes on its state topic.",
  },
  "HQ.BAD_QUERY": {
    meaning: "A query to headquarters' records API is not valid; the message names each parameter.",
    action: "Fix the parameters the message names.",
  },
  "HQ.COMMIT_FAILED": {
    meaning:
      "Headquarters' database refused a commit; nothing was acknowledged, so the branch sends it again.",
    action: "Check the disk holding hq.db (full, read-only, failing).",
  },
  "HQ.FORWARD_FAILED": {
    meaning: "Forwarding records to the configured endpoint failed; they are retried with a backoff.",
    action: "Check the endpoint and the network; the log says why and when the next try is.",
  },
  "HQ.HANDLER_FAILED": {
    meaning: "Handling a message or the reorder tick failed: a bug or a failing disk.",
    action: "Check the disk holding hq.db; otherwise send the log line to the developers.",
  },
  "HQ.LOGIN_LOCKED": {
    meaning:
      "Too many wrong tokens were typed into the fleet page's sign-in from one address; it is refused for 15 minutes.",
    action: "Wait, then sign in with `[hq] token`. Not you: someone at that address is guessing the token.",
  },
  "HQ.LOGIN_REFUSED": {
    meaning: "A wrong token was typed into the fleet page's sign-in (`/fleet/login`).",
    action: "Type `[hq] token` from headquarters' configuration.",
  },
  "HQ.MQTT_DISCONNECTED": {
    meaning: "Headquarters lost the broker; it reconnects by itself.",
    action: "Nothing, if brief. If it repeats: check the broker and the network to it.",
  },
  "HQ.MQTT_ERROR": {
    meaning: "The MQTT client reported an error (refused login, TLS, network).",
    action: "Check `[mqtt]` url, credentials and certificates in headquarters' configuration.",
  },
  "HQ.ELSEWHERE_FAILED": {
    meaning:
      "Headquarters could not read the branches' roster facts for check-ins elsewhere (R0.3d), or not publish a `staff.elsewhere` yet; it tries again every second from where it stopped.",
    action: "Check HQ's store (hq.db or hq.database_url) and the broker; the cursor and queue are kept.",
  },
  "HQ.REORDER_OVERFLOW": {
    meaning:
      "Too many envelopes waited for a missing one; the oldest waiting was dropped (the branch sends it again).",
    action: "Nothing, if rare. Often: look for a branch whose link loses messages.",
  },
  "HQ.REPLAY_REQUESTED": {
    meaning: "A gap in a branch's stream was not filled in time; the branch was asked to send again from it.",
    action: "Nothing: the branch replays. Often: look at that branch's link.",
  },
  "HQ.STALE_PRESENCE": {
    meaning: "A presence older than one already seen (an old connection's Last Will); ignored.",
    action: "Nothing.",
  },
  "HQ.SUBSCRIBE_FAILED": {
    meaning: "The broker refused headquarters' subscriptions: no branch's records arrive.",
    action: "Check the broker's access rules for headquarters' user.",
  },
  "HTTP.BAD_HOST": {
    meaning: "A request for a host name the box does not answer for (the guard against DNS rebinding).",
    action: "If a kiosk uses that name, add it to `[http] allowed_hosts`.",
  },
  "HTTP.NOT_FOUND": {
    meaning: "Headquarters' API has no such route.",
    action: "Check the path: `/healthz`, `/api/v1/branches`, `/api/v1/records`.",
  },
  "HTTP.TOO_MANY_STREAMS": {
    meaning: "Too many live screens (SSE) are open, from this client or in all; the screen retries.",
    action:
      "Close stale kiosk tabs; if the branch really has that many screens, raise `[http] sse_max_streams` and `sse_max_streams_per_client`.",
  },
  "KIOSK.NOT_PAIRED": {
    meaning:
      "A screen on the LAN that is not paired with the box asked for a kiosk or desk page, a live stream or a PIN; refused before any PIN was judged (no try is spent, nothing changes). The box's own screen (loopback) counts as paired.",
    action:
      'Pair the screen: on `/admin` press "pair a screen", then type the code shown there on that screen within 10 minutes. A paired screen that gets this again was revoked on `/admin`.',
  },
  "KIOSK.PAIRING_CODE_REFUSED": {
    meaning:
      "A pairing code typed on a screen is wrong, expired (after 10 minutes), already used, or void after 5 wrong tries; the screen stays unpaired.",
    action: 'Press "pair a screen" on `/admin` again and type the new code.',
  },
  "LINK.ILLEGAL_TRANSITION": {
    meaning:
      "A link was asked for a move its state machine does not allow (such as `up` while backing off): a bug. Unhandled, it stops the program with `BOX.UNCAUGHT` and systemd starts it again.",
    action: "Send the log line with its stack to the developers.",
  },
  "MANGO.BAD_FORM": {
    meaning:
      "A request to headquarters' Mango endpoint is not a form (`application/x-www-form-urlencoded`) with `vpbx_api_key`, `sign` and `json`; nothing stored.",
    action:
      "Check that the VPBX's API connector points at this endpoint; anything else calling it is not Mango.",
  },
  "MANGO.BAD_JSON": {
    meaning: "A signed Mango event whose `json` field is not a JSON object; nothing stored.",
    action: "Nothing, if rare (Mango's fault). Often: send the log line to the developers.",
  },
  "MANGO.BAD_KEY": {
    meaning: "A Mango event with another VPBX's API key (`vpbx_api_key`); nothing stored.",
    action: "Check `[hq.mango] vpbx_api_key` against the VPBX's API connector settings.",
  },
  "MANGO.BAD_SIGN": {
    meaning:
      "A Mango event whose `sign` is not sha256(key + json + salt) for the configured salt; nothing stored.",
    action:
      "Check `[hq.mango] vpbx_api_salt` against the VPBX's API connector; if it matches, someone else is posting.",
  },
  "MANGO.COMMAND_EXPIRED": {
    meaning:
      "A branch's Mango command reached headquarters at or after its `expiresAt`; not sent, the branch got a `mango.result` saying so.",
    action: "Nothing, if rare. Often: check the branch's link to the broker and the clocks (NTP).",
  },
  "MANGO.COMMAND_INTERRUPTED": {
    meaning:
      "Headquarters stopped between claiming a Mango command and Mango's answer; it is never sent again, and the branch was told it may or may not have run.",
    action: "Nothing: the call's events show whether it ran; the employee may try again.",
  },
  "MANGO.COMMAND_INVALID": {
    meaning:
      "A branch's `pbx.command` is not a valid command (the contract's schema, or fields Mango's API does not list for it); not sent.",
    action: "Send the log line to the developers: the box wrote a command headquarters cannot send.",
  },
  "MANGO.COMMAND_NOT_OWN": {
    meaning:
      "A branch's Mango command names an extension, line or call that is not the branch's own (`[[hq.mango.branches]]`, the calls relayed to it); not sent.",
    action:
      "If the extension or line is the branch's, add it to its `[[hq.mango.branches]]`; otherwise find out why the box asked.",
  },
  "MANGO.COMMAND_STORE_FAILED": {
    meaning:
      "Headquarters could not read or claim the branches' Mango commands in hq.db; it tries again every second.",
    action: "Check hq.db's disk (`STORAGE.*` lines near it).",
  },
  "MANGO.COMMAND_UNREACHABLE": {
    meaning:
      "Mango's API gave no answer to a command (network, timeout, HTTP 5xx); it may or may not have run. Not retried by headquarters; the branch was told.",
    action: "Check headquarters' route to `[hq.mango] api_url`; the call's events show whether it ran.",
  },
  "MANGO.NO_BRANCH": {
    meaning:
      "A Mango event names no line or extension of a configured `[[hq.mango.branches]]`; kept at headquarters (shown on its page), sent to no branch.",
    action: "Add the line or the extension to the right branch's `lines` or `extensions`.",
  },
  "MANGO.RELAY_FAILED": {
    meaning:
      "A stored Mango event could not be published to its branch yet; it is retried until the broker takes it.",
    action: "Check the broker; nothing is lost (the events wait in hq.db).",
  },
  "MANGO.STATS_BAD_ROWS": {
    meaning:
      "Mango's statistics answer for a gap sweep held lines that are not one value per field asked, or rows with no `entry_id`; they are counted (the sweep's `badLines` at `GET /api/v1/mango`), never relayed.",
    action: "Send the log line to the developers: Mango's CSV may have changed.",
  },
  "MANGO.STATS_EXPIRED": {
    meaning:
      "Mango answered 404 to `stats/result`: it forgot the key of a gap sweep (it keeps the data at least a minute). HQ asks again, at most 3 times, then the sweep fails (shown at `GET /api/v1/mango`).",
    action: "Nothing, if rare. A failed sweep: check that HQ reaches Mango steadily.",
  },
  "MANGO.STATS_REFUSED": {
    meaning:
      "Mango refused a gap sweep's `stats/request` or `stats/result` (HTTP 420 with its code, or another 4xx): the sweep failed, nothing stored, not retried; the calls of its window may be missing at the branches.",
    action:
      "Read the code at `GET /api/v1/mango` (3xxx: key, signature or parameters; 2xxx: billing) and fix `[hq.mango]`; restart HQ to sweep again.",
  },
  "MANGO.STATS_UNREACHABLE": {
    meaning:
      "HQ could not reach Mango's statistics API for a gap sweep (no answer or a 5xx); nothing stored, retried with backoff up to every 10 minutes.",
    action: "Check HQ's way out to `[hq.mango] api_url`; nothing is lost while it retries.",
  },
  "MANGO.UNKNOWN_RESULT": {
    meaning:
      "Mango posted a result (`/mango/result/…`) for no command headquarters sent (its web UI, statistics, another integration); kept at headquarters, sent to no branch.",
    action: "Nothing, if expected; otherwise find what else sends commands with this VPBX's key.",
  },
  "MANGO.TOO_LARGE": {
    meaning: "A request to headquarters' Mango endpoint is over the body limit (256 KiB); nothing stored.",
    action: "Nothing, if rare: no Mango event is that large. Often: find who is posting.",
  },
  "PBX.AMI_ACTION_TIMEOUT": {
    meaning: "Asterisk did not answer an AMI action in time; the link is dropped and made again.",
    action: "Check that Asterisk is responsive and the network to it; `branchbox doctor` tests AMI.",
  },
  "PBX.AMI_CAPTURE_FAILED": {
    meaning:
      "The raw AMI capture for support (`[pbx.ami] capture_dir`) could not write (a full disk, a path that is not a folder, no permission, a disk that does not keep up) and stopped; the AMI link and the calls go on. Logged once; `/admin`, `/metrics` and `branchbox doctor` say why.",
    action:
      'Free the disk or fix the folder (or set `capture_dir = ""` to turn capture off), then restart branchbox to capture again.',
  },
  "PBX.AMI_LINK_DOWN": {
    meaning: "The AMI link went down while actions were waiting; they fail and the link is made again.",
    action: "Nothing, if brief. If it repeats: check Asterisk and the network; run `branchbox doctor`.",
  },
  "PBX.AMI_LIST_TOO_LONG": {
    meaning: "An AMI list answer (channels) had more items than the box accepts; the action failed.",
    action: "Send the log line to the developers with the size of the PBX.",
  },
  "COMMAND.BAD_INPUT": {
    meaning:
      "A command's field is missing or malformed (no target, a number that is not a number); nothing was sent.",
    action: "Send the command again with the fields the API documents.",
  },
  "COMMAND.ID_REUSED": {
    meaning: "The commandId (or Idempotency-Key) was already used for a different command; nothing was sent.",
    action: "Give each new command a new id; send the same id only to repeat the same command.",
  },
  "COMMAND.NOT_ON_SHIFT": {
    meaning: "Click-to-call for an employee who is not on shift: there is no phone of theirs to ring today.",
    action: "Ask for an employee who is on shift, or name the extension to ring.",
  },
  "COMMAND.UNKNOWN_EMPLOYEE": {
    meaning: "The command names an employee the branch does not know; nothing was sent.",
    action: "Check the employee id against the staff list.",
  },
  "COMMAND.UNKNOWN_CALL": {
    meaning: "The command names a call the box is not following now; nothing was sent.",
    action: "Act only on a call that is still up (the desk screen's card, GET /api/v1/calls).",
  },
  "COMMAND.NOT_YOUR_CALL": {
    meaning:
      "A desk screen acted on a call of another desk, or someone other than the desk's phone holder did.",
    action: "Act on your own desk's calls, after your own PIN.",
  },
  "COMMAND.NO_TRANSFER": {
    meaning:
      "Cancel-transfer on a call where no attended transfer started by a command is under way (none asked, or it already ended: joined, declined, cancelled); nothing was sent.",
    action: "Nothing to cancel. A consultation started on the phone itself is ended on the phone.",
  },
  "COMMAND.NOT_ANSWERED": {
    meaning:
      "An attended transfer of a call nobody has answered yet: there is no one to consult with while the client waits; nothing was sent.",
    action:
      "Answer the call first, or send it on without consulting (a blind transfer redirects a ringing call).",
  },
  "COMMAND.UNSUPPORTED": {
    meaning: "The branch's phone system cannot do this kind of action from the box; nothing was sent.",
    action: "Do it on the phone itself; see the PBX's notes in the README for what each PBX supports.",
  },
  "COMMAND.NO_PBX": {
    meaning:
      "No phone system is configured or linked, so the command cannot be carried out; nothing was sent.",
    action: "Check the PBX link on /admin or with `branchbox doctor`, then send the command again.",
  },
  "COMMAND.NOT_DONE": {
    meaning:
      "A call command that was sent ended failed, expired or refused (the log line says which and the PBX's reason).",
    action: "Read the reason; send a new command if it is still wanted.",
  },
  "COMMAND.RESUMED": {
    meaning:
      "At start, call commands already sent before the restart were found open: they are not sent again, the call's events or their deadline settle them.",
    action: "Nothing.",
  },
  "COMMAND.CONTROL_FAILED": {
    meaning:
      "The PBX controller threw instead of answering, or the store refused to mark a command sent; the command fails (at its deadline at the latest).",
    action: "A bug or a full disk: report the log line, check the disk (`branchbox doctor`).",
  },
  "COMMAND.STORE_FAILED": {
    meaning:
      "A call command's deadline could not be written (the disk refused it); it is settled at the next start.",
    action: "Free space on the box's storage; `branchbox doctor` checks it.",
  },
  "PBX.AMI_NOT_CONNECTED": {
    meaning: "An AMI action was asked for while the link is not up.",
    action: "Check `[pbx.ami]` settings and Asterisk's manager.conf; `branchbox doctor` tests AMI.",
  },
  "PBX.AGI_LISTEN_FAILED": {
    meaning:
      "The FastAGI server (`[pbx.ami] agi_listen`) could not listen (the port is taken, the address is not this machine's); the box runs on, and the dialplan's AGI step fails at once, so calls take the PBX's own route.",
    action:
      "Free the port or fix `agi_listen`, then restart branchbox; `branchbox doctor` shows the address.",
  },
  "PBX.ASTDB_PUSH_FAILED": {
    meaning:
      "Asterisk refused to store the routing in its database (AMI `DBPut`/`DBDel`/`DBDelTree`): usually the AMI user lacks the `system` write class. The box tries again at the next change and every minute; meanwhile the dialplan finds the keys stale and asks the FastAGI server or takes the PBX's own route.",
    action:
      'Give the AMI user `write = system` (besides call,originate) in manager.conf, then "manager reload"; `branchbox doctor` checks it.',
  },
  "PBX.CONTROL_FAILED": {
    meaning:
      "The PBX refused an action the box asked for (click-to-call, hang-up, transfer) or reported it failed.",
    action: "Read the reason in the command's reply: busy, no such channel, not permitted on the PBX.",
  },
  "PBX.CONTROL_TIMEOUT": {
    meaning: "The PBX did not confirm an action by its deadline; it may still have happened.",
    action: "Check the call before sending the command again.",
  },
  "PBX.CONTROL_UNAVAILABLE": {
    meaning: "No link to the PBX, or the call or leg is not known to it; nothing was sent.",
    action: "Check the PBX link (`/admin`, `branchbox doctor`), and that the call is still up.",
  },
  "PBX.CONTROL_UNSUPPORTED": {
    meaning: "This PBX adapter cannot do the action asked for; nothing was sent.",
    action: "Do not send that kind of action to this branch's PBX.",
  },
  "PBX.EVENT_INVALID": {
    meaning: "A PBX adapter produced an event without source, key, call id or a finite time; refused.",
    action: "Send the log line and a capture of the PBX's events to the developers.",
  },
  "PBX.NO_HISTORY": {
    meaning:
      "`branchbox backfill` (or its API, `POST /api/v1/pbx/backfill`) was asked to read the PBX's records, but no PBX source keeps any.",
    action: "Set `[pbx.ami] cel_url` or `cel_csv` to Asterisk's CEL, restart branchbox, and run it again.",
  },
  "PBX.SIP_BODY_DOCTYPE": {
    meaning: "A dialog-info NOTIFY carried a DOCTYPE, which is never allowed; refused.",
    action: "Check what sends NOTIFYs to the box: a PBX does not do that.",
  },
  "PBX.SIP_BODY_INVALID": {
    meaning: "A dialog-info NOTIFY is XML of the right kind with wrong values (state, version, dialog).",
    action: "Send the log line and the PBX's make and version to the developers.",
  },
  "PBX.SIP_BODY_MALFORMED": {
    meaning: "A dialog-info NOTIFY is not well-formed XML; refused.",
    action: "Send the log line and the PBX's make and version to the developers.",
  },
  "PBX.SIP_BODY_NOT_DIALOG_INFO": {
    meaning: "A NOTIFY body is XML but not RFC 4235 dialog-info; refused.",
    action: "Check the PBX's BLF / dialog event settings for the watched extensions.",
  },
  "PBX.SIP_BODY_TOO_COMPLEX": {
    meaning: "A dialog-info NOTIFY is deeper, longer or has more dialogs than the box accepts; refused.",
    action: "Check what sends NOTIFYs to the box; a desk phone's is far below the limits.",
  },
  "PBX.SIP_BODY_TOO_LARGE": {
    meaning: "A dialog-info NOTIFY is over the size limit (64 KiB); refused unread.",
    action: "Check what sends NOTIFYs to the box; a desk phone's is under 2 KB.",
  },
  "PHONE.RATE_LIMITED": {
    meaning: "More action-URL requests from one address than the box takes in a minute (120).",
    action:
      "Look for a phone in a loop or a scan of /phone/ on /admin; the phone's next events count again after a minute.",
  },
  "PHONE.UNKNOWN_EVENT": {
    meaning:
      "A configured phone called an event its vendor's table does not have (docs/phones.md lists each).",
    action: "Paste the URLs /admin shows for that phone; check `vendor` in its [[phones]] entry.",
  },
  "PHONE.UNKNOWN_TOKEN": {
    meaning: "An action URL whose token no [[phones]] entry has.",
    action: "Paste the phone's URLs from /admin (Phones) into its settings, or add the phone to [[phones]].",
  },
  "PHONE.WRONG_ADDRESS": {
    meaning: "A phone's token came from an address other than its [[phones]] `address`.",
    action:
      "Give the phone a fixed address (a DHCP reservation) and put it in `address`; if it is not the phone, its token has leaked: replace it.",
  },
  "ROSTER.ALREADY_HOLDS_PHONE": {
    meaning: "A handover to the employee who already holds that desk's phone.",
    action: "Nothing to change: the phone is already theirs.",
  },
  "ROSTER.ALREADY_ON_BREAK": {
    meaning: "A break start for an employee who is already on a break.",
    action: "Nothing to change; end the break when it ends.",
  },
  "ROSTER.ALREADY_ON_SHIFT": {
    meaning: "A check-in at the desk where the employee is already on shift.",
    action: "Nothing to change.",
  },
  "ROSTER.BAD_TIME": {
    meaning: "The time given is not a real time, is in the future, or is more than 31 days in the past.",
    action: "Send the time it happened (ISO-8601 with a zone), or none for now.",
  },
  "ROSTER.NOT_A_MANAGER": {
    meaning:
      "Someone without a manager role tried to close another employee's shift, or to change another employee's forwarding or anyone's absences (R4.4).",
    action: "Ask a manager to do it.",
  },
  "ROSTER.NOT_ON_BREAK": {
    meaning: "A break end for an employee who is not on a break.",
    action: "Nothing to change.",
  },
  "ROSTER.NOT_ON_SHIFT": {
    meaning: "An action that needs a shift (check-out, break, handover) for an employee not on shift.",
    action: "Check in first.",
  },
  "ROSTER.PIN_LOCKED": {
    meaning: "`[roster] pin_max_attempts` wrong PINs: the employee is locked out of the kiosk for a while.",
    action: "Wait the minutes the kiosk shows (`[roster] pin_lock_minutes`); /admin lists who is locked.",
  },
  "ROSTER.PIN_WRONG": {
    meaning: "A wrong PIN; the kiosk says how many tries are left before the lock.",
    action: "Type the PIN again; a forgotten PIN is set anew through the staff list.",
  },
  "ROSTER.UNKNOWN_DESK": {
    meaning: "No desk with that id.",
    action: "Pick a desk from the list (`GET /api/v1/desks`).",
  },
  "ROSTER.UNKNOWN_EMPLOYEE": {
    meaning: "No employee with that id on the staff list.",
    action: "Check the staff list (`branchbox staff import`, or headquarters' staff updates).",
  },
  "RULES.BAD_ABSENCE": {
    meaning:
      "A vacation or sick leave whose last day is before its first or that is longer than a year, or a weekly schedule with overlapping or empty hours; the message says which.",
    action: "Fix the days or hours the message names and save again.",
  },
  "RULES.BAD_FORWARDING": {
    meaning:
      "A no-answer forwarding to the employee themself, to a colleague not on the staff list, or with a ring time outside 30–300 s.",
    action: "Pick another colleague or a department, or a ring time between 30 and 300 s.",
  },
  "RULES.UNKNOWN_ABSENCE": {
    meaning:
      "No vacation or sick leave with that id entered on the box for the employee (it was removed, or it came from headquarters, which changes its own).",
    action: "Reload the list; ask headquarters to change a range it sent.",
  },
  "STAFF.INVALID": {
    meaning: "The staff list is not valid; each problem names its entry and field. Nothing was written.",
    action: "Fix each entry named and import again; exit status 2.",
  },
  "STORAGE.CANNOT_OPEN": {
    meaning: "The database cannot be opened: the folder is missing or not writable.",
    action: "Check that `storage.dir` exists and that the box's user may write there.",
  },
  "STORAGE.CORRUPT": {
    meaning: "The database file is damaged.",
    action: "Restore it from a backup; `branchbox doctor` checks it.",
  },
  "STORAGE.DISK_FULL": {
    meaning: "The disk holding the database is full: nothing new is saved, nothing saved is lost.",
    action: "Free space on that disk; the box takes writes again by itself.",
  },
  "STORAGE.FAILED": {
    meaning:
      "Headquarters' store failed in a way none of the other STORAGE codes names; the message says how.",
    action: "Read the message; check the disk and the database headquarters writes to.",
  },
  "STORAGE.IO": {
    meaning: "The disk failed while the database was written.",
    action: "Check the disk (dmesg, SMART); replace it if it keeps failing.",
  },
  "STORAGE.READ_ONLY": {
    meaning: "The disk or the folder is read-only: nothing can be saved.",
    action: "Check `storage.dir`, its permissions, and whether the file system was remounted read-only.",
  },
  "STORAGE.RECOVERED": {
    meaning: "The database takes writes again after failing (not an error: the end of one).",
    action: "Nothing.",
  },
  "STORAGE.SCHEMA_TOO_NEW": {
    meaning:
      "The database was written by a newer branchbox; this one leaves it untouched and does not start.",
    action: "Run the newer version again, or roll back with the pre-upgrade copy the message names.",
  },
  "SYNC.ACK_TIMEOUT": {
    meaning: "Headquarters did not acknowledge a stream in time; the box sends again from the last ack.",
    action: "Nothing, if rare. Often: check headquarters' consumer and its disk.",
  },
  "SYNC.BAD_ACK": {
    meaning: "An ack from headquarters is not valid or acknowledges more than was sent; ignored.",
    action: "Check that headquarters' version matches the branches'.",
  },
  "SYNC.BAD_HQ_STATE": {
    meaning: "Headquarters' presence message is not readable; headquarters counts as offline.",
    action: "Check that only headquarters publishes on `branchbox/v1/hq/state`.",
  },
  "SYNC.BIRTH_FAILED": {
    meaning: "The broker did not accept the box's birth (presence) message.",
    action: "Check the broker's access rules for this branch's state topic.",
  },
  "SYNC.CLIENTS_DELTA_IGNORED": {
    meaning:
      "A client-directory change does not follow the version the box has; ignored until the next full list (the box asks for one).",
    action: "Nothing: headquarters answers with the full list.",
  },
  "SYNC.COMMAND_DUPLICATE": {
    meaning: "A command from headquarters the box has seen before; not run again.",
    action: "Nothing.",
  },
  "SYNC.COMMAND_EXPIRED": {
    meaning: "A command from headquarters expired before it could run; answered `expired`.",
    action: "Send it again with a later expiry if it is still wanted.",
  },
  "SYNC.COMMAND_FAILED": {
    meaning: "A command from headquarters ran and failed; the reply says why.",
    action: "Read the reason in the reply or the log.",
  },
  "SYNC.COMMAND_INTERRUPTED": {
    meaning: "The box stopped while a command ran; answered `failed`, not run again.",
    action: "Check what the command did, then send it again if needed.",
  },
  "SYNC.COMMAND_UNSUPPORTED": {
    meaning: "A command of a kind this box cannot run; answered `unsupported`.",
    action: "Upgrade the box, or do not send that kind to it.",
  },
  "SYNC.CONNECT_FAILED": {
    meaning: "The box could not start a connection to headquarters' broker; it retries with a backoff.",
    action: "Check `[mqtt]` url, credentials and certificates; `branchbox doctor` tests the broker.",
  },
  "SYNC.DOWN_BAD_JSON": {
    meaning: "A message from headquarters is not JSON; refused.",
    action: "Check headquarters' version and what publishes on the branch's down topics.",
  },
  "SYNC.DOWN_BAD_RECORD": {
    meaning: "A record from headquarters has an unknown type or fails its schema; the message is refused.",
    action: "Check that headquarters' version matches the branches'; docs/schemas has each record.",
  },
  "SYNC.DOWN_BAD_SCHEMA": {
    meaning: "A message from headquarters fails the envelope's schema; refused.",
    action: "Check that headquarters' version matches the branches'.",
  },
  "SYNC.DOWN_DUPLICATE": {
    meaning: "Records from headquarters the box already has (a redelivery); dropped.",
    action: "Nothing.",
  },
  "SYNC.DOWN_GAP": {
    meaning: "A stream from headquarters skipped sequence numbers; what arrived is applied.",
    action: "Check headquarters' outbox for that branch if it repeats.",
  },
  "SYNC.PBX_NO_SOURCE": {
    meaning:
      "Headquarters sent PBX events (the `pbx` stream, e.g. Mango Office's) and this box runs no PBX source that reads them; kept as inbox rows only.",
    action: "Turn the source on (`[pbx.mango]`), or stop sending this branch's lines from headquarters.",
  },
  "SYNC.DOWN_STORE_FAILED": {
    meaning:
      "The box could not commit a message from headquarters; not acknowledged, so the broker delivers it again.",
    action: "Check the box's disk (see STORAGE.*).",
  },
  "SYNC.DOWN_WRONG_BRANCH": {
    meaning: "A message from headquarters names another branch; refused.",
    action: "Check headquarters' routing and the broker's access rules.",
  },
  "SYNC.DOWN_WRONG_STREAM": {
    meaning: "A message from headquarters names another stream than its topic's; refused.",
    action: "Check headquarters' version.",
  },
  "SYNC.LINK_DOWN": {
    meaning: "The link to headquarters' broker is down; records wait on disk and the box reconnects.",
    action: "Nothing, if brief. If it lasts: check the network and the broker; `branchbox doctor`.",
  },
  "SYNC.PUBLISH_REFUSED": {
    meaning: "The broker refused an envelope; it is sent again.",
    action: "Check the broker's access rules for this branch's up topics.",
  },
  "SYNC.STAFF_CLEAR_PIN": {
    meaning: "A staff record from headquarters carries a PIN in clear instead of its hash; refused.",
    action: "Fix headquarters: send Argon2id PIN hashes only.",
  },
  "SYNC.STALE_WILL": {
    meaning: "An old connection's Last Will replaced the box's presence; the box says it is online again.",
    action: "Nothing.",
  },
  "SYNC.SUBSCRIBE_REFUSED": {
    meaning: "The broker refused the box's subscriptions: nothing from headquarters arrives.",
    action: "Check the broker's access rules for this branch's down topics.",
  },
  "UPGRADE.BAD_CHECKSUM": {
    meaning: "`--sha256` is not 64 hex digits.",
    action: "Copy the SHA-256 from the release notes again.",
  },
  "UPGRADE.BAD_PUBLIC_KEY": {
    meaning: "`[upgrade] public_key` is not an Ed25519 public key.",
    action: "Set it to the base64 of the 32 raw bytes, or a PEM PUBLIC KEY.",
  },
  "UPGRADE.BAD_SIGNATURE": {
    meaning: "FILE.sig is not a valid signature of the release by the configured key.",
    action: "Do not install it: get the release and its .sig again from the official place.",
  },
  "UPGRADE.BAD_SOURCE": {
    meaning: "The release path or URL names no file.",
    action: "Give the path or URL of the release file itself.",
  },
  "UPGRADE.BUSY": {
    meaning: "Another upgrade is running (its lock file is beside the binary).",
    action: "Wait for it; remove the lock file only if no upgrade runs.",
  },
  "UPGRADE.CHECKSUM_MISMATCH": {
    meaning: "The release's SHA-256 differs from the expected one: damaged or not the release.",
    action: "Download it again; do not install it.",
  },
  "UPGRADE.DOWNLOAD_FAILED": {
    meaning: "The release, SHA256SUMS or the signature could not be downloaded.",
    action: "Check the URL and the network; the message names the HTTP status or the error.",
  },
  "UPGRADE.IO": {
    meaning: "A file beside the binary could not be written (lock, staged copy).",
    action: "Run it as root (`sudo branchbox upgrade …`) and check the disk's free space.",
  },
  "UPGRADE.NEW_BINARY_BROKEN": {
    meaning: "The new binary does not run here (`version` failed): wrong architecture or not branchbox.",
    action: "Get the release built for this machine's architecture.",
  },
  "UPGRADE.NO_BINARY": {
    meaning: "No installed binary where expected, or (`--previous`) no previous one kept.",
    action: "Check the binary's path; a first install is not an upgrade.",
  },
  "UPGRADE.NO_CHECKSUM": {
    meaning: "No SHA256SUMS beside the release, or it does not list the file.",
    action: "Pass `--sha256 HEX` from the release notes.",
  },
  "UPGRADE.NO_SIGNATURE": {
    meaning: "`[upgrade] public_key` is set but there is no FILE.sig beside the release.",
    action: "Put the release's .sig beside it.",
  },
  "UPGRADE.ROLLBACK_FAILED": {
    meaning: "The new version was not healthy and the old one is not healthy after the roll-back either.",
    action: "Run `branchbox doctor` and read `journalctl -u branchbox`; the box needs hands now.",
  },
  "UPGRADE.ROLLED_BACK": {
    meaning: "The new version did not report healthy in time; the old version is back and serving.",
    action: "Read why in the message and the journal before trying that version again.",
  },
} satisfies Record<CodeShape, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The area a code belongs to; the catch-all `INTERNAL` counts as the box's. */
export const areaOf = (code: ErrorCode): ErrorArea =>
  code === "INTERNAL" ? "BOX" : (code.slice(0, code.indexOf(".")) as ErrorArea);
