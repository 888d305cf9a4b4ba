#!/usr/bin/env bun
import { parseArgs } from "node:util";
import { silentLogger } from "../../../src/log/logger.ts";
import { amiGet } from "../../../src/pbx/ami/ami-parser.ts";
import { type AmiAdapter, createAmiAdapter } from "../../../src/pbx/ami/index.ts";
import { type AmiPeer, startAmiPeer, waitUntil } from "../../../test/support/ami-peer.ts";
import { originateResponse, REPLIES } from "../../../test/support/asterisk-control.ts";
import { machine } from "../lib/host.ts";
import { int, type Latency, ms, pad, percentiles, progress, spread } from "../lib/stats.ts";

/**
 * `npm run bench:control`: the AMI call-control benchmark of issue 15. From a command accepted by
 * the controller (the call into `control.originate` / `control.hangup`) to its action arriving at
 * a loopback AMI peer, next to a bare AMI write of the same action frame through the same client
 * on the same socket (`client.send`), in the same run, alternating the two so noise hits both.
 * The peer answers as Asterisk does (manager.c's reply strings; OriginateResponse at once), so no
 * command stays open. For the hangup, the box holds --calls live calls (two handset legs each)
 * and resolves the leg's exact channel among them. One process: the peer's receive callback
 * stamps arrival on the same clock. Not a test: it prints, it does not fail.
 *
 *   --rounds N   commands of each kind, and as many bare writes (default 2000, after 200 warm-up)
 *   --calls N    live calls the box holds during the hangup rounds (default 250)
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { rounds: { type: "string", default: "2000" }, calls: { type: "string", default: "250" } },
});
const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
if (!(ROUNDS > 0) || !(CALLS > 0)) {
  console.error("usage: bun scripts/bench/control/index.ts [--rounds N] [--calls N]");
  process.exit(2);
}
const WARMUP = 200;
const USER = "bench";
const SECRET = "bench-secret";

/** Call `n`'s live channels: a trunk caller and the handset `2NN` it talks to. */
function liveCalls(count: number): string {
  const frames: string[] = [];
  for (let n = 0; n < count; n++) {
    const linked = `9000.${n}`;
    const ext = String(2000 + n);
    const channel = (name: string, uniqueid: string, context: string, state: string) =>
      `Event: Newchannel\r\nChannel: ${name}\r\nChannelState: ${state}\r\nCallerIDNum: ${ext}\r\nExten: ${ext}\r\nContext: ${context}\r\nUniqueid: ${uniqueid}\r\nLinkedid: ${linked}\r\n\r\n`;
    frames.push(
      channel(`PJSIP/trunk-${n.toString(16).padStart(8, "0")}`, linked, "from-pstn", "4"),
      channel(`PJSIP/${ext}-${(n + 0x10000).toString(16)}`, `9000.${n}.1`, "from-internal", "0"),
      `Event: DialBegin\r\nChannel: PJSIP/trunk-${n.toString(16).padStart(8, "0")}\r\nUniqueid: ${linked}\r\nLinkedid: ${linked}\r\nDestChannel: PJSIP/${ext}-${(n + 0x10000).toString(16)}\r\nDestUniqueid: 9000.${n}.1\r\nDestLinkedid: ${linked}\r\nDialString: ${ext}\r\n\r\n`,
      `Event: Newstate\r\nChannel: PJSIP/${ext}-${(n + 0x10000).toString(16)}\r\nChannelState: 6\r\nUniqueid: 9000.${n}.1\r\nLinkedid: ${linked}\r\n\r\n`,
    );
  }
  return frames.join("");
}

const arrivals = new Map<string, number>();
let peer: AmiPeer | null = null;
let adapter: AmiAdapter | null = null;

