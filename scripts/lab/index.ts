// The SIP lab for a developer: `bun scripts/lab/index.ts up [--phones 101,102,103,74951234567]`
// starts Kamailio and the phones, prints the WebSocket URL to point a box's [pbx.sip] at, prints
// every phone event and every dialog NOTIFY, and takes commands on stdin until `quit` or Ctrl-C:
//   101 dial 102 | 101 answer | 101 hangup | 101 transfer 103 | restart | quit
// Everything lives in a temp dir and is stopped by PID on the way out.
import { createInterface } from "node:readline";
import { watchDialogs } from "./dialog-watch.ts";
import { DEFAULT_PHONES, type SipLab, startSipLab } from "./sip-lab.ts";

const USAGE = "usage: bun scripts/lab/index.ts up [--phones 101,102,103,74951234567]";

async function up(phones: readonly string[]): Promise<void> {
  const lab = await startSipLab({ phones });
  const watch = await watchDialogs({ wsUrl: lab.wsUrl, domain: lab.domain, extensions: phones });
  console.log(`SIP lab up in ${lab.dir}
  WebSocket (watchers, [pbx.sip] ws_url): ${lab.wsUrl}
  SIP domain: ${lab.domain}   Kamailio UDP: 127.0.0.1:${lab.sipPort} (pid ${lab.kamailioPid})
  phones: ${phones.join(", ")}
commands: <ext> dial <target> | <ext> answer | <ext> hangup | <ext> transfer <target> | restart | quit`);

  const seen = new Map<string, number>();
  let notified = 0;
  const stamp = () => new Date().toISOString().slice(11, 23);
  const timer = setInterval(() => {
    for (const phone of Object.values(lab.phones)) {
      const from = seen.get(phone.ext) ?? 0;
      for (const e of phone.events.slice(from))
        console.log(`${stamp()} [${phone.ext}] ${e.type} ${e.peeruri ?? ""}`);
      seen.set(phone.ext, phone.events.length);
    }
    for (const n of watch.notifies.slice(notified)) {
      const states = n.dialogs.map((d) => `${d.state} ${d.direction ?? ""} ${d.remote ?? ""} (${d.callId})`);
      console.log(`${stamp()} NOTIFY ${n.ext}: ${states.join(" | ") || "idle"}`);
    }
    notified = watch.notifies.length;
  }, 50);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await watch.stop().catch(() => {});
    await lab.stop();
    console.log("SIP lab stopped");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    run(lab, line.trim()).catch((error) =>
      console.log(`! ${error instanceof Error ? error.message : error}`),
    );
  });
  lines.on("close", stop);
  async function run(lab: SipLab, line: string): Promise<void> {
    const [first, verb, arg] = line.split(/\s+/);
    if (!first) return;
    if (first === "quit") return stop();
    if (first === "restart") {
      await lab.restartKamailio();
      console.log(`Kamailio restarted (pid ${lab.kamailioPid}); watchers must subscribe again`);
      return;
    }
    const phone = lab.phone(first);
    if (verb === "dial" && arg) return phone.dial(arg);
    if (verb === "answer") return phone.answer();
    if (verb === "hangup") return phone.hangup();
    if (verb === "transfer" && arg) return phone.transfer(arg);
    console.log(`? ${line}`);
  }
}

const [command, ...rest] = process.argv.slice(2);
if (command !== "up") {
  console.error(USAGE);
  process.exit(2);
}
const flag = rest.indexOf("--phones");
const list = flag >= 0 ? rest[flag + 1]?.split(",").filter(Boolean) : undefined;
await up(list ?? DEFAULT_PHONES);
