#!/usr/bin/env bun
import { parseArgs } from "node:util";
import { Inviter, SessionState, UserAgent } from "sip.js";
import { silentLogger } from "../../../src/log/logger.ts";
import { createSipAdapter } from "../../../src/pbx/sip/index.ts";
import { noMediaSessions } from "../../../src/pbx/sip/sip-no-media.ts";
import { type SipLab, startSipLab } from "../../lab/sip-lab.ts";
import { machine } from "../lib/host.ts";
import { lat, percentiles, progress } from "../lib/stats.ts";

/**
 * `npm run bench:sip-control`: issue 15's SIP figure, click-to-call on the lab. From the click
 * (`control.originate`) to the employee's phone reporting the incoming call (baresip's
 * CALL_INCOMING on its control socket), next to a bare sip.js INVITE to the same phone from a
 * second user agent on the same Kamailio, in the same run: the two alternate, round by round,
 * and the phone rejects each call (486) before the next. Not a test: it prints. The lab is
 * stopped by PID at the end, on error and on Ctrl-C.
 *
 *   --rounds N   measured rounds of each (default 50, after 5 warm-up rounds)
 */

const { values } = parseArgs({ args: process.argv.slice(2), options: { rounds: { type: "string" } } });
const ROUNDS = Number(values.rounds ?? 50);
const WARMUP = 5;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error("usage: bun scripts/bench/sip-control/index.ts [--rounds N]");
  process.exit(2);
}

let lab: SipLab | undefined;
const stop = async () => {
  await lab?.stop();
  process.exit(130);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

try {
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  progress("starting the lab (Kamailio, phones 101 and 102)");
  lab = await startSipLab({ phones: ["101", "102"] });
  // baresip has no outbound proxy: what the box refers a phone to must carry Kamailio's port.
  const domain = `${lab.domain}:${lab.sipPort}`;
  const adapter = createSipAdapter({
    wsUrl: lab.wsUrl,
    domain,
    extensions: ["101", "102"],
    log: silentLogger,
  });
  adapter.source.start(async () => {});
  for (const deadline = Date.now() + 10_000; ; await Bun.sleep(20)) {
    const subscriptions = adapter.source.status().subscriptions ?? [];
    if (subscriptions.length === 2 && subscriptions.every((s) => s.state === "active")) break;
    if (Date.now() > deadline) throw new Error("the box's subscriptions did not come up in 10 s");
  }
  const bare = new UserAgent({
    uri: UserAgent.makeURI(`sip:bench@${lab.domain}`),
    transportOptions: { server: lab.wsUrl },
    logLevel: "error",
    logBuiltinEnabled: false,
    sessionDescriptionHandlerFactory: noMediaSessions,
  });
  await bare.start();
  const phone = lab.phone("101");
  const target = UserAgent.makeURI(`sip:101@${domain}`);
  if (target === undefined) throw new Error(`not a URI: sip:101@${domain}`);

  /** From `start` to the phone's CALL_INCOMING; then the phone rejects and `ended` settles. */
  const ring = async (start: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    const ended = start();
    await phone.waitFor("CALL_INCOMING");
    const took = performance.now() - t0;
    await phone.hangup();
    await ended;
    return took;
  };
  let commands = 0;
  const click = () =>
    ring(() =>
      adapter.control.originate({
        commandId: `bench-${++commands}`,
        fromExtension: "101",
        to: "102",
        deadline: Date.now() + 10_000,
      }),
    );
  const invite = () =>
    ring(async () => {
      const inviter = new Inviter(bare, target);
      const terminated = new Promise<void>((resolve) =>
        inviter.stateChange.addListener((s) => s === SessionState.Terminated && resolve()),
      );
      await inviter.invite();
      await terminated;
    });

  const clicks: number[] = [];
  const invites: number[] = [];
  progress(`${WARMUP} warm-up rounds, then ${ROUNDS} measured (click and bare INVITE alternating)`);
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    // Alternate which goes first, so neither always follows the other's hang-up.
    const pair = round % 2 === 0 ? [click, invite] : [invite, click];
    const [first, second] = [await pair[0]?.(), await pair[1]?.()];
    if (round < WARMUP) continue;
    const [c, i] = round % 2 === 0 ? [first, second] : [second, first];
    clicks.push(c ?? Number.NaN);
    invites.push(i ?? Number.NaN);
  }
  const c = percentiles(clicks);
  const i = percentiles(invites);
  console.log(
    [
      `branchbox SIP click-to-call benchmark: ${machine()}, load ${load} at start`,
      "lab: Kamailio 5.6 (children=1) + baresip 1.0 phones on loopback; the box's SIP adapter and a bare sip.js UA in this process, each on its own WebSocket",
      `${ROUNDS} rounds (after ${WARMUP} warm-up); until phone 101 reports the incoming call (CALL_INCOMING on its ctrl_tcp socket):`,
      `  click-to-call (control.originate)   ${lat(c)}`,
      `  bare sip.js INVITE (baseline)       ${lat(i)}`,
      `  ratio click / bare: p50 ${(c.p50 / i.p50).toFixed(2)}x  p99 ${(c.p99 / i.p99).toFixed(2)}x`,
    ].join("\n"),
  );
  await bare.stop();
  await adapter.source.stop();
} finally {
  await lab?.stop();
}