try {
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  progress(`peer with ${CALLS} live calls`);
  peer = await startAmiPeer({
    username: USER,
    secret: SECRET,
    transcript: liveCalls(CALLS),
    act: (action, io) => {
      const now = performance.now();
      const name = amiGet(action, "Action");
      const tag = amiGet(action, "ChannelId") ?? amiGet(action, "Cause") ?? "";
      arrivals.set(tag, now);
      if (name === "Originate") {
        io.send({ ...REPLIES.originateQueued, ActionID: io.actionId ?? "" });
        io.send(originateResponse(action, 4, io.actionId));
        return true;
      }
      if (name === "Hangup") {
        // "No such channel": the command ends at once; the figure is the write, not the outcome.
        io.send({ ...REPLIES.noSuchChannel, ActionID: io.actionId ?? "" });
        return true;
      }
      return false;
    },
  });
  const knownExtensions = new Set(Array.from({ length: CALLS }, (_, n) => String(2000 + n)));
  adapter = createAmiAdapter({
    host: "127.0.0.1",
    port: peer.port,
    username: USER,
    secret: SECRET,
    log: silentLogger,
    knownExtensions: () => knownExtensions,
    client: { pingIntervalMs: 600_000 },
  });
  const legs: { callId: string; legId: string }[] = [];
  adapter.source.start(async (events) => {
    for (const e of events)
      if (e.kind === "answered" && e.legId !== null) legs.push({ callId: e.callId, legId: e.legId });
  });
  const p = peer;
  const a = adapter;
  await waitUntil(
    () => a.client.status().state === "connected" && legs.length === CALLS,
    30_000,
    "the live calls",
  );

  const arrival = async (tag: string): Promise<number> => {
    await waitUntil(() => arrivals.has(tag), 5_000, `action ${tag}`);
    const at = arrivals.get(tag) ?? Number.NaN;
    arrivals.delete(tag);
    return at;
  };
  const samples = {
    originate: [] as number[],
    bareOriginate: [] as number[],
    hangup: [] as number[],
    bareHangup: [] as number[],
  };
  const deadline = () => Date.now() + 5_000;
  const far = legs.at(-1) ?? { callId: "", legId: "" };
  const farChannel = `PJSIP/${2000 + CALLS - 1}-${(CALLS - 1 + 0x10000).toString(16)}`;

  const round = async (i: number, keep: boolean) => {
    // The command: originate; its ChannelId (bb-<commandId>) names it at the peer.
    let t0 = performance.now();
    const done = a.control.originate({
      commandId: `o${i}`,
      deadline: deadline(),
      fromExtension: "2000",
      to: "84951234567",
    });
    let t1 = await arrival(`bb-o${i}`);
    await done;
    if (keep) samples.originate.push(t1 - t0);
    // The bare write: the same Originate frame through the client, on the same socket.
    t0 = performance.now();
    const bare = a.client.send({
      Action: "Originate",
      Channel: "Local/2000@from-internal/n",
      Exten: "84951234567",
      Context: "from-internal",
      Priority: "1",
      Timeout: "30000",
      CallerID: '"84951234567" <84951234567>',
      Async: "true",
      ChannelId: `bare-${i}`,
      OtherChannelId: `bare-${i}-2`,
      Variable: `__BB_CMD=bare-${i},__BB_EXT=2000`,
    });
    t1 = await arrival(`bare-${i}`);
    await bare;
    if (keep) samples.bareOriginate.push(t1 - t0);
    // Hangup: the leg's exact channel found among the live calls' channels. Cause names the round.
    t0 = performance.now();
    const hung = a.control.hangup({ commandId: `h${i}`, deadline: deadline(), ...far });
    t1 = await arrival("16");
    await hung;
    if (keep) samples.hangup.push(t1 - t0);
    t0 = performance.now();
    const bareHang = a.client.send({ Action: "Hangup", Channel: farChannel, Cause: "16" });
    t1 = await arrival("16");
    await bareHang;
    if (keep) samples.bareHangup.push(t1 - t0);
  };

  progress(`warm-up: ${WARMUP} rounds`);
  for (let i = 0; i < WARMUP; i++) await round(-1 - i, false);
  progress(`${ROUNDS} rounds (originate, bare originate, hangup, bare hangup)`);
  for (let i = 0; i < ROUNDS; i++) await round(i, true);

  const o = percentiles(samples.originate);
  const bo = percentiles(samples.bareOriginate);
  const h = percentiles(samples.hangup);
  const bh = percentiles(samples.bareHangup);
  const ratio = (x: Latency, y: Latency) =>
    `p50 ${(x.p50 / y.p50).toFixed(2)}x  p99 ${(x.p99 / y.p99).toFixed(2)}x`;
  console.log(
    [
      `branchbox AMI call-control benchmark: ${machine()}, load ${load} at start`,
      `one process: the box's AMI adapter (client, translator, controller) and a loopback AMI peer; ${int(ROUNDS)} rounds after ${WARMUP} warm-up`,
      "",
      "command accepted -> action on the wire (arrival at the peer):",
      `  ${pad("originate (controller)", 40)} ${spread(o)}`,
      `  ${pad("bare Originate (client.send, same frame)", 40)} ${spread(bo)}`,
      `  ${pad("ratio", 40)} ${ratio(o, bo)}  (+${ms(o.p50 - bo.p50)} at p50)`,
      `  ${pad(`hangup (leg among ${CALLS * 2} live channels)`, 40)} ${spread(h)}`,
      `  ${pad("bare Hangup (client.send, same frame)", 40)} ${spread(bh)}`,
      `  ${pad("ratio", 40)} ${ratio(h, bh)}  (+${ms(h.p50 - bh.p50)} at p50)`,
      `  still waiting for an outcome at the end: ${a.control.inFlight()}; peer connections: ${p.connections()}`,
    ].join("\n"),
  );
} finally {
  await adapter?.source.stop();
  await peer?.close();
}
