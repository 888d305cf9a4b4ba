/**
 * The SIP lab for tests: a real Kamailio (registrar + proxy + RFC 4235 dialog-info presence over
 * UDP and WebSocket) and real baresip phones on free loopback ports, in a fresh temp dir, stopped by
 * PID. Implemented in scripts/lab/ (also `bun scripts/lab/index.ts up` for a developer).
 *
 * ```ts
 * const lab = await startSipLab();            // phones 101, 102, 103 (desks) and 74951234567 (a client outside)
 * lab.wsUrl                                   // "ws://127.0.0.1:<port>": point [pbx.sip] ws_url here
 * lab.domain                                  // "127.0.0.1": watch sip:<ext>@127.0.0.1
 * const client = lab.phone("74951234567"), desk = lab.phone("101");
 * await client.dial("101");                   // an extension/number of the lab, or a full sip: URI
 * await desk.waitFor("CALL_INCOMING");        // baresip events: CALL_INCOMING, CALL_RINGING,
 * await desk.answer();                        //   CALL_ESTABLISHED, CALL_CLOSED, CALL_TRANSFER…
 * await client.waitFor("CALL_ESTABLISHED");
 * await desk.transfer("102");                 // blind transfer (REFER); our leg ends
 * await desk.hangup();                        // CANCEL while ringing, BYE once answered
 * await lab.restartKamailio();                // same ports; calls/subscriptions lost, registrations kept
 * await lab.stop();                           // every process by PID, temp dir removed
 * ```
 *
 * - `startSipLab({ phones: ["101", "102", "104", "74951234567"] })` picks the phones.
 * - `phone.waitFor(type, timeoutMs = 5000)` returns the phone's next event of that type that came
 *   after its last command and was not returned before; it rejects naming the events it saw.
 * - All phones answer manually (call `answer()`); each phone takes up to 4 calls.
 * - NOTIFYs follow the phone action within ~10–80 ms; ended dialogs linger in Kamailio's NOTIFY
 *   documents for ~15 s (presence clean_period), and a missed call ends in a plain `terminated`.
 * - `hangup()` on the ringing callee rejects the call (486): Kamailio publishes a plain
 *   `terminated` for it too (no `rejected`), so busy and missed read alike.
 * - The caller's side starts with `Trying` (capital T), but a NOTIFY may skip a state that was
 *   replaced before presence sent it (trying → early seen skipped about once in 15 runs).
 * - Call `stop()` in afterAll/afterEach. If the test process dies first (a crash, a hook that
 *   never ran), a watchdog shell kills the lab's process groups by PID once it is gone.
 * - Other lab parts: `startDialogPublisher()` (scripts/lab/dialog-publisher.ts) PUBLISHes
 *   dialog states for extensions without a phone; `restartKamailio()` throws if Kamailio had to
 *   be killed (its registrations would be lost).
 * - `lab.logs()` gives the tails of Kamailio's and the phones' logs, for failure messages.
 * - `watchDialogs()` (scripts/lab/dialog-watch.ts) is a bare sip.js dialog subscriber, the lab's
 *   own check of what Kamailio sends; the product's source is src/pbx/sip/.
 */
export {
  DEFAULT_PHONES,
  type LabPhone,
  type PhoneEvent,
  type PhoneEventType,
  type SipLab,
  type SipLabOptions,
  startSipLab,
} from "../../scripts/lab/sip-lab.ts";
