// The SIP lab: one Kamailio (registrar + proxy + dialog-info presence, UDP for phones, WebSocket
// for watchers) and real baresip phones, every port a free loopback port chosen at start, every
// file in a fresh temp dir, every process stopped by its PID. Used by the e2e tests
// (test/support/sip-lab.ts), the SIP benchmark and `bun scripts/lab/index.ts up`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BaresipPhone, startBaresip } from "./baresip.ts";
import { type Kamailio, startKamailio } from "./kamailio.ts";
import type { PhoneEvent } from "./phone-control.ts";

export type { PhoneEvent } from "./phone-control.ts";

/** Desk phones 101–103 and a client outside (the trunk's caller, a Moscow number). */
export const DEFAULT_PHONES = ["101", "102", "103", "74951234567"] as const;

/** baresip's event types the tests wait for (any other baresip type works too). */
export type PhoneEventType =
  | "CALL_INCOMING"
  | "CALL_RINGING"
  | "CALL_PROGRESS"
  | "CALL_ESTABLISHED"
  | "CALL_CLOSED"
  | "CALL_TRANSFER"
  | "REGISTER_OK"
  | (string & {});

export interface LabPhone {
  /** The extension or number, e.g. "101" or "74951234567". */
  readonly ext: string;
  /** `sip:<ext>@<domain>`: what a watcher subscribes to. */
  readonly aor: string;
  /** Calls `target`: an extension/number of the lab ("102") or a full `sip:` URI. */
  dial(target: string): Promise<void>;
  /** Answers the ringing call. */
  answer(): Promise<void>;
  /** Hangs up the current call (a CANCEL while it still rings, a BYE once answered). */
  hangup(): Promise<void>;
  /** Blind transfer of the current call to `target` (REFER); our leg ends. */
  transfer(target: string): Promise<void>;
  /**
   * Resolves on the phone's next event of `type` that arrived after its last command (dial,
   * answer, hangup, transfer) and was not already returned by a waitFor. Rejects after `timeoutMs`
   * (default 5000) naming the events it did see.
   */
  waitFor(type: PhoneEventType, timeoutMs?: number): Promise<PhoneEvent>;
  /** Every event the phone reported, in order. */
  readonly events: readonly PhoneEvent[];
}

export interface SipLab {
  /** `ws://127.0.0.1:<port>`: Kamailio's WebSocket listener for watchers (sip.js). */
  readonly wsUrl: string;
  /** The SIP domain of every AOR: "127.0.0.1". Watch `sip:<ext>@<domain>`. */
  readonly domain: string;
  /** Kamailio's UDP port (the phones' registrar and proxy). */
  readonly sipPort: number;
  /** The phones by extension. */
  readonly phones: Readonly<Record<string, LabPhone>>;
  /** The phone of `ext`; throws if the lab has none. */
  phone(ext: string): LabPhone;
  /** Stops Kamailio (SIGTERM) and starts it again on the same ports: calls, subscriptions and
   * published states are lost, registrations are kept (as a PBX with persistent registrations). */
  restartKamailio(): Promise<void>;
  /** The tails of every lab log, for failure messages. */
  logs(): string;
  /** Kamailio's PID (it changes on restart). */
  readonly kamailioPid: number;
  /** Stops every phone and Kamailio by PID and removes the temp dir (kept with `keepDir`). */
  stop(options?: { keepDir?: boolean }): Promise<void>;
  readonly dir: string;
}

export interface SipLabOptions {
  /** Extensions/numbers to start a phone for (default DEFAULT_PHONES). */
  phones?: readonly string[];
}

const DOMAIN = "127.0.0.1";

export async function startSipLab(options: SipLabOptions = {}): Promise<SipLab> {
  const dir = mkdtempSync(join(tmpdir(), "branchbox-siplab-"));
  let kamailio: Kamailio | undefined;
  const started: BaresipPhone[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((p) => p.stop()));
    await kamailio?.stop();
  };
  try {
    kamailio = await startKamailio(dir);
    const pbxPort = kamailio.udpPort;
    // Every launch settles before a failure is thrown, so no phone starts after the clean-up.
    const launches = await Promise.allSettled(
      (options.phones ?? DEFAULT_PHONES).map((ext) => startBaresip(dir, ext, pbxPort)),
    );
    for (const launch of launches) if (launch.status === "fulfilled") started.push(launch.value);
    const failed = launches.find((launch) => launch.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    await stopAll();
    const log = kamailio?.log() ?? "";
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`SIP lab did not start: ${error instanceof Error ? error.message : error}\n${log}`);
  }
  const pbx = kamailio;
  const target = (t: string) => (t.startsWith("sip:") ? t : `sip:${t}@${DOMAIN}:${pbx.udpPort}`);
  const phones: Record<string, LabPhone> = {};
  for (const p of started) phones[p.ext] = labPhone(p, target);
  return {
    wsUrl: pbx.wsUrl,
    domain: DOMAIN,
    sipPort: pbx.udpPort,
    phones,
    phone(ext) {
      const p = phones[ext];
      if (!p) throw new Error(`the lab has no phone ${ext} (it has ${Object.keys(phones).join(", ")})`);
      return p;
    },
    restartKamailio: () => pbx.restart(),
    get kamailioPid() {
      return pbx.pid;
    },
    logs: () =>
      [
        `--- kamailio ---\n${pbx.log()}`,
        ...started.map((p) => `--- phone ${p.ext} ---\n${p.process.log(1500)}`),
      ].join("\n"),
    async stop({ keepDir = false } = {}) {
      await stopAll();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
    dir,
  };
}

function labPhone(phone: BaresipPhone, target: (t: string) => string): LabPhone {
  const { control } = phone;
  // Events of interest start after the last command; a waitFor consumes the event it returns.
  let cursor = control.events.length;
  const send = async (command: string, params = "") => {
    cursor = control.events.length;
    const reply = await control.command(command, params);
    if (!reply.ok) throw new Error(`phone ${phone.ext}: ${command} ${params} refused: ${reply.data.trim()}`);
  };
  return {
    ext: phone.ext,
    aor: phone.aor,
    dial: (t) => send("dial", target(t)),
    answer: () => send("accept"),
    hangup: () => send("hangup"),
    transfer: (t) => send("transfer", target(t)),
    async waitFor(type, timeoutMs = 5000) {
      const index = await control.waitForEvent(type, cursor, timeoutMs);
      cursor = index + 1;
      return control.events[index] as PhoneEvent;
    },
    get events() {
      return control.events;
    },
  };
}
