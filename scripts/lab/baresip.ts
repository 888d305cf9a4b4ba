// One baresip desk phone for the lab: its own config dir (ports chosen at start), audio through
// `aubridge` (no sound card; `ausine` only does 48 kHz and PCMU failed at audio start), control
// through `ctrl_tcp` + `menu` (the `stdio` module needs a TTY). Stopped by its PID, SIGKILL after
// 1 s: with a stuck call, or with Kamailio gone, baresip can take ~30 s to exit on SIGTERM.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type LabProcess, spawnLabProcess } from "./lab-process.ts";
import { PhoneControl } from "./phone-control.ts";
import { freeSipPort, freeTcpPort } from "./ports.ts";

export const BARESIP = process.env.BARESIP_BIN ?? "/usr/bin/baresip";

export interface BaresipPhone {
  readonly ext: string;
  /** The AOR, e.g. `sip:101@127.0.0.1` (the lab's domain is the loopback address). */
  readonly aor: string;
  readonly sipPort: number;
  readonly control: PhoneControl;
  readonly process: LabProcess;
  stop(): Promise<void>;
}

export async function startBaresip(dir: string, ext: string, pbxPort: number): Promise<BaresipPhone> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(dir, ext, pbxPort);
    } catch (error) {
      // A port taken between our check and baresip's bind: new ports, new try.
      if (attempt >= 3 || !/Address already in use/.test(String(error))) throw error;
    }
  }
}

async function launch(dir: string, ext: string, pbxPort: number): Promise<BaresipPhone> {
  const home = join(dir, `phone-${ext}`);
  mkdirSync(home, { recursive: true });
  const sipPort = await freeSipPort();
  const ctrlPort = await freeTcpPort();
  writeFileSync(join(home, "config"), phoneConfig(ext, sipPort, ctrlPort));
  // The AOR has the PBX's port in it: baresip registers to and calls through that host:port.
  // Kamailio's presence keys on user@host, so watchers subscribe to sip:<ext>@127.0.0.1.
  writeFileSync(
    join(home, "accounts"),
    `<sip:${ext}@127.0.0.1:${pbxPort}>;regint=600;answermode=manual;audio_codecs=pcmu\n`,
  );
  const logPath = join(dir, `phone-${ext}.log`);
  const proc = spawnLabProcess(BARESIP, ["-f", home], home, logPath);
  let control: PhoneControl | undefined;
  try {
    control = await PhoneControl.connect(ctrlPort, `phone ${ext}`);
    await waitRegistered(control, proc);
  } catch (error) {
    control?.close();
    await proc.stop();
    throw new Error(`phone ${ext}: ${error instanceof Error ? error.message : error}\n${proc.log()}`);
  }
  const phone = control;
  return {
    ext,
    aor: `sip:${ext}@127.0.0.1`,
    sipPort,
    control: phone,
    process: proc,
    async stop() {
      phone.close();
      await proc.stop(1000);
    },
  };
}

/** Polls `reginfo` until the account shows `OK` (REGISTER_OK may have come before we connected). */
async function waitRegistered(control: PhoneControl, proc: LabProcess): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (/Address already in use/.test(proc.log())) throw new Error("Address already in use");
    const reply = await control.command("reginfo");
    // The reply is the menu's coloured text: "> sip:101@127.0.0.1:5070  \x1b[32mOK \x1b[;m …".
    const text = reply.data.replace(COLOUR, "");
    if (/\sOK\s/.test(text)) return;
    if (Date.now() > deadline) throw new Error(`not registered within 5 s: ${reply.data.trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** ANSI colour codes (ESC [ … m). */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function phoneConfig(ext: string, sipPort: number, ctrlPort: number): string {
  return `${[
    "poll_method\t\tepoll",
    // `sip_listen P` also binds TLS on P+1 (freeSipPort checks both).
    `sip_listen\t\t127.0.0.1:${sipPort}`,
    // `lo` fails; the address works.
    "net_interface\t\t127.0.0.1",
    "call_local_timeout\t120",
    "call_max_calls\t\t4",
    `audio_player\t\taubridge,p${ext}`,
    `audio_source\t\taubridge,s${ext}`,
    `audio_alert\t\taubridge,a${ext}`,
    // One shared range below the ephemeral ports: RTP binds a random port in it and tries another when one is taken.
    "rtp_ports\t\t20000-32766",
    "module_path\t\t/usr/lib/baresip/modules",
    "module\t\t\tg711.so",
    "module\t\t\taubridge.so",
    "module_tmp\t\taccount.so",
    "module_app\t\tmenu.so",
    "module_app\t\tctrl_tcp.so",
    `ctrl_tcp_listen\t\t127.0.0.1:${ctrlPort}`,
  ].join("\n")}\n`;
}
